/*
 * The PostgreSQL backend's part of netrig serve: users, tokens (hashes
 * only), who uploaded which run, and which runs a client pushed where.
 * The same statements as store_sqlite_serve.c, prepared with parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_pg_int.h"

/* Run a constant statement with parameters; *ret_changes the rows it changed. */
static int exec_write(struct nr__store_pg *st, const char *sql, struct nr__pg_params *p,
		      int64_t *ret_changes, struct nr_diag *d)
{
	PGresult *res = NULL;
	int r = nr__pg_exec(st, sql, p, &res, d);

	if (r == 0 && ret_changes)
		*ret_changes = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	nr__pg_params_release(p);
	return r;
}

int nr__pg_user_add(struct nr_store *base, const char *id, const char *name, int64_t now_us,
		    struct nr_diag *d)
{
	static const char sql[] = "INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)"
				  " ON CONFLICT (name) DO NOTHING";
	struct nr__pg_params p = { 0 };
	int64_t changes = 0;
	int r;

	nr__pg_text(&p, id);
	nr__pg_text(&p, name);
	nr__pg_int(&p, now_us);
	if ((r = exec_write(NR__PG(base), sql, &p, &changes, d)) < 0)
		return r;
	return changes ? 0 : nr_diagf(d, NR_EINVAL, "a user '%s' exists already", name);
}

int nr__pg_token_add(struct nr_store *base, const struct nr_token_rec *t, struct nr_diag *d)
{
	static const char sql[] =
		"INSERT INTO tokens (id, user_id, scope, hash, created_at, expires_at)"
		" SELECT $1, u.id, $2, $3, $4, $5 FROM users u WHERE u.name = $6";
	struct nr__pg_params p = { 0 };
	int64_t changes = 0;
	int r;

	nr__pg_text(&p, t->id);
	nr__pg_text(&p, t->scope);
	nr__pg_text(&p, t->hash);
	nr__pg_int(&p, t->created_us);
	nr__pg_time(&p, t->expires_us);
	nr__pg_text(&p, t->user);
	if ((r = exec_write(NR__PG(base), sql, &p, &changes, d)) < 0)
		return r;
	return changes ? 0 : nr_diagf(d, NR_ENOTFOUND, "no user '%s' (netrig user add NAME)", t->user);
}

#define TOKEN_COLUMNS \
	"SELECT t.id, u.name, t.scope, t.hash, t.created_at, coalesce(t.expires_at, 0)," \
	" coalesce(t.revoked_at, 0) FROM tokens t JOIN users u ON u.id = t.user_id"

static void read_token(const PGresult *res, int row, struct nr_token_rec *t)
{
	const char *id = nr__pg_val(res, row, 0), *hash = nr__pg_val(res, row, 3);

	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id ? id : "");
	t->user = nr__pg_col_text(res, row, 1);
	t->scope = nr__pg_col_text(res, row, 2);
	snprintf(t->hash, sizeof(t->hash), "%s", hash ? hash : "");
	t->created_us = nr__pg_col_i64(res, row, 4);
	t->expires_us = nr__pg_col_i64(res, row, 5);
	t->revoked_us = nr__pg_col_i64(res, row, 6);
}

int nr__pg_token_get(struct nr_store *base, const char *id, struct nr_token_rec *ret,
		     struct nr_diag *d)
{
	static const char sql[] = TOKEN_COLUMNS " WHERE t.id = $1";
	struct nr__pg_params p = { 0 };
	PGresult *res = NULL;
	int r;

	nr__pg_text(&p, id);
	r = nr__pg_exec(NR__PG(base), sql, &p, &res, d);
	nr__pg_params_release(&p);
	if (r == 0 && PQntuples(res) == 1)
		read_token(res, 0, ret);
	else if (r == 0)
		r = nr_diagf(d, NR_ENOTFOUND, "no token %s", id);
	PQclear(res);
	return r;
}

int nr__pg_tokens_list(struct nr_store *base, struct nr_token_rec **ret, size_t *ret_n,
		       struct nr_diag *d)
{
	static const char sql[] = TOKEN_COLUMNS " ORDER BY t.created_at, t.id";
	PGresult *res = NULL;
	struct nr_token_rec *v;
	int i, n, r;

