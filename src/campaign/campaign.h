/*
 * Campaigns: the YAML file of hosts and tests, validated into plain
 * structs; the plan (a test's matrix expanded into cases); and templating
 * of commands with a case's parameters.
 *
 * Nothing here runs anything. Everything a campaign says is checked by
 * nr_campaign_load(), before anything runs, and every message names
 * file:line:column and the key.
 */
#ifndef NR_CAMPAIGN_H
#define NR_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/hash.h"
#include "base/str.h"
#include "parse/parse.h"

struct nr_lab;

/* Where a value was written, for messages. line and column are 1-based. */
struct nr_pos {
	int line, column;
};

/* An ordered list of NAME=VALUE pairs (env, labels). */
struct nr_kv {
	struct nr_strvec keys;
	struct nr_strvec vals;
	struct nr_strset index; /* key -> its place in keys: setting n keys costs O(n) */
};
void nr_kv_set(struct nr_kv *kv, const char *key, const char *val);
const char *nr_kv_get(const struct nr_kv *kv, const char *key);
void nr_kv_clear(struct nr_kv *kv);

enum nr_transport {
	NR_TRANSPORT_LOCAL,
	NR_TRANSPORT_NETNS,
	NR_TRANSPORT_SSH,
};
const char *nr_transport_name(enum nr_transport t);

struct nr_host {
	char *name;
	enum nr_transport transport;
	char *address;    /* the control address (what ssh uses); local: 127.0.0.1 */
	/* `addresses:` network name -> the host's data address there (a lab
	 * host also has one per `network:` of its links) */
	struct nr_kv addresses;
	char *netns;      /* NR_TRANSPORT_NETNS: the namespace's name */
	char *user;       /* NR_TRANSPORT_SSH: login, NULL for ssh's default */
	int port;         /* NR_TRANSPORT_SSH: 0 for ssh's default */
	char *identity;   /* NR_TRANSPORT_SSH: private key file */
	char *jump;       /* NR_TRANSPORT_SSH: ProxyJump */
	struct nr_strvec ssh_options; /* NR_TRANSPORT_SSH: extra "-o" values */
	char *workdir;    /* NR_TRANSPORT_SSH: remote working directory, NULL: the login's */
	struct nr_strvec restart; /* run on the controller when the host fails its checks */
	int64_t restart_timeout_us; /* how long to wait for it to come back after restart */
	/* `labels:` free KEY=VALUE (os, arch, env, nic ...): stored with the
	 * run's hosts, run selectors (label:env=lab) */
	struct nr_kv labels;
	/* `optional: true` (netperf's [UNRELIABLE] environments): a case on it
	 * runs and is reported, but its failure never fails the run */
	bool optional;
	struct nr_pos pos;
};

enum nr_health_when {
	NR_HEALTH_CASE, /* before every case */
	NR_HEALTH_TEST, /* before the first case of each test */
	NR_HEALTH_ONCE, /* before the first case of the run */
	NR_HEALTH_NEVER,
};

/* Reachability checks of the hosts a case uses (local hosts are never checked). */
struct nr_health {
	enum nr_health_when when;
	bool ping;          /* ICMP echo, else a TCP connect to the ssh port; netns: it exists */
	bool ssh;           /* an ssh login running `true` (ssh hosts) */
	/* from each host of a case, `ping` of the address of every other host
	 * of the case (the peers it talks to), run on that host */
	bool peers;
	int retries;        /* more rounds of checks before a host counts as down */
	int64_t interval_us;/* between rounds */
	int64_t timeout_us; /* for one check */
};

enum {
	NR_NOTIFY_FAILURE = 1 << 0, /* a case failed */
	NR_NOTIFY_BREAKER = 1 << 1, /* stop_after_failures stopped the run */
	NR_NOTIFY_FINISH = 1 << 2,  /* the run ended */
};

struct nr_notify {
	char *url;                /* webhook: POST {"text": ...} (Slack-compatible) */
	struct nr_strvec command; /* run with NETRIG_EVENT, NETRIG_TEXT, NETRIG_RUN set */
	unsigned on;              /* NR_NOTIFY_* */
};

