/* A read on an empty pipe, interrupted by signals: EINTR without
 * SA_RESTART, a transparent restart with it; the signals come from an
 * interval timer (SIGALRM from the kernel) and from another thread
 * (pthread_kill). A write to a full pipe is interrupted the same way. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t handled, done;
static int fds[2];
static pthread_t main_thread;

static void on_signal(int sig)
{
	(void)sig;
	handled++;
}

static void set_handler(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

static void ticking(int on)
{
	/* Periodic, so that a tick that comes before the read is not lost. */
	struct itimerval it = {{0, on ? 30000 : 0}, {0, on ? 30000 : 0}};
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Signals the main thread until it has come back from its read, then
 * (restart) feeds the pipe once the handler has run. */
static void *kicker(void *arg)
{
	int feed = (int)(long)arg;
	while (!done) {
		pthread_kill(main_thread, SIGUSR1);
		if (feed && handled) {
			write(fds[1], "x", 1);
			break;
		}
		usleep(20000);
	}
	return NULL;
}

/* Makes room in the pipe once the main thread has taken two signals. */
static void *drainer(void *arg)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	while (handled < 2)
		usleep(10000);
	static char big[65536];
	read(fds[0], big, sizeof big);
	return arg;
}

static void read_once(const char *what, int feed)
{
	char c = 0;
	pthread_t k;
	handled = done = 0;
	pthread_create(&k, NULL, kicker, (void *)(long)feed);
	ssize_t r = read(fds[0], &c, 1);
	int e = errno;
	done = 1;
	pthread_join(k, NULL);
	printf("%s: read %zd %s, handler ran: %s\n", what, r, r < 0 ? strerror(e) : (c == 'x' ? "'x'" : "?"),
	       handled ? "yes" : "no");
}

int main(void)
{
	main_thread = pthread_self();
	pipe(fds);
	char c;

	set_handler(SIGALRM, 0);
	handled = 0;
	ticking(1);
	ssize_t r = read(fds[0], &c, 1);
	int e = errno;
	ticking(0);
	printf("itimer, no SA_RESTART: read %zd %s, handler ran: %s\n", r, strerror(e), handled ? "yes" : "no");

	set_handler(SIGUSR1, 0);
	read_once("pthread_kill, no SA_RESTART", 0);
	set_handler(SIGUSR1, SA_RESTART);
	read_once("pthread_kill, SA_RESTART", 1);

	/* Fill the pipe, then a blocking write waits for room. */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	char buf[4096];
	memset(buf, 'y', sizeof buf);
	long filled = 0;
	while ((r = write(fds[1], buf, sizeof buf)) > 0)
		filled += r;
	fcntl(fds[1], F_SETFL, 0);
	handled = 0;
	ticking(1);
	r = write(fds[1], buf, 1);
	e = errno;
	ticking(0);
	printf("full pipe (%s): write %zd %s, handler ran: %s\n", filled > 0 ? "filled" : "empty", r,
	       strerror(e), handled ? "yes" : "no");

	/* With SA_RESTART the write goes on until a reader makes room. */
	set_handler(SIGALRM, SA_RESTART);
	handled = 0;
	pthread_t d;
	pthread_create(&d, NULL, drainer, NULL);
	ticking(1);
	r = write(fds[1], buf, 1);
	ticking(0);
	pthread_join(d, NULL);
	printf("full pipe, SA_RESTART: write %zd, handler ran: %s\n", r, handled ? "yes" : "no");
	return 0;
}
