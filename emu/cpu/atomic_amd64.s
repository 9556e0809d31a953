#include "textflag.h"

// Locked operations on guest memory. They are in assembly rather than
// sync/atomic so that a fault in them (a read-only or unmapped guest page)
// is always a recoverable Go fault: the race detector routes sync/atomic
// through C code, where it is not.

// func cas32(p unsafe.Pointer, old, new uint32) bool
TEXT ·cas32(SB), NOSPLIT, $0-17
	MOVQ p+0(FP), BX
	MOVL old+8(FP), AX
	MOVL new+12(FP), CX
	LOCK
	CMPXCHGL CX, 0(BX)
	SETEQ ret+16(FP)
	RET

// func cas64(p unsafe.Pointer, old, new uint64) bool
TEXT ·cas64(SB), NOSPLIT, $0-25
	MOVQ p+0(FP), BX
	MOVQ old+8(FP), AX
	MOVQ new+16(FP), CX
	LOCK
	CMPXCHGQ CX, 0(BX)
	SETEQ ret+24(FP)
	RET

// func cas128(p unsafe.Pointer, oldLo, oldHi, newLo, newHi uint64) (lo, hi uint64, ok bool)
TEXT ·cas128(SB), NOSPLIT, $0-57
	MOVQ p+0(FP), DI
	MOVQ oldLo+8(FP), AX
	MOVQ oldHi+16(FP), DX
	MOVQ newLo+24(FP), BX
	MOVQ newHi+32(FP), CX
	LOCK
	CMPXCHG16B (DI)
	SETEQ ok+56(FP)
	MOVQ AX, lo+40(FP)
	MOVQ DX, hi+48(FP)
	RET

// func xadd32(p unsafe.Pointer, v uint32) uint32
TEXT ·xadd32(SB), NOSPLIT, $0-20
	MOVQ p+0(FP), BX
	MOVL v+8(FP), AX
	LOCK
	XADDL AX, 0(BX)
	MOVL AX, ret+16(FP)
	RET

// func xadd64(p unsafe.Pointer, v uint64) uint64
TEXT ·xadd64(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), BX
	MOVQ v+8(FP), AX
	LOCK
	XADDQ AX, 0(BX)
	MOVQ AX, ret+16(FP)
	RET

// func xchg32(p unsafe.Pointer, v uint32) uint32
TEXT ·xchg32(SB), NOSPLIT, $0-20
	MOVQ p+0(FP), BX
	MOVL v+8(FP), AX
	XCHGL AX, 0(BX)
	MOVL AX, ret+16(FP)
	RET

// func xchg64(p unsafe.Pointer, v uint64) uint64
TEXT ·xchg64(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), BX
	MOVQ v+8(FP), AX
	XCHGQ AX, 0(BX)
	MOVQ AX, ret+16(FP)
	RET
