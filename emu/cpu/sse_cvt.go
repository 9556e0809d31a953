package cpu

import (
	"math"

	"golang.org/x/arch/x86/x86asm"
)

// SSE conversions between integers, single and double precision. Rounding
// follows MXCSR.RC (the CVTT forms truncate); a NaN or out-of-range value
// converts to the "integer indefinite" 0x80000000 (0x8000000000000000 for
// 64 bits) and raises IE.

func init() {
	defSSE(selCvtsi2f(opCvtsi2sd), x86asm.CVTSI2SD)
	defSSE(selCvtsi2f(opCvtsi2ss), x86asm.CVTSI2SS)
	defSSE(selCvtf2si(opCvtsd2si), x86asm.CVTSD2SI)
	defSSE(selCvtf2si(opCvttsd2si), x86asm.CVTTSD2SI)
	defSSE(selCvtf2si(opCvtss2si), x86asm.CVTSS2SI)
	defSSE(selCvtf2si(opCvttss2si), x86asm.CVTTSS2SI)
	defSSE(selXXM(opCvtss2sd), x86asm.CVTSS2SD)
	defSSE(selXXM(opCvtsd2ss), x86asm.CVTSD2SS)
	defSSE(selXXM(opCvtdq2ps), x86asm.CVTDQ2PS)
	defSSE(selXXM(opCvtdq2pd), x86asm.CVTDQ2PD)
	defSSE(selXXM(opCvtps2dq), x86asm.CVTPS2DQ)
	defSSE(selXXM(opCvttps2dq), x86asm.CVTTPS2DQ)
	defSSE(selXXM(opCvtpd2dq), x86asm.CVTPD2DQ)
	defSSE(selXXM(opCvttpd2dq), x86asm.CVTTPD2DQ)
	defSSE(selXXM(opCvtps2pd), x86asm.CVTPS2PD)
	defSSE(selXXM(opCvtpd2ps), x86asm.CVTPD2PS)
	defSSE(selCvtpi2p(opCvtpi2ps), x86asm.CVTPI2PS)
	defSSE(selCvtpi2p(opCvtpi2pd), x86asm.CVTPI2PD)
	defSSE(selCvtp2pi(opCvtps2pi), x86asm.CVTPS2PI)
	defSSE(selCvtp2pi(opCvttps2pi), x86asm.CVTTPS2PI)
	defSSE(selCvtp2pi(opCvtpd2pi), x86asm.CVTPD2PI)
	defSSE(selCvtp2pi(opCvttpd2pi), x86asm.CVTTPD2PI)
}

// f2i converts a double to a signed integer of 32 or 64 bits, rounding in
// mode rc.
func (c *CPU) f2i(b uint64, rc uint32, wide bool) uint64 {
	if c.MXCSR&mxDAZ != 0 {
		b = daz64(b)
	}
	indef := uint64(0x80000000)
	lo, hi := -0x1p31, 0x1p31
	if wide {
		indef = 1 << 63
		lo, hi = -0x1p63, 0x1p63
	}
	x := asF64(b)
	r := sseRoundInt(x, rc)
	if isNaN64(b) || r < lo || r >= hi {
		c.MXCSR |= mxIE
		return indef
	}
	if r != x {
		c.MXCSR |= mxPE
	}
	if wide {
		return uint64(int64(r))
	}
	return uint64(uint32(int32(r)))
}

// f2i32 is f2i for a single-precision operand (DAZ applied in single
// precision, where the operand may be denormal).
func (c *CPU) f2i32(b uint32, rc uint32, wide bool) uint64 {
	if c.MXCSR&mxDAZ != 0 {
		b = daz32(b)
	}
	if isNaN32(b) {
		return c.f2i(defNaN64, rc, wide)
	}
	return c.f2i(math.Float64bits(float64(asF32(b))), rc, wide)
}

// i2f converts a signed integer to double to nearest and the side of the
// exact value.
func i2f(i int64) (float64, int) {
	v := float64(i)
	if v >= 0x1p63 {
		return v, -1
	}
	d := i - int64(v)
	switch {
	case d > 0:
		return v, 1
	case d < 0:
		return v, -1
	}
	return v, 0
}

