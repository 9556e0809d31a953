package cpu

import (
	"sync"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"
)

// Atomic instructions: CMPXCHG, CMPXCHG8B, CMPXCHG16B, XADD, XCHG with
// memory, and the read-modify-write primitive behind every LOCKed form.
// Guest threads are goroutines on other host threads sharing the guest
// window, so locked operations use host atomics on the guest memory itself.

func init() {
	defSel(selCmpxchg, x86asm.CMPXCHG)
	defSel(selXadd, x86asm.XADD)
	defSel(selCmpxchg8b, x86asm.CMPXCHG8B)
	defSel(selCmpxchg16b, x86asm.CMPXCHG16B)
}

// splitLock serialises locked operations that straddle an 8-byte boundary,
// which no host atomic covers. They are atomic only with respect to each
// other, which is as much as split locks are worth.
var splitLock sync.Mutex

// atomicRMW atomically replaces the n-byte value v at guest address a with
// f(v) and returns v. f may run more than once.
func (c *CPU) atomicRMW(a uint64, n uint8, f func(uint64) uint64) uint64 {
	m := sizeMask(n)
	switch {
	case n == 8 && a%8 == 0:
		p := c.ptr(a, 8)
		for {
			v := *(*uint64)(p)
			if cas64(p, v, f(v)) {
				return v
			}
		}
	case n == 4 && a%4 == 0:
		p := c.ptr(a, 4)
		for {
			v := *(*uint32)(p)
			if cas32(p, v, uint32(f(uint64(v)))) {
				return uint64(v)
			}
		}
	case a%8+uint64(n) <= 8:
		// Inside one aligned quadword: compare-and-swap all of it.
		p := c.ptr(a&^7, 8)
		sh := a % 8 * 8
		for {
			q := *(*uint64)(p)
			v := q >> sh & m
			if cas64(p, q, q&^(m<<sh)|(f(v)&m)<<sh) {
				return v
			}
		}
	}
	splitLock.Lock()
	defer splitLock.Unlock()
	v := c.load(a, n)
	c.store(a, n, f(v))
	return v
}

// XCHG with a memory operand is locked with or without the prefix.
func opXchgMem(c *CPU, in *Inst) {
	mi, ri := 0, 1
	if in.args[0].kind != argMem {
		mi, ri = 1, 0
	}
	n := in.args[mi].size
	v := c.rd(in, ri)
	a := c.ea(in)
	var old uint64
	switch {
	case n == 8 && a%8 == 0:
		old = xchg64(c.ptr(a, 8), v)
	case n == 4 && a%4 == 0:
		old = uint64(xchg32(c.ptr(a, 4), uint32(v)))
	default:
		old = c.atomicRMW(a, n, func(uint64) uint64 { return v })
	}
	c.wr(in, ri, old)
}

// CMPXCHG compares the accumulator with the destination: if equal, the
// source is stored; if not, the destination is loaded into the accumulator.
// Either way the destination is written (hardware stores its old value back),
// so a read-only destination faults even when the comparison fails.

func selCmpxchg(in *Inst) handler {
	if in.args[1].kind != argReg && in.args[1].kind != argRegH {
		return nil
	}
	switch in.args[0].kind {
	case argMem:
		return opCmpxchgMem
	case argReg, argRegH:
		if in.flags&instLock != 0 {
			return opIllegal
		}
		return opCmpxchgReg
	}
	return nil
}

func opCmpxchgMem(c *CPU, in *Inst) {
	n := in.args[0].size
	m := sizeMask(n)
	acc := c.R[RAX] & m
	src := c.rd(in, 1)
	a := c.ea(in)
	var old uint64
	if in.flags&instLock != 0 {
		old = c.atomicRMW(a, n, func(v uint64) uint64 {
			if v == acc {
				return src
			}
			return v
		})
	} else {
		old = c.load(a, n)
		if old == acc {
			c.store(a, n, src)
		} else {
			c.store(a, n, old)
		}
	}
	c.cmpxchgDone(n, acc, old)
}

// cmpxchgDone sets the flags and, on failure, the accumulator. On success a
// 32-bit accumulator keeps its upper half: it is not written.
func (c *CPU) cmpxchgDone(n uint8, acc, old uint64) {
	if old != acc {
		c.setReg(RAX, n, old)
	}
	c.setLazy(lazySub, n, acc, old, acc-old)
}

