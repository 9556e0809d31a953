package cpu

import "golang.org/x/arch/x86/x86asm"

// Shifts and rotates: SHL SHR SAR ROL ROR RCL RCR SHLD SHRD. Counts are
// masked to 5 bits (6 for 64-bit operands); a masked count of 0 changes no
// flags, but a 32-bit register destination is still written (zero-extended).

func init() {
	defSel(unlocked(shiftSel(shl[uint8], shl[uint16], shl[uint32], shl[uint64])), x86asm.SHL)
	defSel(unlocked(shiftSel(shr[uint8], shr[uint16], shr[uint32], shr[uint64])), x86asm.SHR)
	defSel(unlocked(shiftSel(sar[uint8], sar[uint16], sar[uint32], sar[uint64])), x86asm.SAR)
	defSel(unlocked(shiftSel(rol[uint8], rol[uint16], rol[uint32], rol[uint64])), x86asm.ROL)
	defSel(unlocked(shiftSel(ror[uint8], ror[uint16], ror[uint32], ror[uint64])), x86asm.ROR)
	defSel(unlocked(selShiftGeneric), x86asm.RCL, x86asm.RCR)
	defSel(unlocked(selShld), x86asm.SHLD, x86asm.SHRD)
}

// countMask returns the count mask for n-byte operands.
func countMask(n uint8) uint64 {
	if n == 8 {
		return 63
	}
	return 31
}

// shiftSel returns the selector of a shift or rotate: the register handler
// by size (by imm or by CL), or the generic one. The register handlers take
// the count from in.imm + RCX&in.imm2: imm2 is all ones for the CL form, 0
// for imm.
func shiftSel(h8, h16, h32, h64 handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if in.args[0].kind == argReg {
			switch {
			case in.args[1].kind == argImm:
				return bySize(in.args[0].size, h8, h16, h32, h64)
			case in.args[1].kind == argReg && in.args[1].reg == RCX && in.args[1].size == 1:
				in.imm, in.imm2 = 0, ^uint64(0)
				return bySize(in.args[0].size, h8, h16, h32, h64)
			}
		}
		return selShiftGeneric(in)
	}
}

func selShiftGeneric(in *Inst) handler {
	switch in.args[0].kind {
	case argReg, argRegH, argMem:
		return opShiftGeneric
	}
	return nil
}

// regShiftCount is the masked count of a register shift. A zero count
// changes no flags, but the register is still written (a 32-bit one is
// zero-extended).
func regShiftCount[T word](c *CPU, in *Inst) uint64 {
	return (in.imm + c.R[RCX]&in.imm2) & countMask(sizeOf[T]())
}

func shl[T word](c *CPU, in *Inst) {
	d, k := in.args[0].reg, regShiftCount[T](c, in)
	a := T(c.R[d])
	setRegT(c, d, a<<k)
	if k != 0 {
		c.setLazy(lazyShl, sizeOf[T](), uint64(a), k, uint64(a<<k))
	}
}

func shr[T word](c *CPU, in *Inst) {
	d, k := in.args[0].reg, regShiftCount[T](c, in)
	a := T(c.R[d])
	setRegT(c, d, a>>k)
	if k != 0 {
		c.setLazy(lazyShr, sizeOf[T](), uint64(a), k, uint64(a>>k))
	}
}

func sar[T word](c *CPU, in *Inst) {
	d, k := in.args[0].reg, regShiftCount[T](c, in)
	a := T(c.R[d])
	r := T(int64(signExtend(uint64(a), sizeOf[T]())) >> k)
	setRegT(c, d, r)
	if k != 0 {
		c.setLazy(lazySar, sizeOf[T](), uint64(a), k, uint64(r))
	}
}

// Rotates change only CF and OF.

func (c *CPU) setCFOF(cf, of uint64) {
	c.materialize()
	c.flags = c.flags&^(FlagCF|FlagOF) | cf&1 | (of&1)<<11
}

func rol[T word](c *CPU, in *Inst) {
	d, k := in.args[0].reg, regShiftCount[T](c, in)
	a, n := T(c.R[d]), 8*uint64(sizeOf[T]())
	r := a<<(k%n) | a>>((n-k%n)%n)
	setRegT(c, d, r)
	if k != 0 {
		cf := uint64(r) & 1
		c.setCFOF(cf, uint64(r)>>(n-1)^cf)
	}
}

func ror[T word](c *CPU, in *Inst) {
	d, k := in.args[0].reg, regShiftCount[T](c, in)
	a, n := T(c.R[d]), 8*uint64(sizeOf[T]())
	r := a>>(k%n) | a<<((n-k%n)%n)
	setRegT(c, d, r)
	if k != 0 {
		msb := uint64(r) >> (n - 1)
		c.setCFOF(msb, msb^uint64(r)>>(n-2))
	}
}

// shiftCount returns the masked count operand.
func (c *CPU) shiftCount(in *Inst, i int) uint64 {
	a := in.args[i]
	if a.kind == argImm {
		return in.imm & countMask(in.args[0].size)
	}
	return c.R[RCX] & countMask(in.args[0].size)
}

