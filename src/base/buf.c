#include "base/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"

char nr__buf_empty[1];

void nr_buf_init(struct nr_buf *b, size_t limit)
{
	b->buf = nr__buf_empty;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
	b->dropped = 0;
}

void nr_buf_release(struct nr_buf *b)
{
	if (b->cap)
		free(b->buf);
	nr_buf_init(b, b->limit);
}

void nr_buf_reset(struct nr_buf *b)
{
	b->len = 0;
	b->dropped = 0;
	if (b->cap)
		b->buf[0] = '\0';
}

char *nr_buf_detach(struct nr_buf *b, size_t *ret_len)
{
	char *p;

	if (!b->cap)
		nr_buf_grow(b, 0);
	p = b->buf;
	if (ret_len)
		*ret_len = b->len;
	nr_buf_init(b, b->limit);
	return p;
}

void nr_buf_grow(struct nr_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	int fresh = !b->cap;

	if (need < b->len)
		nr_xmalloc((size_t)-1); /* overflow: report as out of memory */
	if (fresh)
		b->buf = NULL;
	NR_GROW(b->buf, need, b->cap);
	if (fresh)
		b->buf[0] = '\0';
}

void nr_buf_add(struct nr_buf *b, const void *data, size_t n)
{
	if (b->limit) {
		size_t room = b->limit > b->len ? b->limit - b->len : 0;

		if (n > room) {
			b->dropped += n - room;
			n = room;
		}
	}
	if (!n)
		return;
	nr_buf_grow(b, n);
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void nr_buf_adds(struct nr_buf *b, const char *s)
{
	nr_buf_add(b, s, strlen(s));
}

void nr_buf_addch(struct nr_buf *b, char c)
{
	nr_buf_add(b, &c, 1);
}

void nr_buf_vaddf(struct nr_buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		nr_buf_add(b, small, (size_t)n);
		return;
	}
	{
		char *big = nr_xmalloc((size_t)n + 1);

		vsnprintf(big, (size_t)n + 1, fmt, ap);
		nr_buf_add(b, big, (size_t)n);
		free(big);
	}
}

void nr_buf_addf(struct nr_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nr_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void nr_buf_setlen(struct nr_buf *b, size_t len)
{
	if (len > b->len)
		return;
	b->len = len;
	if (b->cap)
		b->buf[len] = '\0';
}

bool nr_buf_truncated(const struct nr_buf *b)
{
	return b->dropped != 0;
}

int nr_buf_read_fd(struct nr_buf *b, int fd)
{
	char tmp[65536];

	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		nr_buf_add(b, tmp, (size_t)n);
	}
}

int nr_buf_read_file(struct nr_buf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = nr_buf_read_fd(b, fd);
	close(fd);
	return r;
}

struct nr_slice nr_slice_str(const char *s)
{
	return nr_slice_of(s, strlen(s));
}