/* Files copied to a host before a test's first case. */
struct nr_upload {
	char *host;
	char *from; /* on the controller; relative to the campaign file */
	char *to;   /* on the host */
};

/* A file read back from a role's host after each attempt, stored with it. */
struct nr_collect {
	char *role;
	char *path; /* a template */
};

enum nr_ready_kind {
	NR_READY_NONE,  /* the next role starts at once */
	NR_READY_PORT,  /* a TCP port is listening on the role's host */
	NR_READY_REGEX, /* a line of the role's output matches */
	NR_READY_DELAY, /* a fixed time has passed */
};

struct nr_ready {
	enum nr_ready_kind kind;
	char *port;         /* NR_READY_PORT: a template, e.g. "{port}" */
	char *regex;        /* NR_READY_REGEX: POSIX extended */
	int64_t delay_us;   /* NR_READY_DELAY */
	int64_t timeout_us; /* how long to wait for readiness */
	struct nr_pos port_pos; /* where `port` was written */
};

struct nr_role {
	char *name;
	/* a key of the campaign's hosts, or a template over the test's matrix
	 * ("{env}") that names one in each case (struct nr_case_plan.hosts) */
	char *host;
	struct nr_pos host_pos;  /* where `host` was written (the test's, when it comes from there) */
	/*
	 * `count: N` (AutoPerf's publisher/subscriber allocation): N instances
	 * of the role, a number or a template over the matrix ("{subs}"),
	 * spread round-robin over `hosts` (else all on `host`). NULL: one. The
	 * plan gives each case its own copy of the test with the instances as
	 * roles named NAME#1 .. NAME#N (instance 1..N), {instance} their number,
	 * {instance_port} a free port of each one's own ({port} is the case's).
	 */
	char *count;
	struct nr_strvec hosts;  /* `hosts: [a, b]`: where the instances go; empty: `host` */
	struct nr_pos count_pos;
	int instance;            /* in a case's copy: this instance's number (1-based); 0 as written */
	struct nr_strvec argv;   /* templates, one per argv element */
	struct nr_kv env;        /* templates */
	struct nr_ready ready;
	bool main;               /* the case ends when every main role has ended */
	bool has_parse;
	struct nr_parse_spec parse;
	struct nr_pos pos;
};

/* One dimension of a test's matrix. */
struct nr_param {
	char *name;
	struct nr_strvec values;
	struct nr_pos pos;
};

/*
 * A value a variant gives its templates ({variant.NAME}): one word, or a
 * list of words that an argument of `run` written as exactly
 * "{variant.NAME}" becomes (an empty list: no argument at all).
 */
struct nr_variant_value {
	char *name;
	struct nr_strvec words; /* one word for a scalar */
	bool list;
	struct nr_pos pos;
};

/*
 * One side of an A/B comparison in one run (`variants:`): what its cases
 * get besides the test's own values. Every case of the campaign runs once
 * per variant, the variants' halves of each repeat back to back (ABBA).
 */
struct nr_variant {
	char *name;                     /* in the case key: test/variant=NAME,... */
	struct nr_variant_value *values;
	size_t n_values;
	struct nr_kv env;               /* templates, set over each role's env */
	struct nr_strvec build;         /* argv templates; empty: no build */
	int64_t build_timeout_us;
	struct nr_pos pos;
};

/* The variants of a campaign with `variants:`: exactly this many, the first the baseline. */
#define NR_VARIANTS 2

enum nr_generate {
	NR_GENERATE_ALL,    /* every combination, first parameter slowest */
	NR_GENERATE_RANDOM, /* `count` distinct combinations drawn with `seed` */
};

