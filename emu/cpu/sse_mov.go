package cpu

import (
	"unsafe"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// SSE data movement, and the helpers every SSE file uses: lane views of an
// XMM value, aligned and unaligned 128-bit memory access, MMX registers.

// Lane views. The guest and the host are little-endian, so lane i of the
// register is element i of the array.
func (x *XMM) u8() *[16]uint8  { return (*[16]uint8)(unsafe.Pointer(x)) }
func (x *XMM) i8() *[16]int8   { return (*[16]int8)(unsafe.Pointer(x)) }
func (x *XMM) u16() *[8]uint16 { return (*[8]uint16)(unsafe.Pointer(x)) }
func (x *XMM) i16() *[8]int16  { return (*[8]int16)(unsafe.Pointer(x)) }
func (x *XMM) u32() *[4]uint32 { return (*[4]uint32)(unsafe.Pointer(x)) }
func (x *XMM) i32() *[4]int32  { return (*[4]int32)(unsafe.Pointer(x)) }

// gp raises #GP(0), which Linux reports as SIGSEGV with SI_KERNEL and no
// address (misaligned SSE operands, reserved MXCSR bits).
func (c *CPU) gp() {
	c.raise(Fault{Sig: int(unix.SIGSEGV), Code: siKernel, Trapno: 13})
}

// ldA and stA access a 16-byte operand that legacy SSE encodings require to
// be 16-byte aligned; ldU and stU the unaligned ones.
// They are small enough to be inlined: one test covers the alignment and
// the window, and xmmFault tells the two apart.
func (c *CPU) ldA(a uint64) XMM { return *c.xmmA(a) }

func (c *CPU) ldU(a uint64) XMM { return *c.xmmU(a) }

func (c *CPU) stA(a uint64, v XMM) { *c.xmmA(a) = v }

func (c *CPU) stU(a uint64, v XMM) { *c.xmmU(a) = v }

// xmmA and xmmU return the host address of the 16 bytes at guest address
// a, aligned or not.
func (c *CPU) xmmA(a uint64) *XMM {
	if a&15 != 0 || a > mem.WindowSize-16 {
		c.xmmFault(a)
	}
	return (*XMM)(unsafe.Add(c.base, a))
}

func (c *CPU) xmmU(a uint64) *XMM {
	if a > mem.WindowSize-16 {
		c.segv(a, 16)
	}
	return (*XMM)(unsafe.Add(c.base, a))
}

// xmmFault raises #GP for a misaligned operand, else SIGSEGV.
func (c *CPU) xmmFault(a uint64) {
	if a&15 != 0 {
		c.gp()
	}
	c.segv(a, 16)
}

// xsrc reads operand 1 of a full-width instruction: a register or an
// aligned m128.
func (c *CPU) xsrc(in *Inst) XMM {
	if in.args[1].kind == argXMM {
		return c.X[in.args[1].reg]
	}
	return c.ldA(c.ea(in))
}

// src32 and src64 read a scalar operand 1 from a register's low lane or
// memory.
func (c *CPU) src32(in *Inst) uint32 {
	if in.args[1].kind == argXMM {
		return uint32(c.X[in.args[1].reg][0])
	}
	return uint32(c.load32(c.ea(in)))
}

func (c *CPU) src64(in *Inst) uint64 {
	if in.args[1].kind == argXMM {
		return c.X[in.args[1].reg][0]
	}
	return c.load64(c.ea(in))
}

// MMX register i is the mantissa of physical x87 register i. Every MMX
// instruction but EMMS sets TOP to 0 and marks all registers valid; writes
// set the exponent and sign to all ones.
func (c *CPU) mm(r uint8) uint64 {
	c.FPU.Top, c.FPU.Tag = 0, 0
	return c.FPU.ST[r&7].Mant
}

func (c *CPU) setMM(r uint8, v uint64) {
	c.FPU.Top, c.FPU.Tag = 0, 0
	c.FPU.ST[r&7] = F80{Mant: v, Exp: 0xffff}
}

// mmsrc reads operand 1 of an MMX instruction: an MMX register or m64.
func (c *CPU) mmsrc(in *Inst) uint64 {
	if in.args[1].kind == argMMX {
		return c.mm(in.args[1].reg)
	}
	return c.load64(c.ea(in))
}

// defSSE registers a selector for SSE mnemonics, none of which accepts
// LOCK.
func defSSE(sel func(in *Inst) handler, list ...x86asm.Op) { defSel(unlocked(sel), list...) }

// isX reports whether operand i is an XMM register; isM whether it is memory.
func isX(in *Inst, i int) bool  { return in.args[i].kind == argXMM }
func isM(in *Inst, i int) bool  { return in.args[i].kind == argMem }
func isMM(in *Inst, i int) bool { return in.args[i].kind == argMMX }
func isR(in *Inst, i int) bool  { return in.args[i].kind == argReg }

func init() {
	defSSE(selMov128A, x86asm.MOVAPS, x86asm.MOVAPD, x86asm.MOVDQA)
	defSSE(selMov128U, x86asm.MOVUPS, x86asm.MOVUPD, x86asm.MOVDQU)
	defSSE(selMovNT, x86asm.MOVNTDQ, x86asm.MOVNTPS, x86asm.MOVNTPD)
	defSSE(selLoadA, x86asm.MOVNTDQA)
	defSSE(selLoadU, x86asm.LDDQU)
	defSSE(selMovss, x86asm.MOVSS)
	defSSE(selMovsd, x86asm.MOVSD_XMM)
	defSSE(selMovdq, x86asm.MOVD, x86asm.MOVQ)
	defSSE(selMovLo, x86asm.MOVLPS, x86asm.MOVLPD)
	defSSE(selMovHi, x86asm.MOVHPS, x86asm.MOVHPD)
	defSSE(selXX(opMovhlps), x86asm.MOVHLPS)
	defSSE(selXX(opMovlhps), x86asm.MOVLHPS)
	defSSE(selMovnti, x86asm.MOVNTI)
	defSSE(selMovmsk(opMovmskps), x86asm.MOVMSKPS)
	defSSE(selMovmsk(opMovmskpd), x86asm.MOVMSKPD)
	defSSE(selPmovmskb, x86asm.PMOVMSKB)
	defSSE(selXX(opMaskmovdqu), x86asm.MASKMOVDQU)
	defSSE(selMaskmovq, x86asm.MASKMOVQ)
	defSSE(selMovntq, x86asm.MOVNTQ)
	defSSE(selMovq2dq, x86asm.MOVQ2DQ)
	defSSE(selMovdq2q, x86asm.MOVDQ2Q)
	defSSE(fixed(opEmms), x86asm.EMMS)
}

// selXX selects h for the register-register form only.
func selXX(h handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if isX(in, 0) && isX(in, 1) {
			return h
		}
		return nil
	}
}

