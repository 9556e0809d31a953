/* Signals between threads: pthread_kill reaches the named thread, and a
 * process-directed kill reaches the one thread that does not block the
 * signal, even while it waits in a condition variable; tkill/tgkill with
 * bad arguments fail as in Linux. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile pid_t handler_tid[65];
static volatile sig_atomic_t handled[65];

static void on_signal(int sig)
{
	handler_tid[sig] = (pid_t)syscall(SYS_gettid);
	handled[sig]++;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int finish, ready;
static pid_t target_tid;

static void block(int how, int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(how, &s, NULL);
}

/* Takes SIGUSR1 in sigsuspend, then waits for SIGUSR2 in a condition wait
 * with SIGUSR2 unblocked (the other threads block it). */
static void *target(void *arg)
{
	target_tid = (pid_t)syscall(SYS_gettid);
	sigset_t none;
	sigemptyset(&none);
	pthread_mutex_lock(&mu);
	ready = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	while (!handled[SIGUSR1])
		sigsuspend(&none);
	block(SIG_UNBLOCK, SIGUSR2);
	pthread_mutex_lock(&mu);
	ready = 2;
	pthread_cond_broadcast(&cv);
	while (!finish)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return arg;
}

static void wait_ready(int v)
{
	pthread_mutex_lock(&mu);
	while (ready < v)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	/* Threads inherit these blocked. */
	block(SIG_BLOCK, SIGUSR1);
	block(SIG_BLOCK, SIGUSR2);

	pthread_t t;
	pthread_create(&t, NULL, target, NULL);
	wait_ready(1);
	pthread_kill(t, SIGUSR1);
	wait_ready(2);
	printf("pthread_kill: handled in the target thread: %s\n",
	       handler_tid[SIGUSR1] == target_tid ? "yes" : "no");

	kill(getpid(), SIGUSR2);
	while (!handled[SIGUSR2])
		usleep(1000);
	printf("kill: handled by the one thread not blocking it: %s\n",
	       handler_tid[SIGUSR2] == target_tid ? "yes" : "no");

	/* A signal to itself while blocked stays pending for the thread. */
	raise(SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	printf("raise while blocked: pending %d, handled %d\n", sigismember(&pend, SIGUSR1), (int)handled[SIGUSR1]);
	block(SIG_UNBLOCK, SIGUSR1);
	printf("after unblocking: handled %d by main: %s\n", (int)handled[SIGUSR1],
	       handler_tid[SIGUSR1] == getpid() ? "yes" : "no");

	errno = 0;
	printf("tgkill bad tid: %ld %s\n", syscall(SYS_tgkill, getpid(), 0x3fffff00, SIGUSR1), strerror(errno));
	errno = 0;
	printf("tgkill bad signal: %ld %s\n", syscall(SYS_tgkill, getpid(), getpid(), 1000), strerror(errno));
	errno = 0;
	printf("tkill probe: %ld %s\n", syscall(SYS_tkill, target_tid, 0), strerror(errno));

	pthread_mutex_lock(&mu);
	finish = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(t, NULL);
	printf("joined; SIGUSR1 %d, SIGUSR2 %d\n", (int)handled[SIGUSR1], (int)handled[SIGUSR2]);
	return 0;
}
