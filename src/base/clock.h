/*
 * The one time type: int64_t microseconds. Monotonic time for durations
 * and deadlines; real time only for stored timestamps.
 */
#ifndef NR_BASE_CLOCK_H
#define NR_BASE_CLOCK_H

#include <stdint.h>

int64_t nr_mono_us(void);
int64_t nr_wall_us(void);
/* ISO 8601 UTC with microseconds, "2026-11-22T03:01:20.123456Z". */
char *nr_fmt_time(char *buf, unsigned long size, int64_t wall_us);

#endif
