/*
 * Growable byte buffers, after git's strbuf and curl's dynbuf.
 *
 * `buf` is never NULL and always NUL-terminated, so it can be printed at
 * any time. A buffer may have a limit: bytes past it are counted in
 * `dropped` and not stored (the first `limit` bytes are kept), which is how
 * outside data (a child's output, an HTTP body) stays bounded.
 */
#ifndef NR_BASE_BUF_H
#define NR_BASE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct nr_buf {
	char *buf;
	size_t len;
	size_t cap;     /* allocated bytes, 0 while buf points at the shared "" */
	size_t limit;   /* 0: no limit */
	size_t dropped; /* bytes refused because of the limit */
};

/* A read-only view of bytes; not NUL-terminated in general. */
struct nr_slice {
	const char *ptr;
	size_t len;
};

extern char nr__buf_empty[];
#define NR_BUF_INIT { .buf = nr__buf_empty }

void nr_buf_init(struct nr_buf *b, size_t limit);
void nr_buf_release(struct nr_buf *b);
void nr_buf_reset(struct nr_buf *b);
/* Hand the bytes over to the caller (free() them); b is empty afterwards. */
char *nr_buf_detach(struct nr_buf *b, size_t *ret_len);
void nr_buf_grow(struct nr_buf *b, size_t extra);

/* Append; with a limit, only what fits is kept (the rest is counted). */
void nr_buf_add(struct nr_buf *b, const void *data, size_t n);
void nr_buf_adds(struct nr_buf *b, const char *s);
void nr_buf_addch(struct nr_buf *b, char c);
void nr_buf_addf(struct nr_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void nr_buf_vaddf(struct nr_buf *b, const char *fmt, va_list ap);
void nr_buf_setlen(struct nr_buf *b, size_t len);

bool nr_buf_truncated(const struct nr_buf *b);

/* Read a whole file into b; -errno on failure. */
int nr_buf_read_file(struct nr_buf *b, const char *path);
/* Read from fd until EOF. */
int nr_buf_read_fd(struct nr_buf *b, int fd);

static inline struct nr_slice nr_slice_of(const char *s, size_t n)
{
	struct nr_slice sl = { s, n };
	return sl;
}
struct nr_slice nr_slice_str(const char *s);

#endif