func selMov128A(in *Inst) handler {
	switch {
	case isX(in, 0) && isX(in, 1):
		return opMovXX
	case isX(in, 0) && isM(in, 1):
		return opLoadA
	case isM(in, 0) && isX(in, 1):
		return opStoreA
	}
	return nil
}

func selMov128U(in *Inst) handler {
	switch {
	case isX(in, 0) && isX(in, 1):
		return opMovXX
	case isX(in, 0) && isM(in, 1):
		return opLoadU
	case isM(in, 0) && isX(in, 1):
		return opStoreU
	}
	return nil
}

func selMovNT(in *Inst) handler {
	if isM(in, 0) && isX(in, 1) {
		return opStoreA
	}
	return nil
}

func selLoadA(in *Inst) handler {
	if isX(in, 0) && isM(in, 1) {
		return opLoadA
	}
	return nil
}

func selLoadU(in *Inst) handler {
	if isX(in, 0) && isM(in, 1) {
		return opLoadU
	}
	return nil
}

func opMovXX(c *CPU, in *Inst) { c.X[in.args[0].reg] = c.X[in.args[1].reg] }

func opLoadA(c *CPU, in *Inst) { c.X[in.args[0].reg&15] = *c.xmmA(c.ea(in)) }

func opLoadU(c *CPU, in *Inst) { c.X[in.args[0].reg&15] = *c.xmmU(c.ea(in)) }

func opStoreA(c *CPU, in *Inst) { c.stA(c.ea(in), c.X[in.args[1].reg]) }

func opStoreU(c *CPU, in *Inst) { c.stU(c.ea(in), c.X[in.args[1].reg]) }

// MOVSS and MOVSD: a register source merges into the low lane, a memory
// source clears the rest of the register.
func selMovss(in *Inst) handler {
	switch {
	case isX(in, 0) && isX(in, 1):
		return opMovssXX
	case isX(in, 0) && isM(in, 1):
		return opMovssXM
	case isM(in, 0) && isX(in, 1):
		return opMovssMX
	}
	return nil
}

func opMovssXX(c *CPU, in *Inst) {
	d := &c.X[in.args[0].reg]
	d[0] = d[0]&^0xffffffff | c.X[in.args[1].reg][0]&0xffffffff
}

func opMovssXM(c *CPU, in *Inst) { c.X[in.args[0].reg] = XMM{c.load32(c.ea(in))} }

func opMovssMX(c *CPU, in *Inst) { c.store32(c.ea(in), c.X[in.args[1].reg][0]) }

