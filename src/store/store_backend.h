/*
 * What a store backend provides. Internal to store/: store.c dispatches
 * every nr_store_* call through these ops.
 */
#ifndef NR_STORE_BACKEND_H
#define NR_STORE_BACKEND_H

#include "store/store.h"

struct nr_store_ops {
	const char *name;
	/* true when this backend takes `location` */
	bool (*accepts)(const char *location);
	int (*open)(const char *location, bool create, struct nr_store **ret, struct nr_diag *d);
	void (*close)(struct nr_store *st);
	int (*run_create)(struct nr_store *st, const struct nr_run_rec *run,
			  const struct nr_host_rec *hosts, size_t n_hosts,
			  const struct nr_case_rec *cases, size_t n_cases, struct nr_diag *d);
	int (*run_update)(struct nr_store *st, const struct nr_run_rec *run, struct nr_diag *d);
	int (*run_claim)(struct nr_store *st, const struct nr_run_rec *was,
			 const struct nr_run_rec *now, struct nr_diag *d);
	int (*case_update)(struct nr_store *st, const struct nr_case_rec *c, struct nr_diag *d);
	int (*attempt_save)(struct nr_store *st, const struct nr_case_rec *case_after,
			    const struct nr_attempt_rec *a, const struct nr_output_in *outs,
			    size_t n_outs, const struct nr_role_samples *samples, size_t n_samples,
			    struct nr_diag *d);
	int (*cases_rerun)(struct nr_store *st, const char *run_id,
			   const struct nr_case_rec *cases, size_t n, struct nr_diag *d);
	int (*event_add)(struct nr_store *st, const struct nr_event_rec *ev, struct nr_diag *d);
	int (*events_list)(struct nr_store *st, const char *run_id, const char *case_id,
			   struct nr_event_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*run_get)(struct nr_store *st, const char *selector, struct nr_run_rec *ret,
		       struct nr_diag *d);
	int (*run_resumable)(struct nr_store *st, const char *campaign, struct nr_run_rec *ret,
			     struct nr_diag *d);
	int (*runs_select)(struct nr_store *st, const char *selector, const char *campaign,
			   size_t limit, struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*samples_history)(struct nr_store *st, const char *campaign, int64_t since_us,
			       struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
	int (*runs_list)(struct nr_store *st, size_t limit, struct nr_run_rec **ret,
			 size_t *ret_n, struct nr_diag *d);
	int (*hosts_list)(struct nr_store *st, const char *run_id, struct nr_host_rec **ret,
			  size_t *ret_n, struct nr_diag *d);
	int (*cases_list)(struct nr_store *st, const char *run_id, struct nr_case_rec **ret,
			  size_t *ret_n, struct nr_diag *d);
	int (*attempts_list)(struct nr_store *st, const char *case_id,
			     struct nr_attempt_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*outputs_get)(struct nr_store *st, const char *attempt_id,
			   struct nr_output_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*samples_list)(struct nr_store *st, const char *run_id, bool with_intervals,
			    struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
	int (*locate)(struct nr_store *st, const char *selector, const char *run_id,
		      char *ret_case_id, char *ret_attempt_id, struct nr_diag *d);
	int (*query_json)(struct nr_store *st, const char *sql, size_t max_rows, struct nr_buf *out,
			  struct nr_diag *d);
	int (*merge)(struct nr_store *st, const char *source, struct nr_merge_stats *ret,
		     struct nr_diag *d);
};

/* Every backend's handle starts with this. */
struct nr_store {
	const struct nr_store_ops *ops;
	int opened_version;
};

extern const struct nr_store_ops nr__store_sqlite_ops;

/*
 * Fill the fields of a run read back that are not stored: controller_state
 * (from its controller, pid and pid_start, looked up on this machine), and
 * short_id from the ids before and after it in id order (NULL: none).
 */
void nr__store_run_seen(struct nr_run_rec *r, const char *prev_id, const char *next_id);

/* Raw output is kept compressed (zstd); "none" for empty data. */
int nr__store_compress(struct nr_slice in, struct nr_buf *out, const char **ret_method);
int nr__store_decompress(const char *method, struct nr_slice in, uint64_t size,
			 struct nr_buf *out, struct nr_diag *d);

#endif
