/* A fork bomb under a small RLIMIT_NPROC ends with EAGAIN: each process
 * forks the next until the user has as many processes as the limit. Root
 * is exempt, so the bomb runs as nobody (the tests run in their own pid
 * namespace, where nobody has no other processes). */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) {
		printf("cannot become nobody\n");
		return 0;
	}
	struct rlimit r = {6, 6};
	if (setrlimit(RLIMIT_NPROC, &r) != 0) {
		printf("setrlimit: %s\n", strerror(errno));
		return 1;
	}
	for (int depth = 0;; depth++) {
		if (depth == 20) {
			/* Not a real bomb if the limit does not hold. */
			printf("no EAGAIN after %d processes\n", depth);
			return 1;
		}
		pid_t pid = fork();
		if (pid < 0) {
			printf("process %d: fork: %s\n", depth + 1, strerror(errno));
			return 0;
		}
		if (pid > 0) {
			int st;
			waitpid(pid, &st, 0);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
		}
	}
}
