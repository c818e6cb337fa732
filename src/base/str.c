#include "base/str.h"

#include <stdint.h>
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

size_t nr_utf8_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t len, i;

	if (!n)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void nr_str_escape(struct nr_buf *out, const char *s, size_t len, const char *also,
		   unsigned flags)
{
	size_t i = 0, plain = 0; /* s[plain..i) is copied as it is */

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = nr_utf8_len(s + i, len - i), k;
		bool esc;

		if (n == 1) {
			esc = c < 0x20 || c == 0x7f || (c && also && strchr(also, c));
			if (flags & NR_ESC_LINES)
				esc = esc && c != '\n' && c != '\t' &&
				      !(c == '\r' && i + 1 < len && s[i + 1] == '\n');
		} else if (n == 2) {
			esc = c == 0xc2 && (unsigned char)s[i + 1] < 0xa0; /* U+0080..U+009F */
		} else if (n == 3) {
			esc = c == 0xef && (unsigned char)s[i + 1] == 0xbf &&
			      (unsigned char)s[i + 2] >= 0xbe; /* U+FFFE, U+FFFF */
		} else {
			esc = n == 0;
		}
		if (n == 0)
			n = 1; /* one stray byte at a time */
		if (esc) {
			nr_buf_add(out, s + plain, i - plain);
			for (k = 0; k < n; k++)
				nr_buf_addf(out, "%%%02X", (unsigned char)s[i + k]);
			plain = i + n;
		}
		i += n;
	}
	nr_buf_add(out, s + plain, i - plain);
}

char *nr_str_escaped(const char *s)
{
	struct nr_buf b = NR_BUF_INIT;

	if (s)
		nr_str_escape(&b, s, strlen(s), NULL, 0);
	return nr_buf_detach(&b, NULL);
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

/* ---- base64 (RFC 4648, section 4) ---- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void nr_base64_encode(struct nr_buf *out, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i;

	nr_buf_grow(out, (n + 2) / 3 * 4);
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		nr_buf_addch(out, b64_alphabet[v >> 18]);
		nr_buf_addch(out, b64_alphabet[(v >> 12) & 63]);
		nr_buf_addch(out, b64_alphabet[(v >> 6) & 63]);
		nr_buf_addch(out, b64_alphabet[v & 63]);
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		nr_buf_addch(out, b64_alphabet[v >> 18]);
		nr_buf_addch(out, b64_alphabet[(v >> 12) & 63]);
		nr_buf_addch(out, i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=');
		nr_buf_addch(out, '=');
	}
}

static int b64_value(char c)
{
	const char *at = c ? strchr(b64_alphabet, c) : NULL;

	return at ? (int)(at - b64_alphabet) : -1;
}

int nr_base64_decode(struct nr_buf *out, const char *s, size_t len)
{
	size_t i, k, pad;

	if (len % 4)
		return NR_EPARSE;
	for (i = 0; i < len; i += 4) {
		int v[4];
		uint32_t x = 0;

		/* padding only at the very end: one or two '=' */
		pad = 0;
		if (i + 4 == len)
			pad = s[i + 3] == '=' ? (s[i + 2] == '=' ? 2 : 1) : 0;
		for (k = 0; k < 4; k++) {
			v[k] = k >= 4 - pad ? 0 : b64_value(s[i + k]);
			if (v[k] < 0)
				return NR_EPARSE;
			x = x << 6 | (uint32_t)v[k];
		}
		nr_buf_addch(out, (char)(x >> 16));
		if (pad < 2)
			nr_buf_addch(out, (char)(x >> 8));
		if (pad < 1)
			nr_buf_addch(out, (char)x);
	}
	return 0;
}

int nr_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void nr_hex_encode(const void *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int nr_hex_decode(const char *s, size_t n, void *out)
{
	unsigned char *p = out;
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = nr_hex_digit(s[2 * i])) < 0 || (lo = nr_hex_digit(s[2 * i + 1])) < 0)
			return NR_EPARSE;
		p[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
