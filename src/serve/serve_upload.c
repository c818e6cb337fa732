/*
 * Group commit of uploads. One upload at a time goes into the store (one
 * writer in SQLite), and on SQLite each transaction costs its COMMIT:
 * the WAL's append of every page it touched, the pages of the indexes
 * each upload touches again. So uploads are written by a thread of their
 * own, the writer: a request thread reads and checks its upload's body,
 * queues it and suspends its connection (MHD's suspend), and goes on
 * with its other connections; the writer takes the whole queue (a batch)
 * and writes it in one transaction, each bundle in a savepoint of its
 * own (store's batch): a bundle that fails its checks (403, 409) or its
 * write is rolled back alone, its neighbours stay. After the COMMIT it
 * resumes every connection of the batch, whose thread then answers; when
 * the COMMIT fails none of them is stored and each is answered with its
 * error. Nothing is answered before the COMMIT, so a 201 promises what
 * it promised alone (docs/serve.md).
 *
 * Why a thread of its own: while a request thread itself waited for its
 * batch's COMMIT (as it did), it read nothing of its other connections,
 * and libmicrohttpd gives a burst of new connections to whichever thread
 * wakes first (up to ten at a time): in bench/serve.sh two of the four
 * threads, sometimes one, held all 16 connections, their uploads waited
 * in line behind each other, and a batch held at most one upload a
 * thread (1.00 to 1.98 uploads per transaction). Suspended, a connection
 * costs its thread nothing, and a batch holds whatever has arrived.
 *
 * Gathering. A batch is written in a fraction of a request's time, so
 * uploads seldom wait for one another on their own, and each COMMIT
 * wrote the same pages (the tables' and indexes' last leaves, the
 * database's first page) again: 24 to 36 WAL frames an upload. So the
 * writer first waits for the uploads that are coming (their headers
 * were read and their token is good: their bodies are being read and
 * checked) to join the queue, for as many as the last batch held, and
 * for more while they keep arriving less than GAP_US apart, at most
 * GATHER_US in all (as PostgreSQL's commit_delay, which waits only while
 * commit_siblings transactions are open). An upload so waits at most
 * GATHER_US more (a lone one GAP_US), its 201 still comes after its
 * COMMIT, and a batch is still all-or-each as above. PostgreSQL has no
 * batches: no one waits, each upload is its own transaction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "serve/serve_int.h"

/* the longest a batch waits for the uploads coming (a client sending its body slowly) */
#define GATHER_US 1000
/* the longest a batch waits for another upload when none is coming */
#define GAP_US 200
/* a batch gathers no more than this (it takes what is queued, the queue holds one per connection) */
#define GATHER_MAX 64

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
 * all.
 */
static void gather(struct nr_serve *s)
{
	int64_t now = nr_mono_us(), end = now + GATHER_US, until;
	struct timespec ts;

	while (s->gather && s->queued < GATHER_MAX && !s->writer_stop) {
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

/*
 * The writer: each turn the whole queue as one batch, then the batch's
 * connections resumed (an upload is its request's: once resumed it may
 * be answered and freed at once, so nothing of it is read after).
 */
static void *writer_main(void *arg)
{
	struct nr_serve *s = arg;
	struct nr__serve_upload *batch, *u, *next;
	struct MHD_Connection *conn;

	pthread_mutex_lock(&s->queue_lock);
	for (;;) {
		while (!s->queue && !s->writer_stop)
			pthread_cond_wait(&s->queue_grew, &s->queue_lock);
		if (!s->queue)
			break; /* asked to stop, and nothing is left */
		gather(s);
		batch = s->queue;
		s->last_batch = s->queued;
		s->queued = 0;
		s->queue = NULL;
		s->queue_tail = &s->queue;
		pthread_mutex_unlock(&s->queue_lock);
		batch_write(s, batch);
		for (u = batch; u; u = next) {
			next = u->next;
			conn = u->conn;
			MHD_resume_connection(conn);
		}
		pthread_mutex_lock(&s->queue_lock);
	}
	s->writer_gone = true;
	pthread_mutex_unlock(&s->queue_lock);
	return NULL;
}

int nr__serve_upload_start(struct nr_serve *s, struct nr_diag *d)
{
	int e = pthread_create(&s->writer, NULL, writer_main, s);

	if (e)
		return nr_diagf(d, -e, "cannot start the uploads' writer: %s", strerror(e));
	s->writer_started = true;
	return 0;
}

void nr__serve_upload_stop(struct nr_serve *s)
{
	if (!s->writer_started)
		return;
	pthread_mutex_lock(&s->queue_lock);
	s->writer_stop = true;
	pthread_cond_signal(&s->queue_grew);
	pthread_mutex_unlock(&s->queue_lock);
	pthread_join(s->writer, NULL);
	s->writer_started = false;
}

int nr__serve_upload(struct nr__serve_req *q)
{
	struct nr_serve *s = q->srv;
	struct nr__serve_upload *u = &q->up;

	u->next = NULL;
	u->conn = q->conn;
	pthread_mutex_lock(&s->queue_lock);
	if (s->writer_gone) {
		pthread_mutex_unlock(&s->queue_lock);
		return -1;
	}
	/*
	 * suspended before it is queued: the writer may resume it before
	 * this thread returns to MHD, which MHD takes (a resume flag)
	 */
	MHD_suspend_connection(q->conn);
	q->upload_queued = true;
	*s->queue_tail = u;
	s->queue_tail = &u->next;
	s->queued++;
	s->last_queued_us = nr_mono_us();
	if (u->coming) {
		u->coming = false;
		s->coming--;
	}
	pthread_cond_signal(&s->queue_grew);
	pthread_mutex_unlock(&s->queue_lock);
	return 0;
}
