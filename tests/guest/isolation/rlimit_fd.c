/* RLIMIT_NOFILE is the guest's: it starts as the process was given it, and
 * a lower soft limit makes new fds fail with EMFILE, dup2 to a number at
 * or past it EBADF and F_DUPFD from there EINVAL, as in Linux, whatever
 * fds guestrun keeps for itself. A forked child and an exec'd program
 * inherit it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int r)
{
	printf("%s: %d", what, r);
	if (r < 0)
		printf(" errno %d", errno);
	printf("\n");
}

static void show_limit(const char *who)
{
	struct rlimit r;
	getrlimit(RLIMIT_NOFILE, &r);
	printf("%s: RLIMIT_NOFILE soft %llu\n", who, (unsigned long long)r.rlim_cur);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		show_limit("exec'd program");
		return 0;
	}
	show_limit("start");
	struct rlimit r;
	getrlimit(RLIMIT_NOFILE, &r);
	r.rlim_cur = 16;
	if (setrlimit(RLIMIT_NOFILE, &r) != 0)
		printf("setrlimit: errno %d\n", errno);
	show_limit("lowered");
	int n = 0, fd, last = -1;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		n++;
		last = fd;
	}
	printf("opened %d more, last fd %d, then errno %d\n", n, last, errno);
	show("dup2 to 16", dup2(0, 16));
	show("dup2 to 15", dup2(0, 15));
	show("F_DUPFD from 16", fcntl(0, F_DUPFD, 16));
	show("F_DUPFD from 3", fcntl(0, F_DUPFD, 3));
	close(last);
	int p[2];
	show("pipe with one fd free", pipe(p));
	show("socketpair with one fd free", socketpair(AF_UNIX, SOCK_STREAM, 0, p));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("socket with one fd free: %s\n", fd == last ? "the free fd" : "another fd");
	close(fd);
	close(last - 1);
	show("pipe with two fds free", pipe(p));
	for (int i = 3; i < 16; i++)
		close(i);

	pid_t pid = fork();
	if (pid == 0) {
		show_limit("child");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	/* The exec'd program gets the soft limit, raised again. */
	r.rlim_cur = 40;
	setrlimit(RLIMIT_NOFILE, &r);
	execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
	printf("exec: errno %d\n", errno);
	return 1;
}
