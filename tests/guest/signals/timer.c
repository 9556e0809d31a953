/* ITIMER_REAL and alarm deliver SIGALRM; pause and sigsuspend return EINTR
 * after the handler. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	struct itimerval it = {{0, 0}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	int r = pause();
	printf("pause %d %s, alarms %d\n", r, strerror(errno), alarms);

	struct itimerval cur;
	getitimer(ITIMER_REAL, &cur);
	printf("timer disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

	/* A periodic timer, waited for with sigsuspend. */
	sigset_t b, empty;
	sigemptyset(&b);
	sigaddset(&b, SIGALRM);
	sigprocmask(SIG_BLOCK, &b, NULL);
	sigemptyset(&empty);
	it.it_interval.tv_usec = 5000;
	it.it_value.tv_usec = 5000;
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 3; i++)
		sigsuspend(&empty);
	it = (struct itimerval){0};
	setitimer(ITIMER_REAL, &it, NULL);
	printf("alarms after sigsuspend: %d\n", alarms);

	printf("alarm(0) with none set: %u\n", alarm(0));
	alarm(100);
	printf("alarm(0) after alarm(100): %u\n", alarm(0));
	return 0;
}
