/* Real-time signals queue with their values, in order, lowest signal
 * first; a standard signal sent many times is delivered once. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int n;
static volatile int got_sig[32], got_val[32], got_code[32];

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig[n] = sig;
	got_val[n] = si->si_value.sival_int;
	got_code[n] = si->si_code;
	n++;
}

int main(void)
{
	int rt0 = SIGRTMIN, rt1 = SIGRTMIN + 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(rt0, &sa, NULL);
	sigaction(rt1, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, rt0);
	sigaddset(&block, rt1);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (int i = 1; i <= 6; i++) {
		sigqueue(getpid(), i % 2 ? rt1 : rt0, (union sigval){.sival_int = i * 10});
		sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = i});
	}
	raise(rt1);
	printf("delivered while blocked: %d\n", n);
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < n; i++) {
		const char *name = got_sig[i] == SIGUSR1 ? "SIGUSR1" : got_sig[i] == rt0 ? "SIGRTMIN" : "SIGRTMIN+1";
		printf("%s value %d code %d\n", name, got_code[i] == SI_QUEUE ? got_val[i] : -1, got_code[i]);
	}
	return 0;
}
