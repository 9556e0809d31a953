/* setjmp/longjmp: across frames, repeatedly, with values kept in volatile
 * locals, sigsetjmp/siglongjmp, and a computed goto table. */
#include <setjmp.h>
#include <signal.h>
#include "common.h"

static jmp_buf env;
static int depth;

static void dive(int n)
{
	char pad[256];
	memset(pad, n, sizeof pad);
	depth++;
	if (n == 0)
		longjmp(env, 42 + pad[10]);
	dive(n - 1);
	printf("not reached\n");
}

static jmp_buf loopenv;

static int fib(int n, jmp_buf *out)
{
	if (n > 25)
		longjmp(*out, n);
	return n < 2 ? n : fib(n - 1, out) + fib(n - 2, out);
}

int main(void)
{
	volatile int count = 0;
	int r = setjmp(env);
	printf("setjmp returned %d (depth %d)\n", r, depth);
	if (r == 0)
		dive(100);
	/* longjmp with 0 becomes 1. */
	r = setjmp(loopenv);
	count++;
	if (count < 5) {
		printf("iteration %d r %d\n", count, r);
		longjmp(loopenv, count == 3 ? 0 : count * 10);
	}
	printf("loop done count %d r %d\n", count, r);
	jmp_buf e2;
	int v = setjmp(e2);
	if (!v)
		printf("fib %d\n", fib(20, &e2)), v = setjmp(e2);
	if (!v)
		fib(30, &e2);
	printf("escaped from fib with %d\n", v);
	/* sigsetjmp saving the mask. */
	sigjmp_buf se;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	volatile int phase = 0;
	if (sigsetjmp(se, 1) == 0) {
		phase = 1;
		sigprocmask(SIG_BLOCK, &set, NULL);
		siglongjmp(se, 7);
	}
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("after siglongjmp phase %d usr1 blocked %d\n", phase, sigismember(&cur, SIGUSR1));
	/* Computed gotos compile to indirect jumps through a table. */
	static void *tab[] = {&&l0, &&l1, &&l2, &&l3};
	uint64_t acc = 0;
	for (int i = 0; i < 1000; i++) {
		goto *tab[(i * 7) & 3];
	l0:
		acc = acc * 3 + 1;
		continue;
	l1:
		acc ^= acc >> 3;
		continue;
	l2:
		acc += (uint64_t)i;
		continue;
	l3:
		acc = ~acc;
	}
	printf("computed goto %016llx\n", (unsigned long long)acc);
	/* A switch dense enough for a jump table. */
	uint64_t s = 0;
	for (int i = 0; i < 5000; i++) {
		switch ((i * 13) % 11) {
		case 0: s += 1; break;
		case 1: s *= 3; break;
		case 2: s ^= 0x55; break;
		case 3: s -= 7; break;
		case 4: s += (uint64_t)i; break;
		case 5: s <<= 1; break;
		case 6: s >>= 1; break;
		case 7: s |= 0x100; break;
		case 8: s &= ~0xfull; break;
		case 9: s += s >> 7; break;
		default: s = s * 5 + 3; break;
		}
	}
	printf("switch %016llx\n", (unsigned long long)s);
	return 0;
}
