/* SIGSEGV caught by a handler that siglongjmps out: unmapped and protected
 * pages, reads and writes, si_code and si_addr, and the mask after the jump. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile siginfo_t got;
static volatile int hits;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got = *si;
	hits++;
	siglongjmp(env, sig);
}

static void probe(const char *what, volatile char *p, int write)
{
	if (sigsetjmp(env, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
		printf("%s: no fault\n", what);
		return;
	}
	printf("%s: signo %d code %d addr %s\n", what, got.si_signo, got.si_code,
	       got.si_addr == (void *)p ? "ok" : "wrong");
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);

	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + pg, pg);
	mprotect(m + 2 * pg, pg, PROT_READ);

	probe("null read", (char *)0, 0);
	probe("unmapped read", m + pg + 24, 0);
	probe("unmapped write", m + pg + 100, 1);
	probe("read-only write", m + 2 * pg + 8, 1);
	probe("read-only read", m + 2 * pg + 8, 0);
	probe("kernel address", (char *)0xffff800000001000ull, 0);
	probe("non-canonical address", (char *)0x8000000000000000ull, 0);

	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));
	printf("handler ran %d times\n", hits);
	return 0;
}
