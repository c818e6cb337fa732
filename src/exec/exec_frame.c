/* The agent session's framing (exec_frame.h). */
#include "exec/exec_frame.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int nr__frame_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void put32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

static uint32_t get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

void nr__frame_set_id(char *head, uint32_t id)
{
	put32(head + 1, id);
}

int nr__frame_send(int fd, char type, uint32_t id, const void *data, size_t len)
{
	char head[NR_FRAME_HEAD];
	int r;

	head[0] = type;
	put32(head + 1, id);
	put32(head + 5, (uint32_t)len);
	/* one write for small frames: fewer wake-ups on the other side */
	if (len <= 4096) {
		char one[NR_FRAME_HEAD + 4096];

		memcpy(one, head, NR_FRAME_HEAD);
		if (len)
			memcpy(one + NR_FRAME_HEAD, data, len);
		return nr__frame_write_all(fd, one, NR_FRAME_HEAD + len);
	}
	if ((r = nr__frame_write_all(fd, head, NR_FRAME_HEAD)) < 0)
		return r;
	return nr__frame_write_all(fd, data, len);
}

int nr__frame_fill(struct nr_buf *rd, int fd)
{
	ssize_t n;

	nr_buf_grow(rd, 65536);
	do
		n = read(fd, rd->buf + rd->len, 65536);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* nr_buf_grow kept room for the NUL */
	rd->len += (size_t)n;
	rd->buf[rd->len] = '\0';
	return (int)n;
}

int nr__frame_next(const struct nr_buf *rd, struct nr_frame *ret, size_t *consumed)
{
	uint32_t len;

	if (rd->len < NR_FRAME_HEAD)
		return 0;
	len = get32(rd->buf + 5);
	if (len > NR_FRAME_MAX)
		return -EPROTO;
	if (rd->len < NR_FRAME_HEAD + (size_t)len)
		return 0;
	ret->type = rd->buf[0];
	ret->id = get32(rd->buf + 1);
	ret->data = rd->buf + NR_FRAME_HEAD;
	ret->len = len;
	*consumed = NR_FRAME_HEAD + len;
	return 1;
}

void nr__frame_drop(struct nr_buf *rd, size_t n)
{
	memmove(rd->buf, rd->buf + n, rd->len - n);
	nr_buf_setlen(rd, rd->len - n);
}
