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
 *
 * Gathering. Uploads seldom wait for one another on their own: a batch
 * is written in a fraction of a request's time, so nearly every upload
 * had a transaction of its own (1.02 uploads per transaction in
 * bench/serve.sh), and each COMMIT wrote the same pages (the tables'
 * and indexes' last leaves, the database's first page) again: 24 to 36
 * WAL frames an upload, two pwrites each (a sixth of the server's CPU
 * time, perf), and the checkpoints' copies of them. So the thread that is to write a batch first
 * waits for the uploads that are coming (their headers were read and
 * their token is good: their bodies are being read and checked) to join
 * the queue, for as many as the last batch held, and for more while they
 * keep arriving less than GAP_US apart, at most GATHER_US in all (as PostgreSQL's commit_delay, which
 * waits only while commit_siblings transactions are open). An upload so
 * waits at most GATHER_US more (a lone one GAP_US), its 201 still comes
 * after its COMMIT, and a batch is still all-or-each as above. About 3
 * uploads per transaction in bench/serve.sh then (its 16 connections on
 * the default 4 threads; about 5 on 8 threads). PostgreSQL has no batches: no one waits.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "serve/serve_int.h"

/* the longest a batch waits for the uploads coming (a client sending its body slowly) */
#define GATHER_US 1000
/* the longest a batch waits for another upload when none is coming */
#define GAP_US 200

void nr__serve_upload_init(struct nr_serve *s)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->queue_grew, &ca);
	pthread_condattr_destroy(&ca);
}

void nr__serve_upload_coming(struct nr__serve_req *q)
{
	struct nr_serve *s = q->srv;

	pthread_mutex_lock(&s->queue_lock);
	s->coming++;
	pthread_mutex_unlock(&s->queue_lock);
	q->upload_coming = true;
}

void nr__serve_upload_gone(struct nr__serve_req *q)
{
	struct nr_serve *s = q->srv;

	if (!q->upload_coming)
		return;
	q->upload_coming = false;
	pthread_mutex_lock(&s->queue_lock);
	s->coming--;
	pthread_cond_signal(&s->queue_grew);
	pthread_mutex_unlock(&s->queue_lock);
}

/*
 * Under the queue lock, by the thread that is to write: wait for the
 * uploads coming, for as many as the last batch held (a cohort answered
 * together sends its next requests a little apart, each after its own
 * answer; on a busy machine their threads run later still), and for
 * those that keep arriving less than GAP_US apart, at most GATHER_US in
 * all. No more than the threads can come: each waits for its own.
 */
static void gather(struct nr_serve *s)
{
	int64_t now = nr_mono_us(), end = now + GATHER_US, until;
	struct timespec ts;

	while (s->gather && s->queued < s->cfg->threads) {
		until = s->coming > 0 || s->queued < s->last_batch ? end : s->last_queued_us + GAP_US;
		if (until > end)
			until = end;
		if (until <= now)
			break;
		ts.tv_sec = until / 1000000;
		ts.tv_nsec = (until % 1000000) * 1000;
		pthread_cond_timedwait(&s->queue_grew, &s->queue_lock, &ts);
		now = nr_mono_us();
	}
}

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
	if (batching)
		atomic_fetch_add(&s->counts.transactions, 1);
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
	s->queued++;
	s->last_queued_us = nr_mono_us();
	if (u->coming) {
		u->coming = false;
		s->coming--;
	}
	pthread_cond_signal(&s->queue_grew);
	while (!u->done) {
		if (s->writing) {
			pthread_cond_wait(&s->queue_done, &s->queue_lock);
			continue;
		}
		/* no one writes: this thread writes everything queued, its own upload first among them */
		s->writing = true;
		gather(s);
		batch = s->queue;
		s->last_batch = s->queued;
		s->queued = 0;
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
