/* ITIMER_PROF: the process's CPU time runs out while it spins, and the
 * kernel's SIGPROF arrives (SI_KERNEL, process-directed), again and again
 * with an interval; getitimer and setitimer's old value; disarming. And a
 * POSIX timer signalling SIGPROF. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t profs, kernel = 1;

static void handler(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (sig == SIGPROF) {
		profs++;
		if (si->si_code != SI_KERNEL || si->si_pid != 0)
			kernel = 0;
	}
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGPROF, &sa, NULL);

	struct itimerval it = { { 0, 5000 }, { 0, 5000 } }, old, cur;
	setitimer(ITIMER_PROF, &it, &old);
	printf("old value %ld.%06ld interval %ld.%06ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec,
	       (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
	getitimer(ITIMER_PROF, &cur);
	printf("armed: interval %ld.%06ld, value set %d\n", (long)cur.it_interval.tv_sec,
	       (long)cur.it_interval.tv_usec, cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0);
	volatile unsigned long spin = 0;
	while (profs < 3)
		spin++;
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_PROF, &off, &old);
	printf("got %d SIGPROF while spinning, SI_KERNEL %d\n", profs >= 3, kernel);
	printf("old interval %ld.%06ld\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
	getitimer(ITIMER_PROF, &cur);
	printf("disarmed: %ld %ld %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec,
	       (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec);

	struct itimerval bad = { { 0, 0 }, { 0, 1000000 } };
	printf("bad usec: %d\n", setitimer(ITIMER_PROF, &bad, NULL));

	/* A one-shot expiry, blocked until sigwaitinfo takes it. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPROF);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct itimerval once = { { 0, 0 }, { 0, 10000 } };
	setitimer(ITIMER_PROF, &once, NULL);
	sigset_t pend;
	do {
		for (int i = 0; i < 100000; i++)
			spin++;
		sigpending(&pend);
	} while (!sigismember(&pend, SIGPROF));
	siginfo_t si;
	int sig = sigwaitinfo(&set, &si);
	printf("one-shot: signal is SIGPROF %d, SI_KERNEL %d\n", sig == SIGPROF, si.si_code == SI_KERNEL);
	getitimer(ITIMER_PROF, &cur);
	printf("expired: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);

	/* A POSIX timer that signals SIGPROF, with its value. */
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGPROF;
	sev.sigev_value.sival_int = 77;
	timer_t timer;
	timer_create(CLOCK_MONOTONIC, &sev, &timer);
	struct itimerspec ts = { { 0, 0 }, { 0, 5000000 } };
	timer_settime(timer, 0, &ts, NULL);
	sig = sigwaitinfo(&set, &si);
	printf("timer: signal is SIGPROF %d, SI_TIMER %d, value %d\n", sig == SIGPROF, si.si_code == SI_TIMER,
	       si.si_value.sival_int);
	timer_delete(timer);
	return 0;
}
