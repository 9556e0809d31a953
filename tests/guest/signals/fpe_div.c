/* SIGFPE from integer division (by zero, and INT_MIN / -1) caught by a
 * handler; si_addr and the saved RIP point at the dividing instruction. */
#define _GNU_SOURCE
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf env;
static volatile int code, same, trapno;

static void on_fpe(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	code = si->si_code;
	same = (uintptr_t)si->si_addr == (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
	siglongjmp(env, sig);
}

static int idiv(int a, int b)
{
	int q;
	__asm__ volatile("cltd\n\tidivl %2" : "=a"(q) : "a"(a), "r"(b) : "rdx", "cc");
	return q;
}

static uint64_t udiv64(uint64_t a, uint64_t b)
{
	uint64_t q;
	__asm__ volatile("xor %%edx, %%edx\n\tdivq %2" : "=a"(q) : "a"(a), "r"(b) : "rdx", "cc");
	return q;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fpe;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);

	struct { const char *what; int a, b; } cases[] = {
		{"7/0", 7, 0}, {"INT_MIN/-1", INT_MIN, -1}, {"9/3", 9, 3},
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (sigsetjmp(env, 1) == 0) {
			printf("%s = %d\n", cases[i].what, idiv(cases[i].a, cases[i].b));
			continue;
		}
		printf("%s: SIGFPE code %d (FPE_INTDIV %d) addr==rip %d trapno %d\n",
		       cases[i].what, code, FPE_INTDIV, same, trapno);
	}
	if (sigsetjmp(env, 1) == 0)
		printf("udiv64 = %llu\n", (unsigned long long)udiv64(5, 0));
	else
		printf("udiv64 by 0: SIGFPE code %d\n", code);
	return 0;
}
