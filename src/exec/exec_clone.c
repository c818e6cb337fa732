/*
 * Starting a process the cheap way, inside its cgroup: clone3 (Linux 5.3)
 * with CLONE_INTO_CGROUP (5.7), CLONE_VM and CLONE_VFORK.
 *
 * Why: a child that moves itself into its cgroup (writing "0" to
 * cgroup.procs) takes the kernel's cgroup_threadgroup_rwsem for writing,
 * a percpu rwsem whose writer waits for an RCU grace period unless
 * cgroup2 is mounted with favordynmods: 10-25 ms each when the last
 * migration was more than a few ms ago, with the parent blocked in vfork
 * all that time. A child born inside the cgroup migrates nothing (0.1-0.2
 * ms). With CLONE_VM and CLONE_VFORK it shares our memory until it execs
 * or exits, as under vfork(), so no page tables are copied either.
 *
 * glibc 2.36 has no clone3 wrapper (nor posix_spawnattr_setcgroup_np),
 * and the child cannot return from the system call into compiled code:
 * it runs on a stack of its own, while the frame the compiler set up
 * belongs to the parent, which resumes in it. Hence a few instructions of
 * assembly: the system call, and in the child a call to fn(arg) on the
 * new stack that never returns.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/sched.h>

#include "exec/exec_int.h"

#if defined(__x86_64__) || defined(__aarch64__)

/*
 * The child's stack. execvpe is the deepest thing the child runs: glibc's
 * keeps each PATH candidate in a buffer on the stack (at most PATH_MAX +
 * NAME_MAX bytes), and for a file the kernel refuses with ENOEXEC it builds
 * /bin/sh's argv there, argc + 2 pointers; a first call through the PLT
 * (lazy binding) saves the vector registers on the stack too (a few KiB).
 * glibc's own posix_spawn gives its child 32 KiB beyond the argv pointers;
 * we give 64 KiB beyond them, for the sanitizers' interceptors in a test
 * build: pages never touched cost nothing but the mapping.
 */
#define STACK_SLACK_BYTES (64 * 1024)

/* Set once clone3 has failed in a way the next command would repeat. */
static int clone3_broken;

/*
 * The system call: returns the child's pid or -errno in the parent; the
 * child, on the new stack, calls fn(arg) and exits (127) if that returns.
 */
static long clone3_run(struct clone_args *args, void (*fn)(void *), void *arg)
{
#if defined(__x86_64__)
	/*
	 * syscall clobbers rcx and r11 and returns in rax; every other register
	 * survives it, in the parent and, copied, in the child. fn and arg go
	 * in rdx and r8, which the system call (two arguments: rdi, rsi) does
	 * not read. The kernel starts the child at stack + stack_size, 16-byte
	 * aligned; `call` pushes 8 bytes, as the ABI expects at a function's
	 * entry. rbp is cleared so that a debugger's backtrace ends there.
	 * Only the child's path writes the input registers (rdi, rax): it
	 * never comes back to compiled code.
	 */
	register void *r8 __asm__("r8") = arg;
	long ret = SYS_clone3;

	__asm__ volatile("syscall\n\t"
			 "testq %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xorl %%ebp, %%ebp\n\t"
			 "movq %%r8, %%rdi\n\t"
			 "callq *%%rdx\n\t"
			 "movl $127, %%edi\n\t"
			 "movl %[exit_group], %%eax\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "+a"(ret)
			 : "D"(args), "S"(sizeof(*args)), "d"(fn), "r"(r8),
			   [exit_group] "i"(SYS_exit_group)
			 : "rcx", "r11", "memory", "cc");
	return ret;
#else
	/*
	 * svc returns in x0 and changes no other register. fn and arg go in
	 * x2 and x3, exit_group's number in x4, which clone3 (two arguments:
	 * x0, x1) does not read. The child starts on stack + stack_size,
	 * 16-byte aligned as sp must be; x29 and x30 are cleared so that a
	 * backtrace ends there. Only the child's path writes the input
	 * registers (x0, x8): it never comes back to compiled code.
	 */
	register long x8 __asm__("x8") = SYS_clone3;
	register long x0 __asm__("x0") = (long)args;
	register long x1 __asm__("x1") = (long)sizeof(*args);
	register void (*x2)(void *) __asm__("x2") = fn;
	register void *x3 __asm__("x3") = arg;
	register long x4 __asm__("x4") = SYS_exit_group;

	__asm__ volatile("svc #0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x29, #0\n\t"
			 "mov x30, #0\n\t"
			 "mov x0, x3\n\t"
			 "blr x2\n\t"
			 "mov x0, #127\n\t"
			 "mov x8, x4\n\t"
			 "svc #0\n\t"
			 "brk #0\n"
			 "1:"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
			 : "memory", "cc");
	return x0;
#endif
}

int nr__exec_clone_into(int cgroup_fd, size_t argc, void (*fn)(void *), void *arg)
{
	const char *env = getenv("NETRIG_CLONE3");
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (argc + 2) * sizeof(char *) + STACK_SLACK_BYTES;
	struct clone_args args;
	char *map;
	long pid;

	if (__atomic_load_n(&clone3_broken, __ATOMIC_RELAXED) || (env && !strcmp(env, "off")))
		return -ENOSYS;
	size = (size + page - 1) / page * page;
	/* one page more below it, PROT_NONE: an overflow faults rather than writes over a neighbour */
	map = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		   -1, 0);
	if (map == MAP_FAILED)
		return -errno;
	if (mprotect(map, page, PROT_NONE) < 0) {
		int e = errno;

		munmap(map, size + page);
		return -e;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.stack = (uint64_t)(uintptr_t)(map + page);
	args.stack_size = size; /* the kernel starts the child at its top */
	args.cgroup = (uint64_t)cgroup_fd;
	pid = clone3_run(&args, fn, arg);
	/* here the child has exec'd or exited (CLONE_VFORK): its stack is ours again */
	munmap(map, size + page);
	/*
	 * A kernel before 5.3 (ENOSYS) or before 5.7 (E2BIG: its clone_args
	 * ends before our cgroup field; EINVAL: a flag it does not know), a
	 * seccomp filter that refuses clone3 (ENOSYS, or EPERM as Docker's
	 * default profile once did), valgrind (ENOSYS): the next call would
	 * fail the same way, so the caller's own way serves from now on.
	 */
	if (pid == -ENOSYS || pid == -EINVAL || pid == -E2BIG || pid == -EPERM) {
		__atomic_store_n(&clone3_broken, 1, __ATOMIC_RELAXED);
		return -ENOSYS;
	}
	return (int)pid;
}

#else

int nr__exec_clone_into(int cgroup_fd, size_t argc, void (*fn)(void *), void *arg)
{
	(void)cgroup_fd;
	(void)argc;
	(void)fn;
	(void)arg;
	return -ENOSYS; /* no trampoline for this architecture: the caller's vfork serves */
}

#endif
