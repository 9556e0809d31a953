/* RLIMIT_STACK is the guest's: an exec'd program gets a stack as big as
 * it says, so recursion a little short of it works, and recursion past it
 * is a SIGSEGV. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MB (1ul << 20)

static int deep(unsigned long left)
{
	volatile char frame[4096];
	frame[0] = (char)left;
	if (left <= sizeof frame)
		return frame[0];
	return deep(left - sizeof frame) + frame[0];
}

/* run execs this program with a stack limit and a depth to reach. */
static void run(const char *self, unsigned long limit, unsigned long depth)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit r;
		getrlimit(RLIMIT_STACK, &r);
		r.rlim_cur = limit;
		setrlimit(RLIMIT_STACK, &r);
		char arg[32];
		snprintf(arg, sizeof arg, "%lu", depth);
		execl(self, self, arg, (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("limit %3lu MiB, depth %3lu MiB: ", limit / MB, depth / MB);
	if (WIFSIGNALED(st))
		printf("%s\n", strsignal(WTERMSIG(st)));
	else
		printf("exit %d\n", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		struct rlimit r;
		getrlimit(RLIMIT_STACK, &r);
		if (r.rlim_cur == RLIM_INFINITY)
			printf("  stack limit: unlimited\n");
		else
			printf("  stack limit: %lu MiB\n", (unsigned long)(r.rlim_cur / MB));
		deep(strtoul(argv[1], NULL, 10));
		return 0;
	}
	run("/proc/self/exe", 64 * MB, 48 * MB);
	run("/proc/self/exe", 2 * MB, 8 * MB);
	run("/proc/self/exe", 16 * MB, 12 * MB);
	return 0;
}