func (c *CPU) i2f64(i int64) uint64 {
	v, r := i2f(i)
	if r == 0 {
		return math.Float64bits(v)
	}
	return c.packFP(&fmt64, nearVal(v, r), 0)
}

func (c *CPU) i2f32(i int64) uint32 {
	v, r := i2f(i)
	if f := float32(v); r == 0 && float64(f) == v {
		return math.Float32bits(f)
	}
	return uint32(c.packFP(&fmt32, nearVal(v, r), 0))
}

// s2d widens a single to double; a NaN keeps its payload.
func (c *CPU) s2d(b uint32) uint64 {
	if c.MXCSR&mxDAZ != 0 {
		b = daz32(b)
	}
	if isNaN32(b) {
		if isSNaN32(b) {
			c.MXCSR |= mxIE
		}
		return uint64(b&sign32)<<32 | exp64 | quiet64 | uint64(b&mant32)<<29
	}
	if isDen32(b) {
		c.MXCSR |= mxDE
	}
	return math.Float64bits(float64(asF32(b)))
}

// d2s narrows a double to single, keeping the top of a NaN's payload.
func (c *CPU) d2s(b uint64) uint32 {
	if c.MXCSR&mxDAZ != 0 {
		b = daz64(b)
	}
	if isNaN64(b) {
		if isSNaN64(b) {
			c.MXCSR |= mxIE
		}
		return uint32(b>>32)&sign32 | exp32 | quiet32 | uint32(b>>29)&mant32
	}
	var fl uint32
	if isDen64(b) {
		fl = mxDE
	}
	x := asF64(b)
	if x == 0 || math.IsInf(x, 0) {
		return uint32(c.packFP(&fmt32, exactVal(x), fl))
	}
	return uint32(c.packFP(&fmt32, nearVal(x, 0), fl))
}

// CVTSI2SD/SS xmm, r/m32 or r/m64: only the low lane changes.
func selCvtsi2f(h handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if isX(in, 0) && (isR(in, 1) || isM(in, 1)) && (in.args[1].size == 4 || in.args[1].size == 8) {
			return h
		}
		return nil
	}
}

func (c *CPU) srcInt(in *Inst) int64 {
	return int64(signExtend(c.rd(in, 1), in.args[1].size))
}

func opCvtsi2sd(c *CPU, in *Inst) {
	v := c.i2f64(c.srcInt(in))
	c.X[in.args[0].reg][0] = v
}

func opCvtsi2ss(c *CPU, in *Inst) {
	v := c.i2f32(c.srcInt(in))
	d := &c.X[in.args[0].reg]
	d[0] = d[0]&^0xffffffff | uint64(v)
}

// CVT(T)SD2SI and CVT(T)SS2SI r32/r64, xmm/mem.
func selCvtf2si(h handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if isR(in, 0) && (in.args[0].size == 4 || in.args[0].size == 8) && (isX(in, 1) || isM(in, 1)) {
			return h
		}
		return nil
	}
}

func opCvtsd2si(c *CPU, in *Inst) {
	v := c.f2i(c.src64(in), c.MXCSR&mxRC, in.args[0].size == 8)
	c.R[in.args[0].reg] = v
}

func opCvttsd2si(c *CPU, in *Inst) {
	v := c.f2i(c.src64(in), mxRZ, in.args[0].size == 8)
	c.R[in.args[0].reg] = v
}

func opCvtss2si(c *CPU, in *Inst) {
	v := c.f2i32(c.src32(in), c.MXCSR&mxRC, in.args[0].size == 8)
	c.R[in.args[0].reg] = v
}

func opCvttss2si(c *CPU, in *Inst) {
	v := c.f2i32(c.src32(in), mxRZ, in.args[0].size == 8)
	c.R[in.args[0].reg] = v
}

func opCvtss2sd(c *CPU, in *Inst) {
	v := c.s2d(c.src32(in))
	c.X[in.args[0].reg][0] = v
}

