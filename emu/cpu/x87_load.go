package cpu

import "golang.org/x/arch/x86/x86asm"

// x87 loads, stores, constants and register moves. Stores write memory
// before touching the FPU state, so a faulting store changes nothing.

// pushLoaded pushes a value converted from a float32 or float64: an SNaN is
// quieted with IE, a denormal source reports DE.
func (f *FPU) pushLoaded(v F80, den bool) {
	if !f.emptyST(7) {
		f.push(v) // a stack overflow, reported alone
		return
	}
	var exc uint16
	if den {
		exc = fsDE
	}
	if v.class() == fcSNaN {
		v, exc = v.quiet(), exc|fsIE
	}
	if f.raise(exc) {
		f.push(v)
	}
}

func opFLDm32(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.pushLoaded(f32ToF80(uint32(c.load32(c.ea(in)))))
}

func opFLDm64(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.pushLoaded(f64ToF80(c.load64(c.ea(in))))
}

func opFLDm80(c *CPU, in *Inst) {
	c.fwait(in)
	a := c.ea(in)
	c.FPU.push(F80{Mant: c.load64(a), Exp: uint16(c.load16(a + 8))})
}

func opFLDst(c *CPU, in *Inst) {
	c.fwait(in)
	f := &c.FPU
	i := in.args[0].reg
	if f.emptyST(i) {
		// A stack underflow, even if ST(7) is in use too.
		if f.stackFault(0) {
			f.Top = (f.Top - 1) & 7
			f.put(0, f80Indefinite)
		}
		return
	}
	f.push(f.get(i))
}

func opFILD(c *CPU, in *Inst) {
	c.fwait(in)
	v := signExtend(c.load(c.ea(in), in.msize), in.msize)
	c.FPU.push(intToF80(int64(v)))
}

// x87Const is a built-in constant: its significand truncated to 64 bits,
// which the hardware rounds per the rounding control (the tails are never
// zero).
type x87Const struct {
	exp    uint16
	trunc  uint64
	nearUp bool // the tail is over one half
}

func (k x87Const) value(ctl uint16) F80 {
	m := k.trunc
	switch ctl >> 10 & 3 {
	case rcNearest:
		if k.nearUp {
			m++
		}
	case rcUp:
		m++
	}
	return F80{Mant: m, Exp: k.exp}
}

var (
	constPi  = x87Const{0x4000, 0xc90fdaa22168c234, true}
	constL2T = x87Const{0x4000, 0xd49a784bcd1b8afe, false}
	constL2E = x87Const{0x3fff, 0xb8aa3b295c17f0bb, true}
	constLG2 = x87Const{0x3ffd, 0x9a209a84fbcff798, true}
	constLN2 = x87Const{0x3ffe, 0xb17217f7d1cf79ab, true}
)

func fldConst(k x87Const) handler {
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		c.FPU.push(k.value(c.FPU.Control))
	}
}

func fldExact(v F80) handler {
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		c.FPU.push(v)
	}
}

// storeConv converts ST(0) for a store to memory, returning the bits to
// store and the exceptions.
type storeConv func(x F80, ctl uint16) (uint64, uint16)

func convF32(x F80, ctl uint16) (uint64, uint16) {
	v, exc := f80ToF32(x, ctl)
	return uint64(v), exc
}

func convF64(x F80, ctl uint16) (uint64, uint16) { return f80ToF64(x, ctl) }

func convI16(x F80, ctl uint16) (uint64, uint16) { return f80ToInt(x, 16, ctl>>10&3) }
func convI32(x F80, ctl uint16) (uint64, uint16) { return f80ToInt(x, 32, ctl>>10&3) }
func convI64(x F80, ctl uint16) (uint64, uint16) { return f80ToInt(x, 64, ctl>>10&3) }

