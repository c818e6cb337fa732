#include "base/str.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"

void nr_strvec_push_owned(struct nr_strvec *sv, char *s)
{
	NR_GROW(sv->v, sv->n + 2, sv->cap);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void nr_strvec_push(struct nr_strvec *sv, const char *s)
{
	nr_strvec_push_owned(sv, nr_xstrdup(s));
}

void nr_strvec_clear(struct nr_strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
	sv->cap = 0;
}

char *const *nr_strvec_argv(struct nr_strvec *sv)
{
	if (!sv->v) {
		NR_GROW(sv->v, 1, sv->cap);
		sv->v[0] = NULL;
	}
	return sv->v;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int nr_split_words(const char *s, struct nr_strvec *ret, struct nr_diag *d)
{
	struct nr_strvec out = NR_STRVEC_INIT;
	struct nr_buf w = NR_BUF_INIT;
	const char *p = s;
	bool inword = false;

	for (;;) {
		char c = *p;

		if (!c || blank(c)) {
			if (inword) {
				nr_strvec_push_owned(&out, nr_buf_detach(&w, NULL));
				inword = false;
			}
			if (!c)
				break;
			p++;
			continue;
		}
		inword = true;
		if (c == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (!q)
				goto unterminated;
			nr_buf_add(&w, p + 1, (size_t)(q - p - 1));
			p = q + 1;
		} else if (c == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
					p++;
				nr_buf_addch(&w, *p++);
			}
			if (!*p)
				goto unterminated;
			p++;
		} else if (c == '\\') {
			if (p[1])
				p++;
			nr_buf_addch(&w, *p++);
		} else {
			nr_buf_addch(&w, c);
			p++;
		}
	}
	nr_strvec_argv(&out);
	*ret = out;
	return 0;
unterminated:
	nr_buf_release(&w);
	nr_strvec_clear(&out);
	return nr_diagf(d, NR_EPARSE, "unterminated quote at offset %zu",
			(size_t)(p - s));
}

void nr_shell_quote(struct nr_buf *out, const char *word)
{
	const char *p;

	if (*word && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789-_./=:,+@%") == strlen(word)) {
		nr_buf_adds(out, word);
		return;
	}
	nr_buf_addch(out, '\'');
	for (p = word; *p; p++) {
		if (*p == '\'')
			nr_buf_adds(out, "'\\''");
		else
			nr_buf_addch(out, *p);
	}
	nr_buf_addch(out, '\'');
}

bool nr_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool nr_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

size_t nr_edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j, r;
	size_t *row;

	if (la > 64 || lb > 64)
		return cap;
	row = nr_xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	r = row[lb];
	free(row);
	return r < cap ? r : cap;
}

const char *nr_did_you_mean(const char *word, const char *const *candidates,
			    size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, i;
	size_t limit = strlen(word) / 3 + 1;

	if (limit > 3)
		limit = 3;
	for (i = 0; i < n; i++) {
		size_t dist = nr_edit_distance(word, candidates[i], 8);

		if (dist < best_d) {
			best_d = dist;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
