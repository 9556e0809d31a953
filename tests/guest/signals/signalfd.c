/* signalfd: blocked signals read as struct signalfd_siginfo, readiness for
 * poll, select and epoll, non-blocking reads, a mask changed by a second
 * signalfd call, sigqueue values, a blocking read woken by a timer, and the
 * errors. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static const char *code(int c)
{
	switch (c) {
	case SI_USER: return "SI_USER";
	case SI_QUEUE: return "SI_QUEUE";
	case SI_TKILL: return "SI_TKILL";
	case SI_KERNEL: return "SI_KERNEL";
	}
	return "other";
}

static void show(const struct signalfd_siginfo *si)
{
	printf("  signo %u code %s errno %d pid-is-us %d uid-ok %d int %d ptr %llu\n", si->ssi_signo,
	       code(si->ssi_code), si->ssi_errno, si->ssi_pid == (unsigned)getpid(), si->ssi_uid == getuid(),
	       si->ssi_int, (unsigned long long)si->ssi_ptr);
}

static int readable(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	int n = poll(&p, 1, 0);
	return n == 1 ? p.revents : 0;
}

/* report prints a call's result and its errno. */
#define report(what, call)                                                                   \
	do {                                                                                 \
		errno = 0;                                                                   \
		long r_ = (call);                                                            \
		printf("%s: %ld %s\n", what, r_, strerror(errno));                          \
	} while (0)

static void readone(int fd, const char *what)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof si);
	printf("%s: read %zd\n", what, n);
	if (n == sizeof si)
		show(&si);
	else
		printf("  %s\n", strerror(errno));
}

int main(void)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGALRM);
	sigaddset(&mask, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, SIGUSR1);
	sigaddset(&one, SIGKILL);
	int fd = signalfd(-1, &one, SFD_NONBLOCK | SFD_CLOEXEC);
	printf("signalfd: %s, cloexec %d, nonblock %d\n", fd >= 0 ? "ok" : strerror(errno),
	       (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	printf("nothing pending: poll %#x\n", readable(fd));
	readone(fd, "nothing pending");

	raise(SIGUSR1);
	printf("after raise: poll %#x\n", readable(fd));
	char small[100];
	report("short buffer", read(fd, small, sizeof small));
	readone(fd, "raised");
	printf("after read: poll %#x\n", readable(fd));

	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR2);
	printf("USR2 not in the mask: poll %#x\n", readable(fd) & POLLIN);
	readone(fd, "kill");
	readone(fd, "USR2 not in the mask");

	/* A second call changes the mask of the same fd. */
	printf("update returns the fd: %d\n", signalfd(fd, &mask, 0) == fd);
	union sigval v = { .sival_int = 42 };
	sigqueue(getpid(), SIGRTMIN + 1, v);
	v.sival_int = 43;
	sigqueue(getpid(), SIGRTMIN + 1, v);
	struct signalfd_siginfo many[4];
	ssize_t n = read(fd, many, sizeof many);
	printf("read of 4: %zd (%zd entries)\n", n, n / (ssize_t)sizeof many[0]);
	for (int i = 0; i < n / (ssize_t)sizeof many[0]; i++) {
		if (many[i].ssi_signo == (unsigned)SIGRTMIN + 1)
			many[i].ssi_signo = 1000;
		show(&many[i]);
	}
	sigset_t pend;
	sigpending(&pend);
	printf("still pending: USR2 %d RT %d\n", sigismember(&pend, SIGUSR2), sigismember(&pend, SIGRTMIN + 1));

	/* select and a dup. */
	fd_set rs;
	struct timeval tv = { 0, 0 };
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	printf("select, nothing: %d\n", select(fd + 1, &rs, NULL, NULL, &tv));
	kill(getpid(), SIGUSR1);
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	printf("select, USR1: %d\n", select(fd + 1, &rs, NULL, NULL, &tv));
	int d = dup(fd);
	readone(d, "through a dup");
	close(d);

	/* epoll, edge-triggered. */
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = 7 }, out[2];
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	printf("epoll, nothing: %d\n", epoll_wait(ep, out, 2, 0));
	kill(getpid(), SIGUSR1);
	n = epoll_wait(ep, out, 2, 0);
	printf("epoll, USR1: %zd data %u in %d\n", n, out[0].data.u32, (out[0].events & EPOLLIN) != 0);
	printf("epoll again, edge seen: %d\n", epoll_wait(ep, out, 2, 0));
	union sigval w = { .sival_int = 7 };
	sigqueue(getpid(), SIGRTMIN + 1, w);
	printf("epoll, another signal: %d\n", epoll_wait(ep, out, 2, 0));
	n = read(fd, many, sizeof many);
	printf("read both: %zd entries\n", n / (ssize_t)sizeof many[0]);
	printf("epoll, drained: %d\n", epoll_wait(ep, out, 2, 0));
	close(ep);

	/* A blocking signalfd, woken by the kernel's SIGALRM. */
	int b = signalfd(-1, &mask, 0);
	struct itimerval it = { { 0, 0 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	readone(b, "blocking, timer");
	close(b);

	/* Errors. */
	report("bad flags", signalfd(-1, &mask, 0x1234));
	report("not a signalfd", signalfd(0, &mask, 0));
	report("closed fd", signalfd(500, &mask, 0));
	report("bad size", syscall(SYS_signalfd4, -1, &mask, 4, 0));
	report("bad mask pointer", syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
	close(fd);
	report("after close", signalfd(fd, &mask, 0));
	fd = signalfd(-1, &mask, SFD_NONBLOCK);
	kill(getpid(), SIGUSR2);
	readone(fd, "new fd");
	return 0;
}
