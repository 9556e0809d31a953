// guestrun's entry point (the linker's -E, set by the Makefile), run before
// the Go runtime starts its first thread.
//
// guestrun keeps its own fds at the top of the fd table (syscall.OpenHigh),
// which grows the table. Once the runtime's threads share the table, every
// growth waits for an RCU grace period, 10 to 20 ms, most of a guest's start.
// Grown here, alone, it costs a few microseconds. A guestrun started by a
// fork or an execve inherits its parent's grown table and needs none of this.

#include "textflag.h"

TEXT main·rt0(SB),NOSPLIT|NOFRAME,$0
	SUBQ	$16, SP                // room for a struct rlimit below argc
	MOVQ	$302, AX               // prlimit64(0, RLIMIT_NOFILE, NULL, SP)
	XORQ	DI, DI
	MOVQ	$7, SI
	XORQ	DX, DX
	MOVQ	SP, R10
	SYSCALL
	MOVQ	$1023, R12             // the last fd of a 1024-entry table
	TESTQ	AX, AX
	JNE	open                   // no limit known: try 1023
	MOVQ	0(SP), AX              // rlim_cur
	DECQ	AX
	CMPQ	AX, R12
	CMOVQLT	AX, R12                // or the last fd the limit allows
open:
	ADDQ	$16, SP                // SP at argc again, as the runtime expects
	MOVQ	$2, AX                 // open("/dev/null", O_RDONLY|O_CLOEXEC)
	LEAQ	devnull<>(SB), DI
	MOVQ	$0x80000, SI
	XORQ	DX, DX
	SYSCALL
	TESTQ	AX, AX
	JS	done                   // no /dev/null: the runtime pays later
	MOVQ	AX, R13                // the /dev/null fd
	MOVQ	AX, DI                 // fcntl(fd, F_DUPFD_CLOEXEC, R12) grows the table
	MOVQ	$72, AX
	MOVQ	$1030, SI
	MOVQ	R12, DX
	SYSCALL
	TESTQ	AX, AX
	JS	closenull
	MOVQ	AX, DI                 // close the copy
	MOVQ	$3, AX
	SYSCALL
closenull:
	MOVQ	R13, DI                // close /dev/null
	MOVQ	$3, AX
	SYSCALL
done:
	JMP	_rt0_amd64_linux(SB)   // the Go runtime's own entry

DATA devnull<>+0(SB)/8, $"/dev/nul"
DATA devnull<>+8(SB)/8, $"l\x00\x00\x00\x00\x00\x00\x00"
GLOBL devnull<>(SB), RODATA, $16
