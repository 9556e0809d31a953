/* SIGURG, SIGPROF and the fault signals sent by another process reach the
 * program with SI_USER and the sender's pid, even though guestrun's host
 * runtime uses these signals for itself. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	int sigs[] = { SIGURG, SIGPROF, SIGSEGV, SIGBUS, SIGFPE };
	int n = sizeof sigs / sizeof sigs[0];
	sigset_t set;
	sigemptyset(&set);
	for (int i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < n; i++)
			kill(getppid(), sigs[i]);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	/* The signals come in the order of the queue: wait for all. */
	for (int tries = 0; tries < 1000; tries++) {
		sigset_t pend;
		sigpending(&pend);
		int all = 1;
		for (int i = 0; i < n; i++)
			all &= sigismember(&pend, sigs[i]);
		if (all)
			break;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < n; i++) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		printf("signal %d: SI_USER %d, from the child %d\n", sig, si.si_code == SI_USER, si.si_pid == pid);
	}
	return 0;
}