// opCmpxchgReg: a register destination is not written when the comparison
// fails (its upper half survives even at 32 bits), as on the hardware.
func opCmpxchgReg(c *CPU, in *Inst) {
	n := in.args[0].size
	acc := c.R[RAX] & sizeMask(n)
	old := c.rd(in, 0)
	if old == acc {
		c.wr(in, 0, c.rd(in, 1))
	}
	c.cmpxchgDone(n, acc, old)
}

// XADD stores the sum and loads the old destination into the source.

func selXadd(in *Inst) handler {
	if in.args[1].kind != argReg && in.args[1].kind != argRegH {
		return nil
	}
	switch in.args[0].kind {
	case argMem:
		return opXaddMem
	case argReg, argRegH:
		if in.flags&instLock != 0 {
			return opIllegal
		}
		return opXaddReg
	}
	return nil
}

func opXaddMem(c *CPU, in *Inst) {
	n := in.args[0].size
	m := sizeMask(n)
	b := c.rd(in, 1)
	a := c.ea(in)
	var old uint64
	switch {
	case in.flags&instLock == 0:
		old = c.load(a, n)
		c.store(a, n, old+b)
	case n == 8 && a%8 == 0:
		old = xadd64(c.ptr(a, 8), b)
	case n == 4 && a%4 == 0:
		old = uint64(xadd32(c.ptr(a, 4), uint32(b)))
	default:
		old = c.atomicRMW(a, n, func(v uint64) uint64 { return v + b })
	}
	c.wr(in, 1, old)
	c.setLazy(lazyAdd, n, old, b, (old+b)&m)
}

// opXaddReg: when both operands are the same register, the sum wins.
func opXaddReg(c *CPU, in *Inst) {
	n := in.args[0].size
	a, b := c.rd(in, 0), c.rd(in, 1)
	c.wr(in, 1, a)
	c.wr(in, 0, a+b)
	c.setLazy(lazyAdd, n, a, b, a+b)
}

// CMPXCHG8B and CMPXCHG16B compare rDX:rAX with the memory operand and
// store rCX:rBX if equal, else load it into rDX:rAX. Only ZF changes.

func selCmpxchg8b(in *Inst) handler {
	if in.args[0].kind != argMem {
		return nil
	}
	return opCmpxchg8b
}

func opCmpxchg8b(c *CPU, in *Inst) {
	want := c.R[RDX]<<32 | c.R[RAX]&0xffffffff
	nv := c.R[RCX]<<32 | c.R[RBX]&0xffffffff
	f := func(v uint64) uint64 {
		if v == want {
			return nv
		}
		return v
	}
	a := c.ea(in)
	var old uint64
	if in.flags&instLock != 0 {
		old = c.atomicRMW(a, 8, f)
	} else {
		old = c.load64(a)
		c.store64(a, f(old))
	}
	c.setZFOnly(old == want)
	if old != want {
		c.R[RAX], c.R[RDX] = old&0xffffffff, old>>32
	}
}

func (c *CPU) setZFOnly(z bool) {
	c.materialize()
	c.flags &^= FlagZF
	if z {
		c.flags |= FlagZF
	}
}

func selCmpxchg16b(in *Inst) handler {
	if in.args[0].kind != argMem {
		return nil
	}
	return opCmpxchg16b
}

// opCmpxchg16b is always atomic; a misaligned operand is a #GP.
func opCmpxchg16b(c *CPU, in *Inst) {
	a := c.ea(in)
	if a%16 != 0 {
		c.raise(Fault{Sig: int(unix.SIGSEGV), Code: siKernel, Trapno: 13})
	}
	lo, hi, ok := cas128(c.ptr(a, 16), c.R[RAX], c.R[RDX], c.R[RBX], c.R[RCX])
	c.setZFOnly(ok)
	if !ok {
		c.R[RAX], c.R[RDX] = lo, hi
	}
}

// Host atomics in atomic_amd64.s. cas128 returns the old value and whether
// it equalled old; xadd and xchg return the old value.

//go:noescape
func cas32(p unsafe.Pointer, old, new uint32) bool

//go:noescape
func cas64(p unsafe.Pointer, old, new uint64) bool

//go:noescape
func cas128(p unsafe.Pointer, oldLo, oldHi, newLo, newHi uint64) (lo, hi uint64, ok bool)

//go:noescape
func xadd32(p unsafe.Pointer, v uint32) uint32

//go:noescape
func xadd64(p unsafe.Pointer, v uint64) uint64

//go:noescape
func xchg32(p unsafe.Pointer, v uint32) uint32

//go:noescape
func xchg64(p unsafe.Pointer, v uint64) uint64
