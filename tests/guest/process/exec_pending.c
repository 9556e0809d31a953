/* Signals pending at execve stay pending in the new program: blocked ones
 * sent to the thread and to the process, standard and queued real-time
 * ones with their values. The new program takes them in the order Linux
 * dequeues them: the thread's queue first, then the process's, the lowest
 * number first, real-time instances in the order they came. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SIGRT 40 /* a real-time signal both libcs leave to programs */

static void queue(int thread, int sig, int value)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	if (thread)
		syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), sig, &si);
	else
		syscall(SYS_rt_sigqueueinfo, getpid(), sig, &si);
}

static void report(void)
{
	sigset_t set, blocked;
	sigpending(&set);
	sigprocmask(SIG_BLOCK, NULL, &blocked);
	printf("pending:");
	for (int s = 1; s < 65; s++)
		if (sigismember(&set, s))
			printf(" %d", s);
	printf("\nblocked:");
	for (int s = 1; s < 65; s++)
		if (sigismember(&blocked, s) && (s < 32 || s == SIGRT))
			printf(" %d", s);
	printf("\n");
	sigset_t all;
	sigfillset(&all);
	struct timespec zero = {0, 0};
	siginfo_t si;
	int sig;
	while ((sig = sigtimedwait(&all, &si, &zero)) > 0) {
		printf("took %d code %d", sig, si.si_code);
		if (si.si_code == SI_QUEUE)
			printf(" value %d", si.si_value.sival_int);
		printf(" from self %d\n", si.si_pid == getpid());
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "report") == 0) {
		report();
		return 0;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGRT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* Ignored and blocked: kept pending too. */
	signal(SIGHUP, SIG_IGN);
	raise(SIGHUP);
	queue(0, SIGRT, 1);
	queue(1, SIGRT, 9);
	kill(getpid(), SIGUSR2);
	queue(0, SIGRT, 2);
	raise(SIGUSR1);
	queue(0, SIGUSR1, 5); /* a second SIGUSR1, for the process this time */
	kill(getpid(), SIGCHLD);
	queue(1, SIGRT, 10);
	char *args[] = {argv[0], "report", NULL};
	execv("/proc/self/exe", args);
	perror("execv");
	return 1;
}
