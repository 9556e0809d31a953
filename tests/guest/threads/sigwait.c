/* A thread that waits for signals the others block: sigwait for
 * process-directed signals sent one at a time, sigwaitinfo for queued
 * real-time signals with their values and senders, sigtimedwait timing
 * out, and a signal from the kernel (an interval timer). */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static sigset_t waited;
static sem_t go, taken;

static void *waiter(void *arg)
{
	(void)arg;
	int sig;
	for (int i = 0; i < 3; i++) {
		sem_post(&go);
		sigwait(&waited, &sig);
		printf("sigwait %d: signal %d\n", i, sig);
		sem_post(&taken);
	}
	sem_wait(&go);
	siginfo_t si;
	for (int i = 0; i < 3; i++) {
		sig = sigwaitinfo(&waited, &si);
		printf("sigwaitinfo: signal SIGRTMIN+%d value %d code %s from us %s\n", sig - SIGRTMIN,
		       si.si_value.sival_int, si.si_code == SI_QUEUE ? "SI_QUEUE" : "other",
		       si.si_pid == getpid() ? "yes" : "no");
	}
	struct timespec ts = {0, 50000000};
	errno = 0;
	sig = sigtimedwait(&waited, &si, &ts);
	printf("sigtimedwait with nothing sent: %d %s\n", sig, strerror(errno));
	sem_post(&taken);

	struct itimerval it = {{0, 0}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	sig = sigwaitinfo(&waited, &si);
	printf("from the kernel: signal %d, SI_KERNEL %s\n", sig, si.si_code == SI_KERNEL ? "yes" : "no");
	return NULL;
}

int main(void)
{
	sigemptyset(&waited);
	sigaddset(&waited, SIGUSR1);
	sigaddset(&waited, SIGALRM);
	sigaddset(&waited, SIGRTMIN + 2);
	pthread_sigmask(SIG_BLOCK, &waited, NULL);
	sem_init(&go, 0, 0);
	sem_init(&taken, 0, 0);
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	for (int i = 0; i < 3; i++) {
		sem_wait(&go);
		kill(getpid(), SIGUSR1);
		sem_wait(&taken);
	}
	for (int i = 1; i <= 3; i++) {
		union sigval v = {.sival_int = i * 10};
		sigqueue(getpid(), SIGRTMIN + 2, v);
	}
	sem_post(&go);
	sem_wait(&taken);
	pthread_join(t, NULL);
	return 0;
}
