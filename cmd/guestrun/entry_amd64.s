// guestrun's entry point (the linker's -E, set by the Makefile), run before
// the Go runtime starts its first thread.
//
// guestrun keeps its own fds at the top of the fd table (syscall.OpenHigh),
// which grows the table. Once the runtime's threads share the table, every
// growth waits for an RCU grace period, 10 to 20 ms, most of a guest's start.
// Grown here, alone, it costs a few microseconds. A guestrun started by a
// fork or an execve inherits its parent's grown table and needs none of this.
//
// OpenHigh also needs every free fd below the reserved floor taken while the
// runtime makes its netpoller's fds, a thousand dups. A thread started here
// takes them while the main thread starts the runtime (rt0Fillers).

#include "textflag.h"

#define SYS_close 3
#define SYS_rt_sigprocmask 14
#define SYS_clone 56
#define SYS_exit 60
#define SYS_fcntl 72
#define SYS_prlimit64 302
#define F_DUPFD_CLOEXEC 1030
#define SIG_SETMASK 2

// CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|
// CLONE_CHILD_CLEARTID: a thread whose exit clears fillBusy and wakes it.
#define FILLER_CLONE 0x250f00

TEXT main·rt0(SB),NOSPLIT|NOFRAME,$0
	SUBQ	$16, SP                // room for a struct rlimit below argc
	MOVQ	$SYS_prlimit64, AX     // prlimit64(0, RLIMIT_NOFILE, NULL, SP)
	XORQ	DI, DI
	MOVQ	$7, SI
	XORQ	DX, DX
	MOVQ	SP, R10
	SYSCALL
	MOVQ	$1023, R12             // the last fd of a 1024-entry table
	MOVQ	$1000, R14             // the reserved floor, as syscall.reservedFloor
	TESTQ	AX, AX
	JNE	open                   // no limit known: try 1023
	MOVQ	0(SP), AX              // rlim_cur
	LEAQ	-1(AX), BX
	CMPQ	BX, R12
	CMOVQLT	BX, R12                // or the last fd the limit allows
	CMPQ	AX, $1024
	JAE	open
	SUBQ	$16, AX                // a limit below 1024: the floor is 16 under it
	MOVQ	$3, BX
	CMPQ	AX, BX
	CMOVQLT	BX, AX
	MOVQ	AX, R14
open:
	ADDQ	$16, SP                // SP at argc again, as the runtime expects
	// open("/dev/null", O_PATH|O_CLOEXEC): closing a thousand O_PATH
	// copies is cheaper than of readable ones.
	MOVQ	$2, AX
	LEAQ	devnull<>(SB), DI
	MOVQ	$0x280000, SI
	XORQ	DX, DX
	SYSCALL
	TESTQ	AX, AX
	JS	done                   // no /dev/null: the runtime pays later
	MOVQ	AX, R13                // the /dev/null fd
	MOVQ	AX, DI                 // fcntl(fd, F_DUPFD_CLOEXEC, R12) grows the table
	MOVQ	$SYS_fcntl, AX
	MOVQ	$F_DUPFD_CLOEXEC, SI
	MOVQ	R12, DX
	SYSCALL
	TESTQ	AX, AX
	JS	grown
	MOVQ	AX, DI                 // close the copy
	MOVQ	$SYS_close, AX
	SYSCALL
grown:
	// The fillers are at 3 or above: the runtime opens /dev/null on
	// whichever of fds 0 to 2 is closed and wants it at that number.
	CMPQ	R13, $3
	JGE	high
	MOVQ	R13, DI
	MOVQ	$SYS_fcntl, AX
	MOVQ	$F_DUPFD_CLOEXEC, SI
	MOVQ	$3, DX
	SYSCALL
	MOVQ	AX, BX
	MOVQ	R13, DI
	MOVQ	$SYS_close, AX
	SYSCALL
	TESTQ	BX, BX
	JS	done
	MOVQ	BX, R13
high:
	CMPQ	R13, R14
	JGE	closenull              // nothing free below the floor
	BTSQ	R13, main·fillBits(SB)
	// The thread starts with every signal blocked: it must never run a
	// handler of the runtime's, which does not know it.
	MOVQ	$SYS_rt_sigprocmask, AX
	MOVQ	$SIG_SETMASK, DI
	LEAQ	allsigs<>(SB), SI
	LEAQ	oldmask<>(SB), DX
	MOVQ	$8, R10
	SYSCALL
	MOVL	$1, main·fillBusy(SB)
	MOVQ	$SYS_clone, AX         // clone(flags, stack, NULL, &fillBusy, 0)
	MOVQ	$FILLER_CLONE, DI
	LEAQ	fillstack<>+256(SB), SI
	XORQ	DX, DX
	LEAQ	main·fillBusy(SB), R10
	XORQ	R8, R8
	SYSCALL
	TESTQ	AX, AX
	JEQ	fill                   // the new thread
	MOVQ	AX, R12                // the thread, or an error
	MOVQ	$SYS_rt_sigprocmask, AX
	MOVQ	$SIG_SETMASK, DI
	LEAQ	oldmask<>(SB), SI
	XORQ	DX, DX
	MOVQ	$8, R10
	SYSCALL
	TESTQ	R12, R12
	JNS	done
	MOVL	$0, main·fillBusy(SB)  // no thread: OpenHigh takes them all
	BTRQ	R13, main·fillBits(SB)
closenull:
	MOVQ	R13, DI
	MOVQ	$SYS_close, AX
	SYSCALL
done:
	JMP	_rt0_amd64_linux(SB)   // the Go runtime's own entry

	// The filler thread: it dups /dev/null (R13) at the lowest free fd
	// from 3 on, recording each in fillBits, until the fd it gets is at
	// the floor (R14) or none is left, and exits. Fds the runtime opens
	// and closes meanwhile leave holes that OpenHigh fills.
fill:
	MOVQ	R13, DI
	MOVQ	$SYS_fcntl, AX
	MOVQ	$F_DUPFD_CLOEXEC, SI
	MOVQ	$3, DX
	SYSCALL
	TESTQ	AX, AX
	JS	exit
	CMPQ	AX, R14
	JGE	over
	BTSQ	AX, main·fillBits(SB)
	JMP	fill
over:
	MOVQ	AX, DI
	MOVQ	$SYS_close, AX
	SYSCALL
exit:
	MOVQ	$SYS_exit, AX          // this thread only
	XORQ	DI, DI
	SYSCALL
	INT	$3

DATA devnull<>+0(SB)/8, $"/dev/nul"
DATA devnull<>+8(SB)/8, $"l\x00\x00\x00\x00\x00\x00\x00"
GLOBL devnull<>(SB), RODATA, $16
DATA allsigs<>+0(SB)/8, $-1
GLOBL allsigs<>(SB), RODATA, $8
GLOBL oldmask<>(SB), NOPTR, $8
// The thread makes no calls and takes no signals; the kernel wants a stack.
GLOBL fillstack<>(SB), NOPTR, $256
