/*
 * The netperf parser's inside, shared by parse_netperf.c (shapes, units,
 * classic tables) and parse_netperf_omni.c (omni -k/-o/-O selectors), and
 * seen by its unit tests. Internal to the parse module.
 */
#ifndef NR_PARSE_NETPERF_H
#define NR_PARSE_NETPERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "parse/parse_tool.h"

/* What a netperf throughput figure counts. */
enum nr__parse_np_kind {
	NR__NP_BITS,  /* a data rate: factor converts to bit/s */
	NR__NP_TRANS, /* transactions per second: factor 1 */
};

struct nr__parse_np_rate {
	enum nr__parse_np_kind kind;
	double factor;
};

/*
 * A throughput unit as netperf prints it: "10^6bits/sec", "10^6bits/s",
 * "MBytes/sec", "MBytes  /s" (the -c -C titles pad the name to 8), "Trans/s",
 * the bare name of the RR -c -C titles ("10^6bits"). Returns 0, or NR_EINVAL
 * for a unit netperf does not define and for -f u ("Usec"), which is not a
 * rate. The factors are netperf's own (see the table in parse_netperf.c).
 */
int nr__parse_netperf_rate_unit(const char *printed, struct nr__parse_np_rate *ret);

/*
 * A service demand unit: "us/KB" (classic titles), "usec/KB" (omni
 * SD_UNITS) -> *ret_per_tran false, *ret_factor to ns/B; "us/Tr",
 * "usec/Tran" -> true, factor 1 (us per transaction). 0 or NR_EINVAL.
 */
int nr__parse_netperf_sd_unit(const char *printed, bool *ret_per_tran, double *ret_factor);

/* Which kind of test a banner names. */
enum nr__parse_np_test {
	NR__NP_UNKNOWN = 0,
	NR__NP_STREAM,     /* TCP_STREAM, TCP_SENDFILE, SCTP_STREAM: data sent */
	NR__NP_MAERTS,     /* TCP_MAERTS: data received */
	NR__NP_UDP_STREAM, /* migrated "UDP STREAM" or classic "UDP UNIDIRECTIONAL SEND" */
	NR__NP_RR,         /* TCP_RR, UDP_RR, TCP_CRR, ...: request/response */
	NR__NP_OMNI,       /* "OMNI Send TEST", "OMNI Send|Recv TEST" */
};

/* The output shapes. */
enum nr__parse_np_shape {
	NR__NP_NONE = 0,
	NR__NP_CLASSIC, /* the tables of the classic tests (migrated or not) */
	NR__NP_KEYVAL,  /* omni -k: SELECTOR=value */
	NR__NP_CSV,     /* omni -o: a line of titles, a line of values */
	NR__NP_HUMAN,   /* omni -O: four lines of titles, a line of values */
};

/* One selector (omni) as printed. */
struct nr__parse_np_kv {
	char *key;   /* the -k name (THROUGHPUT) or, for -o/-O, the title */
	char *value;
	size_t lineno;
};

/* One parse of one output. */
struct nr__parse_np {
	struct nr_sample_set *set;
	struct nr_diag *d;
	struct nr__parse_lines l;
	enum nr__parse_np_test test;
	enum nr__parse_np_shape shape;
	bool rr;               /* request/response (banner or DIRECTION) */
	bool confidence;       /* the banner says -i/-I ("+/-2.5% @ 99% conf.") */
	double conf_width;     /* the width -I asked for, in % (2 x 2.5); 0: none */
	size_t banner_line;    /* 0: no banner seen */
	int64_t interim;       /* interim results stored so far */
	struct nr_buf skipped; /* JSON strings: selectors or columns read, not stored */
	/* omni: selectors collected, turned into samples at the end */
	struct nr__parse_np_kv *kv;
	size_t nkv, kvcap;
	char *titles;          /* -o: the line of titles, until its values come */
	size_t titles_line;
	char *human[4];        /* -O: the four lines of titles of the current block */
	size_t nhuman;
	size_t human_line;
};

/* Append a JSON string to c->skipped (a list kept in the notes). */
void nr__parse_netperf_skip(struct nr__parse_np *c, const char *what);

/*
 * Store a throughput figure printed in `unit`: "<prefix>throughput_bps"
 * for a data rate, "transactions_per_s" for Trans/s. NR_EPARSE with the
 * line on a unit netperf does not define.
 */
int nr__parse_netperf_add_rate(struct nr__parse_np *c, const char *prefix, double value,
			       const char *unit, int64_t interval, size_t lineno);

/*
 * A CPU utilisation or service demand: -1 is netperf's "not measured"
 * (noted), another negative value a broken measurement (noted as not
 * plausible); neither is stored. Else stored like nr__parse_add_scaled.
 */
int nr__parse_netperf_add_cpu(struct nr__parse_np *c, const char *metric, double value,
			      double factor, const char *unit, size_t lineno);

/* The omni shapes (parse_netperf_omni.c): one line, then the end. */
int nr__parse_netperf_omni_line(struct nr__parse_np *c, char *s);
int nr__parse_netperf_omni_finish(struct nr__parse_np *c);
void nr__parse_netperf_omni_release(struct nr__parse_np *c);

#endif
