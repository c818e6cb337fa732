/*
 * Group commit of uploads. One upload at a time goes into the store (the
 * upload lock: SQLite has one writer), and on SQLite each transaction
 * costs its COMMIT: the WAL's append of every page it touched, the
 * pages of the indexes each upload touches again. Uploads that arrive
 * while another is being written wait in a queue; the first of them to
 * find no one writing takes the whole queue (a batch) and writes it in
 * one transaction, each bundle in a savepoint of its own (store's
 * batch): a bundle that fails its checks (403, 409) or its write is
 * rolled back alone, its neighbours stay. After the COMMIT every upload
 * of the batch is answered; when the COMMIT fails none of them is stored
 * and each is answered with its error. Nothing is answered before the
 * COMMIT, so a 201 promises what it promised alone (docs/serve.md).
 * A batch holds at most one upload per request thread (each waits for
 * its own), so no more than the config's threads.
 */
#include <stdlib.h>

#include "serve/serve_int.h"

/* Write a batch (its uploads in order), under the upload lock. */
static void batch_write(struct nr_serve *s, struct nr__serve_upload *first)
{
	struct nr__serve_upload *u;
	struct nr_diag d = { 0 };
	bool batching = false;
	int r = 0;

	pthread_mutex_lock(&s->upload_lock);
	/*
	 * one upload alone too: its checks then read in its transaction, not
	 * in one each
	 */
	if ((r = nr_store_batch_begin(s->upload_st, &batching, &d)) < 0) {
		for (u = first; u; u = u->next) {
			u->r = r;
			u->d = d;
		}
		goto out;
	}
	for (u = first; u; u = u->next)
		u->r = nr_store_bundle_add(s->upload_st, u->b, u->user, &u->res, &u->d);
	if (batching && (r = nr_store_batch_end(s->upload_st, 0, &d)) < 0) {
		/* rolled back: none of the batch is stored */
		for (u = first; u; u = u->next) {
			if (u->r == 0) {
				u->r = r;
				u->d = d;
			}
		}
	}
	if (batching && first->next)
		atomic_fetch_add(&s->counts.batches, 1);
out:
	pthread_mutex_unlock(&s->upload_lock);
}

void nr__serve_upload(struct nr_serve *s, struct nr__serve_upload *u)
{
	struct nr__serve_upload *batch, *v;

	u->done = false;
	u->next = NULL;
	pthread_mutex_lock(&s->queue_lock);
	*s->queue_tail = u;
	s->queue_tail = &u->next;
	while (!u->done) {
		if (s->writing) {
			pthread_cond_wait(&s->queue_done, &s->queue_lock);
			continue;
		}
		/* no one writes: this thread writes everything queued, its own upload first among them */
		s->writing = true;
		batch = s->queue;
		s->queue = NULL;
		s->queue_tail = &s->queue;
		pthread_mutex_unlock(&s->queue_lock);
		batch_write(s, batch);
		pthread_mutex_lock(&s->queue_lock);
		for (v = batch; v; v = v->next)
			v->done = true;
		s->writing = false;
		pthread_cond_broadcast(&s->queue_done);
	}
	pthread_mutex_unlock(&s->queue_lock);
}
