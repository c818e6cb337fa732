#include "base/mem.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "netrig: out of memory (%zu bytes)\n", n);
	abort();
}

void *nr_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *nr_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		oom(count * size);
	return p;
}

void *nr_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *nr_xstrdup(const char *s)
{
	return nr_xstrndup(s, strlen(s));
}

char *nr_xstrndup(const char *s, size_t n)
{
	char *p = nr_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *nr_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	return s;
}

void *nr__grow(void *arr, size_t elem, size_t need, size_t *cap)
{
	size_t c = *cap;

	if (need <= c)
		return arr;
	c = c ? c : 8;
	while (c < need)
		c = c + c / 2 + 1;
	if (c > (size_t)-1 / elem)
		oom((size_t)-1);
	*cap = c;
	return nr_xrealloc(arr, c * elem);
}

void nr_mem_keep_freed(void)
{
	/*
	 * glibc hands a block of more than 128 KB to the kernel when it is
	 * freed (mmap'd blocks, and the top of the heap once it passes the
	 * trim threshold), and the next one of that size is faulted in again
	 * page by page: an attempt of 10,000 samples spent a third of its
	 * parsing in page faults, each attempt faulting in what the one
	 * before gave back. Fixed thresholds keep what was freed for reuse
	 * (a process's memory stays at its peak, less the 64 MB above which
	 * the heap is still trimmed); only blocks of 32 MB and more (glibc's
	 * largest threshold: a big output) are mapped each on their own.
	 * See mallopt(3).
	 */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}
