/* Handlers that change the interrupted context through the ucontext: skip
 * a faulting instruction, set registers and flags; trap details in the
 * mcontext. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static volatile int code, addr_is_rip, trapno, err, cr2_ok;
static volatile uintptr_t fault_addr;

static void on_fault(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	greg_t *g = uc->uc_mcontext.gregs;
	code = si->si_code;
	addr_is_rip = (uintptr_t)si->si_addr == (uintptr_t)g[REG_RIP];
	trapno = (int)g[REG_TRAPNO];
	err = (int)g[REG_ERR];
	cr2_ok = (uintptr_t)g[REG_CR2] == fault_addr;
	if (sig == SIGILL) {
		g[REG_RIP] += 2; /* ud2 */
		g[REG_RAX] = 42;
		g[REG_EFL] |= 1; /* CF */
	} else if (sig == SIGSEGV) {
		g[REG_RIP] = g[REG_RBX]; /* the resume label, in rbx */
		g[REG_RCX] = 0x1234;
	}
	/* SIGTRAP from int3: RIP is already past it. */
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);

	uint64_t rax = 0;
	uint8_t cf;
	__asm__ volatile("clc\n\tud2\n\tsetc %1" : "+a"(rax), "=r"(cf) : : "cc");
	printf("ud2: code %d addr==rip %d trapno %d err %d rax %d cf %d\n", code, addr_is_rip, trapno, err,
	       (int)rax, cf);

	uint64_t rcx = 0;
	fault_addr = 0x10;
	__asm__ volatile("lea 1f(%%rip), %%rbx\n\tmovq (%2), %%rax\n1:"
			 : "+c"(rcx) : "a"(0), "r"(fault_addr) : "rbx", "memory");
	printf("read fault: code %d trapno %d err %d cr2 ok %d rcx %#x\n", code, trapno, err, cr2_ok, (int)rcx);
	rcx = 0;
	fault_addr = 0x18;
	__asm__ volatile("lea 1f(%%rip), %%rbx\n\tmovq %%rax, (%1)\n1:"
			 : "+c"(rcx) : "r"(fault_addr), "a"(0) : "rbx", "memory");
	printf("write fault: code %d trapno %d err %d cr2 ok %d rcx %#x\n", code, trapno, err, cr2_ok, (int)rcx);

	__asm__ volatile("int3");
	printf("int3: code %d trapno %d err %d\n", code, trapno, err);
	return 0;
}
