/* REP string instructions with huge counts that run into a hole or start at
 * a wild address: the fault must leave RCX, RSI and RDI describing exactly
 * the work done, as on hardware. Printed relative to the buffers. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile siginfo_t got;
static volatile uint64_t got_rcx, got_rsi, got_rdi;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	got = *si;
	got_rcx = uc->uc_mcontext.gregs[REG_RCX];
	got_rsi = uc->uc_mcontext.gregs[REG_RSI];
	got_rdi = uc->uc_mcontext.gregs[REG_RDI];
	siglongjmp(env, sig);
}

enum op { MOVSB, MOVSQ, STOSB, STOSQ, LODSB, CMPSB, SCASB, MOVSB_DOWN, NOPS };
static const char *opname[] = {"rep movsb", "rep movsq", "rep stosb", "rep stosq", "rep lodsb",
			       "repe cmpsb", "repne scasb", "std rep movsb"};

static void run(enum op op, uint64_t si, uint64_t di, uint64_t cx)
{
	switch (op) {
	case MOVSB:
		__asm__ volatile("cld; rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
		break;
	case MOVSQ:
		__asm__ volatile("cld; rep movsq" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
		break;
	case STOSB:
		__asm__ volatile("cld; rep stosb" : "+D"(di), "+c"(cx) : "a"(0x55) : "memory");
		break;
	case STOSQ:
		__asm__ volatile("cld; rep stosq" : "+D"(di), "+c"(cx) : "a"(0x55) : "memory");
		break;
	case LODSB:
		__asm__ volatile("cld; rep lodsb" : "+S"(si), "+c"(cx) : : "rax", "memory");
		break;
	case CMPSB:
		__asm__ volatile("cld; repe cmpsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory", "cc");
		break;
	case SCASB:
		__asm__ volatile("cld; repne scasb" : "+D"(di), "+c"(cx) : "a"(0x7f) : "memory", "cc");
		break;
	case MOVSB_DOWN:
		__asm__ volatile("std; rep movsb; cld" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
		break;
	default:
		break;
	}
}

static void probe(const char *what, enum op op, char *base, uint64_t si, uint64_t di, uint64_t cx)
{
	printf("%-13s %-26s ", opname[op], what);
	fflush(stdout);
	if (sigsetjmp(env, 1) == 0) {
		run(op, si, di, cx);
		__asm__ volatile("cld");
		printf("no fault\n");
		return;
	}
	__asm__ volatile("cld");
	printf("sig %d code %d si_addr ", got.si_signo, got.si_code);
	if (got.si_addr)
		printf("%+ld", (long)((char *)got.si_addr - base));
	else
		printf("0");
	printf(" done %llu", (unsigned long long)(cx - got_rcx));
	if (op != STOSB && op != STOSQ && op != SCASB)
		printf(" rsi %+ld", (long)(got_rsi - si));
	if (op != LODSB)
		printf(" rdi %+ld", (long)(got_rdi - di));
	printf("\n");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);

	/* hole | a | b | hole: four pages, the outer two unmapped. */
	char *m = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m, 4096);
	munmap(m + 3 * 4096, 4096);
	char *a = m + 4096, *b = m + 2 * 4096, *end = m + 3 * 4096;
	memset(a, 'x', 2 * 4096);
	const uint64_t huge = 1ull << 40;

	for (enum op op = MOVSB; op < NOPS; op++) {
		if (op == MOVSB_DOWN) {
			probe("down into the lower hole", op, a, (uint64_t)(b + 100), (uint64_t)(a + 100), huge);
			continue;
		}
		probe("into the upper hole", op, end, (uint64_t)a, (uint64_t)(b + 1000), huge);
		probe("source runs into the hole", op, end, (uint64_t)(b + 8), (uint64_t)a, huge);
		probe("from the go heap", op, (char *)0xc000000000ull, 0xc000000000ull, 0xc000000000ull, huge);
		probe("non-canonical", op, NULL, 0x8000000000000000ull, 0x8000000000000000ull, huge);
		probe("past the window", op, (char *)0x40000000000ull, 0x40000000000ull, 0x40000000000ull, 3);
		probe("rcx 0 at a wild address", op, NULL, 0xc000000000ull, 0xc000000000ull, 0);
	}
	return 0;
}
