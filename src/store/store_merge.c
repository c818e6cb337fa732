/*
 * db merge across backends: the tables as a merge carries them, and the
 * choice between a backend's own merge (SQLite files into SQLite, through
 * ATTACH) and rows exported by the source's backend and imported by the
 * target's (SQLite files into PostgreSQL and back, PostgreSQL into
 * PostgreSQL).
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_backend.h"

#define T NR__STORE_TEXT
#define I NR__STORE_ID
#define N NR__STORE_INT
#define R NR__STORE_REAL
#define B NR__STORE_BLOB

/* Schema version 5, columns as both backends name them. */
static const enum nr__store_kind runs_kinds[] = {
	I, T, T, T, T, T, T, T, T, T, T, T, N, N, N, T, N, T,
};
static const enum nr__store_kind hosts_kinds[] = { I, I, T, T, T, T, T, N };
static const enum nr__store_kind cases_kinds[] = { I, I, N, T, T, T, T, N, N, N, N, N, N, N, T, T };
static const enum nr__store_kind attempts_kinds[] = { I, I, N, N, T, N, N, N, N, T, N };
static const enum nr__store_kind outputs_kinds[] = { I, T, T, T, N, N, T, B };
static const enum nr__store_kind samples_kinds[] = { I, N, I, N, T, T, R, T, R, T, N };
static const enum nr__store_kind metrics_kinds[] = { T, T, T };
static const enum nr__store_kind events_kinds[] = { I, I, I, N, T, T, T };
static const enum nr__store_kind uploads_kinds[] = { I, T, N };

#undef T
#undef I
#undef N
#undef R
#undef B

#define TABLE(name_, columns_, kinds_, ordered_, finite_, run_filter_) \
	{ name_, columns_, kinds_, NR_ARRAY_SIZE(kinds_), ordered_, finite_, run_filter_ }

/* which rows belong to run $1 (a bundle of one run, netrig push) */
#define OF_CASES "case_id IN (SELECT id FROM cases WHERE run_id = $1)"

const struct nr__store_table nr__store_tables[] = {
	TABLE("runs",
	      "id, campaign, campaign_path, config, config_hash, commit_sha, branch, labels, status,"
	      " reason, controller, netrig_version, pid, started_at, finished_at, pid_start,"
	      " heartbeat, options",
	      runs_kinds, false, -1, "id = $1"),
	TABLE("hosts", "id, run_id, name, transport, address, sysinfo, labels, optional",
	      hosts_kinds, false, -1, "run_id = $1"),
	TABLE("cases",
	      "id, run_id, ordinal, test, key, params, status, repeats, repeats_done, attempts,"
	      " started_at, finished_at, ping_count, ssh_check_count, hosts, error",
	      cases_kinds, false, -1, "run_id = $1"),
	TABLE("attempts",
	      "id, case_id, number, repeat, outcome, exit_code, signal, started_at, finished_at,"
	      " error, superseded",
	      attempts_kinds, false, -1, OF_CASES),
	TABLE("outputs", "attempt_id, role, host, stream, size, dropped, compression, data",
	      outputs_kinds, true, -1,
	      "attempt_id IN (SELECT a.id FROM attempts a JOIN cases c ON c.id = a.case_id"
	      " WHERE c.run_id = $1)"),
	TABLE("samples",
	      "attempt_id, seq, case_id, repeat, role, metric, value, unit, orig_value, orig_unit,"
	      " interval",
	      samples_kinds, false, 6, OF_CASES),
	TABLE("metrics", "name, unit, better", metrics_kinds, false, -1,
	      "name IN (SELECT s.metric FROM samples s JOIN cases c ON c.id = s.case_id"
	      " WHERE c.run_id = $1)"),
	TABLE("events", "id, run_id, case_id, time, host, kind, message", events_kinds, false, -1,
	      "run_id = $1"),
	/* who uploaded a run to a server: the server writes it, a bundle never carries it */
	TABLE("uploads", "run_id, user_name, uploaded_at", uploads_kinds, false, -1, NULL),
};

const size_t nr__store_n_tables = NR_ARRAY_SIZE(nr__store_tables);

int nr_store_merge(struct nr_store *st, const char *source, struct nr_merge_stats *ret,
		   struct nr_diag *d)
{
	const struct nr_store_ops *source_ops = nr__store_backend_for(source);
	struct nr_store *src = NULL;
	struct nr_merge_stats m = { 0 };
	char *shown;
	int r;

	if (!source_ops) {
		shown = nr_store_location_shown(source);
		r = nr_diagf(d, NR_EINVAL, "%s: no store backend takes this location", shown);
		free(shown);
		return r;
	}
	if (source_ops == st->ops && st->ops->merge)
		return st->ops->merge(st, source, ret, d);
	if ((r = source_ops->open_source(source, &src, d)) < 0)
		return r;
	if (src->opened_version > 0) /* else it holds nothing yet */
		r = st->ops->import_from(st, src, &m, d);
	source_ops->close(src);
	if (r == 0)
		*ret = m;
	return r;
}
