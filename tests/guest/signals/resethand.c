/* SA_RESETHAND runs a handler once; SA_NODEFER lets a handler be
 * interrupted by its own signal, which is otherwise deferred. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* volatile: raise is declared as never calling back into this file. */
static volatile char trace[64];
static volatile int depth, len;

static void once(int sig)
{
	(void)sig;
	trace[len++] = 'o';
}

static void nested(int sig)
{
	trace[len++] = '(';
	if (depth++ == 0)
		raise(sig);
	trace[len++] = ')';
}

int main(void)
{
	struct sigaction sa, cur;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = once;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGWINCH, &sa, NULL); /* default action: ignore */
	raise(SIGWINCH);
	sigaction(SIGWINCH, NULL, &cur);
	printf("after one: %s, flags has RESETHAND %d\n", cur.sa_handler == SIG_DFL ? "SIG_DFL" : "handler",
	       !!(cur.sa_flags & SA_RESETHAND));
	raise(SIGWINCH);
	printf("trace %.*s\n", len, (char *)trace);

	len = 0;
	sa.sa_handler = nested;
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	depth = 0;
	raise(SIGUSR1);
	printf("deferred: %.*s\n", len, (char *)trace);

	len = 0;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGUSR1, &sa, NULL);
	depth = 0;
	raise(SIGUSR1);
	printf("nodefer: %.*s\n", len, (char *)trace);

	/* SIG_IGN discards a pending signal. */
	sigset_t b;
	sigemptyset(&b);
	sigaddset(&b, SIGUSR2);
	sigprocmask(SIG_BLOCK, &b, NULL);
	raise(SIGUSR2);
	signal(SIGUSR2, SIG_IGN);
	sigset_t p;
	sigpending(&p);
	printf("SIGUSR2 pending after SIG_IGN: %d\n", sigismember(&p, SIGUSR2));
	return 0;
}
