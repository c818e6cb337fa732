/*
 * Error codes and diagnostics.
 *
 * Functions return 0 on success and a negative number on failure: either
 * -errno or one of the NR_E* codes below. nr_strerror() names both.
 * Functions that parse or do I/O take an optional trailing struct nr_diag *
 * where they leave a human message with its context (file:line:column, key,
 * host). There is no global error state.
 */
#ifndef NR_BASE_ERR_H
#define NR_BASE_ERR_H

#include <stddef.h>

/* X(name, value, message); values stay clear of errno's range. */
#define NR_ERRORS(X)                                                     \
	X(NR_EPARSE, -10001, "parse error")                              \
	X(NR_EINVAL, -10002, "invalid value")                            \
	X(NR_ECONFIG, -10003, "bad campaign")                            \
	X(NR_ETIMEOUT, -10004, "timed out")                              \
	X(NR_ETOOBIG, -10005, "too big")                                 \
	X(NR_ENOTFOUND, -10006, "not found")                             \
	X(NR_EAMBIGUOUS, -10007, "ambiguous")                            \
	X(NR_ESTORE, -10008, "store error")                              \
	X(NR_ESCHEMA, -10009, "unsupported schema version")              \
	X(NR_EEXEC, -10010, "command failed")                            \
	X(NR_EINTR, -10011, "interrupted")                               \
	X(NR_EMISSING, -10012, "metric missing")                         \
	X(NR_EUNSUPPORTED, -10013, "not supported")                      \
	X(NR_EPROTO, -10014, "protocol error")                           \
	X(NR_ENOLIB, -10015, "a library netrig needs is missing")

enum nr_error {
#define NR_ERR_ENUM(name, value, msg) name = value,
	NR_ERRORS(NR_ERR_ENUM)
#undef NR_ERR_ENUM
};

/* Message for an NR_E* code or -errno. Never NULL. */
const char *nr_strerror(int err);

#define NR_DIAG_MAX 1024

/*
 * A message for people, with the context the failing function knew.
 * `code` is the return value that went with it.
 */
struct nr_diag {
	int code;
	char msg[NR_DIAG_MAX];
};

/*
 * Write a formatted message into d (if d is not NULL) and return code,
 * so that callers can write `return nr_diagf(d, NR_EPARSE, "...")`.
 * When d already holds a message, the new one is put in front of it,
 * separated by ": " (context added on the way up).
 */
int nr_diagf(struct nr_diag *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like nr_diagf but replaces any message already there. */
int nr_diag_set(struct nr_diag *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void nr_diag_clear(struct nr_diag *d);

/* The message, or nr_strerror(code) when none was written. */
const char *nr_diag_msg(const struct nr_diag *d);

#endif
