#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *nr_strerror(int err)
{
	switch (err) {
#define NR_ERR_CASE(name, value, msg) \
	case name:                    \
		return msg;
		NR_ERRORS(NR_ERR_CASE)
#undef NR_ERR_CASE
	case 0:
		return "success";
	default:
		if (err < 0 && err > -4096)
			return strerror(-err);
		return "unknown error";
	}
}

static int vset(struct nr_diag *d, int code, int prepend, const char *fmt,
		va_list ap)
{
	char tmp[NR_DIAG_MAX];

	if (!d)
		return code;
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (prepend && d->msg[0]) {
		char old[NR_DIAG_MAX];

		memcpy(old, d->msg, sizeof(old));
		snprintf(d->msg, sizeof(d->msg), "%s: %s", tmp, old);
	} else {
		memcpy(d->msg, tmp, sizeof(tmp));
	}
	d->code = code;
	return code;
}

int nr_diagf(struct nr_diag *d, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(d, code, 1, fmt, ap);
	va_end(ap);
	return r;
}

int nr_diag_set(struct nr_diag *d, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(d, code, 0, fmt, ap);
	va_end(ap);
	return r;
}

void nr_diag_clear(struct nr_diag *d)
{
	if (d) {
		d->code = 0;
		d->msg[0] = '\0';
	}
}

const char *nr_diag_msg(const struct nr_diag *d)
{
	if (d->msg[0])
		return d->msg;
	return nr_strerror(d->code);
}
