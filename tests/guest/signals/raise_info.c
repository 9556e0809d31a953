/* What a handler sees for raise, kill and sigqueue to ourselves: siginfo,
 * the mask during the handler and in the ucontext, and the frame layout. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int n;
static char log_[16][200];

static void on_sig(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	snprintf(log_[n++], sizeof log_[0],
		 "sig %d: signo %d code %d pid==getpid %d uid==getuid %d value %d "
		 "blocked-now %d%d in-uc %d%d fpregs-uc %ld info-uc %ld",
		 sig, si->si_signo, si->si_code, si->si_pid == getpid(), si->si_uid == getuid(),
		 si->si_code == SI_QUEUE ? si->si_value.sival_int : -1,
		 sigismember(&cur, SIGUSR1), sigismember(&cur, SIGUSR2),
		 sigismember(&uc->uc_sigmask, SIGUSR1), sigismember(&uc->uc_sigmask, SIGUSR2),
		 (long)((char *)uc->uc_mcontext.fpregs - (char *)uc), (long)((char *)si - (char *)uc));
}

/* An assembly handler records the registers it is entered with. */
extern void entry_probe(int);
uint64_t probe_rsp, probe_rdi, probe_rsi, probe_rdx, probe_rax, probe_flags;
__asm__(".text\n.globl entry_probe\nentry_probe:\n"
	"\tmov %rsp, probe_rsp(%rip)\n\tmov %rdi, probe_rdi(%rip)\n"
	"\tmov %rsi, probe_rsi(%rip)\n\tmov %rdx, probe_rdx(%rip)\n"
	"\tmov %rax, probe_rax(%rip)\n\tpushf\n\tpop %rcx\n\tmov %rcx, probe_flags(%rip)\n"
	"\tret\n");

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);

	raise(SIGUSR1);
	kill(getpid(), SIGUSR2);
	sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 42});
	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
	for (int i = 0; i < n; i++)
		puts(log_[i]);

	/* Registers at handler entry, signalled with DF set. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = entry_probe;
	sigaction(SIGUSR1, &sa, NULL);
	long r;
	uint64_t flags;
	__asm__ volatile("std\n\tsyscall\n\tpushf\n\tpop %1\n\tcld"
			 : "=a"(r), "=r"(flags)
			 : "a"((long)SYS_tgkill), "D"((long)getpid()), "S"((long)gettid()), "d"((long)SIGUSR1)
			 : "rcx", "r11", "memory", "cc");
	printf("tgkill %ld; entry: (rsp+8)%%16 %d rdi %d rsi-rdx %ld rax %d DF %d; DF after %d\n",
	       r, (int)((probe_rsp + 8) % 16), (int)probe_rdi, (long)(probe_rsi - probe_rdx),
	       (int)probe_rax, (int)(probe_flags >> 10 & 1), (int)(flags >> 10 & 1));
	return 0;
}
