/* The FP state across a handler: the handler starts with the default
 * control words and cleared registers, the interrupted code gets its own
 * back, and changes the handler makes to the saved fpstate take effect. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static volatile unsigned h_cw, h_mxcsr;
static volatile uint64_t h_xmm8;

static void on_sig(int sig, siginfo_t *si, void *p)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = p;
	unsigned short cw;
	unsigned mx;
	uint64_t x8;
	__asm__ volatile("fnstcw %0\n\tstmxcsr %1\n\tmovq %%xmm8, %2" : "=m"(cw), "=m"(mx), "=r"(x8));
	h_cw = cw;
	h_mxcsr = mx;
	h_xmm8 = x8;
	/* Clobber xmm8 and the x87 control word here... */
	__asm__ volatile("pcmpeqd %%xmm8, %%xmm8\n\tfldcw %0" : : "m"((unsigned short){0x7f}) : "xmm8");
	/* ...and ask for changes through the frame. */
	uc->uc_mcontext.fpregs->cwd = (uc->uc_mcontext.fpregs->cwd & ~0xc00) | 0xc00; /* round to zero */
	uc->uc_mcontext.fpregs->mxcsr |= 0x6000;                                    /* round to zero */
	uc->uc_mcontext.fpregs->_xmm[9].element[0] = 0x99;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	long pid = getpid(), tid = syscall(SYS_gettid);
	unsigned short cw_before = 0x67f, cw_after;
	unsigned mx_before = 0x3f80, mx_after;
	uint64_t x8, x9;
	__asm__ volatile("fldcw %[cwb]\n\tldmxcsr %[mxb]\n\t"
			 "mov $0x1234, %%eax\n\tmovq %%rax, %%xmm8\n\tmov $7, %%eax\n\tmovq %%rax, %%xmm9\n\t"
			 "mov %[nr], %%eax\n\tsyscall\n\t"
			 "fnstcw %[cwa]\n\tstmxcsr %[mxa]\n\tmovq %%xmm8, %[x8]\n\tmovq %%xmm9, %[x9]"
			 : [cwa] "=m"(cw_after), [mxa] "=m"(mx_after), [x8] "=r"(x8), [x9] "=r"(x9)
			 : [cwb] "m"(cw_before), [mxb] "m"(mx_before), [nr] "i"(SYS_tgkill),
			   "D"(pid), "S"(tid), "d"((long)SIGUSR1)
			 : "rax", "rcx", "r11", "xmm8", "xmm9", "memory", "cc");
	printf("handler started with cw %#x mxcsr %#x xmm8 %#llx\n", h_cw, h_mxcsr, (unsigned long long)h_xmm8);
	printf("after: cw %#x mxcsr %#x xmm8 %#llx xmm9 %#llx\n", cw_after, mx_after, (unsigned long long)x8,
	       (unsigned long long)x9);
	return 0;
}
