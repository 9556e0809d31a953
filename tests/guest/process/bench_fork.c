/* Process benchmarks: "fork N" forks a child that exits at once and waits
 * for it, N times; "exec N PROGRAM" forks a child that execs PROGRAM and
 * waits for it; "clonevm N" does clone(CLONE_VM|SIGCHLD) on a stack of its
 * own, the child exits at once, and waits for it; "vfork N PROGRAM" vforks
 * a child that execs PROGRAM and waits for it. stdout says what was done;
 * with BENCH_TIME set, stderr gives the time per round trip, for
 * scripts/bench.sh. A PROGRAM without a slash is one of the assembly test
 * programs, in ../asm/ from this program; it must exit with 42. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The CLONE_VM child's stack: one child at a time uses it. */
static char stack[64 * 1024] __attribute__((aligned(16)));

/* The CLONE_VM child shares the parent's memory and TLS: it only exits. */
static int child(void *arg)
{
	(void)arg;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int exec = strcmp(mode, "exec") == 0, vfk = strcmp(mode, "vfork") == 0;
	int clonevm = strcmp(mode, "clonevm") == 0;
	if (argc < 3 || ((exec || vfk) && argc < 4) || !(exec || vfk || clonevm || strcmp(mode, "fork") == 0)) {
		fprintf(stderr, "usage: bench_fork fork N | exec N PROGRAM | clonevm N | vfork N PROGRAM\n");
		return 2;
	}
	char prog[4096];
	if ((exec || vfk) && strchr(argv[3], '/') == NULL) {
		ssize_t n = readlink("/proc/self/exe", prog, sizeof prog - 1);
		prog[n > 0 ? n : 0] = 0;
		char *slash = strrchr(prog, '/');
		snprintf(slash ? slash + 1 : prog, sizeof prog - (slash ? slash + 1 - prog : 0), "../asm/%s", argv[3]);
		argv[3] = prog;
	}
	char *cargv[] = {argv[3], NULL};
	int n = atoi(argv[2]), bad = 0, want = clonevm ? 0 : 42;
	double t0 = now();
	for (int i = 0; i < n; i++) {
		pid_t pid;
		if (clonevm) {
			pid = clone(child, stack + sizeof stack, CLONE_VM | SIGCHLD, NULL);
		} else if (vfk) {
			pid = vfork();
			if (pid == 0) {
				execv(cargv[0], cargv);
				_exit(127);
			}
		} else {
			pid = fork();
			if (pid == 0) {
				if (exec)
					execl(argv[3], argv[3], (char *)NULL);
				_exit(exec ? 127 : 42);
			}
		}
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != want)
			bad++;
	}
	double t = now() - t0;
	printf("%s: %d round trips, %d bad\n", mode, n, bad);
	if (getenv("BENCH_TIME"))
		fprintf(stderr, "bench_fork: %s us/op %.1f\n", mode, n ? t / n * 1e6 : 0);
	return bad != 0;
}
