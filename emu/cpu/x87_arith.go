package cpu

import "golang.org/x/arch/x86/x86asm"

// x87 arithmetic and comparisons. x86asm names the operands in Intel order:
// "FSUB ST(i), ST(0)" (DC E8+i) computes ST(i) = ST(i) - ST(0) and "FSUBR
// ST(i), ST(0)" computes ST(i) = ST(0) - ST(i).

// binOp computes dst op src.
type binOp func(dst, src F80, ctl uint16) (F80, uint16)

func opAdd(a, b F80, ctl uint16) (F80, uint16)  { return f80Add(a, b, false, ctl) }
func opSub(a, b F80, ctl uint16) (F80, uint16)  { return f80Add(a, b, true, ctl) }
func opSubr(a, b F80, ctl uint16) (F80, uint16) { return f80Add(b, a, true, ctl) }
func opMul(a, b F80, ctl uint16) (F80, uint16)  { return f80Mul(a, b, ctl) }
func opDiv(a, b F80, ctl uint16) (F80, uint16)  { return f80Div(a, b, ctl) }
func opDivr(a, b F80, ctl uint16) (F80, uint16) { return f80Div(b, a, ctl) }

// binST sets ST(d) = ST(d) op ST(s), then pops if pop.
func (f *FPU) binST(op binOp, d, s uint8, pop bool) {
	var r F80
	if f.emptyST(d) || f.emptyST(s) {
		if !f.stackFault(0) {
			return
		}
		r = f80Indefinite
	} else {
		var exc uint16
		r, exc = op(f.get(d), f.get(s), f.Control)
		if !f.raise(exc) {
			return
		}
	}
	f.put(d, r)
	if pop {
		f.pop()
	}
}

// binMem sets ST(0) = ST(0) op v for a memory operand v; exc holds DE for a
// denormal float source.
func (f *FPU) binMem(op binOp, v F80, exc uint16) {
	if f.emptyST(0) {
		if f.stackFault(0) {
			f.put(0, f80Indefinite)
		}
		return
	}
	x := f.get(0)
	r, x2 := op(x, v, f.Control)
	if f.raise(memDE(x, exc) | x2) {
		f.put(0, r)
	}
}

func denExc(den bool) uint16 {
	if den {
		return fsDE
	}
	return 0
}

// memDE drops the denormal-operand exception of a memory source when ST(0)
// is a NaN or unsupported, which the hardware reports alone.
func memDE(st0 F80, exc uint16) uint16 {
	if c := st0.class(); c >= fcQNaN {
		return 0
	}
	return exc
}

func selArith(op binOp) func(in *Inst) handler {
	return func(in *Inst) handler {
		switch {
		case stReg(in, 1):
			d, s := in.args[0].reg, in.args[1].reg
			pop := in.op == x86asm.FADDP || in.op == x86asm.FSUBP || in.op == x86asm.FSUBRP ||
				in.op == x86asm.FMULP || in.op == x86asm.FDIVP || in.op == x86asm.FDIVRP
			return func(c *CPU, in *Inst) {
				c.fwait(in)
				c.FPU.binST(op, d, s, pop)
			}
		case in.nargs != 1 || in.args[0].kind != argMem:
			return nil
		case in.msize == 4:
			return func(c *CPU, in *Inst) {
				c.fwait(in)
				v, den := f32ToF80(uint32(c.load32(c.ea(in))))
				c.FPU.binMem(op, v, denExc(den))
			}
		case in.msize == 8:
			return func(c *CPU, in *Inst) {
				c.fwait(in)
				v, den := f64ToF80(c.load64(c.ea(in)))
				c.FPU.binMem(op, v, denExc(den))
			}
		}
		return nil
	}
}

func selArithInt(op binOp) func(in *Inst) handler {
	return func(in *Inst) handler {
		if in.msize != 2 && in.msize != 4 {
			return nil
		}
		return func(c *CPU, in *Inst) {
			c.fwait(in)
			v := signExtend(c.load(c.ea(in), in.msize), in.msize)
			c.FPU.binMem(op, intToF80(int64(v)), 0)
		}
	}
}

// unary replaces ST(0) with op(ST(0)).
func (f *FPU) unary(op func(x F80, ctl uint16) (F80, uint16)) {
	if f.emptyST(0) {
		if f.stackFault(0) {
			f.put(0, f80Indefinite)
		}
		return
	}
	r, exc := op(f.get(0), f.Control)
	if f.raise(exc) {
		f.put(0, r)
	}
}

func opFSQRT(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.unary(f80Sqrt)
}

