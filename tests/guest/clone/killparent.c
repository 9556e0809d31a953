/* A parent that keeps making children of every kind, for TestKillParent,
 * which SIGKILLs it (guestrun, under guestrun) at random points: clone with
 * CLONE_VM (exiting, blocked in a short sleep, cloning a grandchild),
 * clone(CLONE_VM|CLONE_VFORK) and vfork with execve, fork, and a fork whose
 * CLONE_VM child outlives it. Every child's work is short and bounded, so
 * that nothing of a run may stay long after the parent dies.
 *
 * Usage: killparent            a fixed number of rounds, then a summary
 *        killparent loop       rounds until killed (at most 3 s)
 *        killparent exit       what the execs run: exit at once */
#include "clone.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#define KINDS 7
#define MAXOUT 4 /* children outstanding at once in loop mode */

static char *self;

static void nap(long ms)
{
	struct timespec ts = {0, ms * 1000000L};
	syscall(SYS_nanosleep, &ts, NULL);
}

static int spin(void *arg)
{
	for (volatile int i = 0; i < 20000; i++)
		;
	return (int)(intptr_t)arg;
}

static int sleeper(void *arg)
{
	nap(10);
	return (int)(intptr_t)arg;
}

static int execer(void *arg)
{
	char *argv[] = {self, "exit", NULL};
	execve(self, argv, (char *[]){NULL});
	return 127;
}

static int cloner(void *arg)
{
	void *stk = new_stack();
	if (stk == NULL || clone(spin, (char *)stk + CHILD_STACK, CLONE_VM | SIGCHLD, (void *)1) < 0)
		return 120;
	return (int)(intptr_t)arg;
}

static pid_t start(int kind)
{
	void *stk;
	pid_t pid;
	switch (kind) {
	case 0:
	case 1:
	case 2:
	case 3:
		if ((stk = new_stack()) == NULL)
			return -1;
		int (*fn[])(void *) = {spin, sleeper, execer, cloner};
		int flags[] = {CLONE_VM, CLONE_VM | CLONE_FS | CLONE_FILES, CLONE_VM | CLONE_VFORK, CLONE_VM};
		return clone(fn[kind], (char *)stk + CHILD_STACK, flags[kind] | SIGCHLD, (void *)(intptr_t)kind);
	case 4:
		if ((pid = vfork()) == 0) {
			execer(NULL);
			_exit(127);
		}
		return pid;
	case 5:
		if ((pid = fork()) == 0) {
			nap(2);
			_exit(5);
		}
		return pid;
	default:
		/* The fork's CLONE_VM child outlives it: under guestrun, a new
		 * guestrun adopts it. */
		if ((pid = fork()) == 0) {
			if ((stk = new_stack()) == NULL ||
			    clone(sleeper, (char *)stk + CHILD_STACK, CLONE_VM | SIGCHLD, NULL) < 0)
				_exit(120);
			_exit(6);
		}
		return pid;
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		return 0;
	if (argc > 1 && strcmp(argv[1], "loop") == 0) {
		int out = 0;
		double end = now() + 3;
		for (int i = 0; now() < end; i++) {
			if (start(i % KINDS) > 0)
				out++;
			while (out > 0 && waitpid(-1, NULL, out >= MAXOUT ? 0 : WNOHANG) > 0)
				out--;
		}
		return 0;
	}
	/* The fixed run: every kind three times, each child waited for. */
	int ok = 0, n = 0;
	for (int i = 0; i < 3 * KINDS; i++) {
		pid_t pid = start(i % KINDS);
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid) {
			printf("kind %d: %s\n", i % KINDS, strerror(errno));
			continue;
		}
		n++;
		int want[] = {0, 1, 0, 3, 0, 5, 6};
		if (WIFEXITED(st) && WEXITSTATUS(st) == want[i % KINDS])
			ok++;
		else
			printf("kind %d: status %#x\n", i % KINDS, st);
	}
	printf("%d children, %d as expected\n", n, ok);
	return 0;
}
