/*
 * Inside campaign/: the loader's state and the readers its files share
 * (campaign_load.c, campaign_test.c, campaign_workload.c,
 * campaign_thresholds.c, campaign_limits.c, campaign_variant.c). Not for
 * other modules.
 */
#ifndef NR_CAMPAIGN_INT_H
#define NR_CAMPAIGN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/str.h"
#include "campaign/campaign.h"
#include "yaml/yaml.h"

#define DEFAULT_TIMEOUT_US (300 * 1000000LL)
#define DEFAULT_KILL_GRACE_US (2 * 1000000LL)
#define DEFAULT_READY_TIMEOUT_US (30 * 1000000LL)
#define DEFAULT_OUTPUT_LIMIT ((size_t)16 << 20)
#define DEFAULT_BUILD_TIMEOUT_US (3600 * 1000000LL)

struct loader {
	struct nr_yread yr;
	bool has_lab; /* the campaign has a lab: its hosts may leave addresses to it */
};

/* The shared readers (yaml_read.c) on this loader's file and diag. */
#define fail(l, at, ...) nr_yread_fail(&(l)->yr, at, __VA_ARGS__)
#define check_keys(l, map, allowed, n, where) nr_yread_check_keys(&(l)->yr, map, allowed, n, where)
#define want_kind(l, n, kind, key) nr_yread_want(&(l)->yr, n, kind, key)
#define key_node(map, key) nr_yread_key_node(map, key)
#define scalar_at(l, map, key, ret) nr_yread_scalar(&(l)->yr, map, key, ret)
#define get_str(l, map, key, ret) nr_yread_str(&(l)->yr, map, key, ret)
#define get_int(l, map, key, min, max, ret) nr_yread_int(&(l)->yr, map, key, min, max, ret)
#define get_duration(l, map, key, min, ret) nr_yread_duration(&(l)->yr, map, key, min, ret)
#define get_size(l, map, key, ret) nr_yread_size(&(l)->yr, map, key, ret)
#define get_bool(l, map, key, ret) nr_yread_bool(&(l)->yr, map, key, ret)

/* The value of `key` in map, for messages about the value; the map when absent. */
const struct nr_ynode *nr__campaign_value_node(const struct nr_ynode *map, const char *key);
struct nr_pos nr__campaign_pos_of(const struct nr_ynode *n);
/* Not empty, and only letters, digits, '_' and the characters of `extra`. */
bool nr__campaign_valid_name(const char *s, const char *extra);
/*
 * A mapping of NAME: value into kv (merging over what kv holds). `env`:
 * the names are environment variables; else labels. 1 when present, 0
 * when absent, negative with a message.
 */
int nr__campaign_get_kv(struct loader *l, const struct nr_ynode *map, const char *key,
			struct nr_kv *kv, bool env);
/* `run:` as a list of words, or a string split like a shell would (no shell runs it). */
int nr__campaign_get_argv(struct loader *l, const struct nr_ynode *n, const char *key,
			  struct nr_strvec *ret);
/* `name` is a host of the campaign (or of its lab); `at` places the message. */
int nr__campaign_check_host(struct loader *l, const struct nr_campaign *c,
			    const struct nr_ynode *at, const char *name);

/*
 * `probe:` of `map` (a test or defaults) into t->probe_us: true (1 s),
 * false, or {tcp_rr: DURATION}; t's roles must include `server` and
 * `client` (campaign_workload.c).
 */
int nr__campaign_load_probe(struct loader *l, const struct nr_ynode *map, struct nr_test *t);

/* The keys `defaults:` takes (campaign_test.c reads them for each test). */
extern const char *const nr__campaign_defaults_keys[];
extern const size_t nr__campaign_n_defaults_keys;

/*
 * `repeat:` of `map` (a test or defaults), at x, into t: a count, or
 * adaptive repeats {min: N, max: M, until: clear} (2 <= min <= max <=
 * NR_ADAPTIVE_MAX) into repeat_min and repeat (campaign_test.c).
 */
int nr__campaign_load_repeat(struct loader *l, const struct nr_ynode *map,
			     const struct nr_ynode *x, struct nr_test *t);

/* One test of `tests:`, with what `defaults:` (NULL: none) gives it. */
int nr__campaign_load_test(struct loader *l, struct nr_campaign *c, const struct nr_ynode *n,
			   const struct nr_ynode *defaults, struct nr_test *t);
/* The roles of `workload: NAME` in test t (campaign_workload.c); `env` goes to both. */
int nr__campaign_load_workload(struct loader *l, const struct nr_campaign *c,
			       const struct nr_ynode *n, struct nr_test *t, const struct nr_kv *env);
/* `workload: packet_pipeline` (campaign_pipeline.c): the roles pcap, fwd, pktgen */
int nr__campaign_load_pipeline(struct loader *l, const struct nr_campaign *c,
			       const struct nr_ynode *n, struct nr_test *t, const struct nr_kv *env);
/* A role's `ready:` map into rd (campaign_test.c). */
int nr__campaign_load_ready(struct loader *l, const struct nr_ynode *n, struct nr_ready *rd);
/* `variants:` at n into c (campaign_variant.c); before the tests, whose
 * templates may refer to them. */
int nr__campaign_load_variants(struct loader *l, struct nr_campaign *c, const struct nr_ynode *n);
/* After the tests: each test's copy per variant, and the checks of the
 * variants' build and env templates (n: the `variants:` node). */
int nr__campaign_variant_tests(struct loader *l, struct nr_campaign *c, const struct nr_ynode *n);
void nr__campaign_variants_free(struct nr_campaign *c);
/* `thresholds:` at n, for a test and/or metric (NULL: every one), into c. */
int nr__campaign_add_threshold(struct loader *l, struct nr_campaign *c, const char *test,
			       const char *metric, const struct nr_ynode *n);

/*
 * `limits:` at n, for a test (NULL: every test), into c (campaign_limits.c):
 * values converted to the canonical unit of what is written, min <= max.
 */
int nr__campaign_add_limits(struct loader *l, struct nr_campaign *c, const char *test,
			    const struct nr_ynode *n);
/*
 * Once every test is loaded: each limit's unit is the kind its metric comes
 * in from the parsers of the tests it covers, and the bounds that hold for
 * a test leave room (min <= max); a limit no parser can satisfy adds a
 * warning to c->warnings.
 */
int nr__campaign_check_limits(struct loader *l, struct nr_campaign *c);
void nr__campaign_limit_release(struct nr_limit *lim);
/* The key a generic parser finds a declared metric by ("pointer", "regex",
 * "key"); NULL for a tool parser, which knows its metrics. */
const char *nr__campaign_source_key(const struct nr_parser *p);

#endif
