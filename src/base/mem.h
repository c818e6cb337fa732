/*
 * Allocation that never returns NULL: out of memory aborts with a message,
 * as git's xmalloc does. Growth helper for arrays.
 */
#ifndef NR_BASE_MEM_H
#define NR_BASE_MEM_H

#include <stddef.h>

void *nr_xmalloc(size_t n);
void *nr_xcalloc(size_t count, size_t size);
void *nr_xrealloc(void *p, size_t n);
char *nr_xstrdup(const char *s);
char *nr_xstrndup(const char *s, size_t n);
char *nr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Tune the allocator to keep freed memory for reuse, not return it to the
 * kernel at once (once, at a program's start: src/main.c).
 */
void nr_mem_keep_freed(void);

/*
 * Make room for at least `need` elements in *arr, whose capacity is *cap.
 * NR_GROW(arr, n + 1, cap) before arr[n++] = x.
 */
void *nr__grow(void *arr, size_t elem, size_t need, size_t *cap);
#define NR_GROW(arr, need, cap) \
	((arr) = nr__grow((arr), sizeof(*(arr)), (need), &(cap)))

#define NR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
