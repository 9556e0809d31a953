package cpu

import (
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"
)

// Multiplication and division: MUL, IMUL (one, two and three operands), DIV,
// IDIV. Their flags are computed eagerly. Division by zero and quotient
// overflow raise #DE, which Linux reports as SIGFPE/FPE_INTDIV.

func init() {
	defSel(unlocked(selMul), x86asm.MUL)
	defSel(unlocked(selImul), x86asm.IMUL)
	defSel(unlocked(selDiv), x86asm.DIV, x86asm.IDIV)
}

// mulFlags sets CF and OF, which say whether the high half is significant.
// SF, ZF, AF and PF are undefined; AMD Zen, the hardware we check against,
// leaves them alone.
func (c *CPU) mulFlags(ovf bool) {
	var f uint64
	if ovf {
		f = FlagCF | FlagOF
	}
	c.setFlagBits(FlagCF|FlagOF, f)
}

// divFlags gives DIV and IDIV the undefined flags AMD Zen leaves: CF and OF
// kept, AF set, SF, ZF and PF clear.
func (c *CPU) divFlags() {
	c.setFlagBits(FlagSF|FlagZF|FlagPF, FlagAF)
}

// mulSigned returns the 128-bit product of two signed 64-bit values.
func mulSigned(a, b uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(a, b)
	if int64(a) < 0 {
		hi -= b
	}
	if int64(b) < 0 {
		hi -= a
	}
	return hi, lo
}

func selMul(in *Inst) handler {
	if in.nargs != 1 || (in.args[0].kind != argReg && in.args[0].kind != argRegH && in.args[0].kind != argMem) {
		return nil
	}
	return opMulAcc
}

func opMulAcc(c *CPU, in *Inst) {
	n := in.args[0].size
	b := c.rd(in, 0)
	var hi uint64
	switch n {
	case 1:
		p := c.R[RAX] & 0xff * b
		hi = p >> 8
		setRegT(c, RAX, uint16(p))
	case 2:
		p := c.R[RAX] & 0xffff * b
		hi = p >> 16
		setRegT(c, RAX, uint16(p))
		setRegT(c, RDX, uint16(hi))
	case 4:
		p := c.R[RAX] & 0xffffffff * b
		hi = p >> 32
		c.R[RAX], c.R[RDX] = p&0xffffffff, hi
	default:
		var lo uint64
		hi, lo = bits.Mul64(c.R[RAX], b)
		c.R[RAX], c.R[RDX] = lo, hi
	}
	c.mulFlags(hi != 0)
}

func selImul(in *Inst) handler {
	switch in.nargs {
	case 1:
		if k := in.args[0].kind; k == argReg || k == argRegH || k == argMem {
			return opImul1
		}
	case 2:
		switch formOf(in) {
		case formRR:
			return bySize(in.args[0].size, nil, imulRR[uint16], imulRR[uint32], imulRR[uint64])
		case formRM:
			return bySize(in.args[0].size, nil, imulRM[uint16], imulRM[uint32], imulRM[uint64])
		}
	case 3:
		switch formOf(in) {
		case formRR:
			return bySize(in.args[0].size, nil, imulRRI[uint16], imulRRI[uint32], imulRRI[uint64])
		case formRM:
			return bySize(in.args[0].size, nil, imulRMI[uint16], imulRMI[uint32], imulRMI[uint64])
		}
	}
	return nil
}

// opImul1 multiplies the accumulator into rDX:rAX (AX for bytes).
func opImul1(c *CPU, in *Inst) {
	n := in.args[0].size
	b := int64(signExtend(c.rd(in, 0), n))
	var ovf bool
	switch n {
	case 1:
		p := int64(int8(c.R[RAX])) * b
		ovf = p != int64(int8(p))
		setRegT(c, RAX, uint16(p))
	case 2:
		p := int64(int16(c.R[RAX])) * b
		ovf = p != int64(int16(p))
		setRegT(c, RAX, uint16(p))
		setRegT(c, RDX, uint16(p>>16))
	case 4:
		p := int64(int32(c.R[RAX])) * b
		ovf = p != int64(int32(p))
		c.R[RAX], c.R[RDX] = uint64(p)&0xffffffff, uint64(p)>>32&0xffffffff
	default:
		hi, lo := mulSigned(c.R[RAX], uint64(b))
		ovf = hi != uint64(int64(lo)>>63)
		c.R[RAX], c.R[RDX] = lo, hi
	}
	c.mulFlags(ovf)
}