func opFRNDINT(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.unary(func(x F80, ctl uint16) (F80, uint16) { return f80RoundInt(x, ctl>>10&3) })
}

// signOp applies FCHS or FABS, which never raise arithmetic exceptions.
func (f *FPU) signOp(abs bool) {
	if f.emptyST(0) {
		if f.stackFault(0) {
			f.put(0, f80Indefinite)
		}
		return
	}
	p := f.phys(0)
	if abs {
		f.ST[p].Exp &^= 0x8000
	} else {
		f.ST[p].Exp ^= 0x8000
	}
	f.Status &^= fsC1
}

func opFCHS(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.signOp(false)
}

func opFABS(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.signOp(true)
}

// opFSCALE sets ST(0) = ST(0) × 2^trunc(ST(1)).
func opFSCALE(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.binST(f80Scale, 0, 1, false)
}

// fpremOp is FPREM (near false) or FPREM1: ST(0) = remainder of ST(0) /
// ST(1), with C2 for an incomplete reduction and quotient bits in C0, C3, C1.
// A NaN result (invalid operation or stack fault) clears only C1 and C2, as
// on the hardware.
func fpremOp(near bool) handler {
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		f := &c.FPU
		f.Status &^= fsC2
		if f.emptyST(0) || f.emptyST(1) {
			if f.stackFault(0) {
				f.put(0, f80Indefinite)
			}
			return
		}
		r, exc := f80Rem(f.get(0), f.get(1), near, f.Control)
		if !f.raise(exc) {
			return
		}
		if !r.isNaN() {
			f.Status = f.Status&^fsCond | exc&fsCond
		}
		f.put(0, r)
	}
}

// opFXTRACT replaces ST(0) by its exponent and pushes its significand.
func opFXTRACT(c *CPU, in *Inst) {
	c.fwait(in)
	f := &c.FPU
	if f.emptyST(0) || !f.emptyST(7) {
		f.stackFault2()
		return
	}
	sig, exp, exc := f80Xtract(f.get(0))
	if f.raise(exc) {
		f.put(0, exp)
		f.push(sig)
	}
}

// f80Xtract splits x into its significand (exponent 0, x's sign) and its
// unbiased exponent as a value.
func f80Xtract(x F80) (sig, exp F80, exc uint16) {
	switch x.class() {
	case fcBad:
		return f80Indefinite, f80Indefinite, fsIE
	case fcSNaN:
		return x.quiet(), x.quiet(), fsIE
	case fcQNaN:
		return x, x, 0
	case fcZero:
		return x, f80Inf(true), fsZE
	case fcInf:
		return x, f80Inf(false), 0
	}
	exc = denExc(x.isDenorm())
	m, e := x.unpack()
	return F80{Mant: m, Exp: signExp(x.neg(), f80Bias)}, intToF80(int64(e - f80Bias)), exc
}

// fcompare compares ST(0) with v and sets C3, C2, C0 (or ZF, PF, CF with
// eflags), then pops npop times. quiet lets QNaNs compare without IE.
func (c *CPU) fcompare(v F80, vexc uint16, vEmpty, quiet, eflags bool, npop int) {
	f := &c.FPU
	res := 2
	if f.emptyST(0) || vEmpty {
		if !f.stackFault(0) {
			return
		}
	} else {
		var exc uint16
		x := f.get(0)
		res, exc = f80Cmp(x, v, quiet)
		c1 := f.Status & fsC1
		ok := f.raise(exc | memDE(x, vexc))
		if eflags {
			f.Status |= c1 // FCOMI leaves C1 alone on AMD processors
		}
		if !ok {
			return
		}
	}
	if eflags {
		var fl uint64
		switch res {
		case -1:
			fl = FlagCF
		case 0:
			fl = FlagZF
		case 2:
			fl = FlagZF | FlagPF | FlagCF
		}
		c.setStatus(fl)
	} else {
		f.Status = f.Status&^fsCond | cmpCC(res)
	}
	for ; npop > 0; npop-- {
		f.pop()
	}
}

