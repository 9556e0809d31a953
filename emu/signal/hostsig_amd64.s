#include "go_asm.h"
#include "textflag.h"

// Host signal handlers and the interruptible syscall. The handlers are
// called by the kernel with the C convention (DI = signal, SI = siginfo,
// DX = ucontext) on the signal stack the Go runtime gives every thread; they
// use no stack, never touch Go state, and every register they clobber is
// restored by rt_sigreturn.

// safeWindow: the check of a thread's interrupt word and the SYSCALL that
// follows it. In: BX = &word, AX = number, DI SI DX R10 R8 R9 = arguments,
// CX = 0. Out: AX. Its bytes are spelled out because interruptHandler
// depends on their offsets (hostsig.go checks them). A signal that lands
// before the SYSCALL (offsets 0 to 5) resumes at offset 8, which returns
// -ERESTARTNOINTR: "not started". A signal that finds the thread on the
// SYSCALL after the kernel rewound it to restart the call (SA_RESTART of
// another handler), which the kernel shows by RCX, the SYSCALL's return
// address, resumes at offset 16: -EINTR, as if the call had not been
// restarted.
TEXT ·safeWindow(SB), NOSPLIT|NOFRAME, $0
	BYTE $0x83; BYTE $0x3b; BYTE $0x00                                     // 0: CMPL (BX), $0
	BYTE $0x75; BYTE $0x03                                                 // 3: JNE 8
	BYTE $0x0f; BYTE $0x05                                                 // 5: SYSCALL
	BYTE $0xc3                                                             // 7: RET
	BYTE $0x48; BYTE $0xc7; BYTE $0xc0; BYTE $0xff; BYTE $0xfd; BYTE $0xff; BYTE $0xff // 8: MOVQ $-513, AX
	BYTE $0xc3                                                             // 15: RET
	BYTE $0x48; BYTE $0xc7; BYTE $0xc0; BYTE $0xfc; BYTE $0xff; BYTE $0xff; BYTE $0xff // 16: MOVQ $-4, AX
	BYTE $0xc3                                                             // 23: RET

// func rawSafeSyscall(word *uint32, nr, a0, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·rawSafeSyscall(SB), NOSPLIT, $0-72
	MOVQ word+0(FP), BX
	MOVQ a0+16(FP), DI
	MOVQ a1+24(FP), SI
	MOVQ a2+32(FP), DX
	MOVQ a3+40(FP), R10
	MOVQ a4+48(FP), R8
	MOVQ a5+56(FP), R9
	MOVQ nr+8(FP), AX
	XORL CX, CX
	CALL ·safeWindow(SB)
	MOVQ AX, ret+64(FP)
	RET

// interruptHandler handles InterruptSignal: it moves a thread caught in
// safeWindow before its SYSCALL ran to the "not started" return, and one
// on its SYSCALL after a kernel restart to the EINTR return. Anywhere else
// it does nothing: a blocking syscall it interrupted returns EINTR.
TEXT ·interruptHandler(SB), NOSPLIT|NOFRAME, $0
	MOVQ 168(DX), AX // uc_mcontext.rip
	LEAQ ·safeWindow(SB), CX
	SUBQ CX, AX
	CMPQ AX, $5
	JB   notstarted
	JNE  done
	LEAQ 7(CX), R8
	CMPQ 152(DX), R8 // uc_mcontext.rcx
	JEQ  interrupted

notstarted:
	ADDQ $8, CX
	MOVQ CX, 168(DX)
	RET

interrupted:
	ADDQ $16, CX
	MOVQ CX, 168(DX)

done:
	RET

// catchHandler records a host signal meant for the guest in hostRing: it
// claims a free slot, copies the siginfo, the receiving thread's id and a
// sequence number, marks the slot full and wakes the router. With every slot
// taken the signal is lost.
TEXT ·catchHandler(SB), NOSPLIT|NOFRAME, $0
	LEAQ ·hostRing(SB), R8
	LEAQ ring_slots(R8), R9
	MOVL $const_ringLen, R10

