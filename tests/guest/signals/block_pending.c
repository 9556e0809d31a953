/* Blocked signals stay pending and are delivered when unblocked, lowest
 * number first; sigpending, sigsuspend, sigtimedwait and sigwaitinfo. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int order[16], n;

static void on_sig(int sig) { order[n++] = sig; }

static void show_pending(const char *what)
{
	sigset_t p;
	sigpending(&p);
	printf("%s pending:", what);
	for (int s = 1; s < 32; s++)
		if (sigismember(&p, s))
			printf(" %d", s);
	printf("\n");
}

static void show_order(const char *what)
{
	printf("%s delivered:", what);
	for (int i = 0; i < n; i++)
		printf(" %d", order[i]);
	printf("\n");
	n = 0;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sig;
	int sigs[] = {SIGUSR2, SIGHUP, SIGUSR1, SIGWINCH, SIGTERM};
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);

	sigset_t block, old;
	sigemptyset(&block);
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		raise(sigs[i]);
		raise(sigs[i]); /* standard signals do not queue */
	}
	show_pending("blocked");
	show_order("while blocked");

	/* Unblocking one delivers just that one. */
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	show_order("SIGTERM unblocked");
	sigprocmask(SIG_SETMASK, &old, NULL);
	show_order("all unblocked");
	show_pending("after");

	/* sigsuspend: wait with SIGUSR1 unblocked; the old mask comes back. */
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR1);
	sigset_t wait;
	sigfillset(&wait);
	sigdelset(&wait, SIGUSR1);
	int r = sigsuspend(&wait);
	printf("sigsuspend %d %s\n", r, strerror(errno));
	show_order("sigsuspend");
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("mask restored: %d\n", sigismember(&now, SIGUSR1) && sigismember(&now, SIGUSR2) && !sigismember(&now, SIGINT));

	/* sigtimedwait takes blocked signals without running handlers. */
	raise(SIGUSR2);
	raise(SIGHUP);
	siginfo_t si;
	struct timespec zero = {0, 0};
	sigset_t want;
	sigemptyset(&want);
	sigaddset(&want, SIGUSR2);
	sigaddset(&want, SIGHUP);
	for (int i = 0; i < 3; i++) {
		r = sigtimedwait(&want, &si, &zero);
		if (r < 0)
			printf("sigtimedwait %d %s\n", r, strerror(errno));
		else
			printf("sigtimedwait %d code %d pid-ok %d\n", r, si.si_code, si.si_pid == getpid());
	}
	struct timespec shortwait = {0, 20 * 1000 * 1000};
	r = sigtimedwait(&want, &si, &shortwait);
	printf("sigtimedwait with timeout %d %s\n", r, strerror(errno));
	kill(getpid(), SIGUSR2);
	r = sigwaitinfo(&want, &si);
	printf("sigwaitinfo %d code %d\n", r, si.si_code);
	show_order("handlers");
	return 0;
}
