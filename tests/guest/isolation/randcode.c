/* Random machine code and wild memory accesses, each in a forked child:
 * the parent prints how every child ended (its wait status), which must be
 * the same natively and under guestrun, and guestrun must print nothing.
 *
 * A random child maps a code page and a stack page at fixed addresses
 * (MAP_FIXED_NOREPLACE: no ASLR dependence), fills the code page with bytes
 * from a fixed-seed PRNG, arms alarm(1) (an endless loop ends with SIGALRM)
 * and jumps there with every general register zeroed, RSP in the middle of
 * the zeroed stack page, flags clear and a clean x87/SSE state. The bytes are
 * filtered (see banned) so that no byte sequence at any offset is a system
 * call or an instruction whose native result depends on the host.
 *
 * A wild child does one load, store or branch at a chosen address.
 *
 * Usage: randcode [-v] [first [count]]; -v prints each random child's code
 * bytes, to reproduce one. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define CODE_ADDR 0x5a000000ul  /* the page after it stays unmapped */
#define STACK_ADDR 0x5a100000ul
#define PAGE 4096
#define NRANDOM 400
#define SEED 0x9e3779b97f4a7c15ull
#define BATCH 6 /* children alive at once */

static uint64_t rng;

static uint64_t next(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* Byte sequences left out of the random code, checked at every offset (a
 * random jump can land anywhere).
 *   System calls, which random arguments make unsafe for the test run:
 *     0f 05 syscall, 0f 34 sysenter, cd xx int n (and so int 0x80).
 *   Host-dependent results (guestrun's CPUID presents a smaller CPU than
 *   the host, which runs what it has):
 *     c4, c5 VEX, 62 EVEX, 8f XOP: AVX, AVX-512, XOP and BMI exist natively
 *       only when the host has them; guestrun raises SIGILL for all.
 *     0f a2 cpuid, 0f 31 rdtsc: host identity and time.
 *     0f c7 (rdrand, rdseed, rdpid, and cmpxchg8b/16b with them, since the
 *       group shares the bytes): random or host values.
 *     0f 00, 0f 01 system groups: sldt/str/sgdt/sidt/smsw depend on UMIP,
 *       and the rest (xgetbv, rdtscp, rdpkru, monitor, clzero, xtest,
 *       serialize...) on CPU features, vendor and CR4 bits.
 *     0f 33 rdpmc: allowed or not by CR4.PCE, which perf sets per task.
 *     0f 0e femms, 0f 0f 3DNow!: AMD-only, gone from recent CPUs.
 *     0f 37 getsec: SMX.
 *     8e /4, 8e /5, 0f a1, 0f a9 (mov and pop to FS and GS): a null
 *       selector clears the segment base on Intel and keeps it on AMD.
 *     REX.W ff /3, /5 (far call and jmp through memory): m16:64 on Intel,
 *       m16:32 on AMD.
 */
static int banned(const uint8_t *b, size_t i)
{
	uint8_t c = b[i];
	if (c == 0xc4 || c == 0xc5 || c == 0x62 || c == 0x8f || c == 0xcd)
		return 1;
	if (i >= 1 && b[i - 1] == 0x0f) {
		switch (c) {
		case 0x00: case 0x01: case 0x05: case 0x0e: case 0x0f: case 0x31:
		case 0x33: case 0x34: case 0x37: case 0xa1: case 0xa2: case 0xa9: case 0xc7:
			return 1;
		}
	}
	if (i >= 1 && b[i - 1] == 0x8e && ((c >> 3 & 7) == 4 || (c >> 3 & 7) == 5))
		return 1;
	if (i >= 2 && (b[i - 2] & 0xf8) == 0x48 && b[i - 1] == 0xff && c >> 6 != 3 &&
	    ((c >> 3 & 7) == 3 || (c >> 3 & 7) == 5))
		return 1;
	return 0;
}

static void fill(uint8_t *code, unsigned idx)
{
	rng = SEED ^ ((uint64_t)(idx + 1) * 0xd1342543de82ef95ull);
	for (int k = 0; k < 8; k++)
		next();
	for (size_t i = 0; i < PAGE; i++) {
		do
			code[i] = (uint8_t)(next() >> 56);
		while (banned(code, i));
	}
}

static void *map_fixed(uint64_t addr, int prot)
{
	void *p = mmap((void *)addr, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)addr) {
		perror("mmap fixed");
		_exit(100);
	}
	return p;
}