// imulTrunc is the truncating multiply of the two- and three-operand forms.
func imulTrunc[T word](c *CPU, d uint8, a, b T) {
	n := sizeOf[T]()
	var r T
	var ovf bool
	if n == 8 {
		hi, lo := mulSigned(uint64(a), uint64(b))
		r = T(lo)
		ovf = hi != uint64(int64(lo)>>63)
	} else {
		p := int64(signExtend(uint64(a), n)) * int64(signExtend(uint64(b), n))
		r = T(p)
		ovf = p != int64(signExtend(uint64(r), n))
	}
	setRegT(c, d, r)
	c.mulFlags(ovf)
}

func imulRR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	imulTrunc(c, d, T(c.R[d]), T(c.R[in.args[1].reg]))
}

func imulRM[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	imulTrunc(c, d, T(c.R[d]), ldT[T](c, c.ea(in)))
}

func imulRRI[T word](c *CPU, in *Inst) {
	imulTrunc(c, in.args[0].reg, T(c.R[in.args[1].reg]), T(in.imm))
}

func imulRMI[T word](c *CPU, in *Inst) {
	imulTrunc(c, in.args[0].reg, ldT[T](c, c.ea(in)), T(in.imm))
}

// Division

func selDiv(in *Inst) handler {
	if in.nargs != 1 {
		return nil
	}
	switch in.args[0].kind {
	case argReg, argRegH, argMem:
		if in.op == x86asm.DIV {
			return opDivAcc
		}
		return opIdivAcc
	}
	return nil
}

// divideError raises #DE.
func (c *CPU) divideError(in *Inst) {
	c.raise(Fault{Sig: int(unix.SIGFPE), Code: fpeIntDiv, Addr: in.addr})
}

// opDivAcc divides rDX:rAX (AX for bytes) by the operand.
func opDivAcc(c *CPU, in *Inst) {
	n := in.args[0].size
	d := c.rd(in, 0)
	if d == 0 {
		c.divideError(in)
	}
	switch n {
	case 1:
		x := c.R[RAX] & 0xffff
		q := x / d
		if q > 0xff {
			c.divideError(in)
		}
		setRegT(c, RAX, uint16(x%d<<8|q))
	case 2:
		x := c.R[RDX]&0xffff<<16 | c.R[RAX]&0xffff
		q := x / d
		if q > 0xffff {
			c.divideError(in)
		}
		setRegT(c, RAX, uint16(q))
		setRegT(c, RDX, uint16(x%d))
	case 4:
		x := c.R[RDX]<<32 | c.R[RAX]&0xffffffff
		q := x / d
		if q > 0xffffffff {
			c.divideError(in)
		}
		c.R[RAX], c.R[RDX] = q, x%d
	default:
		if c.R[RDX] >= d {
			c.divideError(in)
		}
		c.R[RAX], c.R[RDX] = bits.Div64(c.R[RDX], c.R[RAX], d)
	}
	c.divFlags()
}

func opIdivAcc(c *CPU, in *Inst) {
	n := in.args[0].size
	d := int64(signExtend(c.rd(in, 0), n))
	if d == 0 {
		c.divideError(in)
	}
	if n == 8 {
		q, r, ok := idiv128(c.R[RDX], c.R[RAX], d)
		if !ok {
			c.divideError(in)
		}
		c.R[RAX], c.R[RDX] = q, r
		c.divFlags()
		return
	}
	// The dividend has at most 64 bits; Go defines MinInt64 / -1 as
	// MinInt64, which the range check below rejects.
	var x int64
	switch n {
	case 1:
		x = int64(int16(c.R[RAX]))
	case 2:
		x = int64(int32(uint32(c.R[RDX])<<16 | uint32(c.R[RAX])&0xffff))
	default:
		x = int64(c.R[RDX]<<32 | c.R[RAX]&0xffffffff)
	}
	q, r := x/d, x%d
	if q != int64(signExtend(uint64(q), n)) {
		c.divideError(in)
	}
	switch n {
	case 1:
		setRegT(c, RAX, uint16(uint64(r)&0xff<<8|uint64(q)&0xff))
	case 2:
		setRegT(c, RAX, uint16(q))
		setRegT(c, RDX, uint16(r))
	default:
		c.R[RAX], c.R[RDX] = uint64(q)&0xffffffff, uint64(r)&0xffffffff
	}
	c.divFlags()
}

// idiv128 divides the signed 128-bit hi:lo by d, truncating toward zero.
func idiv128(hi, lo uint64, d int64) (q, r uint64, ok bool) {
	neg := int64(hi) < 0
	if neg {
		lo = -lo
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	ud := uint64(d)
	if d < 0 {
		ud = -ud
	}
	if hi >= ud {
		return 0, 0, false
	}
	q, r = bits.Div64(hi, lo, ud)
	if neg != (d < 0) {
		if q > 1<<63 {
			return 0, 0, false
		}
		q = -q
	} else if q >= 1<<63 {
		return 0, 0, false
	}
	if neg {
		r = -r
	}
	return q, r, true
}
