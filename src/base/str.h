/*
 * Strings: vectors of owned strings, shell-like word splitting (without a
 * shell), and the small helpers the rest of netrig needs.
 */
#ifndef NR_BASE_STR_H
#define NR_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* NULL-terminated array of owned strings; `v` is never NULL after init. */
struct nr_strvec {
	char **v;
	size_t n;
	size_t cap;
};

#define NR_STRVEC_INIT { 0 }

void nr_strvec_push(struct nr_strvec *sv, const char *s);
/* Takes ownership of s. */
void nr_strvec_push_owned(struct nr_strvec *sv, char *s);
void nr_strvec_clear(struct nr_strvec *sv);
/* A NULL-terminated view (valid until the vector changes). */
char *const *nr_strvec_argv(struct nr_strvec *sv);

/*
 * Split `s` into words the way a POSIX shell would, without running one:
 * blanks separate words; '...' is literal; "..." allows \" \\ \$ \`; a
 * backslash outside quotes escapes the next character. No expansion of
 * any kind. NR_EPARSE for an unterminated quote, message in d.
 */
int nr_split_words(const char *s, struct nr_strvec *ret, struct nr_diag *d);

/* Quote one word for a POSIX shell (single quotes), appended to out. */
struct nr_buf;
void nr_shell_quote(struct nr_buf *out, const char *word);

/*
 * Text from outside (a role's stderr, a matrix value, a commit given on the
 * command line) shown to people: append the `len` bytes at s to out with
 * everything that could act on a terminal or break a line written as %XX,
 * the way case keys write ',' and '=': C0 control characters, DEL, the C1
 * controls U+0080..U+009F (CSI on some terminals), the noncharacters
 * U+FFFE and U+FFFF, and bytes that are not UTF-8. All other text, UTF-8
 * included, is copied. NR_ESC_LINES keeps newlines, tabs, and a CR before
 * a newline, for multi-line text. `also` lists more ASCII characters to
 * write as %XX (case keys: "%,="), or NULL. This is the one escaping of
 * the class; the report formats build theirs on it.
 */
#define NR_ESC_LINES 1u
void nr_str_escape(struct nr_buf *out, const char *s, size_t len, const char *also,
		   unsigned flags);
/* The same into a new string (free() it); NULL gives "". */
char *nr_str_escaped(const char *s);
/*
 * Length of the UTF-8 character at s (at most n bytes), 1 to 4; 0 when the
 * bytes there are not UTF-8 (overlong forms and surrogates included).
 */
size_t nr_utf8_len(const char *s, size_t n);

/* Base64 (RFC 4648, section 4: the standard alphabet, with padding) of n bytes, appended to out. */
void nr_base64_encode(struct nr_buf *out, const void *data, size_t n);
/*
 * Decode base64 text (len bytes) into out: only the standard alphabet
 * with correct padding is taken; NR_EPARSE otherwise (out then holds what
 * came before the fault).
 */
int nr_base64_decode(struct nr_buf *out, const char *s, size_t len);

/* A hex digit's value (either case), or -1. */
int nr_hex_digit(char c);
/* n bytes as 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
void nr_hex_encode(const void *data, size_t n, char *out);
/*
 * The 2n hex digits (either case) at s into n bytes at out; reads no
 * further than the first character that is not one. NR_EPARSE when s has
 * fewer than 2n (out then holds what came before).
 */
int nr_hex_decode(const char *s, size_t n, void *out);

bool nr_starts_with(const char *s, const char *prefix);
bool nr_ends_with(const char *s, const char *suffix);

/* Levenshtein distance, capped at `cap` (returns cap when larger). */
size_t nr_edit_distance(const char *a, const char *b, size_t cap);
/* The candidate closest to `word` if it is close enough to suggest, else NULL. */
const char *nr_did_you_mean(const char *word, const char *const *candidates,
			    size_t n);

#endif
