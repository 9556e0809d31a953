/* POSIX timers: one directed at a thread (SIGEV_THREAD_ID) whose handler
 * runs in that thread, one whose signal goes to the process with the
 * timer's value, and one that runs a function in a thread (SIGEV_THREAD). */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The kernel's struct sigevent, to name a thread the same way with glibc
 * and musl. */
struct ksigevent {
	union sigval value;
	int signo;
	int notify;
	int tid;
	int pad[11];
};

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

static volatile pid_t handler_tid;
static volatile sig_atomic_t ticks;
static volatile int stop;

static void on_tick(int sig)
{
	(void)sig;
	handler_tid = (pid_t)syscall(SYS_gettid);
	ticks++;
}

static void on_stop(int sig) { (void)sig; }

static pid_t target_tid;
static sem_t started;

/* Takes its signals only in sigsuspend, so that the one that ends the loop
 * (SIGUSR2: a SIGUSR1 could merge with a pending tick of the deleted
 * timer, which the kernel then drops) cannot come between the test of stop
 * and the wait. */
static void *target(void *arg)
{
	sigset_t usr, none;
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigaddset(&usr, SIGUSR2);
	sigemptyset(&none);
	pthread_sigmask(SIG_BLOCK, &usr, NULL);
	target_tid = (pid_t)syscall(SYS_gettid);
	sem_post(&started);
	while (!stop)
		sigsuspend(&none);
	return arg;
}

static sem_t notified;
static void on_notify(union sigval v)
{
	if (v.sival_int == 99)
		sem_post(&notified);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_tick;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_stop;
	sigaction(SIGUSR2, &sa, NULL);
	sem_init(&started, 0, 0);
	pthread_t t;
	pthread_create(&t, NULL, target, NULL);
	sem_wait(&started);

	struct ksigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.notify = SIGEV_THREAD_ID;
	ev.signo = SIGUSR1;
	ev.tid = target_tid;
	int id;
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id) != 0) {
		printf("timer_create: %s\n", strerror(errno));
		return 1;
	}
	struct itimerspec its = {{0, 20000000}, {0, 20000000}};
	syscall(SYS_timer_settime, id, 0, &its, NULL);
	while (ticks < 3)
		usleep(5000);
	syscall(SYS_timer_delete, id);
	printf("thread timer: 3 ticks, all in the target thread: %s\n", handler_tid == target_tid ? "yes" : "no");
	stop = 1;
	pthread_kill(t, SIGUSR2);
	pthread_join(t, NULL);

	/* Process-directed, with a value, taken by sigwaitinfo. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &s, NULL);
	timer_t tp;
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN + 3;
	sev.sigev_value.sival_int = 77;
	timer_create(CLOCK_REALTIME, &sev, &tp);
	struct itimerspec once = {{0, 0}, {0, 10000000}};
	timer_settime(tp, 0, &once, NULL);
	siginfo_t si;
	int sig = sigwaitinfo(&s, &si);
	printf("process timer: SIGRTMIN+%d value %d SI_TIMER %s overrun %d\n", sig - SIGRTMIN, si.si_value.sival_int,
	       si.si_code == SI_TIMER ? "yes" : "no", timer_getoverrun(tp));
	struct itimerspec cur;
	timer_gettime(tp, &cur);
	printf("disarmed: %s\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0 ? "yes" : "no");
	timer_delete(tp);

	/* SIGEV_THREAD: the C library runs the function in a thread. */
	sem_init(&notified, 0, 0);
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = on_notify;
	sev.sigev_value.sival_int = 99;
	if (timer_create(CLOCK_MONOTONIC, &sev, &tp) != 0) {
		printf("timer_create SIGEV_THREAD: %s\n", strerror(errno));
		return 1;
	}
	timer_settime(tp, 0, &once, NULL);
	sem_wait(&notified);
	printf("SIGEV_THREAD function ran\n");
	timer_delete(tp);
	return 0;
}
