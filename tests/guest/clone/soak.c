/* A soak of N clone(CLONE_VM) children, up to 8 at a time, with a fixed
 * seed: random sharing flags and exit signals (SIGCHLD, 0, SIGRTMIN+1),
 * and endings: exit, exec, SIGKILL at a random point (while it runs or
 * execs), vfork or clone(CLONE_VM|CLONE_VFORK) with exit or exec. Checks
 * every status, one SIGRTMIN+1 per child that asked for it, and that no
 * child is left. Prints only counts, so the output is deterministic.
 *
 * Usage: soak [N] [-pause]. With -pause it prints "READY before" and
 * "READY after" around the loop and waits for a byte on stdin after each,
 * so that a test can count processes, fds and mappings then, and
 * "progress I" every 500 clones.
 * "soak child CODE" is the exec'd program. */
#include "clone.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#define SLOTS 8

static uint64_t seed = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

enum kind { K_EXIT, K_EXEC, K_KILL, K_KILL_EXEC, K_VFORK, K_VFORK_EXEC, K_CLONE_VFORK, NKINDS };
static const char *kind_names[] = {"exit", "exec", "kill", "kill-during-exec", "vfork", "vfork-exec", "clone-vfork"};

static struct slot {
	char *stack;
	pid_t pid;
	int kind, code, rt, pidfd;
	volatile int ctid;
	long spins;
} slots[SLOTS];

static char self_exe[4096];
static volatile int rt_signals;
static int rt_children, bad, counts[NKINDS], killed, survived;

static void on_rt(int sig)
{
	(void)sig;
	rt_signals++;
}

static void spin(long n)
{
	for (long i = 0; i < n; i++)
		getppid();
}

static int child(void *arg)
{
	struct slot *s = arg;
	spin(s->spins);
	if (s->kind == K_EXEC || s->kind == K_KILL_EXEC) {
		char code[16];
		snprintf(code, sizeof code, "%d", s->code);
		execl(self_exe, "soak", "child", code, (char *)NULL);
		return 127;
	}
	return s->code;
}

static void exec_self(int code)
{
	char c[16];
	snprintf(c, sizeof c, "%d", code);
	execl(self_exe, "soak", "child", c, (char *)NULL);
	_exit(127);
}

static void complain(const char *what, int i, int st)
{
	if (bad++ < 10)
		printf("FAIL: a %s child: %s, status %#x\n", kind_names[slots[i].kind], what, st);
}

/* check judges the status of the child in slot i and frees the slot. */
static void check(int i, int st)
{
	struct slot *s = &slots[i];
	int exited = WIFEXITED(st) && WEXITSTATUS(st) == s->code;
	if (s->kind == K_KILL || s->kind == K_KILL_EXEC) {
		int sigkilled = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
		if (!exited && !sigkilled)
			complain("neither exited nor killed", i, st);
		killed += sigkilled;
		survived += exited;
	} else if (!exited) {
		complain("wrong status", i, st);
	}
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pid = 0;
}

static void reap_one(void)
{
	int st;
	pid_t w;
	while ((w = waitpid(-1, &st, __WALL)) < 0 && errno == EINTR)
		;
	if (w < 0) {
		if (bad++ < 10)
			printf("FAIL: waitpid: %s\n", errname(errno));
		/* Nothing left to wait for: give up on the slots. */
		for (int i = 0; i < SLOTS; i++)
			slots[i].pid = 0;
		return;
	}
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].pid == w) {
			check(i, st);
			return;
		}
	if (bad++ < 10)
		printf("FAIL: waitpid returned a pid that is not a child's\n");
}

static const unsigned long share_flags[] = {CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_SYSVSEM,
					    CLONE_PARENT_SETTID, CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
					    CLONE_PIDFD};

