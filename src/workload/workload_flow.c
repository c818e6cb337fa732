/*
 * Flows: one thread each, started and joined by the main thread, which
 * samples their counters (the meter) and writes each side's report.
 */
#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "workload/workload_int.h"

int64_t nr__wl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void nr__wl_sleep_until_ns(int64_t t_ns)
{
	struct timespec ts = { .tv_sec = t_ns / 1000000000, .tv_nsec = t_ns % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

bool nr__wl_should_quit(const struct nr__wl_flow *f)
{
	int64_t drain = NR__LOAD(f->sh->drain_us);

	return NR__LOAD(f->sh->stop) || (drain && nr_mono_us() >= drain);
}

void nr__wl_flow_fail(struct nr__wl_flow *f, int err, const char *fmt, ...)
{
	va_list ap;

	if (f->err)
		return;
	f->err = err ? err : NR_EEXEC;
	va_start(ap, fmt);
	vsnprintf(f->errmsg, sizeof(f->errmsg), fmt, ap);
	va_end(ap);
}

static void *flow_main(void *arg)
{
	struct nr__wl_flow *f = arg;
	struct nr_diag d = { 0 };

	/* the default 50 us timer slack would make paced sends late and bursty */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (nr__wl_pin(f->pin_cpu, &d) < 0) {
		nr__wl_flow_fail(f, d.code, "flow %u: %s", f->id, nr_diag_msg(&d));
		NR__STORE(f->done, 1);
		return NULL;
	}
	switch (f->role) {
	case NR__WL_STREAM_SEND:
		nr__wl_stream_send(f);
		break;
	case NR__WL_STREAM_RECV:
		nr__wl_stream_recv(f);
		break;
	case NR__WL_UDP_STREAM_RECV:
		nr__wl_udp_stream_recv(f);
		break;
	case NR__WL_RR_CLIENT:
		nr__wl_rr_client(f);
		break;
	case NR__WL_RR_SERVER:
		nr__wl_rr_server(f);
		break;
	case NR__WL_CRR_CLIENT:
		nr__wl_crr_client(f);
		break;
	case NR__WL_CRR_SERVER:
		nr__wl_crr_server(f);
		break;
	}
	f->cpu = sched_getcpu();
	NR__STORE(f->done, 1);
	return NULL;
}

void nr__wl_flow_prepare(struct nr__wl_flow *f)
{
	if ((f->role == NR__WL_RR_CLIENT || f->role == NR__WL_CRR_CLIENT) && !f->hist) {
		/* allocated here, before the clock runs: recording never allocates */
		f->hist = nr_xmalloc(sizeof(*f->hist));
		nr_wl_hist_init(f->hist);
		if (f->sh->p->rate > 0) {
			f->hist_unc = nr_xmalloc(sizeof(*f->hist_unc));
			nr_wl_hist_init(f->hist_unc);
		}
	}
	if (f->role == NR__WL_UDP_STREAM_RECV && !f->udp) {
		unsigned k;

		f->n_udp = f->sh->p->flows;
		f->udp = nr_xcalloc(f->n_udp, sizeof(*f->udp));
		/* a socket of its own (reverse, client) hears only its flow's end */
		for (k = 0; k < f->n_udp && !f->shared_fd; k++)
			f->udp[k].fin = k != f->id;
	}
	f->cpu = -1;
}

int nr__wl_flow_start(struct nr__wl_flow *f, struct nr_diag *d)
{
	int r;

	nr__wl_flow_prepare(f);
	r = pthread_create(&f->thread, NULL, flow_main, f);
	if (r)
		return nr_diagf(d, -r, "cannot start a thread: %s", strerror(r));
	f->started = true;
	return 0;
}

void nr__wl_flow_join(struct nr__wl_flow *f)
{
	if (!f->started)
		return;
	pthread_join(f->thread, NULL);
	f->started = false;
}

void nr__wl_flow_release(struct nr__wl_flow *f)
{
	nr__wl_flow_join(f);
	if (f->fd >= 0 && !f->shared_fd)
		close(f->fd);
	f->fd = -1;
	free(f->hist);
	free(f->hist_unc);
	free(f->udp);
	free(f->group);
	f->hist = f->hist_unc = NULL;
	f->udp = NULL;
	f->group = NULL;
	f->n_group = 0;
}

/* ---- meter -------------------------------------------------------------- */

static void sums(struct nr__wl_flow *f, unsigned n, uint64_t *ret_bytes, uint64_t *ret_tx)
{
	uint64_t b = 0, t = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		b += NR__LOAD(f[i].bytes);
		t += NR__LOAD(f[i].transactions);
	}
	*ret_bytes = b;
	*ret_tx = t;
}

void nr__wl_meter_start(struct nr__wl_meter *m, struct nr__wl_shared *sh, int64_t now)
{
	memset(m, 0, sizeof(*m));
	m->start_us = now;
	m->next_us = now + sh->p->omit_us;
}

static void push_interval(struct nr__wl_meter *m, int64_t now, uint64_t b, uint64_t t)
{
	struct nr__wl_interval *iv;

	NR_GROW(m->iv, m->n_iv + 1, m->cap_iv);
	iv = &m->iv[m->n_iv++];
	iv->start_us = m->last_us - m->omit_at_us;
	iv->end_us = now - m->omit_at_us;
	iv->bytes = b - m->last_bytes;
	iv->transactions = t - m->last_tx;
	m->last_us = now;
	m->last_bytes = b;
	m->last_tx = t;
}

int64_t nr__wl_meter_tick(struct nr__wl_meter *m, struct nr__wl_shared *sh,
			  struct nr__wl_flow *f, unsigned n, int64_t now)
{
	int64_t interval = sh->p->interval_us;
	uint64_t b, t;

	if (now < m->next_us)
		return m->next_us;
	sums(f, n, &b, &t);
	if (!m->omit_at_us) {
		m->omit_at_us = now;
		m->omit_bytes = m->last_bytes = b;
		m->omit_tx = m->last_tx = t;
		m->last_us = now;
		getrusage(RUSAGE_SELF, &m->omit_ru);
		NR__STORE(sh->measuring, 1);
		m->next_us = interval ? now + interval : INT64_MAX;
		return m->next_us;
	}
	push_interval(m, now, b, t);
	m->next_us += interval;
	if (m->next_us <= now)
		m->next_us = now + interval;
	return m->next_us;
}

void nr__wl_meter_end(struct nr__wl_meter *m, struct nr__wl_shared *sh,
		      struct nr__wl_flow *f, unsigned n)
{
	int64_t now = nr_mono_us(), last = 0;
	uint64_t b, t;
	unsigned i;

	if (!m->omit_at_us) {
		/* ended before the warm-up did: measure from the start */
		m->omit_at_us = m->last_us = m->start_us;
		getrusage(RUSAGE_SELF, &m->omit_ru);
	}
	for (i = 0; i < n; i++)
		if (f[i].last_us > last)
			last = f[i].last_us;
	m->end_us = last > m->omit_at_us ? last : now;
	getrusage(RUSAGE_SELF, &m->end_ru);
	/* the CPU window runs to now, the data window to the last data */
	m->cpu_window_us = now - m->omit_at_us;
	sums(f, n, &b, &t);
	if (sh->p->interval_us && m->end_us - m->last_us > sh->p->interval_us / 2)
		push_interval(m, m->end_us, b, t);
}

void nr__wl_meter_release(struct nr__wl_meter *m)
{
	free(m->iv);
	m->iv = NULL;
	m->n_iv = m->cap_iv = 0;
}

/* ---- a side's report ------------------------------------------------------ */

static double tv_us(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 + (double)(b->tv_usec - a->tv_usec);
}

static void add_latency(json_t *o, const char *key, const struct nr_wl_hist *h)
{
	json_t *l = json_object();

	json_object_set_new(l, "count", json_integer((json_int_t)h->count));
	json_object_set_new(l, "min_us", json_real((double)(h->count ? h->min : 0) / 1e3));
	json_object_set_new(l, "avg_us", json_real(nr_wl_hist_mean(h) / 1e3));
	json_object_set_new(l, "p50_us", json_real(nr_wl_hist_percentile(h, 50) / 1e3));
	json_object_set_new(l, "p90_us", json_real(nr_wl_hist_percentile(h, 90) / 1e3));
	json_object_set_new(l, "p99_us", json_real(nr_wl_hist_percentile(h, 99) / 1e3));
	json_object_set_new(l, "p99_9_us", json_real(nr_wl_hist_percentile(h, 99.9) / 1e3));
	json_object_set_new(l, "max_us", json_real((double)h->max / 1e3));
	json_object_set_new(o, key, l);
}

json_t *nr__wl_side_report(const struct nr__wl_meter *m, struct nr__wl_flow *f, unsigned n,
			   const char *role)
{
	json_t *o = json_object(), *cpus = json_array(), *errs = json_array(), *iv;
	struct nr_wl_hist *h = NULL, *hu = NULL;
	uint64_t b, t, sent = 0, lost = 0, retrans = 0, rx = 0, reord = 0;
	double win = (double)(m->end_us - m->omit_at_us), cpuwin = (double)m->cpu_window_us;
	double rtt = 0, jitter = 0;
	unsigned i, k, n_tcpi = 0, n_jit = 0;
	bool udp_rx = false;

	sums(f, n, &b, &t);
	json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "bytes", json_integer((json_int_t)(b - m->omit_bytes)));
	json_object_set_new(o, "bytes_total", json_integer((json_int_t)b));
	json_object_set_new(o, "transactions", json_integer((json_int_t)(t - m->omit_tx)));
	json_object_set_new(o, "transactions_total", json_integer((json_int_t)t));
	json_object_set_new(o, "window_us", json_integer((json_int_t)win));
	json_object_set_new(o, "cpu_user_percent",
			    json_real(cpuwin > 0 ? tv_us(&m->omit_ru.ru_utime, &m->end_ru.ru_utime) /
							   cpuwin * 100 : 0));
	json_object_set_new(o, "cpu_system_percent",
			    json_real(cpuwin > 0 ? tv_us(&m->omit_ru.ru_stime, &m->end_ru.ru_stime) /
							   cpuwin * 100 : 0));
	json_object_set_new(o, "cpu_window_us", json_integer((json_int_t)cpuwin));
	for (i = 0; i < n; i++) {
		json_array_append_new(cpus, json_integer(f[i].cpu));
		if (f[i].err)
			json_array_append_new(errs, json_string(f[i].errmsg));
		sent += f[i].packets_sent;
		lost += f[i].lost;
		if (f[i].have_tcpi) {
			retrans += f[i].retransmits;
			rtt += f[i].rtt_us;
			n_tcpi++;
		}
		if (f[i].hist) {
			if (!h) {
				h = nr_xmalloc(sizeof(*h));
				nr_wl_hist_init(h);
			}
			nr_wl_hist_merge(h, f[i].hist);
		}
		if (f[i].hist_unc) {
			if (!hu) {
				hu = nr_xmalloc(sizeof(*hu));
				nr_wl_hist_init(hu);
			}
			nr_wl_hist_merge(hu, f[i].hist_unc);
		}
		for (k = 0; k < f[i].n_udp; k++) {
			const struct nr__wl_udp_rx *st = &f[i].udp[k];

			udp_rx = true;
			rx += st->received;
			reord += st->reordered;
			if (st->received > 1) {
				jitter += st->jitter_us;
				n_jit++;
			}
		}
	}
	json_object_set_new(o, "cpus", cpus);
	if (n_tcpi) {
		json_object_set_new(o, "retransmits", json_integer((json_int_t)retrans));
		json_object_set_new(o, "rtt_us", json_real(rtt / n_tcpi));
	}
	if (sent)
		json_object_set_new(o, "packets_sent", json_integer((json_int_t)sent));
	if (udp_rx) {
		json_object_set_new(o, "packets_received", json_integer((json_int_t)rx));
		json_object_set_new(o, "reordered", json_integer((json_int_t)reord));
		json_object_set_new(o, "jitter_us", json_real(n_jit ? jitter / n_jit : 0));
	}
	if (f[0].sh->p->kind == NR_WL_UDP_RR && h)
		json_object_set_new(o, "lost", json_integer((json_int_t)lost));
	if (h)
		add_latency(o, "latency", h);
	if (hu)
		add_latency(o, "latency_uncorrected", hu);
	free(h);
	free(hu);
	iv = json_array();
	for (i = 0; i < m->n_iv; i++) {
		json_t *e = json_object();
		double dur = (double)(m->iv[i].end_us - m->iv[i].start_us);

		json_object_set_new(e, "start_us", json_integer(m->iv[i].start_us));
		json_object_set_new(e, "end_us", json_integer(m->iv[i].end_us));
		json_object_set_new(e, "bytes", json_integer((json_int_t)m->iv[i].bytes));
		json_object_set_new(e, "transactions",
				    json_integer((json_int_t)m->iv[i].transactions));
		json_object_set_new(e, "throughput_bps",
				    json_real(dur > 0 ? (double)m->iv[i].bytes * 8e6 / dur : 0));
		json_object_set_new(e, "transactions_per_s",
				    json_real(dur > 0 ? (double)m->iv[i].transactions * 1e6 / dur : 0));
		json_array_append_new(iv, e);
	}
	json_object_set_new(o, "intervals", iv);
	json_object_set_new(o, "errors", errs);
	return o;
}