static void run_random(unsigned idx)
{
	uint8_t *code = map_fixed(CODE_ADDR, PROT_READ | PROT_WRITE);
	map_fixed(STACK_ADDR, PROT_READ | PROT_WRITE);
	fill(code, idx);
	if (mprotect(code, PAGE, PROT_READ | PROT_EXEC) != 0) {
		perror("mprotect");
		_exit(101);
	}
	alarm(1);
	static const uint32_t mxcsr = 0x1f80;
	__asm__ volatile(
		/* x87 registers zero and empty, SSE registers zero. */
		"fninit\n"
		"fldz\n fldz\n fldz\n fldz\n fldz\n fldz\n fldz\n fldz\n"
		"fninit\n"
		"ldmxcsr %0\n"
		"pxor %%xmm0, %%xmm0\n pxor %%xmm1, %%xmm1\n pxor %%xmm2, %%xmm2\n pxor %%xmm3, %%xmm3\n"
		"pxor %%xmm4, %%xmm4\n pxor %%xmm5, %%xmm5\n pxor %%xmm6, %%xmm6\n pxor %%xmm7, %%xmm7\n"
		"pxor %%xmm8, %%xmm8\n pxor %%xmm9, %%xmm9\n pxor %%xmm10, %%xmm10\n pxor %%xmm11, %%xmm11\n"
		"pxor %%xmm12, %%xmm12\n pxor %%xmm13, %%xmm13\n pxor %%xmm14, %%xmm14\n pxor %%xmm15, %%xmm15\n"
		"mov %1, %%rsp\n"
		"pushq %2\n"
		"pushq $0\n"
		"popfq\n"
		"xor %%eax, %%eax\n xor %%ebx, %%ebx\n xor %%ecx, %%ecx\n xor %%edx, %%edx\n"
		"xor %%esi, %%esi\n xor %%edi, %%edi\n xor %%ebp, %%ebp\n"
		"xor %%r8d, %%r8d\n xor %%r9d, %%r9d\n xor %%r10d, %%r10d\n xor %%r11d, %%r11d\n"
		"xor %%r12d, %%r12d\n xor %%r13d, %%r13d\n xor %%r14d, %%r14d\n xor %%r15d, %%r15d\n"
		/* xor cleared the flags again; ret pops the code address and
		 * leaves RSP in the middle of the stack page. */
		"ret\n"
		:
		: "m"(mxcsr), "i"(STACK_ADDR + PAGE / 2 + 8), "i"(CODE_ADDR));
	__builtin_unreachable();
}

/* Wild accesses. */
enum kind { LOAD, STORE, LOAD16, STORE16, LOCKADD, JMP, CALL, RET, PUSH, POP, MOVS, NKIND };
static const char *kindname[] = {"load", "store", "load16", "store16", "lockadd", "jmp", "call",
				 "ret", "push", "pop", "movs"};

static const uint64_t wild[] = {
	0,                      /* null */
	8,                      /* near null */
	0xfff,                  /* last byte of page 0: 8-byte accesses cross */
	0xc000000000ull,        /* where a Go heap starts */
	0xc000000ff8ull,        /* a Go heap arena, unaligned end */
	0x3fffffffff8ull,       /* last 8 bytes of guestrun's 4 TiB window */
	0x3ffffffffffull,       /* last byte of the window: accesses cross its end */
	0x40000000000ull,       /* 1 << 42: the window's end */
	0x40000001000ull,       /* just past it */
	0x80000000000ull,       /* 1 << 43 */
	0x7ffffffff000ull,      /* last user page */
	0x7ffffffffffcull,      /* accesses cross the canonical boundary */
	0x800000000000ull,      /* first non-canonical */
	0xdeadbeefdeadbeefull,  /* non-canonical */
	0xffff800000000000ull,  /* kernel half */
	0xffffffff81000000ull,  /* kernel text */
	0xfffffffffffffff8ull,  /* top */
};
#define NWILD (sizeof wild / sizeof wild[0])

