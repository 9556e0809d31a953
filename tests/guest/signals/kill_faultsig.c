/* Fault signals sent by another process, not raised by a fault: they reach
 * the handler with SI_USER, and an unhandled one kills by that signal.
 * guestrun's host runtime keeps these signals for its own faults. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void handler(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	got = sig;
	printf("got %d code %d\n", sig, info->si_code);
}

/* sendFromChild makes a child process send sig to us and waits for it. */
static void sendFromChild(int sig)
{
	pid_t pid = fork();
	if (pid == 0) {
		kill(getppid(), sig);
		_exit(0);
	}
	waitpid(pid, 0, 0);
}

int main(void)
{
	int sigs[] = { SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV };
	struct sigaction sa = { 0 };
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		sigaction(sigs[i], &sa, 0);
		sigprocmask(SIG_BLOCK, &all, 0);
		got = 0;
		sendFromChild(sigs[i]);
		while (got != sigs[i])
			sigsuspend(&none);
		sigprocmask(SIG_UNBLOCK, &all, 0);
	}
	fflush(stdout);
	signal(SIGILL, SIG_DFL);
	sendFromChild(SIGILL);
	for (;;)
		pause();
}
