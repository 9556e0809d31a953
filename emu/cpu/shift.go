package cpu

import "golang.org/x/arch/x86/x86asm"

// Shifts and rotates: SHL SHR SAR ROL ROR RCL RCR SHLD SHRD. Counts are
// masked to 5 bits (6 for 64-bit operands); a masked count of 0 changes no
// flags, but a 32-bit register destination is still written (zero-extended).

func init() {
	defSel(unlocked(selShl), x86asm.SHL)
	defSel(unlocked(selShr), x86asm.SHR)
	defSel(unlocked(selSar), x86asm.SAR)
	defSel(unlocked(selRol), x86asm.ROL)
	defSel(unlocked(selRor), x86asm.ROR)
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

// shiftSel picks the register handlers, by imm or by CL, or the generic one.
func shiftSel(in *Inst, ri, rc [4]handler) handler {
	if in.args[0].kind == argReg {
		switch {
		case in.args[1].kind == argImm:
			return bySize(in.args[0].size, ri[0], ri[1], ri[2], ri[3])
		case in.args[1].kind == argReg && in.args[1].reg == RCX && in.args[1].size == 1:
			return bySize(in.args[0].size, rc[0], rc[1], rc[2], rc[3])
		}
	}
	return selShiftGeneric(in)
}

func selShiftGeneric(in *Inst) handler {
	switch in.args[0].kind {
	case argReg, argRegH, argMem:
		return opShiftGeneric
	}
	return nil
}

func shlReg[T word](c *CPU, d uint8, k uint64) {
	a := T(c.R[d])
	k &= countMask(sizeOf[T]())
	if k == 0 {
		setRegT(c, d, a)
		return
	}
	r := a << k
	setRegT(c, d, r)
	c.setLazy(lazyShl, sizeOf[T](), uint64(a), k, uint64(r))
}

func shrReg[T word](c *CPU, d uint8, k uint64) {
	a := T(c.R[d])
	k &= countMask(sizeOf[T]())
	if k == 0 {
		setRegT(c, d, a)
		return
	}
	r := a >> k
	setRegT(c, d, r)
	c.setLazy(lazyShr, sizeOf[T](), uint64(a), k, uint64(r))
}

func sarReg[T word](c *CPU, d uint8, k uint64) {
	a := T(c.R[d])
	k &= countMask(sizeOf[T]())
	if k == 0 {
		setRegT(c, d, a)
		return
	}
	r := T(int64(signExtend(uint64(a), sizeOf[T]())) >> k)
	setRegT(c, d, r)
	c.setLazy(lazySar, sizeOf[T](), uint64(a), k, uint64(r))
}

func shlRI[T word](c *CPU, in *Inst) { shlReg[T](c, in.args[0].reg, in.imm) }
func shlRC[T word](c *CPU, in *Inst) { shlReg[T](c, in.args[0].reg, c.R[RCX]) }
func shrRI[T word](c *CPU, in *Inst) { shrReg[T](c, in.args[0].reg, in.imm) }
func shrRC[T word](c *CPU, in *Inst) { shrReg[T](c, in.args[0].reg, c.R[RCX]) }
func sarRI[T word](c *CPU, in *Inst) { sarReg[T](c, in.args[0].reg, in.imm) }
func sarRC[T word](c *CPU, in *Inst) { sarReg[T](c, in.args[0].reg, c.R[RCX]) }

func selShl(in *Inst) handler {
	return shiftSel(in,
		[4]handler{shlRI[uint8], shlRI[uint16], shlRI[uint32], shlRI[uint64]},
		[4]handler{shlRC[uint8], shlRC[uint16], shlRC[uint32], shlRC[uint64]})
}

func selShr(in *Inst) handler {
	return shiftSel(in,
		[4]handler{shrRI[uint8], shrRI[uint16], shrRI[uint32], shrRI[uint64]},
		[4]handler{shrRC[uint8], shrRC[uint16], shrRC[uint32], shrRC[uint64]})
}

func selSar(in *Inst) handler {
	return shiftSel(in,
		[4]handler{sarRI[uint8], sarRI[uint16], sarRI[uint32], sarRI[uint64]},
		[4]handler{sarRC[uint8], sarRC[uint16], sarRC[uint32], sarRC[uint64]})
}

// Rotates change only CF and OF.

func (c *CPU) setCFOF(cf, of uint64) {
	c.materialize()
	c.flags = c.flags&^(FlagCF|FlagOF) | cf&1 | (of&1)<<11
}

func rolReg[T word](c *CPU, d uint8, k uint64) {
	a := T(c.R[d])
	n := sizeOf[T]()
	k &= countMask(n)
	if k == 0 {
		setRegT(c, d, a)
		return
	}
	bitsN := 8 * uint64(n)
	r := a<<(k%bitsN) | a>>((bitsN-k%bitsN)%bitsN)
	setRegT(c, d, r)
	cf := uint64(r) & 1
	c.setCFOF(cf, uint64(r)>>(bitsN-1)^cf)
}

func rorReg[T word](c *CPU, d uint8, k uint64) {
	a := T(c.R[d])
	n := sizeOf[T]()
	k &= countMask(n)
	if k == 0 {
		setRegT(c, d, a)
		return
	}
	bitsN := 8 * uint64(n)
	r := a>>(k%bitsN) | a<<((bitsN-k%bitsN)%bitsN)
	setRegT(c, d, r)
	msb := uint64(r) >> (bitsN - 1)
	c.setCFOF(msb, msb^uint64(r)>>(bitsN-2))
}

func rolRI[T word](c *CPU, in *Inst) { rolReg[T](c, in.args[0].reg, in.imm) }
func rolRC[T word](c *CPU, in *Inst) { rolReg[T](c, in.args[0].reg, c.R[RCX]) }
func rorRI[T word](c *CPU, in *Inst) { rorReg[T](c, in.args[0].reg, in.imm) }
func rorRC[T word](c *CPU, in *Inst) { rorReg[T](c, in.args[0].reg, c.R[RCX]) }

func selRol(in *Inst) handler {
	return shiftSel(in,
		[4]handler{rolRI[uint8], rolRI[uint16], rolRI[uint32], rolRI[uint64]},
		[4]handler{rolRC[uint8], rolRC[uint16], rolRC[uint32], rolRC[uint64]})
}

func selRor(in *Inst) handler {
	return shiftSel(in,
		[4]handler{rorRI[uint8], rorRI[uint16], rorRI[uint32], rorRI[uint64]},
		[4]handler{rorRC[uint8], rorRC[uint16], rorRC[uint32], rorRC[uint64]})
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
