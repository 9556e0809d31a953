/* Loads, stores and atomic, SSE and x87 accesses at wild addresses: where
 * Go keeps its heap, the top of the user half, the kernel half, non-canonical
 * addresses, and around the end of guestrun's 4 TiB window. Each probe runs
 * under a SIGSEGV/SIGBUS handler that siglongjmps back; it prints the signal,
 * si_code and how si_addr relates to the address. */
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

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got = *si;
	siglongjmp(env, sig);
}

static const struct {
	const char *name;
	uint64_t addr;
} wild[] = {
	{"null", 0},
	{"page 1", 0x1000},
	{"below mmap_min_addr", 0xfff8},
	{"go heap", 0xc000000000ull},
	{"go heap+1M", 0xc000100000ull},
	{"last window byte", 0x3ffffffffffull},
	{"window end", 0x40000000000ull},
	{"window end+4K", 0x40000001000ull},
	{"8 TiB", 0x80000000000ull},
	{"user 0x7f", 0x7f0000000000ull},
	{"last user page", 0x7ffffffff000ull},
	{"first non-canonical", 0x800000000000ull},
	{"non-canonical 0xdead", 0xdeadbeefdeadbeefull},
	{"sign bit", 0x8000000000000000ull},
	{"kernel half", 0xffff800000000000ull},
	{"kernel text", 0xffffffff81000000ull},
	{"top", 0xfffffffffffffff0ull},
};

enum op { LOAD, STORE, XADD, CMPXCHG, XCHG, SSE_LOAD, SSE_STORE, X87_LOAD, LODSQ, STOSQ, MOVSQ_SRC, NOPS };

static const char *opname[] = {"load", "store", "lock xadd", "lock cmpxchg", "xchg", "movdqu load",
			       "movdqu store", "fld", "lodsq", "stosq", "movsq from"};

static uint64_t sink[2];

static void touch(enum op op, uint64_t a)
{
	uint64_t v = 1;
	switch (op) {
	case LOAD:
		v = *(volatile uint64_t *)a;
		break;
	case STORE:
		*(volatile uint64_t *)a = v;
		break;
	case XADD:
		__asm__ volatile("lock xaddq %0, (%1)" : "+r"(v) : "r"(a) : "memory");
		break;
	case CMPXCHG: {
		uint64_t old = 0;
		__asm__ volatile("lock cmpxchgq %2, (%1)" : "+a"(old) : "r"(a), "r"(v) : "memory", "cc");
		break;
	}
	case XCHG:
		__asm__ volatile("xchgq %0, (%1)" : "+r"(v) : "r"(a) : "memory");
		break;
	case SSE_LOAD:
		__asm__ volatile("movdqu (%0), %%xmm0" : : "r"(a) : "xmm0");
		break;
	case SSE_STORE:
		__asm__ volatile("pxor %%xmm0, %%xmm0; movdqu %%xmm0, (%0)" : : "r"(a) : "xmm0", "memory");
		break;
	case X87_LOAD:
		__asm__ volatile("fldl (%0); fstp %%st(0)" : : "r"(a));
		break;
	case LODSQ:
		__asm__ volatile("lodsq" : "+S"(a), "=a"(v) : : "memory");
		break;
	case STOSQ:
		__asm__ volatile("cld; stosq" : "+D"(a) : "a"(v) : "memory");
		break;
	case MOVSQ_SRC: {
		uint64_t d = (uint64_t)sink;
		__asm__ volatile("cld; movsq" : "+S"(a), "+D"(d) : : "memory");
		break;
	}
	default:
		break;
	}
	sink[0] = v;
}

static void probe(const char *name, enum op op, uint64_t a)
{
	printf("%-14s %-22s ", opname[op], name);
	fflush(stdout);
	if (sigsetjmp(env, 1) == 0) {
		touch(op, a);
		printf("no fault\n");
		return;
	}
	const char *rel = (uint64_t)got.si_addr == a ? "=addr" : got.si_addr == NULL ? "0" : "other";
	printf("sig %d code %d si_addr %s\n", got.si_signo, got.si_code, rel);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	for (enum op op = LOAD; op < NOPS; op++)
		for (size_t i = 0; i < sizeof wild / sizeof wild[0]; i++)
			probe(wild[i].name, op, wild[i].addr);

	/* An 8-byte access that straddles into an unmapped page. */
	char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + 4096, 4096);
	for (enum op op = LOAD; op < NOPS; op++) {
		printf("%-14s %-22s ", opname[op], "straddling a hole");
		if (sigsetjmp(env, 1) == 0) {
			touch(op, (uint64_t)(m + 4092));
			printf("no fault\n");
			continue;
		}
		printf("sig %d code %d si_addr %+ld from the hole\n", got.si_signo, got.si_code,
		       (long)((char *)got.si_addr - (m + 4096)));
	}
	return 0;
}
