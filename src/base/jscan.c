/*
 * The JSON scanner of jscan.h. Grammar after RFC 8259 section 2 to 7;
 * every choice it does not take (see jscan.h) fails, so that a reader
 * falls back to a full parser rather than read a value differently.
 */
#include <string.h>

#include "base/jscan.h"
#include "base/num.h"

/* longer number tokens are not taken (a bundle's are at most 24 characters) */
#define NUMBER_MAX 64

void nr_jscan_init(struct nr_jscan *s, const char *text, size_t len, char *out)
{
	s->p = text;
	s->end = text + len;
	s->out = out;
}

static void skip_space(struct nr_jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

bool nr_jscan_punct(struct nr_jscan *s, char c)
{
	skip_space(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

bool nr_jscan_end(struct nr_jscan *s)
{
	skip_space(s);
	return s->p == s->end;
}

/* A string whose opening quote was read. */
static bool string_body(struct nr_jscan *s, struct nr_jvalue *v)
{
	char *o = s->out;
	unsigned char c;

	for (;;) {
		if (s->p >= s->end)
			return false;
		c = (unsigned char)*s->p++;
		if (c == '"')
			break;
		/* control characters are invalid; other bytes and \u: not taken */
		if (c < 0x20 || c >= 0x80)
			return false;
		if (c == '\\') {
			if (s->p >= s->end)
				return false;
			switch (*s->p++) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			default: return false;
			}
		}
		*o++ = (char)c;
	}
	*o = '\0';
	v->type = NR_J_STRING;
	v->s = s->out;
	v->len = (size_t)(o - s->out);
	s->out = o + 1;
	return true;
}

static bool digits(struct nr_jscan *s)
{
	const char *b = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > b;
}

static bool number(struct nr_jscan *s, struct nr_jvalue *v)
{
	const char *b = s->p;
	char tok[NUMBER_MAX];
	bool real = false;

	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (s->p >= s->end || *s->p < '1' || *s->p > '9' || !digits(s))
		return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		real = true;
		if (!digits(s))
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		real = true;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digits(s))
			return false;
	}
	if ((size_t)(s->p - b) >= sizeof(tok))
		return false;
	memcpy(tok, b, (size_t)(s->p - b));
	tok[s->p - b] = '\0';
	if (real) {
		v->type = NR_J_REAL;
		return nr_parse_double(tok, &v->f) == 0;
	}
	v->type = NR_J_INT;
	return nr_parse_i64(tok, INT64_MIN, INT64_MAX, &v->i) == 0;
}

static bool word(struct nr_jscan *s, const char *w, size_t n, enum nr_jtype type,
		 struct nr_jvalue *v)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return false;
	s->p += n;
	v->type = type;
	return true;
}

bool nr_jscan_value(struct nr_jscan *s, struct nr_jvalue *v)
{
	skip_space(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '"':
		s->p++;
		return string_body(s, v);
	case '{':
		s->p++;
		v->type = NR_J_OBJECT;
		return true;
	case '[':
		s->p++;
		v->type = NR_J_ARRAY;
		return true;
	case 'n':
		return word(s, "null", 4, NR_J_NULL, v);
	case 't':
		return word(s, "true", 4, NR_J_TRUE, v);
	case 'f':
		return word(s, "false", 5, NR_J_FALSE, v);
	default:
		return number(s, v);
	}
}

bool nr_jscan_string(struct nr_jscan *s, const char **ret, size_t *ret_len)
{
	struct nr_jvalue v;

	skip_space(s);
	if (s->p >= s->end || *s->p != '"')
		return false;
	s->p++;
	if (!string_body(s, &v))
		return false;
	*ret = v.s;
	*ret_len = v.len;
	return true;
}