func selMovsd(in *Inst) handler {
	switch {
	case isX(in, 0) && isX(in, 1):
		return opMovsdXX
	case isX(in, 0) && isM(in, 1):
		return opMovqXM
	case isM(in, 0) && isX(in, 1):
		return opMovqMX
	}
	return nil
}

func opMovsdXX(c *CPU, in *Inst) { c.X[in.args[0].reg][0] = c.X[in.args[1].reg][0] }

// MOVD and MOVQ between XMM, MMX, general registers and memory. Writes to an
// XMM register zero-extend to 128 bits, writes to an MMX register to 64.
func selMovdq(in *Inst) handler {
	d, s := &in.args[0], &in.args[1]
	switch d.kind {
	case argXMM:
		switch s.kind {
		case argReg:
			if s.size == 8 {
				return opMovqXR
			}
			return opMovdXR
		case argMem:
			if in.msize == 8 {
				return opMovqXM
			}
			return opMovdXM
		case argXMM:
			return opMovqXX
		}
	case argReg:
		switch s.kind {
		case argXMM:
			if d.size == 8 {
				return opMovqRX
			}
			return opMovdRX
		case argMMX:
			if d.size == 8 {
				return opMovqRMM
			}
			return opMovdRMM
		}
	case argMem:
		switch s.kind {
		case argXMM:
			if in.msize == 8 {
				return opMovqMX
			}
			return opMovdMX
		case argMMX:
			if in.msize == 8 {
				return opMovqMMM
			}
			return opMovdMMM
		}
	case argMMX:
		switch s.kind {
		case argReg:
			if s.size == 8 {
				return opMovqMMR
			}
			return opMovdMMR
		case argMem:
			if in.msize == 8 {
				return opMovqMMMem
			}
			return opMovdMMMem
		case argMMX:
			return opMovqMMMM
		}
	}
	return nil
}

func opMovqXR(c *CPU, in *Inst) { c.X[in.args[0].reg] = XMM{c.R[in.args[1].reg]} }

func opMovdXR(c *CPU, in *Inst) { c.X[in.args[0].reg] = XMM{uint64(uint32(c.R[in.args[1].reg]))} }

func opMovqXM(c *CPU, in *Inst) { c.X[in.args[0].reg&15] = XMM{ldT[uint64](c, c.ea(in))} }

func opMovdXM(c *CPU, in *Inst) { c.X[in.args[0].reg] = XMM{c.load32(c.ea(in))} }

func opMovqXX(c *CPU, in *Inst) { c.X[in.args[0].reg] = XMM{c.X[in.args[1].reg][0]} }

func opMovqRX(c *CPU, in *Inst) { c.R[in.args[0].reg] = c.X[in.args[1].reg][0] }

func opMovdRX(c *CPU, in *Inst) { c.R[in.args[0].reg] = uint64(uint32(c.X[in.args[1].reg][0])) }

func opMovqMX(c *CPU, in *Inst) { stT(c, c.ea(in), c.X[in.args[1].reg&15][0]) }

func opMovdMX(c *CPU, in *Inst) { c.store32(c.ea(in), c.X[in.args[1].reg][0]) }

func opMovqRMM(c *CPU, in *Inst) { c.R[in.args[0].reg] = c.mm(in.args[1].reg) }

func opMovdRMM(c *CPU, in *Inst) { c.R[in.args[0].reg] = uint64(uint32(c.mm(in.args[1].reg))) }

func opMovqMMM(c *CPU, in *Inst) { c.store64(c.ea(in), c.mm(in.args[1].reg)) }

func opMovdMMM(c *CPU, in *Inst) { c.store32(c.ea(in), c.mm(in.args[1].reg)) }

func opMovqMMR(c *CPU, in *Inst) { c.setMM(in.args[0].reg, c.R[in.args[1].reg]) }

func opMovdMMR(c *CPU, in *Inst) { c.setMM(in.args[0].reg, uint64(uint32(c.R[in.args[1].reg]))) }

func opMovqMMMem(c *CPU, in *Inst) { c.setMM(in.args[0].reg, c.load64(c.ea(in))) }

func opMovdMMMem(c *CPU, in *Inst) { c.setMM(in.args[0].reg, c.load32(c.ea(in))) }

func opMovqMMMM(c *CPU, in *Inst) { c.setMM(in.args[0].reg, c.mm(in.args[1].reg)) }

// MOVLPS/MOVLPD and MOVHPS/MOVHPD move one 64-bit half to or from memory.
func selMovLo(in *Inst) handler {
	switch {
	case isX(in, 0) && isM(in, 1):
		return opMovlpXM
	case isM(in, 0) && isX(in, 1):
		return opMovqMX
	}
	return nil
}

