// /proc/self/fd and /proc/self/fdinfo list the program's fds only, as
// natively: an emulator's own fds must not show, in the process and in a
// forked child and a vfork child.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void list(const char *who, const char *dir) {
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		exit(1);
	}
	int fds[4096], n = 0, self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d)) && n < 4096)
		if (e->d_name[0] != '.' && atoi(e->d_name) != self)
			fds[n++] = atoi(e->d_name);
	closedir(d);
	qsort(fds, n, sizeof fds[0], cmp);
	printf("%s %s:", who, dir);
	for (int i = 0; i < n; i++)
		printf(" %d", fds[i]);
	printf("\n");
}

int main(void) {
	int a = open("/dev/null", O_RDONLY);
	int b = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int c = dup2(a, 40);
	if (a < 0 || b < 0 || c != 40)
		return 1;
	list("parent", "/proc/self/fd");
	list("parent", "/proc/self/fdinfo");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(b);
		list("child", "/proc/self/fd");
		list("child", "/proc/self/fdinfo");
		return 0;
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child status %d\n", st);
	fflush(stdout);
	// A vfork child shares the memory but has its own fd table.
	pid = vfork();
	if (pid == 0) {
		close(a);
		list("vfork child", "/proc/self/fd");
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("vfork child status %d\n", st);
	list("parent", "/proc/self/fd");
	return 0;
}
