/* Helpers shared by the clone tests: the clone flags and struct clone_args
 * (musl has no <linux/sched.h>), futex waits, child stacks and a clone3
 * that runs a function on the new stack. Children of CLONE_VM share the
 * parent's memory and, with the libc clone() wrapper, its TLS: they use
 * no stdio and report through memory. */
#ifndef GUEST_CLONE_H
#define GUEST_CLONE_H

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FUTEX_WAIT_ 0
#define FUTEX_WAKE_ 1

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
/* glibc declares P_PIDFD in an enum, musl not at all. */
#define P_PIDFD_ 3
#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif
#ifndef __WALL
#define __WALL 0x40000000
#endif

struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

#define CHILD_STACK (256 * 1024)

static inline void *new_stack(void)
{
	void *p = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline long futex_wait(volatile int *w, int val)
{
	return syscall(SYS_futex, w, FUTEX_WAIT_, val, NULL, NULL, 0);
}

static inline long futex_wake(volatile int *w)
{
	return syscall(SYS_futex, w, FUTEX_WAKE_, 1 << 30, NULL, NULL, 0);
}

/* set_and_wake stores v in *w and wakes its waiters (shared futex: the
 * word may be in a MAP_SHARED mapping seen by other processes). */
static inline void set_and_wake(volatile int *w, int v)
{
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
	futex_wake(w);
}

/* wait_until waits until *w == v. */
static inline void wait_until(volatile int *w, int v)
{
	int cur;
	while ((cur = __atomic_load_n(w, __ATOMIC_SEQ_CST)) != v)
		futex_wait(w, cur);
}

/* wait_zero waits until a CLONE_CHILD_CLEARTID word is cleared. */
static inline void wait_zero(volatile int *w)
{
	wait_until(w, 0);
}

/* clone3_run does clone3 with ca of size bytes (stack set for CLONE_VM):
 * the child calls fn(arg) on the new stack and exits with its result.
 * The parent gets the child's pid or -errno. */
static inline long clone3_run(void *ca, size_t size, int (*fn)(void *), void *arg)
{
	long ret;
	register void *r12 __asm__("r12") = (void *)fn;
	register void *r13 __asm__("r13") = arg;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "and $-16, %%rsp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov $60, %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone3), "D"(ca), "S"(size), "r"(r12), "r"(r13)
			 : "rcx", "r11", "memory");
	return ret;
}

/* raw_set_fs sets the FS base without libc (the caller may be running on
 * a TLS block libc knows nothing of). */
static inline void raw_set_fs(uint64_t base)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"((long)SYS_arch_prctl), "D"(0x1002L), "S"(base) : "rcx", "r11", "memory");
	(void)ret;
}

static inline uint64_t fs_word(long off)
{
	uint64_t v;
	__asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

static inline const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case ENOSYS: return "ENOSYS";
	case EEXIST: return "EEXIST";
	case EINTR: return "EINTR";
	case ESRCH: return "ESRCH";
	case EBUSY: return "EBUSY";
	case ENOEXEC: return "ENOEXEC";
	}
	return "E?";
}

#endif
