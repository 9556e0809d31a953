/* Writes to a pipe with no reader: EPIPE with SIGPIPE ignored, the handler
 * run in the writing thread with the kernel's siginfo, no signal with
 * MSG_NOSIGNAL, and death by SIGPIPE by default. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile pid_t handler_tid;
static volatile int handler_code, handler_pid_ok;

static void on_pipe(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	handler_tid = (pid_t)syscall(SYS_gettid);
	handler_code = si->si_code;
	handler_pid_ok = si->si_pid == getpid();
}

static int broken(void)
{
	int p[2];
	pipe(p);
	close(p[0]);
	return p[1];
}

static void *writer(void *arg)
{
	int fd = broken();
	errno = 0;
	ssize_t r = write(fd, "x", 1);
	printf("thread write: %zd %s, handler in this thread: %s, SI_USER %s, from us %s\n", r, strerror(errno),
	       handler_tid == (pid_t)syscall(SYS_gettid) ? "yes" : "no", handler_code == SI_USER ? "yes" : "no",
	       handler_pid_ok ? "yes" : "no");
	return arg;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	int fd = broken();
	errno = 0;
	ssize_t r = write(fd, "x", 1);
	printf("ignored: write %zd %s\n", r, strerror(errno));

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_pipe;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGPIPE, &sa, NULL);
	pthread_t t;
	pthread_create(&t, NULL, writer, NULL);
	pthread_join(t, NULL);

	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	handler_tid = 0;
	errno = 0;
	r = send(sv[0], "x", 1, MSG_NOSIGNAL);
	printf("MSG_NOSIGNAL: %zd %s, handler ran: %s\n", r, strerror(errno), handler_tid ? "yes" : "no");

	signal(SIGPIPE, SIG_DFL);
	fflush(stdout);
	write(broken(), "x", 1);
	printf("still alive\n");
	return 0;
}
