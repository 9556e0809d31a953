/* execve from a second thread ends the others, and the new program keeps
 * the pid; exit status and output show it. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char self[4096];
static pid_t pid_before;

static void *spinner(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *execer(void *arg)
{
	(void)arg;
	char pid[32];
	snprintf(pid, sizeof pid, "%d", (int)pid_before);
	execl(self, "exec_thread", "after", pid, (char *)NULL);
	printf("execl: failed\n");
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "after") == 0) {
		printf("after exec: same pid %d, tid is pid %d\n", atoi(argv[2]) == getpid(),
		       (pid_t)syscall(SYS_gettid) == getpid());
		return 3;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	pid_t child = fork();
	if (child == 0) {
		pid_before = getpid();
		pthread_t a, b;
		pthread_create(&a, NULL, spinner, NULL);
		pthread_create(&b, NULL, execer, NULL);
		pthread_join(b, NULL);
		_exit(99);
	}
	int st;
	waitpid(child, &st, 0);
	printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