func convT16(x F80, ctl uint16) (uint64, uint16) { return f80ToInt(x, 16, rcZero) }
func convT32(x F80, ctl uint16) (uint64, uint16) { return f80ToInt(x, 32, rcZero) }
func convT64(x F80, ctl uint16) (uint64, uint16) { return f80ToInt(x, 64, rcZero) }

// fstore returns a handler storing ST(0) through conv into the n-byte
// memory operand, popping after if pop. indef is the masked response to an
// empty ST(0). Unmasked invalid, overflow and underflow exceptions leave
// memory and the stack unchanged.
func fstore(n uint8, conv storeConv, indef uint64, pop bool) handler {
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		f := &c.FPU
		a := c.ea(in)
		if f.emptyST(0) {
			ok := f.Control&fsIE != 0
			if ok {
				c.store(a, n, indef)
			}
			f.stackFault(0)
			if ok && pop {
				f.pop()
			}
			return
		}
		v, exc := conv(f.get(0), f.Control)
		ok := exc&^f.Control&(fsIE|fsOE|fsUE) == 0
		if ok {
			c.store(a, n, v)
		}
		f.raise(exc)
		if ok && pop {
			f.pop()
		}
	}
}

func opFSTPm80(c *CPU, in *Inst) {
	c.fwait(in)
	f := &c.FPU
	a := c.ea(in)
	v := f.get(0)
	empty := f.emptyST(0)
	if empty {
		if f.Control&fsIE == 0 {
			f.stackFault(0)
			return
		}
		v = f80Indefinite
	}
	c.bytes(a, 10)
	c.store64(a, v.Mant)
	c.store16(a+8, uint64(v.Exp))
	if empty {
		f.stackFault(0)
	} else {
		f.Status &^= fsC1
	}
	f.pop()
}

func fstST(pop bool) handler {
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		f := &c.FPU
		v := f.get(0)
		if f.emptyST(0) {
			if !f.stackFault(0) {
				return
			}
			v = f80Indefinite
		} else {
			f.Status &^= fsC1
		}
		f.put(in.args[0].reg, v)
		if pop {
			f.pop()
		}
	}
}

func selFLD(in *Inst) handler {
	if stReg(in, 0) {
		return opFLDst
	}
	switch in.msize {
	case 4:
		return opFLDm32
	case 8:
		return opFLDm64
	case 0:
		return opFLDm80
	}
	return nil
}

func selFST(in *Inst) handler {
	pop := in.op == x86asm.FSTP
	if stReg(in, 0) {
		return fstST(pop)
	}
	switch in.msize {
	case 4:
		return fstore(4, convF32, 0xffc00000, pop)
	case 8:
		return fstore(8, convF64, 0xfff8<<48, pop)
	case 0:
		if pop {
			return opFSTPm80
		}
	}
	return nil
}

func selFIST(in *Inst) handler {
	pop := in.op != x86asm.FIST
	var convs [3]storeConv
	if in.op == x86asm.FISTTP {
		convs = [3]storeConv{convT16, convT32, convT64}
	} else {
		convs = [3]storeConv{convI16, convI32, convI64}
	}
	switch in.msize {
	case 2:
		return fstore(2, convs[0], 0x8000, pop)
	case 4:
		return fstore(4, convs[1], 0x80000000, pop)
	case 8:
		if pop {
			return fstore(8, convs[2], 1<<63, pop)
		}
	}
	return nil
}

func selFILD(in *Inst) handler {
	switch in.msize {
	case 2, 4, 8:
		return opFILD
	}
	return nil
}

// opFBLD loads an 18-digit packed BCD integer.
func opFBLD(c *CPU, in *Inst) {
	c.fwait(in)
	b := c.bytes(c.ea(in), 10)
	var v int64
	for i := 8; i >= 0; i-- {
		v = v*100 + int64(b[i]>>4)*10 + int64(b[i]&15)
	}
	neg := b[9]&0x80 != 0
	if neg {
		v = -v
	}
	r := intToF80(v)
	if v == 0 {
		r = f80Zero(neg)
	}
	c.FPU.push(r)
}

