#include "go_asm.h"
#include "textflag.h"

// The stub of a CLONE_VM child (vm.go). It runs on a stack of its own in
// memory outside the Go heap, with no Go state: it makes raw syscalls only.
// R12 holds the stub's mailbox; R13 the mailbox of the stub being cloned.

// func callAsm(fn, arg uintptr) int64
// Calls an assembly routine of this package with arg in DI on the calling
// thread; its result is AX.
TEXT ·callAsm(SB), NOSPLIT, $0-24
	MOVQ	fn+0(FP), AX
	MOVQ	arg+8(FP), DI
	CALL	AX
	MOVQ	AX, ret+16(FP)
	RET

// func stubCloneAddr() uintptr
TEXT ·stubCloneAddr(SB), NOSPLIT, $0-8
	LEAQ	·stubClone(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// stubClone clones the stub of the mailbox in DI. In the caller it returns
// the stub's pid or -errno in AX and keeps R12 (a stub calls it too). The
// clone runs with every signal blocked, so that the stub starts with them
// blocked until its handlers are in place.
TEXT ·stubClone(SB), NOSPLIT|NOFRAME, $0
	MOVQ	DI, R13				// the mailbox, which the child finds in R13 too
	MOVQ	$2, DI				// SIG_SETMASK
	LEAQ	mailbox_allMask(R13), SI	// every signal
	LEAQ	mailbox_oldMask(R13), DX	// the caller's mask, to put back
	MOVQ	$8, R10				// sizeof(sigset_t)
	MOVQ	$14, AX				// rt_sigprocmask
	SYSCALL
	LEAQ	mailbox_stub(R13), DI		// struct clone_args
	MOVQ	$88, SI				// its size
	MOVQ	$435, AX			// clone3
	SYSCALL
	TESTQ	AX, AX
	JEQ	stub				// 0: we are the stub
	MOVQ	AX, mailbox_cloneRet(R13)	// pid or -errno, kept across the next syscall
	MOVQ	$2, DI				// SIG_SETMASK
	LEAQ	mailbox_oldMask(R13), SI	// the caller's mask again
	XORQ	DX, DX
	MOVQ	$8, R10
	MOVQ	$14, AX				// rt_sigprocmask
	SYSCALL
	MOVQ	mailbox_cloneRet(R13), AX	// the result
	RET

stub:
	MOVQ	R13, R12			// the stub's own mailbox from now on
	MOVQ	$186, AX			// gettid
	SYSCALL
	MOVL	AX, mailbox_tid(R12)
	ORL	$0x80000000, AX			// FUTEX_WAITERS: the kernel wakes the manager
	MOVL	AX, mailbox_stubCtl(R12)	// the robust word: held by us until we exec or end
	LEAQ	mailbox_stubRobustNext(R12), DI	// struct robust_list_head
	MOVQ	$24, SI				// its size
	MOVQ	$273, AX			// set_robust_list
	SYSCALL
	MOVQ	$1, R14				// signal number
	LEAQ	mailbox_acts(R12), R15		// its struct sigaction

acts:
	CMPQ	0(R15), $0			// SIG_DFL: leave it so
	JEQ	nextact
	MOVQ	R14, DI				// signal
	MOVQ	R15, SI				// new action
	XORQ	DX, DX				// no old one
	MOVQ	$8, R10				// sizeof(sigset_t)
	MOVQ	$13, AX				// rt_sigaction
	SYSCALL

nextact:
	ADDQ	$32, R15			// sizeof(struct sigaction)
	INCQ	R14
	CMPQ	R14, $65
	JNE	acts
	MOVQ	$2, DI				// SIG_SETMASK
	LEAQ	mailbox_mask(R12), SI		// the mask the interpreter chose
	XORQ	DX, DX
	MOVQ	$8, R10
	MOVQ	$14, AX				// rt_sigprocmask
	SYSCALL
	MOVQ	$39, AX				// getpid
	SYSCALL
	MOVL	AX, mailbox_pid(R12)
	JMP	done				// ready: answer the start as a request

loop:
	MOVL	mailbox_ctl(R12), AX		// the interpreter's robust word
	TESTL	$0x40000000, AX			// FUTEX_OWNER_DIED: guestrun is gone
	JNE	died
	MOVQ	AX, (mailbox_waitv+24)(R12)	// waitv[1].val: wake when it changes
	CMPL	mailbox_state(R12), $1		// statePosted
	JEQ	run
	LEAQ	mailbox_waitv(R12), DI		// wait for a request or the owner's death
	MOVQ	$2, SI				// two futexes
	XORQ	DX, DX				// flags
	XORQ	R10, R10			// no timeout
	XORQ	R8, R8				// clock
	MOVQ	$449, AX			// futex_waitv
	SYSCALL
	JMP	loop

run:
	MOVQ	mailbox_op(R12), AX
	CMPQ	AX, $3				// opCall
	JEQ	call
	MOVQ	(mailbox_args+0)(R12), DI
	MOVQ	(mailbox_args+8)(R12), SI
	MOVQ	(mailbox_args+16)(R12), DX
	MOVQ	(mailbox_args+24)(R12), R10
	MOVQ	(mailbox_args+32)(R12), R8
	MOVQ	(mailbox_args+40)(R12), R9
	CMPQ	AX, $2				// opSafe
	JEQ	safe
	MOVQ	mailbox_nr(R12), AX		// opSyscall
	SYSCALL
	JMP	result

safe:
	MOVQ	mailbox_word(R12), BX		// the interrupt word the window checks
	MOVQ	mailbox_nr(R12), AX
	XORQ	CX, CX				// as the window expects
	MOVQ	mailbox_window(R12), R13
	CALL	R13				// package signal's safeWindow
	JMP	result

call:
	MOVQ	mailbox_arg(R12), DI
	MOVQ	mailbox_fn(R12), R13
	CALL	R13				// keeps R12

result:
	MOVQ	AX, mailbox_ret(R12)

done:
	MOVL	$0, mailbox_state(R12)		// stateIdle: the answer is there
	LEAQ	mailbox_state(R12), DI
	MOVQ	$0x81, SI			// FUTEX_WAKE_PRIVATE
	MOVQ	$1, DX
	MOVQ	$202, AX			// futex
	SYSCALL
	JMP	loop

died:
	MOVQ	$39, AX				// getpid
	SYSCALL
	MOVQ	AX, DI
	MOVQ	$9, SI				// SIGKILL: the whole guest process, its threads too
	MOVQ	$62, AX				// kill
	SYSCALL
	JMP	died