struct nr_test {
	char *name;
	struct nr_role *roles;
	size_t n_roles;
	struct nr_param *params; /* in the order written */
	size_t n_params;
	enum nr_generate generate;
	uint64_t count;           /* NR_GENERATE_RANDOM */
	uint64_t seed;            /* NR_GENERATE_RANDOM */
	int repeat;               /* executions (samples) per case, >= 1; adaptive: the most */
	/*
	 * Adaptive repeats (`repeat: {min: 3, max: 20, until: clear}`): the
	 * case runs at least repeat_min and at most `repeat` repeats (pairs
	 * with variants), stopping once its comparison with its baseline is
	 * decided (docs/analysis.md, "Adaptive repeats"). 0: `repeat` fixed.
	 */
	int repeat_min;
	int retries;              /* extra attempts per repeat after a failure */
	int64_t timeout_us;       /* one attempt, all roles, readiness included */
	int64_t kill_grace_us;    /* SIGTERM -> SIGKILL */
	size_t output_limit;      /* bytes kept per stream per role */
	char *workdir;            /* NULL: the campaign file's directory */
	char *workload;           /* a built-in workload name, or NULL */
	char *network;            /* `network:` the data network peers use, or NULL */
	/* `probe:` a built-in tcp_rr this long from the host of its role
	 * `client` to the host of its role `server` (over the address the
	 * client uses), once per run and pair, before the cases; 0: none */
	int64_t probe_us;
	struct nr_pos network_pos;
	struct nr_upload *uploads;
	size_t n_uploads;
	struct nr_collect *collects;
	size_t n_collects;
	/* `build:` commands (argv templates), run in order on each host the
	 * test's roles use, once per session, before its first case */
	struct nr_strvec *builds;
	size_t n_builds;
	int64_t build_timeout_us; /* each build command's limit */
	/* the variant this copy of a test runs ({variant.NAME} in its
	 * templates; its roles' env has the variant's over it); NULL: the
	 * test as written (nr_campaign_case_test picks the copy) */
	const struct nr_variant *variant;
	struct nr_pos pos;
	struct nr_pos matrix_pos; /* the 'matrix' key, else the test */
	struct nr_pos count_pos;  /* the 'count' value, for plan-time messages */
};

/* The largest `max` of adaptive repeats (analysis' NR_ANALYSIS_SEQ_MAX: its bounds integrate over every look). */
#define NR_ADAPTIVE_MAX 200
/* The most instances a counted role may have in one case. */
#define NR_ROLE_MAX_COUNT 1000

/* The most cases one test may plan (each is a row in the store). */
#define NR_PLAN_MAX_CASES 10000000

/* Regression thresholds (relative: 0.10 is 10 %) for a test and/or metric. */
struct nr_threshold {
	char *test;     /* NULL: every test */
	char *metric;   /* NULL: every metric */
	double warning; /* < 0: not given here */
	double critical;
};

/*
 * One bound of an absolute limit (`limits:`), as the campaign wrote it and
 * converted: the median of a series' repeats must not pass it.
 */
struct nr_limit_bound {
	bool set;
	double value;     /* in `unit` */
	char *unit;       /* the canonical unit of what was written ("us" for "50ms"),
			   * or NULL for a plain number (then in the metric's own unit) */
	char *text;       /* as written, for reports: "50ms" */
	bool warning;     /* `severity: warning`: a breach is a warning, not critical */
	struct nr_pos pos; /* of the value */
};

/* `limits:` of the campaign or of a test, for one metric. */
struct nr_limit {
	char *test;   /* NULL: every test */
	char *metric; /* a limit is always on one metric */
	struct nr_limit_bound min, max;
	struct nr_pos pos; /* the metric's key */
};

struct nr_campaign {
	char *name;
	char *path;            /* as given */
	char *dir;             /* the file's directory, absolute, for relative workdirs */
	char *text;            /* the file's bytes, stored with each run */
	char hash[NR_SHA256_HEX_LEN + 1];
	struct nr_host *hosts;
	size_t n_hosts;
	struct nr_test *tests;
	size_t n_tests;
	struct nr_kv labels;
	int stop_after_failures; /* 0: never */
	/* AutoPerf's care: every host with a `restart` command is restarted,
	 * and waited for (its health checks), before the first case */
	bool restart_first;
	struct nr_health health;
	struct nr_notify notify;
	struct nr_threshold *thresholds; /* from `thresholds:` of the campaign and of tests */
	size_t n_thresholds;
	struct nr_limit *limits; /* from `limits:` of the campaign and of tests */
	size_t n_limits;
	/*
	 * What the full load found doubtful but not wrong, one message each
	 * ("file:line:column: ..."), for plan and run to show: a limit on a
	 * metric no parser of its test produces.
	 */
	struct nr_strvec warnings;
	struct nr_lab *lab;  /* `lab:`: its hosts are the campaign's too; NULL without */
	struct nr_variant *variants; /* `variants:`: NR_VARIANTS of them, or none */
	size_t n_variants;
	/* with variants: each test once per variant, test i of variant v at
	 * [v * n_tests + i] (shallow copies sharing the test's strings, with
	 * roles of their own whose env has the variant's over the test's) */
	struct nr_test *variant_tests;
};

