#include "textflag.h"

// Offsets in prog (clone.go); TestProgLayout checks them.
#define PROG_FDS 0
#define PROG_NFDS 8
#define PROG_MASK 16
#define PROG_PATH 24
#define PROG_ARGV 32
#define PROG_ENVP 40
#define PROG_ERR 48

// func clone3(args *cloneArgs, size uintptr, p *prog) int64
//
// The child shares the parent's memory (CLONE_VM) and starts on p's stack
// with every signal blocked and every handled signal reset to the default
// (CLONE_CLEAR_SIGHAND); it runs only the raw syscalls below, never Go code.
TEXT ·clone3(SB), NOSPLIT|NOFRAME, $0-32
	MOVQ	args+0(FP), DI		// struct clone_args
	MOVQ	size+8(FP), SI		// its size
	MOVQ	p+16(FP), R12		// the child finds its program in R12: it gets the parent's registers
	MOVQ	$435, AX		// SYS_clone3
	SYSCALL
	TESTQ	AX, AX
	JNE	parent
	JMP	·spawnChild(SB)		// 0 in the child
parent:
	MOVQ	AX, ret+24(FP)		// the parent: pid, or -errno; with CLONE_VFORK, after the child's execve
	RET

// spawnClone is clone3 for a Starter (vm.go): DI is a spawnReq. It keeps
// the caller's R12, a stub's mailbox.
TEXT ·spawnClone(SB), NOSPLIT|NOFRAME, $0
	MOVQ	R12, 24(DI)		// spawnReq.saved
	MOVQ	DI, R13			// the request, kept across the syscall
	MOVQ	16(R13), R12		// spawnReq.p: the child finds its program in R12
	MOVQ	8(R13), SI		// spawnReq.size
	MOVQ	0(R13), DI		// spawnReq.args
	MOVQ	$435, AX		// SYS_clone3
	SYSCALL
	TESTQ	AX, AX
	JNE	spawned
	JMP	·spawnChild(SB)		// 0 in the child
spawned:
	MOVQ	24(R13), R12		// the caller's R12 again
	RET

// func spawnCloneAddr() uintptr
TEXT ·spawnCloneAddr(SB), NOSPLIT, $0-8
	LEAQ	·spawnClone(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// spawnChild is the child of clone3 and spawnClone: R12 is its prog.
TEXT ·spawnChild(SB), NOSPLIT|NOFRAME, $0
	MOVQ	PROG_FDS(R12), R13	// fds to keep open across execve
	MOVQ	PROG_NFDS(R12), R14	// how many
keep:
	TESTQ	R14, R14
	JZ	mask			// all done
	MOVLQSX	(R13), DI		// fd
	MOVQ	$2, SI			// F_SETFD
	XORQ	DX, DX			// flags 0: not FD_CLOEXEC
	MOVQ	$72, AX			// SYS_fcntl; an error (fd closed meanwhile) is ignored
	SYSCALL
	ADDQ	$4, R13			// next int32
	DECQ	R14
	JMP	keep

mask:
	MOVQ	$2, DI			// SIG_SETMASK
	LEAQ	PROG_MASK(R12), SI	// the mask the parent thread had before it blocked everything
	XORQ	DX, DX			// no old mask wanted
	MOVQ	$8, R10			// sizeof(sigset_t)
	MOVQ	$14, AX			// SYS_rt_sigprocmask: handlers are default now, so a signal runs no code
	SYSCALL

	MOVQ	PROG_PATH(R12), DI	// program
	MOVQ	PROG_ARGV(R12), SI	// argv
	MOVQ	PROG_ENVP(R12), DX	// envp
	MOVQ	$59, AX			// SYS_execve; on success nothing below runs
	SYSCALL

	MOVQ	AX, PROG_ERR(R12)	// tell the parent why (it reads it once we are gone)
exit:
	MOVQ	$127, DI		// the shell's "cannot execute" status
	MOVQ	$231, AX		// SYS_exit_group
	SYSCALL
	JMP	exit			// not reached
