/* Sleeps interrupted by interval timers: nanosleep and clock_nanosleep
 * return EINTR with the time left, with or without SA_RESTART; an absolute
 * clock_nanosleep reports no time left; pause and sigsuspend wake. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A periodic timer: a tick that comes before the call it is meant to
 * interrupt (on a loaded machine) is followed by another. */
static void arm(int usec)
{
	struct itimerval it = {{0, usec}, {0, usec}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void handler(int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	sigaction(SIGALRM, &sa, NULL);
}

static void left(const char *what, int r, int e, struct timespec *rem)
{
	arm(0);
	printf("%s: %d %s, left between 1 and 5 s: %s, handler ran: %s\n", what, r, strerror(e),
	       rem->tv_sec >= 1 && rem->tv_sec < 5 && rem->tv_nsec >= 0 && rem->tv_nsec < 1000000000 ? "yes" : "no",
	       alarms ? "yes" : "no");
	alarms = 0;
}

int main(void)
{
	struct timespec req = {5, 0}, rem = {0, 0};
	handler(0);
	arm(50000);
	int r = nanosleep(&req, &rem);
	left("nanosleep", r, errno, &rem);

	/* SA_RESTART does not restart a sleep that a handler interrupted. */
	handler(SA_RESTART);
	arm(50000);
	memset(&rem, 0, sizeof rem);
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
	left("clock_nanosleep", -1, r, &rem);

	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_sec += 5;
	arm(50000);
	rem.tv_sec = 77;
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, &rem);
	arm(0);
	printf("absolute: %s, rem untouched: %s, handler ran: %s\n", strerror(r), rem.tv_sec == 77 ? "yes" : "no",
	       alarms ? "yes" : "no");

	/* A blocked SIGALRM does not interrupt; it is pending afterwards. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	alarms = 0;
	struct itimerval once = {{0, 0}, {0, 10000}};
	setitimer(ITIMER_REAL, &once, NULL);
	struct timespec shortreq = {0, 100000000};
	r = nanosleep(&shortreq, NULL);
	sigset_t pend;
	sigpending(&pend);
	printf("blocked: nanosleep %d, pending: %d, handler ran: %s\n", r, sigismember(&pend, SIGALRM),
	       alarms ? "yes" : "no");
	sigsuspend(&old);
	printf("sigsuspend took it: %s\n", alarms ? "yes" : "no");
	sigprocmask(SIG_SETMASK, &old, NULL);

	struct itimerval cur;
	alarms = 0;
	arm(100000);
	getitimer(ITIMER_REAL, &cur);
	printf("getitimer: running %s, interval %ld us\n", cur.it_value.tv_usec > 0 || cur.it_value.tv_sec > 0 ? "yes" : "no",
	       (long)cur.it_interval.tv_usec);
	r = pause();
	int e = errno;
	arm(0);
	printf("pause %d %s, handler ran: %s\n", r, strerror(e), alarms ? "yes" : "no");

	alarm(1);
	printf("alarm left: %u\n", alarm(0));
	return 0;
}