static void start(int i, int n)
{
	struct slot *s = &slots[i];
	uint64_t r = next_rand();
	int pick = r % 100;
	s->kind = pick < 55 ? K_EXIT : pick < 60 ? K_EXEC : pick < 78 ? K_KILL : pick < 80 ? K_KILL_EXEC
		: pick < 87 ? K_VFORK : pick < 90 ? K_VFORK_EXEC : K_CLONE_VFORK;
	counts[s->kind]++;
	s->code = n % 200;
	s->spins = (r >> 8) % 2000;
	s->pidfd = -1;
	s->ctid = -1;
	s->rt = 0;
	if (s->kind == K_VFORK || s->kind == K_VFORK_EXEC) {
		pid_t p = vfork();
		if (p == 0) {
			if (s->kind == K_VFORK_EXEC)
				exec_self(s->code);
			_exit(s->code);
		}
		if (p < 0 && bad++ < 10)
			printf("FAIL: vfork %d: %s\n", n, errname(errno));
		s->pid = p < 0 ? 0 : p;
		return;
	}
	unsigned long flags = CLONE_VM;
	for (size_t f = 0; f < sizeof share_flags / sizeof share_flags[0]; f++)
		if ((r >> (20 + f)) & 1)
			flags |= share_flags[f];
	if (flags & CLONE_PIDFD)
		flags &= ~CLONE_PARENT_SETTID;
	if (s->kind == K_CLONE_VFORK)
		flags |= CLONE_VFORK;
	/* An exec makes any exit signal SIGCHLD: real-time ones (counted)
	 * only for children that do not exec. */
	int sig = (r >> 40) % 3;
	int execs = s->kind == K_EXEC || s->kind == K_KILL_EXEC;
	sig = sig == 0 ? SIGCHLD : sig == 1 || execs ? 0 : SIGRTMIN + 1;
	s->rt = sig == SIGRTMIN + 1;
	rt_children += s->rt;
	int ptid = -1;
	pid_t p = clone(child, s->stack + CHILD_STACK, flags | sig, s, &ptid, NULL, (int *)&s->ctid);
	if (p < 0) {
		if (bad++ < 10)
			printf("FAIL: clone %d: %s\n", n, errname(errno));
		return;
	}
	s->pid = p;
	if (flags & CLONE_PIDFD)
		s->pidfd = ptid;
	else if ((flags & CLONE_PARENT_SETTID) && ptid != p && bad++ < 10)
		printf("FAIL: parent tid word\n");
	if (s->kind == K_KILL || s->kind == K_KILL_EXEC) {
		for (long k = (r >> 48) % 3000; k > 0; k--)
			__asm__ volatile("" ::: "memory");
		if ((r >> 60) & 1)
			sched_yield();
		kill(p, SIGKILL);
	}
}

static void pause_point(const char *what)
{
	printf("READY %s\n", what);
	char b;
	if (read(0, &b, 1) != 1)
		exit(3);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return atoi(argv[2]);
	int n = 300, pause = 0;
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "-pause") == 0)
			pause = 1;
		else
			n = atoi(argv[a]);
	}
	ssize_t len = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	self_exe[len > 0 ? len : 0] = 0;
	for (int i = 0; i < SLOTS; i++)
		if (!(slots[i].stack = new_stack()))
			return 2;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_rt;
	sigaction(SIGRTMIN + 1, &sa, NULL);
	/* The children start with every signal blocked (they share or copy
	 * this process's handlers). */
	sigset_t all, run;
	sigfillset(&all);
	sigemptyset(&run);
	if (pause)
		pause_point("before");
	for (int i = 0; i < n; i++) {
		int free_slot = -1;
		for (;;) {
			for (int k = 0; k < SLOTS && free_slot < 0; k++)
				if (slots[k].pid == 0)
					free_slot = k;
			if (free_slot >= 0)
				break;
			reap_one();
		}
		sigprocmask(SIG_SETMASK, &all, NULL);
		start(free_slot, i);
		sigprocmask(SIG_SETMASK, &run, NULL);
		if (pause && (i + 1) % 500 == 0)
			printf("progress %d\n", i + 1);
	}
	for (int k = 0; k < SLOTS; k++)
		while (slots[k].pid && bad < 10)
			reap_one();
	int left = waitpid(-1, NULL, __WALL | WNOHANG);
	printf("%d clones:", n);
	for (int k = 0; k < NKINDS; k++)
		printf(" %s %d", kind_names[k], counts[k]);
	printf("\nkilled or exited first: %d\n", killed + survived);
	printf("children left: %s\n", left < 0 && errno == ECHILD ? "none" : "some");
	printf("SIGRTMIN+1 exit signals: %s\n", rt_signals == rt_children ? "one per child" : "WRONG COUNT");
	if (rt_signals != rt_children)
		bad++;
	if (!(left < 0 && errno == ECHILD))
		bad++;
	if (pause)
		pause_point("after");
	return bad != 0;
}