/*
 * A campaign with only its name, thresholds, limits and the tests with
 * adaptive repeats (tests[] holds only those, with only name, repeat_min
 * and repeat set), from its text
 * alone (the copy stored with a run): no lab file or other file is read,
 * nothing else is validated (limits are not matched with the metrics'
 * units: the judge does that with the stored samples' units). For judging
 * stored runs, on any machine, by what they ran with. Returns 0, or
 * NR_ECONFIG / NR_EPARSE with a message naming path:line:column.
 */
int nr_campaign_load_thresholds(const char *path, const char *text, struct nr_campaign **ret,
				struct nr_diag *d);

/*
 * The warning and critical thresholds for a metric of a test: the most
 * specific given (test and metric, test, metric, campaign), else the
 * values already in *warning / *critical.
 */
void nr_campaign_thresholds(const struct nr_campaign *c, const char *test, const char *metric,
			    double *warning, double *critical);

/*
 * The bounds that hold for a metric of a test: each of min and max from the
 * most specific limit that gives it (the test's, else the campaign's), or
 * NULL when none does. Borrowed from c.
 */
void nr_campaign_limits(const struct nr_campaign *c, const char *test, const char *metric,
			const struct nr_limit_bound **ret_min, const struct nr_limit_bound **ret_max);

/*
 * Read and validate a campaign from a file, or from `text` when not NULL
 * (a stored run's copy; `path` then only names it). NR_ECONFIG or
 * NR_EPARSE with "file:line:column: message" in d.
 */
int nr_campaign_load(const char *path, const char *text, struct nr_campaign **ret,
		     struct nr_diag *d);
void nr_campaign_free(struct nr_campaign *c);

const struct nr_host *nr_campaign_host(const struct nr_campaign *c, const char *name);

/*
 * The address of host `to` that a role on host `from` (NULL: the
 * controller) uses: on `network` when given, else on the test's
 * `network:` (t may be NULL), else in a lab on the link the two share,
 * else on a network both have under `addresses:`, else to's control
 * address. NR_ECONFIG naming both hosts when to has no address on the
 * network, when two lab hosts share no link, or when to is this machine's
 * loopback and from is not this machine. *ret is borrowed from c.
 */
int nr_campaign_peer_address(const struct nr_campaign *c, const struct nr_test *t,
			     const struct nr_host *from, const struct nr_host *to,
			     const char *network, const char **ret, struct nr_diag *d);

/* The variant named `name`, or NULL. */
const struct nr_variant *nr_campaign_variant(const struct nr_campaign *c, const char *name);

/* ---- plan ---- */

/* One case: a test and one value index per parameter. */
struct nr_case_plan {
	size_t test;       /* index into campaign->tests */
	size_t *value_idx; /* n_params entries */
	/* index into campaign->variants, -1 without variants. The plan puts
	 * the variants of one combination next to each other, the first
	 * variant first. */
	int variant;
	char *key;         /* "test/a=1,b=x", parameters sorted by name;
			    * "test/variant=V,a=1,b=x" with variants */
	/* a test with a counted role: its copy for this case, each instance
	 * a role (owned: the copy, its roles array and their names);
	 * nr_campaign_case_test returns it. NULL otherwise */
	struct nr_test *instances;
	/* where each role of its test runs in this case (n_roles entries, its
	 * host template resolved), borrowed from the campaign */
	const struct nr_host **hosts;
};

struct nr_plan {
	struct nr_case_plan *cases;
	size_t n;
};