// opFBSTP stores ST(0) rounded per RC as packed BCD and pops. Values with
// more than 18 digits, NaNs and infinities store the BCD indefinite.
func opFBSTP(c *CPU, in *Inst) {
	c.fwait(in)
	f := &c.FPU
	a := c.ea(in)
	var out [10]byte
	indef := [10]byte{7: 0xc0, 8: 0xff, 9: 0xff}
	if f.emptyST(0) {
		ok := f.Control&fsIE != 0
		if ok {
			copy(c.bytes(a, 10), indef[:])
		}
		f.stackFault(0)
		if ok {
			f.pop()
		}
		return
	}
	x := f.get(0)
	var exc uint16
	switch x.class() {
	case fcZero:
	case fcFinite:
		ip, big, inexact, inc := roundInt(x, f.Control>>10&3)
		if big || ip > 999999999999999999 {
			exc = fsIE
			break
		}
		if inexact {
			exc = fsPE
			if inc {
				exc |= fsC1
			}
		}
		for i := 0; i < 9; i++ {
			out[i] = byte(ip%10) | byte(ip/10%10)<<4
			ip /= 100
		}
	default:
		exc = fsIE
	}
	if exc&fsIE != 0 {
		out = indef
	} else if x.neg() {
		out[9] = 0x80
	}
	ok := exc&^f.Control&fsIE == 0
	if ok {
		copy(c.bytes(a, 10), out[:])
	}
	f.raise(exc)
	if ok {
		f.pop()
	}
}

func opFXCH(c *CPU, in *Inst) {
	c.fwait(in)
	f := &c.FPU
	i := in.args[0].reg
	a, b := f.get(0), f.get(i)
	if f.emptyST(0) || f.emptyST(i) {
		if !f.stackFault(0) {
			return
		}
		if f.emptyST(0) {
			a = f80Indefinite
		}
		if f.emptyST(i) {
			b = f80Indefinite
		}
	} else {
		f.Status &^= fsC1
	}
	f.put(0, b)
	f.put(i, a)
}

// fcmov returns the FCMOVcc handler for condition code cc (as for Jcc).
// C1 is left alone, as AMD processors do.
func fcmov(cc uint8) handler {
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		f := &c.FPU
		i := in.args[1].reg
		if f.emptyST(0) || f.emptyST(i) {
			if f.stackFault(0) {
				f.put(0, f80Indefinite)
			}
			return
		}
		if c.cond(cc) {
			f.put(0, f.get(i))
		}
	}
}

func init() {
	defSel(selFLD, x86asm.FLD)
	defSel(selFILD, x86asm.FILD)
	defSel(selFST, x86asm.FST, x86asm.FSTP)
	defSel(selFIST, x86asm.FIST, x86asm.FISTP, x86asm.FISTTP)
	def(opFBLD, x86asm.FBLD)
	def(opFBSTP, x86asm.FBSTP)
	def(fldExact(f80One), x86asm.FLD1)
	def(fldExact(F80{}), x86asm.FLDZ)
	def(fldConst(constPi), x86asm.FLDPI)
	def(fldConst(constL2T), x86asm.FLDL2T)
	def(fldConst(constL2E), x86asm.FLDL2E)
	def(fldConst(constLG2), x86asm.FLDLG2)
	def(fldConst(constLN2), x86asm.FLDLN2)
	def(opFXCH, x86asm.FXCH)
	for op, cc := range map[x86asm.Op]uint8{
		x86asm.FCMOVB: 0x2, x86asm.FCMOVNB: 0x3, x86asm.FCMOVE: 0x4, x86asm.FCMOVNE: 0x5,
		x86asm.FCMOVBE: 0x6, x86asm.FCMOVNBE: 0x7, x86asm.FCMOVU: 0xa, x86asm.FCMOVNU: 0xb,
	} {
		def(fcmov(cc), op)
	}
}
