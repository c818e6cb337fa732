/*
 * Inside the sysinfo module only: reading files under a root, shared by
 * sysinfo.c and sysinfo_net.c. Paths are root + the formatted text.
 */
#ifndef NR_SYSINFO_INT_H
#define NR_SYSINFO_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sysinfo/sysinfo.h"

/* Sysfs and procfs values are short. */
#define NR__SYSINFO_SMALL_FILE_MAX (64 * 1024)

/* root + the formatted path, malloc'ed. */
char *nr__sysinfo_path(const char *root, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The file's first line without trailing blanks; NULL if unreadable or empty. */
char *nr__sysinfo_read_line(const char *root, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A non-negative integer file; -1 when unreadable, negative or not a number. */
int64_t nr__sysinfo_read_i64(const char *root, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool nr__sysinfo_is_dir(const char *root, const char *rel);

/* Fill si->nics from root/sys/class/net, sorted by name; no addresses. */
void nr__sysinfo_collect_nics(struct nr_sysinfo *si, const char *root);

#endif