claim:
	XORL AX, AX
	MOVL $1, CX
	LOCK
	CMPXCHGL CX, hostSlot_state(R9)
	JEQ  claimed
	ADDQ $hostSlot__size, R9
	DECL R10
	JNE  claim
	RET

claimed:
	XORL CX, CX

copy:
	MOVQ (SI)(CX*8), AX
	MOVQ AX, hostSlot_info(R9)(CX*8)
	INCL CX
	CMPL CX, $16
	JNE  copy
	MOVL $186, AX // gettid
	SYSCALL
	MOVL AX, hostSlot_tid(R9)
	MOVQ $1, AX
	LOCK
	XADDQ AX, ring_seq(R8)
	MOVQ AX, hostSlot_seq(R9)
	MOVL $2, hostSlot_state(R9)
	LOCK
	INCL ring_wake(R8)
	LEAQ ring_wake(R8), DI
	MOVL $0x81, SI // FUTEX_WAKE_PRIVATE
	MOVL $1, DX
	MOVL $202, AX  // futex
	SYSCALL
	RET

// chainHandler handles the host signals shared with the Go runtime. The
// runtime's own go on to its handler (goHandlers), with the frame as the
// kernel built it; the others are the guest's, for catchHandler:
//   SIGURG: the runtime's are its preemption tgkills (SI_TKILL from
//     guestrun's own pid);
//   SIGPROF: the runtime's come from its profiling timers (SI_KERNEL from
//     setitimer, SI_TIMER from timer_create; guest timers use a stand-in);
//   faults: the runtime's are the kernel's (si_code > 0).
TEXT ·chainHandler(SB), NOSPLIT|NOFRAME, $0
	MOVL 8(SI), AX // si_code
	CMPL DI, $23   // SIGURG
	JNE  prof
	CMPL AX, $-6 // SI_TKILL
	JNE  guest
	MOVL 16(SI), CX // si_pid
	CMPL CX, ·hostPid(SB)
	JNE  guest
	JMP  gohandler

prof:
	CMPL DI, $27 // SIGPROF
	JNE  fault
	CMPL AX, $0x80 // SI_KERNEL
	JEQ  gohandler
	CMPL AX, $-2 // SI_TIMER
	JEQ  gohandler
	JMP  guest

fault:
	CMPL AX, $0
	JGT  gohandler

guest:
	JMP ·catchHandler(SB)

gohandler:
	LEAQ ·goHandlers(SB), R8
	MOVQ (R8)(DI*8), R8
	JMP  R8

// func chainAddr() uintptr
TEXT ·chainAddr(SB), NOSPLIT, $0-8
	LEAQ ·chainHandler(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// sigreturnTramp is the handlers' sa_restorer.
TEXT ·sigreturnTramp(SB), NOSPLIT|NOFRAME, $0
	MOVQ $15, AX // rt_sigreturn
	SYSCALL
	INT  $3

// func asmAddrs() (window, intr, catch, restorer uintptr)
TEXT ·asmAddrs(SB), NOSPLIT, $0-32
	LEAQ ·safeWindow(SB), AX
	MOVQ AX, window+0(FP)
	LEAQ ·interruptHandler(SB), AX
	MOVQ AX, intr+8(FP)
	LEAQ ·catchHandler(SB), AX
	MOVQ AX, catch+16(FP)
	LEAQ ·sigreturnTramp(SB), AX
	MOVQ AX, restorer+24(FP)
	RET

// func windowBytes() (a, b, c uint64)
TEXT ·windowBytes(SB), NOSPLIT, $0-24
	MOVQ ·safeWindow(SB), AX
	MOVQ AX, a+0(FP)
	MOVQ ·safeWindow+8(SB), AX
	MOVQ AX, b+8(FP)
	MOVQ ·safeWindow+16(SB), AX
	MOVQ AX, c+16(FP)
	RET
