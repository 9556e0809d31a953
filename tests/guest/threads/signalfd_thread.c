/* A thread blocked in a read of a signalfd: a handled signal interrupts the
 * read, which restarts under SA_RESTART and fails with EINTR without it; a
 * process-directed signal of the fd's set then ends the read. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int sfd;
static volatile int tid, reading, handled, rounds;

static void handler(int sig) { handled = sig; }

static void *reader(void *arg)
{
	(void)arg;
	tid = syscall(SYS_gettid);
	struct signalfd_siginfo si;
	for (int round = 0; round < 2; round++) {
		reading = 1;
		ssize_t n = read(sfd, &si, sizeof si);
		int e = errno;
		reading = 0;
		printf("round %d: handler ran %d, read %zd", round, handled == SIGUSR2, n);
		if (n == sizeof si)
			printf(", signal %u SI_USER %d\n", si.ssi_signo, si.ssi_code == SI_USER);
		else
			printf(", %s\n", strerror(e));
		fflush(stdout);
		handled = 0;
		rounds++;
	}
	return NULL;
}

/* waitBlocked waits until the reader sleeps in its read. */
static void waitBlocked(void)
{
	while (!reading)
		sched_yield();
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
	for (;;) {
		FILE *f = fopen(path, "r");
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		if (strrchr(buf, ')')[2] == 'S')
			break;
		sched_yield();
	}
	struct timespec ts = { 0, 20000000 };
	nanosleep(&ts, NULL);
}

int main(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	pthread_t t;
	pthread_create(&t, NULL, reader, NULL);

	waitBlocked();
	pthread_kill(t, SIGUSR2);
	while (!handled)
		sched_yield();
	waitBlocked();
	kill(getpid(), SIGUSR1);
	while (rounds == 0)
		sched_yield();

	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	waitBlocked();
	pthread_kill(t, SIGUSR2);
	pthread_join(t, NULL);
	return 0;
}