// opShiftGeneric handles memory and AH..BH destinations and RCL/RCR.
func opShiftGeneric(c *CPU, in *Inst) {
	n := in.args[0].size
	k := c.shiftCount(in, 1)
	a, addr := c.rmwAddr(in)
	if k == 0 {
		if in.args[0].kind != argMem {
			c.rmwWrite(in, addr, a)
		}
		return
	}
	r, cf, of := c.shiftCalc(in.op, n, a, k)
	c.rmwWrite(in, addr, r)
	switch in.op {
	case x86asm.SHL:
		c.setLazy(lazyShl, n, a, k, r)
	case x86asm.SHR:
		c.setLazy(lazyShr, n, a, k, r)
	case x86asm.SAR:
		c.setLazy(lazySar, n, a, k, r)
	default:
		c.setCFOF(cf, of)
	}
}

// shiftCalc shifts or rotates the n-byte value a by k (masked, nonzero). For
// rotates it also returns CF and OF.
func (c *CPU) shiftCalc(op x86asm.Op, n uint8, a, k uint64) (r, cf, of uint64) {
	bitsN := 8 * uint64(n)
	m := sizeMask(n)
	switch op {
	case x86asm.SHL:
		return a << k & m, 0, 0
	case x86asm.SHR:
		return a >> k, 0, 0
	case x86asm.SAR:
		return uint64(int64(signExtend(a, n))>>k) & m, 0, 0
	case x86asm.ROL:
		s := k % bitsN
		r = (a<<s | a>>((bitsN-s)%bitsN)) & m
		cf = r & 1
		return r, cf, r>>(bitsN-1) ^ cf
	case x86asm.ROR:
		s := k % bitsN
		r = (a>>s | a<<((bitsN-s)%bitsN)) & m
		cf = r >> (bitsN - 1)
		return r, cf, cf ^ r>>(bitsN-2)&1
	case x86asm.RCL:
		// Rotate the n+1-bit value CF:a left by k mod n+1. A whole turn
		// changes nothing but OF, which is computed as for other counts.
		r, cf = a, c.cf()
		if k %= bitsN + 1; k != 0 {
			r = (a<<k | cf<<(k-1) | a>>(bitsN+1-k)) & m
			cf = a >> (bitsN - k) & 1
		}
		return r, cf, r>>(bitsN-1) ^ cf
	case x86asm.RCR:
		r, cf = a, c.cf()
		if k %= bitsN + 1; k != 0 {
			r = (a>>k | cf<<(bitsN-k) | a<<(bitsN+1-k)) & m
			cf = a >> (k - 1) & 1
		}
		return r, cf, (r>>(bitsN-1) ^ r>>(bitsN-2)) & 1
	}
	return a, 0, 0
}

// SHLD, SHRD

func selShld(in *Inst) handler {
	if in.args[1].kind != argReg || (in.args[0].kind != argReg && in.args[0].kind != argMem) {
		return nil
	}
	return opShld
}

func opShld(c *CPU, in *Inst) {
	n := in.args[0].size
	k := c.shiftCount(in, 2)
	a, addr := c.rmwAddr(in)
	if k == 0 {
		if in.args[0].kind != argMem {
			c.rmwWrite(in, addr, a)
		}
		return
	}
	b := c.rd(in, 1)
	var r, cf uint64
	if in.op == x86asm.SHLD {
		r, cf = shldCalc(n, a, b, k)
	} else {
		r, cf = shrdCalc(n, a, b, k)
	}
	c.rmwWrite(in, addr, r)
	// OF is defined for a count of 1 only; AMD Zen computes it as below for
	// any count, and sets AF.
	top := 8*uint64(n) - 1
	var of uint64
	switch {
	case in.op == x86asm.SHLD && k >= 16 && n == 2:
		of = cf
	case in.op == x86asm.SHLD:
		of = r>>top ^ cf
	default:
		of = (r>>top ^ r>>(top-1)) & 1
	}
	c.setStatus(szp(r, n) | cf | of<<11 | FlagAF)
}

// shldCalc returns a shifted left by k with bits of b coming in, and the
// last bit shifted out. A 16-bit operand may be shifted by up to 31, which
// the manual leaves undefined; AMD Zen shifts in b again, as if a:b:b were
// one register.
func shldCalc(n uint8, a, b, k uint64) (r, cf uint64) {
	if n == 2 {
		x := a<<32 | b<<16 | b
		return x >> (32 - k) & 0xffff, x >> (48 - k) & 1
	}
	bitsN := 8 * uint64(n)
	r = (a<<k | b>>(bitsN-k)) & sizeMask(n)
	return r, a >> (bitsN - k) & 1
}

// shrdCalc is shldCalc to the right; a 16-bit shift acts on b:b:a.
func shrdCalc(n uint8, a, b, k uint64) (r, cf uint64) {
	if n == 2 {
		x := b<<32 | b<<16 | a
		return x >> k & 0xffff, x >> (k - 1) & 1
	}
	bitsN := 8 * uint64(n)
	r = (a>>k | b<<(bitsN-k)) & sizeMask(n)
	return r, a >> (k - 1) & 1
}