static void run_wild(enum kind k, uint64_t a)
{
	uint64_t v = 0x1122334455667788ull;
	switch (k) {
	case LOAD:
		__asm__ volatile("mov (%1), %0" : "+r"(v) : "r"(a) : "memory");
		break;
	case STORE:
		__asm__ volatile("mov %0, (%1)" : : "r"(v), "r"(a) : "memory");
		break;
	case LOAD16:
		__asm__ volatile("movdqu (%0), %%xmm0" : : "r"(a) : "memory", "xmm0");
		break;
	case STORE16:
		__asm__ volatile("movdqu %%xmm0, (%0)" : : "r"(a) : "memory");
		break;
	case LOCKADD:
		__asm__ volatile("lock addq %0, (%1)" : : "r"(v), "r"(a) : "memory");
		break;
	case JMP:
		__asm__ volatile("jmp *%0" : : "r"(a) : "memory");
		break;
	case CALL:
		__asm__ volatile("call *%0" : : "r"(a) : "memory");
		break;
	case RET:
		__asm__ volatile("push %0; ret" : : "r"(a) : "memory");
		break;
	case PUSH: /* the stack pointer itself is wild */
		__asm__ volatile("mov %0, %%rsp; push %%rax" : : "r"(a) : "memory");
		break;
	case POP:
		__asm__ volatile("mov %0, %%rsp; pop %%rax" : : "r"(a) : "memory", "rax");
		break;
	case MOVS: {
		static char src[64];
		uint64_t n = 64;
		char *s = src;
		__asm__ volatile("rep movsb" : "+D"(a), "+S"(s), "+c"(n) : : "memory");
		break;
	}
	default:
		break;
	}
	_exit(0);
}

static void report(const char *what, unsigned idx, int st)
{
	printf("%s %u", what, idx);
	if (strcmp(what, "wild") == 0)
		printf(" %s %#llx", kindname[idx / NWILD], (unsigned long long)wild[idx % NWILD]);
	if (WIFEXITED(st))
		printf(": exit %d\n", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf(": signal %d\n", WTERMSIG(st));
	else
		printf(": status %#x\n", st);
}

/* Runs children lo..hi-1 of one kind BATCH at a time; each child's status is
 * reported in order. */
static void run_all(const char *what, unsigned lo, unsigned hi, void (*child)(unsigned), int verbose)
{
	unsigned counts[65] = {0}, exits = 0;
	for (unsigned b = lo; b < hi; b += BATCH) {
		pid_t pids[BATCH];
		unsigned n = hi - b < BATCH ? hi - b : BATCH;
		fflush(stdout);
		for (unsigned j = 0; j < n; j++) {
			pids[j] = fork();
			if (pids[j] < 0) {
				perror("fork");
				exit(1);
			}
			if (pids[j] == 0)
				child(b + j);
		}
		for (unsigned j = 0; j < n; j++) {
			int st;
			if (waitpid(pids[j], &st, 0) != pids[j]) {
				perror("waitpid");
				exit(1);
			}
			report(what, b + j, st);
			if (verbose) {
				uint8_t code[PAGE];
				fill(code, b + j);
				printf("  bytes:");
				for (int i = 0; i < 32; i++)
					printf(" %02x", code[i]);
				printf("\n");
			}
			if (WIFSIGNALED(st))
				counts[WTERMSIG(st) & 63]++;
			else
				exits++;
		}
	}
	printf("%s: %u children:", what, hi - lo);
	for (int s = 1; s < 65; s++)
		if (counts[s])
			printf(" %s %u", strsignal(s), counts[s]);
	if (exits)
		printf(" exit %u", exits);
	printf("\n");
}

static void wild_child(unsigned i)
{
	run_wild((enum kind)(i / NWILD), wild[i % NWILD]);
}

int main(int argc, char **argv)
{
	int verbose = 0;
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		argc--;
		argv++;
	}
	unsigned first = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	unsigned count = argc > 2 ? strtoul(argv[2], NULL, 0) : NRANDOM - first;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc <= 1) {
		run_all("wild", 0, NKIND * NWILD, wild_child, 0);
	}
	run_all("random", first, first + count, run_random, verbose);
	return 0;
}
