/*
 * Internal to exec/: the framing of the agent session (exec_session.c),
 * spoken by `netrig-agent session` on the far side (exec_serve.c) and by
 * the local `mux` and `relay` (exec_relay.c). A frame is a 9-byte header
 * (type, a role's id, the payload's length, big-endian) and the payload.
 * Both ends are the same agent build (its hash is checked), so the format
 * needs no version of its own beyond the session's hello.
 */
#ifndef NR_EXEC_FRAME_H
#define NR_EXEC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define NR_FRAME_HEAD 9
/* a start's argv may be long; output comes in reads of at most 64 KiB */
#define NR_FRAME_MAX (4u << 20)

/*
 * Frame types. To the far side: START (payload: the role's fields, each
 * NUL-terminated: see nr__serve), TERM (SIGTERM to the role's group, and
 * its end without grace once its grace has passed), NOW (end it at once:
 * netrig in a hurry), CLOSE (its controller is gone: end it with grace).
 * From the far side: HELLO (id 0, once ready), OUT and ERR (bytes of its
 * stdout and stderr), EXIT (4 bytes: the status, 128 + N after signal N,
 * once its output is all sent).
 */
enum nr_frame_type {
	NR_FRAME_START = 'S',
	NR_FRAME_TERM = 'T',
	NR_FRAME_NOW = 'N',
	NR_FRAME_CLOSE = 'C',
	NR_FRAME_HELLO = 'H',
	NR_FRAME_OUT = 'O',
	NR_FRAME_ERR = 'E',
	NR_FRAME_EXIT = 'X',
};

struct nr_frame {
	char type;
	uint32_t id;
	const char *data; /* points into the reader's buffer until the next nr__frame_next */
	uint32_t len;
};

/* Write all of buf to a blocking fd: 0, or -errno. */
int nr__frame_write_all(int fd, const void *buf, size_t len);
/* One frame to fd (blocking): 0, or -errno. */
int nr__frame_send(int fd, char type, uint32_t id, const void *data, size_t len);
/* A frame's id field rewritten in a header at head (the mux routes by it). */
void nr__frame_set_id(char *head, uint32_t id);

/*
 * Read what fd has into rd (one read): bytes read, 0 at end of file,
 * -EAGAIN / -errno.
 */
int nr__frame_fill(struct nr_buf *rd, int fd);
/*
 * The first whole frame in rd into *ret (*consumed: its size, to drop
 * with nr__frame_drop once used): 1, 0 when none is whole yet, -EPROTO
 * for a length over NR_FRAME_MAX.
 */
int nr__frame_next(const struct nr_buf *rd, struct nr_frame *ret, size_t *consumed);
void nr__frame_drop(struct nr_buf *rd, size_t n);

#endif