	if ((r = nr__pg_exec(NR__PG(base), sql, NULL, &res, d)) < 0)
		return r;
	n = PQntuples(res);
	v = nr_xcalloc((size_t)n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		read_token(res, i, &v[i]);
	PQclear(res);
	*ret = v;
	*ret_n = (size_t)n;
	return 0;
}

int nr__pg_token_revoke(struct nr_store *base, const char *id, int64_t now_us, struct nr_diag *d)
{
	static const char sql[] = "UPDATE tokens SET revoked_at = coalesce(revoked_at, $1)"
				  " WHERE id = $2";
	struct nr__pg_params p = { 0 };
	int64_t changes = 0;
	int r;

	nr__pg_int(&p, now_us);
	nr__pg_text(&p, id);
	if ((r = exec_write(NR__PG(base), sql, &p, &changes, d)) < 0)
		return r;
	return changes ? 0 : nr_diagf(d, NR_ENOTFOUND, "no token %s", id);
}

int nr__pg_upload_owner(struct nr_store *base, const char *run_id, bool *ret_exists,
			char **ret_user, struct nr_diag *d)
{
	static const char sql[] = "SELECT u.user_name FROM runs r"
				  " LEFT JOIN uploads u ON u.run_id = r.id WHERE r.id = $1::uuid";
	struct nr__pg_params p = { 0 };
	PGresult *res = NULL;
	int r;

	nr__pg_text(&p, run_id);
	r = nr__pg_exec(NR__PG(base), sql, &p, &res, d);
	nr__pg_params_release(&p);
	if (r == 0) {
		*ret_exists = PQntuples(res) == 1;
		*ret_user = *ret_exists ? nr__pg_col_text(res, 0, 0) : NULL;
	}
	PQclear(res);
	return r;
}

int nr__pg_push_mark(struct nr_store *base, const char *run_id, const char *server,
		     const char *url, int64_t now_us, struct nr_diag *d)
{
	static const char sql[] = "INSERT INTO pushes (run_id, server, url, pushed_at)"
				  " VALUES ($1, $2, $3, $4) ON CONFLICT (run_id, server)"
				  " DO UPDATE SET url = excluded.url, pushed_at = excluded.pushed_at";
	struct nr__pg_params p = { 0 };

	nr__pg_text(&p, run_id);
	nr__pg_text(&p, server);
	nr__pg_text(&p, url);
	nr__pg_int(&p, now_us);
	return exec_write(NR__PG(base), sql, &p, NULL, d);
}

int nr__pg_runs_unpushed(struct nr_store *base, const char *server, struct nr_strvec *ret,
			 struct nr_diag *d)
{
	static const char sql[] = "SELECT r.id FROM runs r WHERE r.status <> 'running'"
				  " AND NOT EXISTS (SELECT 1 FROM pushes p WHERE p.run_id = r.id"
				  " AND p.server = $1) ORDER BY r.started_at, r.id";
	struct nr__pg_params p = { 0 };
	struct nr_strvec v = { 0 };
	PGresult *res = NULL;
	int i, r;

	nr__pg_text(&p, server);
	r = nr__pg_exec(NR__PG(base), sql, &p, &res, d);
	nr__pg_params_release(&p);
	for (i = 0; r == 0 && i < PQntuples(res); i++)
		nr_strvec_push(&v, nr__pg_val(res, i, 0));
	PQclear(res);
	if (r == 0)
		*ret = v;
	return r;
}

int nr__pg_id_elsewhere(struct nr_store *base, const struct nr__store_table *t,
			const char *ids_json, const char *run_id, char *ret_id, struct nr_diag *d)
{
	/* one constant statement per table: no SQL is built from a name */
#define IDS "(SELECT jsonb_array_elements_text($1::jsonb)::uuid)"
	static const struct {
		const char *table, *sql;
	} q[] = {
		{ "hosts", "SELECT id FROM hosts WHERE id IN " IDS " AND run_id <> $2::uuid LIMIT 1" },
		{ "cases", "SELECT id FROM cases WHERE id IN " IDS " AND run_id <> $2::uuid LIMIT 1" },
		{ "events", "SELECT id FROM events WHERE id IN " IDS " AND run_id <> $2::uuid LIMIT 1" },
		{ "attempts", "SELECT a.id FROM attempts a JOIN cases c ON c.id = a.case_id"
			      " WHERE a.id IN " IDS " AND c.run_id <> $2::uuid LIMIT 1" },
	};
#undef IDS
	struct nr__pg_params p = { 0 };
	PGresult *res = NULL;
	size_t i;
	int r;

	for (i = 0; i < NR_ARRAY_SIZE(q) && strcmp(q[i].table, t->name); i++)
		;
	ret_id[0] = '\0';
	if (i == NR_ARRAY_SIZE(q))
		return 0;
	nr__pg_text(&p, ids_json);
	nr__pg_text(&p, run_id);
	r = nr__pg_exec(NR__PG(base), q[i].sql, &p, &res, d);
	nr__pg_params_release(&p);
	if (r == 0 && PQntuples(res) > 0)
		snprintf(ret_id, NR_UUID_LEN + 1, "%s", nr__pg_val(res, 0, 0));
	PQclear(res);
	return r;
}