func opCvtsd2ss(c *CPU, in *Inst) {
	v := c.d2s(c.src64(in))
	d := &c.X[in.args[0].reg]
	d[0] = d[0]&^0xffffffff | uint64(v)
}

func opCvtdq2ps(c *CPU, in *Inst) {
	s := c.xsrc(in)
	a := s.u32()
	for i := range a {
		a[i] = c.i2f32(int64(int32(a[i])))
	}
	c.X[in.args[0].reg] = s
}

// cvtdq2pd widens the two low int32 lanes of v; always exact.
func cvtdq2pd(v uint64) XMM {
	return XMM{math.Float64bits(float64(int32(v))), math.Float64bits(float64(int32(v >> 32)))}
}

func opCvtdq2pd(c *CPU, in *Inst) { c.X[in.args[0].reg] = cvtdq2pd(c.src64(in)) }

func (c *CPU) ps2dq(s XMM, rc uint32) XMM {
	a := s.u32()
	for i := range a {
		a[i] = uint32(c.f2i32(a[i], rc, false))
	}
	return s
}

func opCvtps2dq(c *CPU, in *Inst) { c.X[in.args[0].reg] = c.ps2dq(c.xsrc(in), c.MXCSR&mxRC) }

func opCvttps2dq(c *CPU, in *Inst) { c.X[in.args[0].reg] = c.ps2dq(c.xsrc(in), mxRZ) }

func (c *CPU) pd2dq(s XMM, rc uint32) uint64 {
	return c.f2i(s[0], rc, false) | c.f2i(s[1], rc, false)<<32
}

func opCvtpd2dq(c *CPU, in *Inst) {
	c.X[in.args[0].reg] = XMM{c.pd2dq(c.xsrc(in), c.MXCSR&mxRC)}
}

func opCvttpd2dq(c *CPU, in *Inst) { c.X[in.args[0].reg] = XMM{c.pd2dq(c.xsrc(in), mxRZ)} }

func opCvtps2pd(c *CPU, in *Inst) {
	v := c.src64(in)
	c.X[in.args[0].reg] = XMM{c.s2d(uint32(v)), c.s2d(uint32(v >> 32))}
}

func opCvtpd2ps(c *CPU, in *Inst) {
	s := c.xsrc(in)
	c.X[in.args[0].reg] = XMM{uint64(c.d2s(s[0])) | uint64(c.d2s(s[1]))<<32}
}

// MMX-operand conversions. CVTPI2PS and CVTPI2PD read mm/m64; the register
// form is an MMX instruction.
func selCvtpi2p(h handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if isX(in, 0) && (isMM(in, 1) || isM(in, 1)) {
			return h
		}
		return nil
	}
}

func opCvtpi2ps(c *CPU, in *Inst) {
	v := c.mmsrc(in)
	lo, hi := c.i2f32(int64(int32(v))), c.i2f32(int64(int32(v>>32)))
	c.X[in.args[0].reg][0] = uint64(lo) | uint64(hi)<<32
}

func opCvtpi2pd(c *CPU, in *Inst) { c.X[in.args[0].reg] = cvtdq2pd(c.mmsrc(in)) }

func selCvtp2pi(h handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if isMM(in, 0) && (isX(in, 1) || isM(in, 1)) {
			return h
		}
		return nil
	}
}

func (c *CPU) ps2pi(v uint64, rc uint32) uint64 {
	return uint64(uint32(c.f2i32(uint32(v), rc, false))) | c.f2i32(uint32(v>>32), rc, false)<<32
}

func opCvtps2pi(c *CPU, in *Inst) {
	c.setMM(in.args[0].reg, c.ps2pi(c.src64(in), c.MXCSR&mxRC))
}

func opCvttps2pi(c *CPU, in *Inst) { c.setMM(in.args[0].reg, c.ps2pi(c.src64(in), mxRZ)) }

func opCvtpd2pi(c *CPU, in *Inst) {
	c.setMM(in.args[0].reg, c.pd2dq(c.xsrc(in), c.MXCSR&mxRC))
}

func opCvttpd2pi(c *CPU, in *Inst) { c.setMM(in.args[0].reg, c.pd2dq(c.xsrc(in), mxRZ)) }