/*
 * Which cases to plan, from the command line (campaign_select.c), in the
 * manner of secnetperf's -filter. `tests` are glob patterns (fnmatch(3):
 * '*', '?', [...]) over test names, or over case keys when the pattern
 * holds a '/' ("tcp_rr/size=64*"; with variants over the key without its
 * variant, so a pair is never split); a leading '-' excludes. A case is
 * chosen when an including pattern matches it (or there is none) and no
 * excluding one does. `set_params`/`set_values` are --set PARAM=VALUE in
 * the order given: the parameter takes exactly the values given for it
 * (a value its matrix has narrows it, one it has not overrides it).
 */
struct nr_select {
	struct nr_strvec tests;
	struct nr_strvec set_params, set_values; /* parallel */
	/* --from: the cases before the first case of this test (or with this
	 * key) are left out; NULL: none are */
	char *from;
};
void nr_select_clear(struct nr_select *s);
/* true for NULL or a selection that chooses everything as written */
bool nr_select_empty(const struct nr_select *s);
/* "PARAM=VALUE" into s; NR_EINVAL with a message when there is no '=' or no PARAM. */
int nr_select_add_set(struct nr_select *s, const char *arg, struct nr_diag *d);
/* One pattern (a leading '-' ignored) against a test name and case key (NULL: not known). */
bool nr_select_pattern_match(const char *pattern, const char *test, const char *key);
/* Whether s may choose cases of test `test` (patterns over keys not yet applied). */
bool nr_select_test(const struct nr_select *s, const char *test);
/* Whether s chooses the case `key` of test `test`. */
bool nr_select_case(const struct nr_select *s, const char *test, const char *key);
/*
 * Apply --set to a loaded campaign: each named parameter's values become
 * the values given (for every test that has it), and a random `count` that
 * passes the narrowed matrix is lowered to it. NR_ECONFIG naming the
 * parameter when no test that s chooses has it.
 */
int nr_campaign_apply_set(struct nr_campaign *c, const struct nr_select *s, struct nr_diag *d);
/*
 * A job's selection as a job record keeps it (struct nr_job_rec's tests
 * and overrides): TESTS a JSON array of --test patterns, SETS a JSON
 * object of PARAM: VALUE for --set (NULL or "": none). NR_EINVAL for JSON
 * that is not of that shape, or nr_select_add_set's error.
 */
int nr_select_from_job(const char *tests, const char *sets, struct nr_select *ret,
		       struct nr_diag *d);
/*
 * Whether `netrig run` could plan what s chooses from c: c gets s's --set
 * (nr_campaign_apply_set) and the plan is built as a run builds it (every
 * pattern must match, something must be left), then dropped. What a job
 * submission checks, so that a job that would fail on every worker is
 * refused where its author is. nr_plan_build's and apply_set's errors.
 */
int nr_select_check(struct nr_campaign *c, const struct nr_select *s, struct nr_diag *d);
/* s as the JSON text stored with a run (malloc'ed), NULL when it is empty. */
char *nr_select_to_json(const struct nr_select *s);
/* Back from that text (NULL or "": empty); NR_EPARSE for text that is not it. */
int nr_select_from_json(const char *text, struct nr_select *ret, struct nr_diag *d);

/*
 * Expand every test (or the cases `sel` chooses, when not NULL) into
 * cases, in file order. NR_ECONFIG, with file:line:column, when
 * a random `count` exceeds its matrix (the message names both numbers), when
 * a full matrix has more than NR_PLAN_MAX_CASES combinations (the message
 * gives its magnitude), when a case's `ready.port` is not a port, or a
 * role's host template names no host in a case;
 * NR_ECONFIG naming the pattern when a --test pattern matches nothing
 * (including or excluding: a typo must not pass silently), when sel->from
 * names no chosen case, or when sel leaves no case at all.
 */
int nr_plan_build(const struct nr_campaign *c, const struct nr_select *sel,
		  struct nr_plan *ret, struct nr_diag *d);
void nr_plan_release(struct nr_plan *p);

/* Product of the matrix sizes; UINT64_MAX when it does not fit. */
uint64_t nr_plan_matrix_size(const struct nr_test *t);

/*
 * The stable key of a case from its test name and parameter values, and
 * its variant's name (NULL: none), which comes first:
 * "test/variant=base,a=1,b=x".
 */
