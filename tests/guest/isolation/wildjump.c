/* Control transfers to wild addresses: call, jmp and ret to where Go keeps
 * its heap, past guestrun's 4 TiB window and into the kernel half, or, built
 * as wildjump_gp, to non-canonical addresses. The SIGSEGV handler reports
 * si_code, si_addr and whether the faulting RIP is the target (a fetch fault)
 * or the branch itself (a general protection fault), then siglongjmps back. */
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
static volatile uint64_t got_rip;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	got = *si;
	got_rip = uc->uc_mcontext.gregs[REG_RIP];
	siglongjmp(env, sig);
}

static const struct {
	const char *name;
	uint64_t addr;
} wild[] = {
#ifdef NONCANONICAL
	{"first non-canonical", 0x800000000000ull},
	{"non-canonical 0xdead", 0xdeadbeefdeadbeefull},
	{"last non-canonical", 0xffff7fffffffffffull},
#else
	{"null", 0},
	{"go heap", 0xc000000000ull},
	{"last window byte", 0x3ffffffffffull},
	{"window end", 0x40000000000ull},
	{"user 0x7f", 0x7f0000000000ull},
	{"last user byte", 0x7fffffffffffull},
	{"kernel half", 0xffff800000000000ull},
	{"top", 0xffffffffffffffffull},
#endif
};

enum how { CALL, JMP, RET, NHOW };
static const char *howname[] = {"call", "jmp", "ret"};

static void go(enum how how, uint64_t a)
{
	switch (how) {
	case CALL:
		__asm__ volatile("call *%0" : : "r"(a) : "memory");
		break;
	case JMP:
		__asm__ volatile("jmp *%0" : : "r"(a) : "memory");
		break;
	case RET:
		__asm__ volatile("push %0; ret" : : "r"(a) : "memory");
		break;
	default:
		break;
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);

	for (enum how how = CALL; how < NHOW; how++) {
		for (size_t i = 0; i < sizeof wild / sizeof wild[0]; i++) {
			uint64_t a = wild[i].addr;
			printf("%-4s %-22s ", howname[how], wild[i].name);
			fflush(stdout);
			if (sigsetjmp(env, 1) == 0) {
				go(how, a);
				printf("returned\n");
				continue;
			}
			const char *rel = (uint64_t)got.si_addr == a ? "=target" : got.si_addr == NULL ? "0" : "other";
			printf("sig %d code %d si_addr %s rip %s\n", got.si_signo, got.si_code, rel,
			       got_rip == a ? "=target" : "at the branch");
		}
	}

#ifndef NONCANONICAL
	/* Running off the end of an executable page into a hole. */
	char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + 4096, 4096);
	memset(m, 0x90, 4096); /* nop */
	printf("run off the end     ");
	if (sigsetjmp(env, 1) == 0) {
		((void (*)(void))m)();
	} else {
		printf("sig %d code %d si_addr %+ld rip %+ld from the hole\n", got.si_signo, got.si_code,
		       (long)((char *)got.si_addr - (m + 4096)), (long)((char *)got_rip - (m + 4096)));
	}
	/* An instruction that straddles the end of the page: mov rax, imm64. */
	memcpy(m + 4096 - 4, "\x48\xb8\x11\x22", 4);
	printf("straddling insn     ");
	if (sigsetjmp(env, 1) == 0) {
		((void (*)(void))(m + 4096 - 4))();
	} else {
		printf("sig %d code %d si_addr %+ld rip %+ld from the hole\n", got.si_signo, got.si_code,
		       (long)((char *)got.si_addr - (m + 4096)), (long)((char *)got_rip - (m + 4096)));
	}
#endif
	return 0;
}
