/*
 * SQLite's WAL, kept off the upload path. SQLite checkpoints on its own
 * in the commit that takes the WAL past wal_autocheckpoint pages: that
 * commit (an upload, under the upload lock) then copies thousands of
 * pages into the database and waits for two fsyncs, and every upload
 * queued behind it waits too (the uploads' p99, README "The results
 * service"). Here the upload handle only appends and says how large the
 * WAL has grown (store's WAL watch); a thread of its own, with a handle
 * of its own, checkpoints when the WAL passes WAL_AT_PAGES:
 *
 * 1. PASSIVE checkpoints while uploads go on: the bulk of the copying
 *    and its fsyncs, waiting for no one; again (at most TAIL_PASSES)
 *    while uploads committed more than TAIL_PAGES during the last one
 *    and the WAL holds less than WAL_MOST_PAGES;
 * 2. then a RESTART checkpoint under the upload lock: it copies only that
 *    tail (and fsyncs the WAL and the database), and waits (at most
 *    RESTART_WAIT_MS) for the readers that began before it and still
 *    read the WAL; the WAL is then copied whole, no one reads it, and the
 *    next upload starts it over from its beginning.
 *
 * Without 2, under a steady load a checkpoint never ends with the WAL
 * copied whole (commits land during each one: SQLite counts the frames
 * there were when it began), the WAL never starts over and grows without
 * end (392 MiB in 10 s of bench/serve.sh). The WAL so holds at most
 * WAL_MOST_PAGES plus what is committed during one unlocked checkpoint
 * (plus, when a reader keeps it from starting over, WAL_AT_PAGES / 8
 * until the next round); a writer starting it over cuts its file back to
 * WAL_KEEP_BYTES. Uploads wait for the lock once a round, as long as the
 * tail's checkpoint takes: its pages, two fsyncs, and at most
 * RESTART_WAIT_MS for readers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "base/mem.h"
#include "serve/serve_int.h"

/* 16 MiB of 4 KiB pages, about 400 one-case uploads (SQLite's automatic checkpoint here: 8,192) */
#define WAL_AT_PAGES 4096
/*
 * unlocked checkpoints at most before the locked one, the tail that is
 * small enough for it, and the WAL's size that ends them at once (on a
 * busy machine each takes long, and uploads go on meanwhile)
 */
#define TAIL_PASSES 4
#define TAIL_PAGES 128
#define WAL_MOST_PAGES (2 * WAL_AT_PAGES)
#define WAL_KEEP_BYTES (32LL << 20)
/* the longest the locked checkpoint waits for readers of the WAL (uploads wait meanwhile) */
#define RESTART_WAIT_MS 10

struct nr__serve_wal {
	struct nr_serve *srv;
	struct nr_store *st; /* the checkpoints' own handle */
	struct nr_store_wal_watch watch;
	pthread_t thread;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t grew;
	int pages; /* in the WAL at the upload handle's last commit */
	int due;   /* a checkpoint starts when pages reaches it */
	bool quit;
};

/* In the uploading thread, after each commit of the upload handle. */
static void wal_grew(void *ctx, int pages)
{
	struct nr__serve_wal *w = ctx;

	pthread_mutex_lock(&w->lock);
	if (pages < w->pages) /* started over from its beginning */
		w->due = WAL_AT_PAGES;
	w->pages = pages;
	if (pages >= w->due)
		pthread_cond_signal(&w->grew);
	pthread_mutex_unlock(&w->lock);
}

static void *wal_main(void *arg)
{
	struct nr__serve_wal *w = arg;
	struct nr_serve *s = w->srv;
	int log = 0, copied = 0, left = 0, i, r = 0;
	struct nr_diag d = { 0 };
	bool most;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->quit && w->pages < w->due)
			pthread_cond_wait(&w->grew, &w->lock);
		if (w->quit)
			break;
		pthread_mutex_unlock(&w->lock);
		/*
		 * log counts the frames there were when a checkpoint began:
		 * what uploads committed during it (the hook saw more) is left.
		 * Again while that is much (each pass is shorter than the one
		 * before, its tail smaller), then the rest under the lock.
		 */
		for (i = 0; i < TAIL_PASSES; i++) {
			r = nr_store_wal_checkpoint(w->st, false, 0, &log, &copied, &d);
			pthread_mutex_lock(&w->lock);
			left = r < 0 ? 0 : w->pages - (copied < 0 ? 0 : copied);
			most = w->pages >= WAL_MOST_PAGES;
			pthread_mutex_unlock(&w->lock);
			if (left <= TAIL_PAGES || most)
				break;
		}
		if (r == 0) {
			pthread_mutex_lock(&s->upload_lock);
			r = nr_store_wal_checkpoint(w->st, true, RESTART_WAIT_MS, &log, &copied, &d);
			pthread_mutex_unlock(&s->upload_lock);
		}
		if (r < 0)
			nr__serve_logf(s, "WAL checkpoint: %s", nr_diag_msg(&d));
		else
			atomic_fetch_add(&s->counts.checkpoints, 1);
		pthread_mutex_lock(&w->lock);
		/*
		 * next when the WAL has started over and filled again (wal_grew
		 * lowers due), or, when it could not start over (a reader held
		 * it too long, a checkpoint failed), once it grew by an eighth
		 */
		w->due = log + WAL_AT_PAGES / 8;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void wal_free(struct nr__serve_wal *w)
{
	nr_store_close(w->st);
	pthread_cond_destroy(&w->grew);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int nr__serve_wal_start(struct nr_serve *s, struct nr_diag *d)
{
	struct nr__serve_wal *w = nr_xcalloc(1, sizeof(*w));
	bool watching = false;
	int r;

	w->srv = s;
	w->due = WAL_AT_PAGES;
	w->watch.fn = wal_grew;
	w->watch.ctx = w;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->grew, NULL);
	if ((r = nr_store_open(s->db, &w->st, d)) < 0) {
		wal_free(w);
		return r;
	}
	if (pthread_create(&w->thread, NULL, wal_main, w) != 0) {
		wal_free(w);
		return nr_diagf(d, -EAGAIN, "cannot start the checkpoint thread");
	}
	s->wal = w;
	/* last: the upload handle's hook points at w from here on, until the server ends */
	r = nr_store_wal_watch(s->upload_st, &w->watch, WAL_KEEP_BYTES, &watching, d);
	if (r < 0 || !watching) /* PostgreSQL: no WAL of ours to keep */
		nr__serve_wal_stop(s);
	return r;
}

void nr__serve_wal_stop(struct nr_serve *s)
{
	struct nr__serve_wal *w = s->wal;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_signal(&w->grew);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	wal_free(w);
	s->wal = NULL;
}
