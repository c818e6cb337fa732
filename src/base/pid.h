/*
 * Telling a process from the one that had its pid before: a pid is
 * recycled, a pid with its start time (and the boot it started in) is not.
 */
#ifndef NR_BASE_PID_H
#define NR_BASE_PID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The fields of /proc/PID/stat that follow the name (state, ppid, pgrp,
 * ...), read into buf: the name may hold spaces and ')', so they start
 * after the last ')'. NULL when there is no such process.
 */
char *nr_pid_stat_fields(int pid, char *buf, size_t size);

/*
 * The start of process `pid` in clock ticks after boot (/proc/PID/stat
 * field 22); 0 if none. A pid is reused; the pair (pid, start time) names
 * one process for good, so a pid read back from anywhere is checked
 * against it before it is signalled.
 */
uint64_t nr_pid_start_ticks(int pid);

/*
 * Who process `pid` is: "BOOT_ID:PID:TICKS", the kernel's boot id, the pid
 * and its start time, into buf (size >= 80). Equal texts mean the same
 * process, also across a reboot or a recycled pid (the start time counts
 * in 10 ms ticks: a pid is not used up and reused within one). -ESRCH when
 * there is no such process.
 */
int nr_pid_identity(int pid, char *buf, size_t size);

/* Whether `pid` is the process `identity` (nr_pid_identity) names, alive (a zombie is not). */
bool nr_pid_is(int pid, const char *identity);

#endif