char *nr_case_key(const struct nr_test *t, const size_t *value_idx, const char *variant);

/*
 * A case key's variant, if it has one: the key without it (the key both
 * variants' cases share, "test/a=1,b=x") and the variant's name, both
 * malloc'ed. false (nothing written) for a key without a variant.
 */
bool nr_case_key_split(const char *key, char **ret_pair_key, char **ret_variant);

/* The parameters of a case as a JSON object text {"name":"value",...};
 * with a variant, "variant" comes first. */
char *nr_case_params_json(const struct nr_test *t, const size_t *value_idx, const char *variant);

/* The test a planned case runs: its copy with a counted role's instances,
 * its variant's copy, or the test itself. */
const struct nr_test *nr_campaign_case_test(const struct nr_campaign *c,
					    const struct nr_case_plan *cp);

/* ---- templating ---- */

/* What a template can refer to while a case runs. */
struct nr_tmpl_ctx {
	const struct nr_campaign *campaign;
	const struct nr_test *test;
	const size_t *value_idx;
	int repeat;          /* 0-based */
	int attempt;         /* 1-based */
	int port;            /* the case's free port */
	int instance;        /* {instance}: the role's instance number, 1 for a role without count */
	int instance_port;   /* {instance_port}: a free port of the instance's own; 0: {port} */
	const char *workdir;
	const char *run_id;
	const char *case_key;
	const char *netrig;  /* {netrig}: this program, for commands on this machine */
	/* the case's role hosts (struct nr_case_plan.hosts), for {role.NAME.host}
	 * and {role.NAME.address}; NULL: each role's host as written */
	const struct nr_host *const *role_hosts;
	/* the host of the role being expanded: {host.NAME.address} is NAME's
	 * address as this host reaches it (NULL: as the controller does) */
	const struct nr_host *host;
};

/*
 * Expand "{name}" references in `tmpl` into *ret (malloc'ed). Known names:
 * a parameter of the test, repeat, attempt, port, workdir, run, case,
 * test, netrig, host.NAME.address (NAME's data address as ctx->host
 * reaches it, nr_campaign_peer_address), host.NAME.address.NETWORK (on
 * that network), host.NAME.address@HOST (as HOST reaches it),
 * host.NAME.control (what ssh uses), host.NAME.name, role.NAME.host and
 * role.NAME.address (the host role NAME runs on in this case), and with variants
 * variant (its name) and variant.NAME (its value; a list value only as a
 * whole argument of nr_template_expand_argv); and {?PARAM:TEXT},
 * TEXT when parameter PARAM is "true", else nothing (an argv element that
 * is only such a reference and comes out empty is dropped). "{{" and "}}"
 * are literal braces. A value is inserted as it is: it stays inside the one argv
 * element the template belongs to.
 */
int nr_template_expand(const char *tmpl, const struct nr_tmpl_ctx *ctx, char **ret,
		       struct nr_diag *d);
/*
 * Expand a role's argv templates into ret (NULL-terminated), dropping the
 * elements that are only a {?PARAM:TEXT} and came out empty; an element
 * that is exactly {variant.NAME} becomes the value's words.
 */
int nr_template_expand_argv(const struct nr_strvec *tmpl, const struct nr_tmpl_ctx *ctx,
			    struct nr_strvec *ret, struct nr_diag *d);
/*
 * Check that every {host.NAME...} in a role's commands and environment
 * resolves from the role's host (nr_campaign_peer_address): the plan's
 * check that each role can reach its peers. NR_ECONFIG naming both hosts.
 */
int nr_template_check_role(const struct nr_campaign *c, const struct nr_test *t,
			   const struct nr_role *role, struct nr_diag *d);
/* Check a template's references against a test without expanding. */
int nr_template_check(const char *tmpl, const struct nr_campaign *c,
		      const struct nr_test *t, struct nr_diag *d);
/* The same for the arguments of a command, where an argument that is
 * exactly "{variant.NAME}" may stand for a list. */
int nr_template_check_argv(const struct nr_strvec *tmpl, const struct nr_campaign *c,
			   const struct nr_test *t, size_t *ret_bad, struct nr_diag *d);

#endif