func opMovlpXM(c *CPU, in *Inst) { c.X[in.args[0].reg][0] = c.load64(c.ea(in)) }

func selMovHi(in *Inst) handler {
	switch {
	case isX(in, 0) && isM(in, 1):
		return opMovhpXM
	case isM(in, 0) && isX(in, 1):
		return opMovhpMX
	}
	return nil
}

func opMovhpXM(c *CPU, in *Inst) { c.X[in.args[0].reg][1] = c.load64(c.ea(in)) }

func opMovhpMX(c *CPU, in *Inst) { c.store64(c.ea(in), c.X[in.args[1].reg][1]) }

func opMovhlps(c *CPU, in *Inst) { c.X[in.args[0].reg][0] = c.X[in.args[1].reg][1] }

func opMovlhps(c *CPU, in *Inst) { c.X[in.args[0].reg][1] = c.X[in.args[1].reg][0] }

// MOVNTI is the general-register non-temporal store; caching hints mean
// nothing here.
func selMovnti(in *Inst) handler {
	if isM(in, 0) && isR(in, 1) {
		return opMovnti
	}
	return nil
}

func opMovnti(c *CPU, in *Inst) { c.store(c.ea(in), in.msize, c.R[in.args[1].reg]) }

func selMovmsk(h handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if isR(in, 0) && isX(in, 1) {
			return h
		}
		return nil
	}
}

func opMovmskps(c *CPU, in *Inst) {
	s := &c.X[in.args[1].reg]
	v := s[0]>>31&1 | s[0]>>62&2 | s[1]>>29&4 | s[1]>>60&8
	c.R[in.args[0].reg] = v
}

func opMovmskpd(c *CPU, in *Inst) {
	s := &c.X[in.args[1].reg]
	c.R[in.args[0].reg] = s[0]>>63 | s[1]>>63<<1
}

func selPmovmskb(in *Inst) handler {
	switch {
	case isR(in, 0) && isX(in, 1):
		return opPmovmskb
	case isR(in, 0) && isMM(in, 1):
		return opPmovmskbMM
	}
	return nil
}

// msb8 gathers the top bit of each byte of v into 8 bits: the multiplier
// moves bit 8i+7 to bit 56+i without carries between the partial products.
func msb8(v uint64) uint64 {
	return (v & 0x8080808080808080) * 0x0002040810204081 >> 56
}

func opPmovmskb(c *CPU, in *Inst) {
	s := &c.X[in.args[1].reg]
	c.R[in.args[0].reg] = msb8(s[0]) | msb8(s[1])<<8
}

func opPmovmskbMM(c *CPU, in *Inst) { c.R[in.args[0].reg] = msb8(c.mm(in.args[1].reg)) }

// MASKMOVDQU stores the bytes of the first operand whose mask byte has its
// top bit set to [RDI] (EDI with an address-size prefix).
func opMaskmovdqu(c *CPU, in *Inst) {
	v, m := c.X[in.args[0].reg], c.X[in.args[1].reg]
	c.maskmov(in, v.u8()[:], m.u8()[:])
}

func (c *CPU) maskmov(in *Inst, v, m []uint8) {
	a := c.R[RDI]
	if in.flags&instAddr32 != 0 {
		a = uint64(uint32(a))
	}
	for i := range v {
		if m[i]&0x80 != 0 {
			c.store8(a+uint64(i), uint64(v[i]))
		}
	}
}

func selMaskmovq(in *Inst) handler {
	if isMM(in, 0) && isMM(in, 1) {
		return opMaskmovq
	}
	return nil
}

func opMaskmovq(c *CPU, in *Inst) {
	v, m := XMM{c.mm(in.args[0].reg)}, XMM{c.mm(in.args[1].reg)}
	c.maskmov(in, v.u8()[:8], m.u8()[:8])
}

func selMovntq(in *Inst) handler {
	if isM(in, 0) && isMM(in, 1) {
		return opMovqMMM
	}
	return nil
}

func selMovq2dq(in *Inst) handler {
	if isX(in, 0) && isMM(in, 1) {
		return opMovq2dq
	}
	return nil
}

func opMovq2dq(c *CPU, in *Inst) { c.X[in.args[0].reg] = XMM{c.mm(in.args[1].reg)} }

func selMovdq2q(in *Inst) handler {
	if isMM(in, 0) && isX(in, 1) {
		return opMovdq2q
	}
	return nil
}

func opMovdq2q(c *CPU, in *Inst) { c.setMM(in.args[0].reg, c.X[in.args[1].reg][0]) }

// EMMS marks every x87 register empty.
func opEmms(c *CPU, in *Inst) { c.FPU.Tag = 0xffff }
