package cpu

import (
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
)

// Bit instructions: BT BTS BTR BTC, BSF BSR, TZCNT LZCNT POPCNT.

func init() {
	defSel(unlocked(selBt), x86asm.BT)
	defSel(selBtx, x86asm.BTS, x86asm.BTR, x86asm.BTC)
	defSel(unlocked(selScan), x86asm.BSF, x86asm.BSR, x86asm.TZCNT, x86asm.LZCNT, x86asm.POPCNT)
}

// setCFOnly changes CF alone; BT's other arithmetic flags are undefined and keep
// their values, as on the hardware we check against.
func (c *CPU) setCFOnly(cf uint64) {
	c.materialize()
	c.flags = c.flags&^FlagCF | cf&1
}

func selBt(in *Inst) handler {
	if in.args[0].kind == argReg && in.args[0].size >= 4 {
		switch in.args[1].kind {
		case argReg:
			return bySize(in.args[0].size, nil, nil, btRR[uint32], btRR[uint64])
		case argImm:
			return bySize(in.args[0].size, nil, nil, btRI[uint32], btRI[uint64])
		}
	}
	return selBtx(in)
}

func btRR[T word](c *CPU, in *Inst) {
	k := c.R[in.args[1].reg] & (8*uint64(sizeOf[T]()) - 1)
	c.setCFOnly(uint64(T(c.R[in.args[0].reg]) >> k))
}

func btRI[T word](c *CPU, in *Inst) {
	k := in.imm & (8*uint64(sizeOf[T]()) - 1)
	c.setCFOnly(uint64(T(c.R[in.args[0].reg]) >> k))
}

func selBtx(in *Inst) handler {
	if in.args[1].kind != argReg && in.args[1].kind != argImm {
		return nil
	}
	switch in.args[0].kind {
	case argReg:
		if in.flags&instLock != 0 {
			return opIllegal
		}
		return opBtGeneric
	case argMem:
		return opBtGeneric
	}
	return nil
}

// opBtGeneric: a register bit offset into memory is signed and may address
// any operand-sized word relative to the effective address; an immediate
// offset is taken modulo the operand width.
func opBtGeneric(c *CPU, in *Inst) {
	n := in.args[0].size
	bitsN := 8 * uint64(n)
	var off, addr uint64
	if in.args[1].kind == argImm {
		off = in.imm & (bitsN - 1)
	} else {
		off = c.R[in.args[1].reg] & sizeMask(n)
	}
	if in.args[0].kind == argMem {
		addr = c.ea(in)
		if in.args[1].kind == argReg {
			so := int64(signExtend(off, n))
			addr += uint64(so>>bits.TrailingZeros64(bitsN)) * uint64(n)
		}
	}
	k := off & (bitsN - 1)
	mask := uint64(1) << k
	var a uint64
	apply := func(v uint64) uint64 {
		switch in.op {
		case x86asm.BTS:
			return v | mask
		case x86asm.BTR:
			return v &^ mask
		case x86asm.BTC:
			return v ^ mask
		}
		return v
	}
	switch {
	case in.args[0].kind != argMem:
		a = c.rd(in, 0)
		if in.op != x86asm.BT {
			c.wr(in, 0, apply(a))
		}
	case in.flags&instLock != 0:
		a = c.atomicRMW(addr, n, apply)
	default:
		a = c.load(addr, n)
		if in.op != x86asm.BT {
			c.store(addr, n, apply(a))
		}
	}
	c.setCFOnly(a >> k)
}

// Bit scans

func selScan(in *Inst) handler {
	if in.args[0].kind != argReg {
		return nil
	}
	switch in.args[1].kind {
	case argReg, argMem:
	default:
		return nil
	}
	switch in.op {
	case x86asm.BSF:
		return bySize(in.args[0].size, nil, bsfT[uint16], bsfT[uint32], bsfT[uint64])
	case x86asm.BSR:
		return bySize(in.args[0].size, nil, bsrT[uint16], bsrT[uint32], bsrT[uint64])
	case x86asm.TZCNT:
		return bySize(in.args[0].size, nil, tzcntT[uint16], tzcntT[uint32], tzcntT[uint64])
	case x86asm.LZCNT:
		return bySize(in.args[0].size, nil, lzcntT[uint16], lzcntT[uint32], lzcntT[uint64])
	}
	return bySize(in.args[0].size, nil, popcntT[uint16], popcntT[uint32], popcntT[uint64])
}

// BSF and BSR leave the destination alone for a zero source and set ZF.
// Their other flags are undefined; AMD Zen clears them but for PF, which is
// the parity of the result (set for a zero source).
func bsfT[T word](c *CPU, in *Inst) {
	v := T(c.rd(in, 1))
	if v == 0 {
		c.setStatus(FlagZF | FlagPF)
		return
	}
	r := T(bits.TrailingZeros64(uint64(v)))
	setRegT(c, in.args[0].reg, r)
	c.setStatus(szp(uint64(r), 1) & FlagPF)
}

func bsrT[T word](c *CPU, in *Inst) {
	v := T(c.rd(in, 1))
	if v == 0 {
		c.setStatus(FlagZF | FlagPF)
		return
	}
	r := T(bits.Len64(uint64(v)) - 1)
	setRegT(c, in.args[0].reg, r)
	c.setStatus(szp(uint64(r), 1) & FlagPF)
}

// TZCNT and LZCNT: CF says the source was zero, ZF the result is. OF, SF,
// AF and PF are undefined; AMD Zen keeps OF and clears the others.
func tzcntT[T word](c *CPU, in *Inst) {
	v := T(c.rd(in, 1))
	r := T(bits.TrailingZeros64(uint64(v)))
	if v == 0 {
		r = T(8 * sizeOf[T]())
	}
	setRegT(c, in.args[0].reg, r)
	c.cntFlags(v == 0, r == 0)
}

func lzcntT[T word](c *CPU, in *Inst) {
	v := T(c.rd(in, 1))
	r := T(8*int(sizeOf[T]()) - bits.Len64(uint64(v)))
	setRegT(c, in.args[0].reg, r)
	c.cntFlags(v == 0, r == 0)
}

func (c *CPU) cntFlags(cf, zf bool) {
	f := c.Flags() & FlagOF
	if cf {
		f |= FlagCF
	}
	if zf {
		f |= FlagZF
	}
	c.setStatus(f)
}

func popcntT[T word](c *CPU, in *Inst) {
	v := T(c.rd(in, 1))
	setRegT(c, in.args[0].reg, T(bits.OnesCount64(uint64(v))))
	var f uint64
	if v == 0 {
		f = FlagZF
	}
	c.setStatus(f)
}
