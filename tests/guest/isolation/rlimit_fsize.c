/* RLIMIT_FSIZE is the guest's (guestrun's own memory file is larger than
 * any limit): a write that crosses it is cut short, one that starts past
 * it fails with EFBIG and sends SIGXFSZ, and so does growing a file past
 * it with ftruncate or fallocate. Unhandled, SIGXFSZ kills. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int xfsz;

static void on_xfsz(int sig, siginfo_t *si, void *uc)
{
	xfsz += si->si_code == SI_USER && si->si_pid == getpid() ? 1 : 100;
}

static void show(const char *what, long r)
{
	printf("%-36s %ld", what, r);
	if (r < 0)
		printf(" errno %d", errno);
	printf(", SIGXFSZ %d\n", xfsz);
	xfsz = 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_sigaction = on_xfsz, .sa_flags = SA_SIGINFO};
	sigaction(SIGXFSZ, &sa, NULL);
	static char buf[8000];
	memset(buf, 'f', sizeof buf);
	int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
	struct rlimit r;
	getrlimit(RLIMIT_FSIZE, &r);
	printf("start: %s\n", r.rlim_cur == RLIM_INFINITY ? "unlimited" : "limited");
	r.rlim_cur = 10000;
	setrlimit(RLIMIT_FSIZE, &r);
	show("write 8000", write(fd, buf, 8000));
	show("write 8000 more", write(fd, buf, 8000));
	show("write past the limit", write(fd, buf, 10));
	show("pwrite at 9990", pwrite(fd, buf, 100, 9990));
	show("pwrite at 10000", pwrite(fd, buf, 100, 10000));
	struct iovec iov[2] = {{buf, 10}, {buf, 10}};
	show("pwritev at 9995", pwritev(fd, iov, 2, 9995));
	show("ftruncate to 20000", ftruncate(fd, 20000));
	show("ftruncate to 5000", ftruncate(fd, 5000));
	show("fallocate to 12000", fallocate(fd, 0, 0, 12000));
	show("fallocate KEEP_SIZE to 12000", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 12000));
	int p[2];
	pipe(p);
	show("write a pipe past the limit", write(p[1], buf, 20));
	int ap = open("data", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	show("append at 5000", write(ap, buf, 8000));

	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGXFSZ, SIG_DFL);
		write(fd, buf, 10);
		pwrite(fd, buf, 10, 20000);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		printf("child killed by %s\n", strsignal(WTERMSIG(st)));
	else
		printf("child exit %d\n", WEXITSTATUS(st));
	return 0;
}