func selFCOM(in *Inst) handler {
	quiet := in.op == x86asm.FUCOM || in.op == x86asm.FUCOMP || in.op == x86asm.FUCOMPP ||
		in.op == x86asm.FUCOMI || in.op == x86asm.FUCOMIP
	eflags := in.op == x86asm.FCOMI || in.op == x86asm.FCOMIP || in.op == x86asm.FUCOMI || in.op == x86asm.FUCOMIP
	npop := 0
	switch in.op {
	case x86asm.FCOMP, x86asm.FUCOMP, x86asm.FCOMIP, x86asm.FUCOMIP, x86asm.FICOMP:
		npop = 1
	case x86asm.FCOMPP, x86asm.FUCOMPP:
		npop = 2
	}
	if in.op == x86asm.FICOM || in.op == x86asm.FICOMP {
		if in.msize != 2 && in.msize != 4 {
			return nil
		}
		return func(c *CPU, in *Inst) {
			c.fwait(in)
			v := signExtend(c.load(c.ea(in), in.msize), in.msize)
			c.fcompare(intToF80(int64(v)), 0, false, false, false, npop)
		}
	}
	var reg uint8 = 1
	switch {
	case in.nargs == 0:
	case stReg(in, 1):
		reg = in.args[1].reg
	case stReg(in, 0):
		reg = in.args[0].reg
	case in.args[0].kind == argMem && in.msize == 4:
		return func(c *CPU, in *Inst) {
			c.fwait(in)
			v, den := f32ToF80(uint32(c.load32(c.ea(in))))
			c.fcompare(v, denExc(den), false, quiet, false, npop)
		}
	case in.args[0].kind == argMem && in.msize == 8:
		return func(c *CPU, in *Inst) {
			c.fwait(in)
			v, den := f64ToF80(c.load64(c.ea(in)))
			c.fcompare(v, denExc(den), false, quiet, false, npop)
		}
	default:
		return nil
	}
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		f := &c.FPU
		c.fcompare(f.get(reg), 0, f.emptyST(reg), quiet, eflags, npop)
	}
}

// opFTST compares ST(0) with +0.0.
func opFTST(c *CPU, in *Inst) {
	c.fwait(in)
	c.fcompare(F80{}, 0, false, false, false, 0)
}

// opFXAM classifies ST(0) into C3, C2, C0, with its sign in C1.
func opFXAM(c *CPU, in *Inst) {
	c.fwait(in)
	f := &c.FPU
	x := f.get(0)
	var cc uint16
	switch {
	case f.emptyST(0):
		cc = fsC3 | fsC0 // and C1 from the stale contents, as the hardware does
	case x.Exp&0x7fff == 0 && x.Mant != 0:
		cc = fsC3 | fsC2
	default:
		switch x.class() {
		case fcZero:
			cc = fsC3
		case fcFinite:
			cc = fsC2
		case fcInf:
			cc = fsC2 | fsC0
		case fcQNaN, fcSNaN:
			cc = fsC0
		}
	}
	if x.neg() {
		cc |= fsC1
	}
	f.Status = f.Status&^fsCond | cc
}

func init() {
	defSel(selArith(opAdd), x86asm.FADD, x86asm.FADDP)
	defSel(selArith(opSub), x86asm.FSUB, x86asm.FSUBP)
	defSel(selArith(opSubr), x86asm.FSUBR, x86asm.FSUBRP)
	defSel(selArith(opMul), x86asm.FMUL, x86asm.FMULP)
	defSel(selArith(opDiv), x86asm.FDIV, x86asm.FDIVP)
	defSel(selArith(opDivr), x86asm.FDIVR, x86asm.FDIVRP)
	defSel(selArithInt(opAdd), x86asm.FIADD)
	defSel(selArithInt(opSub), x86asm.FISUB)
	defSel(selArithInt(opSubr), x86asm.FISUBR)
	defSel(selArithInt(opMul), x86asm.FIMUL)
	defSel(selArithInt(opDiv), x86asm.FIDIV)
	defSel(selArithInt(opDivr), x86asm.FIDIVR)
	def(opFSQRT, x86asm.FSQRT)
	def(opFRNDINT, x86asm.FRNDINT)
	def(opFCHS, x86asm.FCHS)
	def(opFABS, x86asm.FABS)
	def(opFSCALE, x86asm.FSCALE)
	def(fpremOp(false), x86asm.FPREM)
	def(fpremOp(true), x86asm.FPREM1)
	def(opFXTRACT, x86asm.FXTRACT)
	defSel(selFCOM, x86asm.FCOM, x86asm.FCOMP, x86asm.FCOMPP, x86asm.FUCOM, x86asm.FUCOMP,
		x86asm.FUCOMPP, x86asm.FCOMI, x86asm.FCOMIP, x86asm.FUCOMI, x86asm.FUCOMIP,
		x86asm.FICOM, x86asm.FICOMP)
	def(opFTST, x86asm.FTST)
	def(opFXAM, x86asm.FXAM)
}
