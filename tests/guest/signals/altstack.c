/* sigaltstack: handlers with SA_ONSTACK run on the alternate stack, which
 * sigaltstack then reports as in use and refuses to change; SS_DISABLE,
 * ENOMEM for a small stack, SS_AUTODISARM. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

static char alt[65536] __attribute__((aligned(16)));
static char line[8][200];
static int n;

static int on_alt(void *p) { return (char *)p >= alt && (char *)p < alt + sizeof alt; }

static const char *size_name(size_t n)
{
	return n == sizeof alt ? "alt" : n == 0 ? "0" : "other";
}

static void on_sig(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	int local, r = 0;
	stack_t cur, other = {.ss_sp = alt, .ss_size = sizeof alt / 2};
	sigaltstack(NULL, &cur);
	if (cur.ss_flags & SS_ONSTACK)
		r = sigaltstack(&other, NULL);
	snprintf(line[n++], sizeof line[0],
		 "sig %d: on alt %d, frame on alt %d, ss_flags %#x, change %d %s, uc_stack flags %#x size %s",
		 sig, on_alt(&local), on_alt(si), (unsigned)cur.ss_flags, r, r ? strerror(errno) : "",
		 (unsigned)uc->uc_stack.ss_flags, size_name(uc->uc_stack.ss_size));
}

static void show(const char *what)
{
	stack_t cur;
	sigaltstack(NULL, &cur);
	printf("%s: ss_flags %#x size %zu sp-ok %d\n", what, (unsigned)cur.ss_flags, cur.ss_size,
	       cur.ss_sp == NULL || cur.ss_sp == alt);
}

int main(void)
{
	show("initial");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);

	raise(SIGUSR1); /* no alternate stack yet: the normal one */

	stack_t ss = {.ss_sp = alt, .ss_size = 1024};
	int r = sigaltstack(&ss, NULL);
	printf("small stack: %d %s\n", r, r ? strerror(errno) : "");
	ss.ss_flags = 5;
	ss.ss_size = sizeof alt;
	r = sigaltstack(&ss, NULL);
	printf("bad flags: %d %s\n", r, r ? strerror(errno) : "");
	ss.ss_flags = 0;
	printf("set: %d\n", sigaltstack(&ss, NULL));
	show("after set");

	raise(SIGUSR1); /* SA_ONSTACK: on the alternate stack */
	raise(SIGUSR2); /* no SA_ONSTACK: normal stack */

	ss.ss_flags = SS_AUTODISARM;
	printf("autodisarm: %d\n", sigaltstack(&ss, NULL));
	show("after autodisarm");
	raise(SIGUSR1);
	show("after handler");

	ss.ss_flags = SS_DISABLE;
	printf("disable: %d\n", sigaltstack(&ss, NULL));
	show("after disable");
	raise(SIGUSR1);

	for (int i = 0; i < n; i++)
		puts(line[i]);
	return 0;
}
