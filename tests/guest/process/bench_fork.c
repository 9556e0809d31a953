/* Process benchmarks: "fork N" forks a child that exits at once and waits
 * for it, N times; "exec N PROGRAM" forks a child that execs PROGRAM and
 * waits for it. stdout says what was done; with BENCH_TIME set, stderr
 * gives the time per round trip, for scripts/bench.sh. A PROGRAM without a slash is one of the
 * assembly test programs, in ../asm/ from this program. */
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

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "exec") == 0 && argc < 4)) {
		fprintf(stderr, "usage: bench_fork fork N | exec N PROGRAM\n");
		return 2;
	}
	int exec = strcmp(argv[1], "exec") == 0;
	char prog[4096];
	if (exec && strchr(argv[3], '/') == NULL) {
		ssize_t n = readlink("/proc/self/exe", prog, sizeof prog - 1);
		prog[n > 0 ? n : 0] = 0;
		char *slash = strrchr(prog, '/');
		snprintf(slash ? slash + 1 : prog, sizeof prog - (slash ? slash + 1 - prog : 0), "../asm/%s", argv[3]);
		argv[3] = prog;
	}
	int n = atoi(argv[2]), bad = 0;
	double t0 = now();
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (exec)
				execl(argv[3], argv[3], (char *)NULL);
			_exit(exec ? 127 : 42);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 42)
			bad++;
	}
	double t = now() - t0;
	printf("%s: %d round trips, %d bad\n", argv[1], n, bad);
	if (getenv("BENCH_TIME"))
		fprintf(stderr, "bench_fork: %s us/op %.1f\n", argv[1], n ? t / n * 1e6 : 0);
	return bad != 0;
}
