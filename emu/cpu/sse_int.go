package cpu

import (
	"math/bits"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"
)

// SSE2, SSSE3, SSE4.1 and SSE4.2 integer instructions, and their MMX forms.
//
// Each operation is a function of the destination and source values that
// returns the result; defX wraps it into handlers for the register, memory
// and MMX forms. An MMX form runs the 128-bit operation on operands built so
// that the low 64 bits of the result are the MMX result (see mmxMode).

// xop is a two-operand operation on whole registers.
type xop func(d, s XMM) XMM

// xopi is a two-operand operation with an immediate.
type xopi func(d, s XMM, imm uint8) XMM

// mmxMode says how an MMX form maps onto the 128-bit operation.
type mmxMode uint8

const (
	mmxNo    mmxMode = iota // no MMX form
	mmxLane                 // lane-wise: D = {d}, S = {s}
	mmxPair                 // packs and horizontal ops: D = {d, s}, S = 0
	mmxHigh                 // unpack high: D = {0, d>>32}, S = {0, s>>32}
	mmxDup                  // PSHUFB: D = {d, d}, S = {s}
	mmxAlign                // PALIGNR: D = 0, S = {s, d}
)

func mmxOperands(m mmxMode, d, s uint64) (XMM, XMM) {
	switch m {
	case mmxPair:
		return XMM{d, s}, XMM{}
	case mmxHigh:
		return XMM{0, d >> 32}, XMM{0, s >> 32}
	case mmxDup:
		return XMM{d, d}, XMM{s}
	case mmxAlign:
		return XMM{}, XMM{s, d}
	}
	return XMM{d}, XMM{s}
}

// defX registers a two-operand operation: xmm, xmm/m128 (aligned) and, with
// an MMX mode, mm, mm/m64.
func defX(f xop, m mmxMode, list ...x86asm.Op) {
	rr := func(c *CPU, in *Inst) {
		d := &c.X[in.args[0].reg]
		*d = f(*d, c.X[in.args[1].reg])
	}
	rm := func(c *CPU, in *Inst) {
		s := c.ldA(c.ea(in))
		d := &c.X[in.args[0].reg]
		*d = f(*d, s)
	}
	defXWith(f, m, rr, rm, list...)
}

// defXWith is defX with the handlers of the xmm forms given.
func defXWith(f xop, m mmxMode, rr, rm handler, list ...x86asm.Op) {
	mm := func(c *CPU, in *Inst) {
		s := c.mmsrc(in)
		r := in.args[0].reg
		d, sx := mmxOperands(m, c.mm(r), s)
		c.setMM(r, f(d, sx)[0])
	}
	defSSE(func(in *Inst) handler {
		switch {
		case isX(in, 0) && isX(in, 1):
			return rr
		case isX(in, 0) && isM(in, 1):
			return rm
		case m != mmxNo && isMM(in, 0) && (isMM(in, 1) || isM(in, 1)):
			return mm
		}
		return nil
	}, list...)
}

// defXi is defX for operations with an 8-bit immediate.
func defXi(f xopi, m mmxMode, list ...x86asm.Op) {
	rr := func(c *CPU, in *Inst) {
		d := &c.X[in.args[0].reg]
		*d = f(*d, c.X[in.args[1].reg], uint8(in.imm))
	}
	rm := func(c *CPU, in *Inst) {
		s := c.ldA(c.ea(in))
		d := &c.X[in.args[0].reg]
		*d = f(*d, s, uint8(in.imm))
	}
	mm := func(c *CPU, in *Inst) {
		s := c.mmsrc(in)
		r := in.args[0].reg
		d, sx := mmxOperands(m, c.mm(r), s)
		c.setMM(r, f(d, sx, uint8(in.imm))[0])
	}
	defSSE(func(in *Inst) handler {
		if in.args[2].kind != argImm {
			return nil
		}
		switch {
		case isX(in, 0) && isX(in, 1):
			return rr
		case isX(in, 0) && isM(in, 1):
			return rm
		case m != mmxNo && isMM(in, 0) && (isMM(in, 1) || isM(in, 1)):
			return mm
		}
		return nil
	}, list...)
}

func init() {
	defX(paddb, mmxLane, x86asm.PADDB)
	defX(paddw, mmxLane, x86asm.PADDW)
	defX(paddd, mmxLane, x86asm.PADDD)
	defX(paddq, mmxLane, x86asm.PADDQ)
	defXWith(psubb, mmxLane, psubbXX, psubbXM, x86asm.PSUBB)
	defX(psubw, mmxLane, x86asm.PSUBW)
	defX(psubd, mmxLane, x86asm.PSUBD)
	defX(psubq, mmxLane, x86asm.PSUBQ)
	defX(paddsb, mmxLane, x86asm.PADDSB)
	defX(paddsw, mmxLane, x86asm.PADDSW)
	defX(paddusb, mmxLane, x86asm.PADDUSB)
	defX(paddusw, mmxLane, x86asm.PADDUSW)
	defX(psubsb, mmxLane, x86asm.PSUBSB)
	defX(psubsw, mmxLane, x86asm.PSUBSW)
	defX(psubusb, mmxLane, x86asm.PSUBUSB)
	defX(psubusw, mmxLane, x86asm.PSUBUSW)
	defX(pmullw, mmxLane, x86asm.PMULLW)
	defX(pmulhw, mmxLane, x86asm.PMULHW)
	defX(pmulhuw, mmxLane, x86asm.PMULHUW)
	defX(pmuludq, mmxLane, x86asm.PMULUDQ)
	defX(pmulld, mmxNo, x86asm.PMULLD)
	defX(pmuldq, mmxNo, x86asm.PMULDQ)
	defX(pmaddwd, mmxLane, x86asm.PMADDWD)
	defX(psadbw, mmxLane, x86asm.PSADBW)
	defX(pavgb, mmxLane, x86asm.PAVGB)
	defX(pavgw, mmxLane, x86asm.PAVGW)
	defXWith(pminub, mmxLane, pminubXX, pminubXM, x86asm.PMINUB)
	defXWith(pmaxub, mmxLane, pmaxubXX, pmaxubXM, x86asm.PMAXUB)
	defX(pminsw, mmxLane, x86asm.PMINSW)
	defX(pmaxsw, mmxLane, x86asm.PMAXSW)
	defX(pminsb, mmxNo, x86asm.PMINSB)
	defX(pmaxsb, mmxNo, x86asm.PMAXSB)
	defX(pminuw, mmxNo, x86asm.PMINUW)
	defX(pmaxuw, mmxNo, x86asm.PMAXUW)
	defX(pminud, mmxNo, x86asm.PMINUD)
	defX(pmaxud, mmxNo, x86asm.PMAXUD)
	defX(pminsd, mmxNo, x86asm.PMINSD)
	defX(pmaxsd, mmxNo, x86asm.PMAXSD)
	defXWith(pcmpeqb, mmxLane, pcmpeqbXX, pcmpeqbXM, x86asm.PCMPEQB)
	defX(pcmpeqw, mmxLane, x86asm.PCMPEQW)
	defXWith(pcmpeqd, mmxLane, pcmpeqdXX, pcmpeqdXM, x86asm.PCMPEQD)
	defX(pcmpeqq, mmxNo, x86asm.PCMPEQQ)
	defX(pcmpgtb, mmxLane, x86asm.PCMPGTB)
	defX(pcmpgtw, mmxLane, x86asm.PCMPGTW)
	defX(pcmpgtd, mmxLane, x86asm.PCMPGTD)
	defX(pcmpgtq, mmxNo, x86asm.PCMPGTQ)
	defXWith(pand, mmxLane, pandXX, pandXM, x86asm.PAND)
	defXWith(pandn, mmxLane, pandnXX, pandnXM, x86asm.PANDN)
	defXWith(por, mmxLane, porXX, porXM, x86asm.POR)
	defXWith(pxor, mmxLane, pxorXX, pxorXM, x86asm.PXOR)
	defX(punpcklbw, mmxLane, x86asm.PUNPCKLBW)
	defX(punpcklwd, mmxLane, x86asm.PUNPCKLWD)
	defX(punpckldq, mmxLane, x86asm.PUNPCKLDQ)
	defX(punpcklqdq, mmxNo, x86asm.PUNPCKLQDQ)
	defX(punpckhbw, mmxHigh, x86asm.PUNPCKHBW)
	defX(punpckhwd, mmxHigh, x86asm.PUNPCKHWD)
	defX(punpckhdq, mmxHigh, x86asm.PUNPCKHDQ)
	defX(punpckhqdq, mmxNo, x86asm.PUNPCKHQDQ)
	defX(packsswb, mmxPair, x86asm.PACKSSWB)
	defX(packssdw, mmxPair, x86asm.PACKSSDW)
	defX(packuswb, mmxPair, x86asm.PACKUSWB)
	defX(packusdw, mmxNo, x86asm.PACKUSDW)
	defX(pshufb, mmxDup, x86asm.PSHUFB)
	defX(phaddw, mmxPair, x86asm.PHADDW)
	defX(phaddd, mmxPair, x86asm.PHADDD)
	defX(phaddsw, mmxPair, x86asm.PHADDSW)
	defX(phsubw, mmxPair, x86asm.PHSUBW)
	defX(phsubd, mmxPair, x86asm.PHSUBD)
	defX(phsubsw, mmxPair, x86asm.PHSUBSW)
	defX(pabsb, mmxLane, x86asm.PABSB)
	defX(pabsw, mmxLane, x86asm.PABSW)
	defX(pabsd, mmxLane, x86asm.PABSD)
	defX(psignb, mmxLane, x86asm.PSIGNB)
	defX(psignw, mmxLane, x86asm.PSIGNW)
	defX(psignd, mmxLane, x86asm.PSIGND)
	defX(pmulhrsw, mmxLane, x86asm.PMULHRSW)
	defX(pmaddubsw, mmxLane, x86asm.PMADDUBSW)
	defX(phminposuw, mmxNo, x86asm.PHMINPOSUW)

	defXi(palignr, mmxAlign, x86asm.PALIGNR)
	defXi(pshufd, mmxNo, x86asm.PSHUFD)
	defXi(pshuflw, mmxNo, x86asm.PSHUFLW)
	defXi(pshufhw, mmxNo, x86asm.PSHUFHW)
	defXi(pshufw, mmxLane, x86asm.PSHUFW)
	defXi(pblendw, mmxNo, x86asm.PBLENDW)
	defXi(blendps, mmxNo, x86asm.BLENDPS)
	defXi(blendpd, mmxNo, x86asm.BLENDPD)
	defXi(mpsadbw, mmxNo, x86asm.MPSADBW)
	defXi(pclmulqdq, mmxNo, x86asm.PCLMULQDQ)

	defSSE(selBlendv(pblendvb), x86asm.PBLENDVB)
	defSSE(selBlendv(blendvps), x86asm.BLENDVPS)
	defSSE(selBlendv(blendvpd), x86asm.BLENDVPD)

	defSSE(selShift(psllw), x86asm.PSLLW)
	defSSE(selShift(pslld), x86asm.PSLLD)
	defSSE(selShift(psllq), x86asm.PSLLQ)
	defSSE(selShift(psrlw), x86asm.PSRLW)
	defSSE(selShift(psrld), x86asm.PSRLD)
	defSSE(selShift(psrlq), x86asm.PSRLQ)
	defSSE(selShift(psraw), x86asm.PSRAW)
	defSSE(selShift(psrad), x86asm.PSRAD)
	defSSE(selByteShift(pslldq), x86asm.PSLLDQ)
	defSSE(selByteShift(psrldq), x86asm.PSRLDQ)

	defSSE(selPmov(widen[uint8, uint16]), x86asm.PMOVZXBW)
	defSSE(selPmov(widen[uint8, uint32]), x86asm.PMOVZXBD)
	defSSE(selPmov(widen[uint8, uint64]), x86asm.PMOVZXBQ)
	defSSE(selPmov(widen[uint16, uint32]), x86asm.PMOVZXWD)
	defSSE(selPmov(widen[uint16, uint64]), x86asm.PMOVZXWQ)
	defSSE(selPmov(widen[uint32, uint64]), x86asm.PMOVZXDQ)
	defSSE(selPmov(widen[int8, int16]), x86asm.PMOVSXBW)
	defSSE(selPmov(widen[int8, int32]), x86asm.PMOVSXBD)
	defSSE(selPmov(widen[int8, int64]), x86asm.PMOVSXBQ)
	defSSE(selPmov(widen[int16, int32]), x86asm.PMOVSXWD)
	defSSE(selPmov(widen[int16, int64]), x86asm.PMOVSXWQ)
	defSSE(selPmov(widen[int32, int64]), x86asm.PMOVSXDQ)

	defSSE(selPinsr, x86asm.PINSRB, x86asm.PINSRW, x86asm.PINSRD, x86asm.PINSRQ)
	defSSE(selPextr, x86asm.PEXTRB, x86asm.PEXTRW, x86asm.PEXTRD, x86asm.PEXTRQ, x86asm.EXTRACTPS)
	defSSE(selPtest, x86asm.PTEST)
	defSSE(selCrc32, x86asm.CRC32)
	defSSE(selPcmpstr, x86asm.PCMPESTRI, x86asm.PCMPESTRM, x86asm.PCMPISTRI, x86asm.PCMPISTRM)
}

// The operations that string functions are made of have handlers of their
// own, which work a 64-bit half at a time: the generic ones call the
// operation through a function value, with the operands in memory. The
// register and memory forms are separate handlers on purpose: one handler
// choosing its source at run time made BenchmarkSSEStr 10 % slower.

// xx returns the destination and source registers; xm the destination and
// the aligned memory source.
func (c *CPU) xx(in *Inst) (*XMM, *XMM) { return &c.X[in.args[0].reg], &c.X[in.args[1].reg] }

func (c *CPU) xm(in *Inst) (*XMM, *XMM) {
	s := c.xmmA(c.ea(in))
	return &c.X[in.args[0].reg&15], s
}

func pcmpeqbXX(c *CPU, in *Inst) {
	d, s := c.xx(in)
	d[0], d[1] = eqBytes(d[0], s[0]), eqBytes(d[1], s[1])
}
func pcmpeqbXM(c *CPU, in *Inst) {
	d, s := c.xm(in)
	d[0], d[1] = eqBytes(d[0], s[0]), eqBytes(d[1], s[1])
}
func pcmpeqdXX(c *CPU, in *Inst) {
	d, s := c.xx(in)
	d[0], d[1] = eqDwords(d[0], s[0]), eqDwords(d[1], s[1])
}
func pcmpeqdXM(c *CPU, in *Inst) {
	d, s := c.xm(in)
	d[0], d[1] = eqDwords(d[0], s[0]), eqDwords(d[1], s[1])
}
func pminubXX(c *CPU, in *Inst) {
	d, s := c.xx(in)
	d[0], d[1] = minBytes(d[0], s[0]), minBytes(d[1], s[1])
}
func pminubXM(c *CPU, in *Inst) {
	d, s := c.xm(in)
	d[0], d[1] = minBytes(d[0], s[0]), minBytes(d[1], s[1])
}
func pmaxubXX(c *CPU, in *Inst) {
	d, s := c.xx(in)
	d[0], d[1] = maxBytes(d[0], s[0]), maxBytes(d[1], s[1])
}
func pmaxubXM(c *CPU, in *Inst) {
	d, s := c.xm(in)
	d[0], d[1] = maxBytes(d[0], s[0]), maxBytes(d[1], s[1])
}
func psubbXX(c *CPU, in *Inst) {
	d, s := c.xx(in)
	d[0], d[1] = subLanes(d[0], s[0], hi8), subLanes(d[1], s[1], hi8)
}
func psubbXM(c *CPU, in *Inst) {
	d, s := c.xm(in)
	d[0], d[1] = subLanes(d[0], s[0], hi8), subLanes(d[1], s[1], hi8)
}
func pandXX(c *CPU, in *Inst)  { d, s := c.xx(in); d[0], d[1] = d[0]&s[0], d[1]&s[1] }
func pandXM(c *CPU, in *Inst)  { d, s := c.xm(in); d[0], d[1] = d[0]&s[0], d[1]&s[1] }
func pandnXX(c *CPU, in *Inst) { d, s := c.xx(in); d[0], d[1] = ^d[0]&s[0], ^d[1]&s[1] }
func pandnXM(c *CPU, in *Inst) { d, s := c.xm(in); d[0], d[1] = ^d[0]&s[0], ^d[1]&s[1] }
func porXX(c *CPU, in *Inst)   { d, s := c.xx(in); d[0], d[1] = d[0]|s[0], d[1]|s[1] }
func porXM(c *CPU, in *Inst)   { d, s := c.xm(in); d[0], d[1] = d[0]|s[0], d[1]|s[1] }
func pxorXX(c *CPU, in *Inst)  { d, s := c.xx(in); d[0], d[1] = d[0]^s[0], d[1]^s[1] }
func pxorXM(c *CPU, in *Inst)  { d, s := c.xm(in); d[0], d[1] = d[0]^s[0], d[1]^s[1] }

// ltBytes has the top bit of each byte set where a's byte is below b's: the
// borrow out of the byte's subtraction.
func ltBytes(a, b uint64) uint64 {
	d := subLanes(a, b, hi8)
	return (^a&b | ^(a^b)&d) & hi8
}

func minBytes(a, b uint64) uint64 {
	m := ltBytes(a, b) >> 7 * 0xff
	return a&m | b&^m
}

func maxBytes(a, b uint64) uint64 {
	m := ltBytes(a, b) >> 7 * 0xff
	return b&m | a&^m
}

// eqDwords sets each 32-bit half of the result where a and b agree.
func eqDwords(a, b uint64) uint64 {
	x := a ^ b
	return uint64(ones32(uint32(x) == 0)) | uint64(ones32(x>>32 == 0))<<32
}

// SWAR masks of the top bit of each lane.
const (
	hi8  = 0x8080808080808080
	hi16 = 0x8000800080008000
	hi32 = 0x8000000080000000
)

// addLanes and subLanes add or subtract packed lanes whose top bits are h,
// keeping carries inside each lane.
func addLanes(a, b, h uint64) uint64 { return (a&^h + b&^h) ^ (a^b)&h }
func subLanes(a, b, h uint64) uint64 { return (a | h - b&^h) ^ (a^^b)&h }

func paddb(d, s XMM) XMM { return XMM{addLanes(d[0], s[0], hi8), addLanes(d[1], s[1], hi8)} }
func paddw(d, s XMM) XMM { return XMM{addLanes(d[0], s[0], hi16), addLanes(d[1], s[1], hi16)} }
func paddd(d, s XMM) XMM { return XMM{addLanes(d[0], s[0], hi32), addLanes(d[1], s[1], hi32)} }
func paddq(d, s XMM) XMM { return XMM{d[0] + s[0], d[1] + s[1]} }
func psubb(d, s XMM) XMM { return XMM{subLanes(d[0], s[0], hi8), subLanes(d[1], s[1], hi8)} }
func psubw(d, s XMM) XMM { return XMM{subLanes(d[0], s[0], hi16), subLanes(d[1], s[1], hi16)} }
func psubd(d, s XMM) XMM { return XMM{subLanes(d[0], s[0], hi32), subLanes(d[1], s[1], hi32)} }
func psubq(d, s XMM) XMM { return XMM{d[0] - s[0], d[1] - s[1]} }

// lane is the element type of a packed integer operation.
type lane interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64
}

// lanesOf views x as lanes of type T.
func lanesOf[T lane](x *XMM) []T {
	var z T
	return unsafe.Slice((*T)(unsafe.Pointer(x)), 16/unsafe.Sizeof(z))
}

// lanewise applies f to each pair of lanes of d and s. It and f are small
// enough to be inlined: each operation compiles to its own loop.
func lanewise[T lane](d, s XMM, f func(a, b T) T) XMM {
	a, b := lanesOf[T](&d), lanesOf[T](&s)
	for i := range a {
		a[i] = f(a[i], b[i])
	}
	return d
}

// small is a lane type whose sums and differences fit in an int32.
type small interface {
	~int8 | ~uint8 | ~int16 | ~uint16
}

// sat converts v to T, saturating at T's bounds.
func sat[T small](v int32) T {
	bits := 8 * int32(unsafe.Sizeof(T(0)))
	lo, hi := int32(0), int32(1)<<bits-1
	if T(0)-1 < 0 {
		lo, hi = -1<<(bits-1), 1<<(bits-1)-1
	}
	return T(min(max(v, lo), hi))
}

func addSat[T small](a, b T) T { return sat[T](int32(a) + int32(b)) }
func subSat[T small](a, b T) T { return sat[T](int32(a) - int32(b)) }

func paddsb(d, s XMM) XMM  { return lanewise(d, s, addSat[int8]) }
func psubsb(d, s XMM) XMM  { return lanewise(d, s, subSat[int8]) }
func paddusb(d, s XMM) XMM { return lanewise(d, s, addSat[uint8]) }
func psubusb(d, s XMM) XMM { return lanewise(d, s, subSat[uint8]) }
func paddsw(d, s XMM) XMM  { return lanewise(d, s, addSat[int16]) }
func psubsw(d, s XMM) XMM  { return lanewise(d, s, subSat[int16]) }
func paddusw(d, s XMM) XMM { return lanewise(d, s, addSat[uint16]) }
func psubusw(d, s XMM) XMM { return lanewise(d, s, subSat[uint16]) }

func pmullw(d, s XMM) XMM { return lanewise(d, s, func(a, b uint16) uint16 { return a * b }) }
func pmulld(d, s XMM) XMM { return lanewise(d, s, func(a, b uint32) uint32 { return a * b }) }

func pmulhw(d, s XMM) XMM {
	return lanewise(d, s, func(a, b int16) int16 { return int16(int32(a) * int32(b) >> 16) })
}

func pmulhuw(d, s XMM) XMM {
	return lanewise(d, s, func(a, b uint16) uint16 { return uint16(uint32(a) * uint32(b) >> 16) })
}

func pmuludq(d, s XMM) XMM {
	return XMM{uint64(uint32(d[0])) * uint64(uint32(s[0])), uint64(uint32(d[1])) * uint64(uint32(s[1]))}
}

func pmuldq(d, s XMM) XMM {
	return XMM{uint64(int64(int32(d[0])) * int64(int32(s[0]))), uint64(int64(int32(d[1])) * int64(int32(s[1])))}
}

func pmaddwd(d, s XMM) XMM {
	a, b := d.i16(), s.i16()
	var r XMM
	o := r.u32()
	for i := range o {
		o[i] = uint32(int32(a[2*i])*int32(b[2*i]) + int32(a[2*i+1])*int32(b[2*i+1]))
	}
	return r
}

func psadbw(d, s XMM) XMM {
	a, b := d.u8(), s.u8()
	var r XMM
	for h := range 2 {
		var sum uint64
		for i := 8 * h; i < 8*h+8; i++ {
			x, y := int(a[i]), int(b[i])
			sum += uint64(max(x-y, y-x))
		}
		r[h] = sum
	}
	return r
}

func pavgb(d, s XMM) XMM {
	return lanewise(d, s, func(a, b uint8) uint8 { return uint8((uint16(a) + uint16(b) + 1) >> 1) })
}

func pavgw(d, s XMM) XMM {
	return lanewise(d, s, func(a, b uint16) uint16 { return uint16((uint32(a) + uint32(b) + 1) >> 1) })
}

func pminub(d, s XMM) XMM { return XMM{minBytes(d[0], s[0]), minBytes(d[1], s[1])} }
func pmaxub(d, s XMM) XMM { return XMM{maxBytes(d[0], s[0]), maxBytes(d[1], s[1])} }
func pminsb(d, s XMM) XMM { return lanewise(d, s, minLane[int8]) }
func pmaxsb(d, s XMM) XMM { return lanewise(d, s, maxLane[int8]) }
func pminuw(d, s XMM) XMM { return lanewise(d, s, minLane[uint16]) }
func pmaxuw(d, s XMM) XMM { return lanewise(d, s, maxLane[uint16]) }
func pminsw(d, s XMM) XMM { return lanewise(d, s, minLane[int16]) }
func pmaxsw(d, s XMM) XMM { return lanewise(d, s, maxLane[int16]) }
func pminud(d, s XMM) XMM { return lanewise(d, s, minLane[uint32]) }
func pmaxud(d, s XMM) XMM { return lanewise(d, s, maxLane[uint32]) }
func pminsd(d, s XMM) XMM { return lanewise(d, s, minLane[int32]) }
func pmaxsd(d, s XMM) XMM { return lanewise(d, s, maxLane[int32]) }

func minLane[T lane](a, b T) T { return min(a, b) }
func maxLane[T lane](a, b T) T { return max(a, b) }

// zeroTops has the top bit of each byte set where x's byte is zero: adding
// 0x7f to its low 7 bits sets the top bit unless they are zero.
func zeroTops(x uint64) uint64 { return ^(x&^hi8 + ^uint64(hi8) | x) & hi8 }

// eqBytes sets each byte of the result to 0xff where a and b agree.
func eqBytes(a, b uint64) uint64 { return zeroTops(a^b) >> 7 * 0xff }

func pcmpeqb(d, s XMM) XMM { return XMM{eqBytes(d[0], s[0]), eqBytes(d[1], s[1])} }
func pcmpeqw(d, s XMM) XMM { return lanewise(d, s, func(a, b uint16) uint16 { return ones16(a == b) }) }
func pcmpeqd(d, s XMM) XMM { return XMM{eqDwords(d[0], s[0]), eqDwords(d[1], s[1])} }
func pcmpeqq(d, s XMM) XMM { return XMM{ones64(d[0] == s[0]), ones64(d[1] == s[1])} }
func pcmpgtb(d, s XMM) XMM {
	return lanewise(d, s, func(a, b int8) int8 { return int8(ones16(a > b)) })
}
func pcmpgtw(d, s XMM) XMM {
	return lanewise(d, s, func(a, b int16) int16 { return int16(ones16(a > b)) })
}
func pcmpgtd(d, s XMM) XMM {
	return lanewise(d, s, func(a, b int32) int32 { return int32(ones32(a > b)) })
}

func pcmpgtq(d, s XMM) XMM {
	return XMM{ones64(int64(d[0]) > int64(s[0])), ones64(int64(d[1]) > int64(s[1]))}
}

func ones16(b bool) uint16 {
	if b {
		return 0xffff
	}
	return 0
}

func ones32(b bool) uint32 {
	if b {
		return 0xffffffff
	}
	return 0
}

func ones64(b bool) uint64 {
	if b {
		return ^uint64(0)
	}
	return 0
}

func pand(d, s XMM) XMM  { return XMM{d[0] & s[0], d[1] & s[1]} }
func pandn(d, s XMM) XMM { return XMM{^d[0] & s[0], ^d[1] & s[1]} }
func por(d, s XMM) XMM   { return XMM{d[0] | s[0], d[1] | s[1]} }
func pxor(d, s XMM) XMM  { return XMM{d[0] ^ s[0], d[1] ^ s[1]} }

func punpcklbw(d, s XMM) XMM { return interleave[uint8](d, s, 0) }
func punpckhbw(d, s XMM) XMM { return interleave[uint8](d, s, 8) }
func punpcklwd(d, s XMM) XMM { return interleave[uint16](d, s, 0) }
func punpckhwd(d, s XMM) XMM { return interleave[uint16](d, s, 4) }

// interleave alternates the lanes of d and s from lane i on (the low or the
// high half).
func interleave[T lane](d, s XMM, i int) XMM {
	var r XMM
	a, b, o := lanesOf[T](&d), lanesOf[T](&s), lanesOf[T](&r)
	for j := range len(o) / 2 {
		o[2*j], o[2*j+1] = a[i+j], b[i+j]
	}
	return r
}

func punpckldq(d, s XMM) XMM {
	return XMM{d[0]&0xffffffff | s[0]<<32, d[0]>>32 | s[0]&^0xffffffff}
}

func punpckhdq(d, s XMM) XMM {
	return XMM{d[1]&0xffffffff | s[1]<<32, d[1]>>32 | s[1]&^0xffffffff}
}

func punpcklqdq(d, s XMM) XMM { return XMM{d[0], s[0]} }
func punpckhqdq(d, s XMM) XMM { return XMM{d[1], s[1]} }

func packsswb(d, s XMM) XMM { return narrow(d, s, func(v int16) int8 { return sat[int8](int32(v)) }) }
func packuswb(d, s XMM) XMM { return narrow(d, s, func(v int16) uint8 { return sat[uint8](int32(v)) }) }
func packssdw(d, s XMM) XMM { return narrow(d, s, sat[int16]) }
func packusdw(d, s XMM) XMM { return narrow(d, s, sat[uint16]) }

// narrow narrows the lanes of d into the low half of the result and those of
// s into the high half, saturating each with sat.
func narrow[F, T lane](d, s XMM, sat func(v F) T) XMM {
	var r XMM
	a, b, o := lanesOf[F](&d), lanesOf[F](&s), lanesOf[T](&r)
	for i := range a {
		o[i], o[len(a)+i] = sat(a[i]), sat(b[i])
	}
	return r
}

func pshufb(d, s XMM) XMM {
	var r XMM
	a, b, o := d.u8(), s.u8(), r.u8()
	for i := range o {
		if b[i]&0x80 == 0 {
			o[i] = a[b[i]&15]
		}
	}
	return r
}

// palignr shifts the 32-byte concatenation d:s right by imm bytes.
func palignr(d, s XMM, imm uint8) XMM {
	var buf [48]uint8
	copy(buf[:16], s.u8()[:])
	copy(buf[16:32], d.u8()[:])
	var r XMM
	if imm < 32 {
		copy(r.u8()[:], buf[imm:])
	}
	return r
}

func phaddw(d, s XMM) XMM { return horizontal(d, s, func(x, y uint16) uint16 { return x + y }) }
func phsubw(d, s XMM) XMM { return horizontal(d, s, func(x, y uint16) uint16 { return x - y }) }
func phaddd(d, s XMM) XMM { return horizontal(d, s, func(x, y uint32) uint32 { return x + y }) }
func phsubd(d, s XMM) XMM { return horizontal(d, s, func(x, y uint32) uint32 { return x - y }) }

func phaddsw(d, s XMM) XMM { return horizontal(d, s, addSat[int16]) }
func phsubsw(d, s XMM) XMM { return horizontal(d, s, subSat[int16]) }

// horizontal combines adjacent pairs of lanes, those of d into the low half
// of the result and those of s into the high half.
func horizontal[T lane](d, s XMM, f func(x, y T) T) XMM {
	var r XMM
	a, b, o := lanesOf[T](&d), lanesOf[T](&s), lanesOf[T](&r)
	h := len(o) / 2
	for i := range h {
		o[i], o[h+i] = f(a[2*i], a[2*i+1]), f(b[2*i], b[2*i+1])
	}
	return r
}

// PABS ignores the destination.
func pabsb(_, s XMM) XMM { return lanewise(s, s, absLane[int8]) }
func pabsw(_, s XMM) XMM { return lanewise(s, s, absLane[int16]) }
func pabsd(_, s XMM) XMM { return lanewise(s, s, absLane[int32]) }

func psignb(d, s XMM) XMM { return lanewise(d, s, signLane[int8]) }
func psignw(d, s XMM) XMM { return lanewise(d, s, signLane[int16]) }
func psignd(d, s XMM) XMM { return lanewise(d, s, signLane[int32]) }

// absLane is |a| (the most negative value stays); its second operand is a.
func absLane[T int8 | int16 | int32](a, _ T) T {
	if a < 0 {
		return -a
	}
	return a
}

// signLane is a negated, zeroed or kept as b is negative, zero or positive.
func signLane[T int8 | int16 | int32](a, b T) T {
	switch {
	case b < 0:
		return -a
	case b == 0:
		return 0
	}
	return a
}

func pmulhrsw(d, s XMM) XMM {
	return lanewise(d, s, func(a, b int16) int16 { return int16((int32(a)*int32(b)>>14 + 1) >> 1) })
}

// pmaddubsw multiplies unsigned bytes of d by signed bytes of s.
func pmaddubsw(d, s XMM) XMM {
	var r XMM
	a, b, o := d.u8(), s.i8(), r.i16()
	for i := range o {
		o[i] = sat[int16](int32(a[2*i])*int32(b[2*i]) + int32(a[2*i+1])*int32(b[2*i+1]))
	}
	return r
}

func phminposuw(_, s XMM) XMM {
	b := s.u16()
	m, idx := b[0], 0
	for i := 1; i < 8; i++ {
		if b[i] < m {
			m, idx = b[i], i
		}
	}
	return XMM{uint64(m) | uint64(idx)<<16}
}

// pclmul00 is carry-less multiplication of the low halves; PCLMULQDQ picks
// the halves with its immediate.
func pclmul00(d, s XMM) XMM {
	a, b := d[0], s[0]
	var lo, hi uint64
	for i := range 64 {
		if b>>i&1 != 0 {
			lo ^= a << i
			if i != 0 {
				hi ^= a >> (64 - i)
			}
		}
	}
	return XMM{lo, hi}
}

func pclmulqdq(d, s XMM, imm uint8) XMM {
	return pclmul00(XMM{d[imm&1]}, XMM{s[imm>>4&1]})
}

func pshufd(_, s XMM, imm uint8) XMM {
	var r XMM
	a, o := s.u32(), r.u32()
	for i := range o {
		o[i] = a[imm>>(2*i)&3]
	}
	return r
}

func pshuflw(_, s XMM, imm uint8) XMM {
	r := s
	a, o := s.u16(), r.u16()
	for i := range 4 {
		o[i] = a[imm>>(2*i)&3]
	}
	return r
}

func pshufhw(_, s XMM, imm uint8) XMM {
	r := s
	a, o := s.u16(), r.u16()
	for i := range 4 {
		o[4+i] = a[4+imm>>(2*i)&3]
	}
	return r
}

// pshufw is the MMX shuffle: the 64-bit source is the low half of s.
func pshufw(_, s XMM, imm uint8) XMM { return pshuflw(s, s, imm) }

func pblendw(d, s XMM, imm uint8) XMM {
	a, b := d.u16(), s.u16()
	for i := range a {
		if imm>>i&1 != 0 {
			a[i] = b[i]
		}
	}
	return d
}

func blendps(d, s XMM, imm uint8) XMM {
	a, b := d.u32(), s.u32()
	for i := range a {
		if imm>>i&1 != 0 {
			a[i] = b[i]
		}
	}
	return d
}

func blendpd(d, s XMM, imm uint8) XMM {
	for i := range d {
		if imm>>i&1 != 0 {
			d[i] = s[i]
		}
	}
	return d
}

// mpsadbw sums absolute differences of a 4-byte block of s against eight
// sliding 4-byte windows of d.
func mpsadbw(d, s XMM, imm uint8) XMM {
	a, b := d.u8(), s.u8()
	doff, soff := int(imm>>2&1)*4, int(imm&3)*4
	var r XMM
	o := r.u16()
	for i := range o {
		var sum int
		for j := range 4 {
			x, y := int(a[doff+i+j]), int(b[soff+j])
			sum += max(x-y, y-x)
		}
		o[i] = uint16(sum)
	}
	return r
}

// Variable blends take their mask from the top bit of each lane of XMM0.
func selBlendv(f func(d, s, m XMM) XMM) func(in *Inst) handler {
	rr := func(c *CPU, in *Inst) {
		d := &c.X[in.args[0].reg]
		*d = f(*d, c.X[in.args[1].reg], c.X[0])
	}
	rm := func(c *CPU, in *Inst) {
		s := c.ldA(c.ea(in))
		d := &c.X[in.args[0].reg]
		*d = f(*d, s, c.X[0])
	}
	return func(in *Inst) handler {
		switch {
		case isX(in, 0) && isX(in, 1):
			return rr
		case isX(in, 0) && isM(in, 1):
			return rm
		}
		return nil
	}
}

func pblendvb(d, s, m XMM) XMM {
	a, b, k := d.u8(), s.u8(), m.u8()
	for i := range a {
		if k[i]&0x80 != 0 {
			a[i] = b[i]
		}
	}
	return d
}

func blendvps(d, s, m XMM) XMM {
	a, b, k := d.u32(), s.u32(), m.u32()
	for i := range a {
		if k[i]>>31 != 0 {
			a[i] = b[i]
		}
	}
	return d
}

func blendvpd(d, s, m XMM) XMM {
	for i := range d {
		if m[i]>>63 != 0 {
			d[i] = s[i]
		}
	}
	return d
}

// Shifts by a count: an immediate, or the low 64 bits of an XMM register,
// m128 or (MMX) a register or m64. Counts past the lane width clear the lane
// (or fill it with the sign).
type shiftOp func(v XMM, n uint64) XMM

func selShift(f shiftOp) func(in *Inst) handler {
	xi := func(c *CPU, in *Inst) {
		d := &c.X[in.args[0].reg]
		*d = f(*d, uint64(uint8(in.imm)))
	}
	xx := func(c *CPU, in *Inst) {
		d := &c.X[in.args[0].reg]
		*d = f(*d, c.X[in.args[1].reg][0])
	}
	xm := func(c *CPU, in *Inst) {
		n := c.ldA(c.ea(in))[0]
		d := &c.X[in.args[0].reg]
		*d = f(*d, n)
	}
	mi := func(c *CPU, in *Inst) {
		r := in.args[0].reg
		c.setMM(r, f(XMM{c.mm(r)}, uint64(uint8(in.imm)))[0])
	}
	mm := func(c *CPU, in *Inst) {
		n := c.mmsrc(in)
		r := in.args[0].reg
		c.setMM(r, f(XMM{c.mm(r)}, n)[0])
	}
	return func(in *Inst) handler {
		switch {
		case isX(in, 0) && in.args[1].kind == argImm:
			return xi
		case isX(in, 0) && isX(in, 1):
			return xx
		case isX(in, 0) && isM(in, 1):
			return xm
		case isMM(in, 0) && in.args[1].kind == argImm:
			return mi
		case isMM(in, 0) && (isMM(in, 1) || isM(in, 1)):
			return mm
		}
		return nil
	}
}

// Go's shifts give these their meaning for any count: past the lane width
// logical shifts give 0 and arithmetic ones the sign.
func psllw(v XMM, n uint64) XMM { return lanewise(v, v, func(a, _ uint16) uint16 { return a << n }) }
func psrlw(v XMM, n uint64) XMM { return lanewise(v, v, func(a, _ uint16) uint16 { return a >> n }) }
func psraw(v XMM, n uint64) XMM { return lanewise(v, v, func(a, _ int16) int16 { return a >> n }) }
func pslld(v XMM, n uint64) XMM { return lanewise(v, v, func(a, _ uint32) uint32 { return a << n }) }
func psrld(v XMM, n uint64) XMM { return lanewise(v, v, func(a, _ uint32) uint32 { return a >> n }) }
func psrad(v XMM, n uint64) XMM { return lanewise(v, v, func(a, _ int32) int32 { return a >> n }) }

func psllq(v XMM, n uint64) XMM { return XMM{v[0] << n, v[1] << n} }

func psrlq(v XMM, n uint64) XMM { return XMM{v[0] >> n, v[1] >> n} }

// PSLLDQ and PSRLDQ shift the whole register by bytes.
func selByteShift(f func(v XMM, n uint8) XMM) func(in *Inst) handler {
	h := func(c *CPU, in *Inst) {
		d := &c.X[in.args[0].reg]
		*d = f(*d, uint8(in.imm))
	}
	return func(in *Inst) handler {
		if isX(in, 0) && in.args[1].kind == argImm {
			return h
		}
		return nil
	}
}

func pslldq(v XMM, n uint8) XMM {
	switch {
	case n >= 16:
		return XMM{}
	case n >= 8:
		return XMM{0, v[0] << (8 * (n - 8))}
	case n == 0:
		return v
	}
	return XMM{v[0] << (8 * n), v[1]<<(8*n) | v[0]>>(64-8*n)}
}

func psrldq(v XMM, n uint8) XMM {
	switch {
	case n >= 16:
		return XMM{}
	case n >= 8:
		return XMM{v[1] >> (8 * (n - 8)), 0}
	case n == 0:
		return v
	}
	return XMM{v[0]>>(8*n) | v[1]<<(64-8*n), v[1] >> (8 * n)}
}

// PMOVZX and PMOVSX widen the low lanes of a register or of a 16-, 32- or
// 64-bit memory operand.
func selPmov(f func(v XMM) XMM) func(in *Inst) handler {
	xx := func(c *CPU, in *Inst) {
		d := &c.X[in.args[0].reg]
		*d = f(c.X[in.args[1].reg])
	}
	xm := func(c *CPU, in *Inst) {
		c.X[in.args[0].reg] = f(XMM{c.load(c.ea(in), in.msize)})
	}
	return func(in *Inst) handler {
		switch {
		case isX(in, 0) && isX(in, 1):
			return xx
		case isX(in, 0) && isM(in, 1):
			return xm
		}
		return nil
	}
}

// widen converts the low lanes of v to the wider lanes of the result,
// extending the sign or not as F is signed or not.
func widen[F, T lane](v XMM) XMM {
	var r XMM
	a, o := lanesOf[F](&v), lanesOf[T](&r)
	for i := range o {
		o[i] = T(a[i])
	}
	return r
}

// PINSRB/W/D/Q insert a general register or memory value into the lane
// picked by the immediate; PINSRW also has an MMX form.
func selPinsr(in *Inst) handler {
	if in.args[2].kind != argImm || !(isR(in, 1) || isM(in, 1)) {
		return nil
	}
	switch {
	case isX(in, 0):
		return opPinsr
	case isMM(in, 0) && in.op == x86asm.PINSRW:
		return opPinsrwMM
	}
	return nil
}

// pinsrLane returns the lane size in bytes of a PINSR/PEXTR mnemonic.
func pinsrLane(op x86asm.Op) uint {
	switch op {
	case x86asm.PINSRB, x86asm.PEXTRB:
		return 1
	case x86asm.PINSRW, x86asm.PEXTRW:
		return 2
	case x86asm.PINSRQ, x86asm.PEXTRQ:
		return 8
	}
	return 4
}

func (c *CPU) pinsrSrc(in *Inst, n uint) uint64 {
	if isM(in, 1) {
		return c.load(c.ea(in), uint8(n))
	}
	return c.R[in.args[1].reg]
}

func opPinsr(c *CPU, in *Inst) {
	n := pinsrLane(in.op)
	v := c.pinsrSrc(in, n)
	d := &c.X[in.args[0].reg]
	lanes := 16 / n
	pos := uint(uint8(in.imm)) % lanes * n * 8
	h := pos / 64
	sh := pos % 64
	m := sizeMask(uint8(n)) << sh
	d[h] = d[h]&^m | v<<sh&m
}

func opPinsrwMM(c *CPU, in *Inst) {
	v := c.pinsrSrc(in, 2)
	r := in.args[0].reg
	sh := uint(in.imm) & 3 * 16
	c.setMM(r, c.mm(r)&^(0xffff<<sh)|(v&0xffff)<<sh)
}

// PEXTRB/W/D/Q and EXTRACTPS write a lane to a general register
// (zero-extended) or to memory.
func selPextr(in *Inst) handler {
	if in.args[2].kind != argImm || !(isR(in, 0) || isM(in, 0)) {
		return nil
	}
	switch {
	case isX(in, 1):
		return opPextr
	case isMM(in, 1) && in.op == x86asm.PEXTRW && isR(in, 0):
		return opPextrwMM
	}
	return nil
}

func opPextr(c *CPU, in *Inst) {
	n := pinsrLane(in.op)
	s := &c.X[in.args[1].reg]
	pos := uint(uint8(in.imm)) % (16 / n) * n * 8
	v := s[pos/64] >> (pos % 64) & sizeMask(uint8(n))
	if isM(in, 0) {
		c.store(c.ea(in), uint8(n), v)
		return
	}
	c.R[in.args[0].reg] = v
}

func opPextrwMM(c *CPU, in *Inst) {
	c.R[in.args[0].reg] = c.mm(in.args[1].reg) >> (uint(in.imm) & 3 * 16) & 0xffff
}

// PTEST sets ZF when d AND s is zero and CF when s AND NOT d is zero, and
// clears the other status flags.
func selPtest(in *Inst) handler {
	switch {
	case isX(in, 0) && isX(in, 1), isX(in, 0) && isM(in, 1):
		return opPtest
	}
	return nil
}

func opPtest(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := &c.X[in.args[0].reg]
	var f uint64
	if d[0]&s[0]|d[1]&s[1] == 0 {
		f |= FlagZF
	}
	if ^d[0]&s[0]|^d[1]&s[1] == 0 {
		f |= FlagCF
	}
	c.setStatus(f)
}

// CRC32 accumulates CRC-32C (Castagnoli, reflected) without the initial and
// final inversion.
var crc32cTable [256]uint32

func init() {
	for i := range crc32cTable {
		v := uint32(i)
		for range 8 {
			if v&1 != 0 {
				v = v>>1 ^ 0x82f63b78
			} else {
				v >>= 1
			}
		}
		crc32cTable[i] = v
	}
}

func selCrc32(in *Inst) handler {
	if isR(in, 0) && (isR(in, 1) || in.args[1].kind == argRegH || isM(in, 1)) {
		return opCrc32
	}
	return nil
}

func opCrc32(c *CPU, in *Inst) {
	v := c.rd(in, 1)
	crc := uint32(c.R[in.args[0].reg])
	for range in.args[1].size {
		crc = crc32cTable[uint8(crc)^uint8(v)] ^ crc>>8
		v >>= 8
	}
	c.R[in.args[0].reg] = uint64(crc)
}

// PCMPESTRI, PCMPESTRM, PCMPISTRI and PCMPISTRM compare the 8 or 16
// elements of two strings in one of four ways selected by the immediate:
// bits 1:0 element format (unsigned/signed bytes/words), 3:2 aggregation
// (equal any, ranges, equal each, equal ordered), 5:4 polarity, 6 output
// (index of the most significant bit / byte mask). The E forms take lengths
// from RAX and RDX (EAX/EDX without REX.W), the I forms stop at the first
// zero element. The memory operand need not be aligned.
func selPcmpstr(in *Inst) handler {
	if !isX(in, 0) || !(isX(in, 1) || isM(in, 1)) || in.args[2].kind != argImm {
		return nil
	}
	// glibc's strcmp family runs PCMPISTRI on bytes, equal each: worth a
	// handler that does it a word at a time.
	if in.op == x86asm.PCMPISTRI && in.imm&0x0d == 0x08 {
		return opPcmpistriEachB
	}
	return opPcmpstr
}

// opPcmpistriEachB is PCMPISTRI for byte elements and the equal each
// aggregation: bit masks of the valid bytes of each operand (those before
// its first zero) and of the equal bytes give IntRes1 directly.
func opPcmpistriEachB(c *CPU, in *Inst) {
	var s2 *XMM
	if in.args[1].kind == argXMM {
		s2 = &c.X[in.args[1].reg&15]
	} else {
		s2 = c.xmmU(c.ea(in))
	}
	s1 := &c.X[in.args[0].reg&15]
	a0, a1, b0, b1 := s1[0], s1[1], s2[0], s2[1]
	if in.imm&0x70 == 0x10 {
		c.pcmpistriFirstDiff(a0, a1, b0, b1)
		return
	}
	z1 := uint32(msb8(zeroTops(a0)) | msb8(zeroTops(a1))<<8)
	z2 := uint32(msb8(zeroTops(b0)) | msb8(zeroTops(b1))<<8)
	eq := uint32(msb8(zeroTops(a0^b0)) | msb8(zeroTops(a1^b1))<<8)
	v1, v2 := (z1&-z1-1)&0xffff, (z2&-z2-1)&0xffff
	res := eq&v1&v2 | ^(v1|v2)&0xffff
	switch in.imm >> 4 & 3 {
	case 1:
		res ^= 0xffff
	case 3:
		res ^= v2
	}
	var f uint64
	idx := uint64(16)
	if res != 0 {
		f |= FlagCF
		if in.imm&0x40 != 0 {
			idx = uint64(bits.Len32(res) - 1)
		} else {
			idx = uint64(bits.TrailingZeros32(res))
		}
	}
	if z2 != 0 {
		f |= FlagZF
	}
	if z1 != 0 {
		f |= FlagSF
	}
	if res&1 != 0 {
		f |= FlagOF
	}
	c.R[RCX] = idx
	c.setStatus(f)
}

// pcmpistriFirstDiff is opPcmpistriEachB with negative polarity and the
// least significant index, strcmp's: the index is that of the first byte
// where the strings differ or one of them ends (16 if they end together
// first). Before that byte, IntRes2 is clear; if both end there, it is
// clear everywhere. It returns the flags it sets.
func (c *CPU) pcmpistriFirstDiff(a0, a1, b0, b1 uint64) uint64 {
	if a0 == b0 && a1 == b1 && zeroTops(a0)|zeroTops(a1) == 0 {
		// strcmp's common case: 16 equal bytes and no end.
		c.R[RCX] = 16
		c.setStatus(0)
		return 0
	}
	za0, za1, zb0, zb1 := zeroTops(a0), zeroTops(a1), zeroTops(b0), zeroTops(b1)
	idx := uint64(16)
	if ne := ^zeroTops(a0^b0) & hi8; ne|za0|zb0 != 0 {
		i := uint64(bits.TrailingZeros64(ne|za0|zb0)) &^ 7
		if ne>>i&0x80 != 0 {
			idx = i / 8
		}
	} else if ne := ^zeroTops(a1^b1) & hi8; ne|za1|zb1 != 0 {
		i := uint64(bits.TrailingZeros64(ne|za1|zb1)) &^ 7
		if ne>>i&0x80 != 0 {
			idx = 8 + i/8
		}
	}
	var f uint64
	if idx < 16 {
		f |= FlagCF
		if idx == 0 {
			f |= FlagOF
		}
	}
	if zb0|zb1 != 0 {
		f |= FlagZF
	}
	if za0|za1 != 0 {
		f |= FlagSF
	}
	c.R[RCX] = idx
	c.setStatus(f)
	return f
}

func opPcmpstr(c *CPU, in *Inst) {
	var s2 XMM
	if isX(in, 1) {
		s2 = c.X[in.args[1].reg]
	} else {
		s2 = c.ldU(c.ea(in))
	}
	s1 := c.X[in.args[0].reg]
	imm := uint8(in.imm)
	words := imm&1 != 0
	n := 16
	if words {
		n = 8
	}
	var l1, l2 int
	switch in.op {
	case x86asm.PCMPESTRI, x86asm.PCMPESTRM:
		l1 = explicitLen(c.R[RAX], in.osize, n)
		l2 = explicitLen(c.R[RDX], in.osize, n)
	default:
		l1 = implicitLen(&s1, words)
		l2 = implicitLen(&s2, words)
	}
	res := pcmpstr(&s1, &s2, l1, l2, imm)
	var f uint64
	if res != 0 {
		f |= FlagCF
	}
	if l2 < n {
		f |= FlagZF
	}
	if l1 < n {
		f |= FlagSF
	}
	if res&1 != 0 {
		f |= FlagOF
	}
	switch in.op {
	case x86asm.PCMPESTRI, x86asm.PCMPISTRI:
		idx := uint64(n)
		if res != 0 {
			if imm&0x40 != 0 {
				idx = uint64(bits.Len32(res) - 1)
			} else {
				idx = uint64(bits.TrailingZeros32(res))
			}
		}
		c.R[RCX] = idx
	default:
		c.X[0] = pcmpstrMask(res, words, imm&0x40 != 0)
	}
	c.setStatus(f)
}

// explicitLen is the absolute value of a length register, capped at n.
func explicitLen(r uint64, osize uint8, n int) int {
	v := int64(r)
	if osize != 8 {
		v = int64(int32(r))
	}
	if v < 0 {
		v = -v
	}
	if v < 0 || v > int64(n) { // -MinInt64 stays negative
		return n
	}
	return int(v)
}

// implicitLen is the index of the first zero element, or the element
// count.
func implicitLen(x *XMM, words bool) int {
	if words {
		for i, w := range x.u16() {
			if w == 0 {
				return i
			}
		}
		return 8
	}
	if z := msb8(eqBytes(x[0], 0)) | msb8(eqBytes(x[1], 0))<<8; z != 0 {
		return bits.TrailingZeros64(z)
	}
	return 16
}

// pcmpstrElems widens the elements of x, signed or unsigned per imm.
func pcmpstrElems(x *XMM, imm uint8, out *[16]int32) {
	switch imm & 3 {
	case 0:
		for i, v := range x.u8() {
			out[i] = int32(v)
		}
	case 1:
		for i, v := range x.u16() {
			out[i] = int32(v)
		}
	case 2:
		for i, v := range x.i8() {
			out[i] = int32(v)
		}
	default:
		for i, v := range x.i16() {
			out[i] = int32(v)
		}
	}
}

// pcmpstr computes IntRes2, one bit per element of s2 (s1 for equal each,
// which is the same index).
func pcmpstr(s1, s2 *XMM, l1, l2 int, imm uint8) uint32 {
	n := 16
	if imm&1 != 0 {
		n = 8
	}
	var a, b [16]int32
	pcmpstrElems(s1, imm, &a)
	pcmpstrElems(s2, imm, &b)
	var res uint32
	switch imm >> 2 & 3 {
	case 0: // equal any: s2[j] is one of the valid elements of s1
		for j := range l2 {
			for i := range l1 {
				if a[i] == b[j] {
					res |= 1 << j
					break
				}
			}
		}
	case 1: // ranges: s2[j] lies in one of the pairs [s1[2k], s1[2k+1]]
		for j := range l2 {
			for i := 0; i+1 < l1; i += 2 {
				if b[j] >= a[i] && b[j] <= a[i+1] {
					res |= 1 << j
					break
				}
			}
		}
	case 2: // equal each: past both ends compares true, past one false
		for i := range n {
			v1, v2 := i < l1, i < l2
			if v1 && v2 && a[i] == b[i] || !v1 && !v2 {
				res |= 1 << i
			}
		}
	case 3: // equal ordered: s1 is a prefix of s2[j:], s1's end matches anything
		for j := range n {
			match := true
			for k := 0; k < n-j && k < l1; k++ {
				if j+k >= l2 || a[k] != b[j+k] {
					match = false
					break
				}
			}
			if match {
				res |= 1 << j
			}
		}
	}
	switch imm >> 4 & 3 {
	case 1:
		res ^= 1<<n - 1
	case 3:
		res ^= 1<<l2 - 1
	}
	return res
}

// pcmpstrMask turns IntRes2 into the XMM0 result of PCMPxSTRM: the bits
// themselves, or each bit widened to a byte or word mask.
func pcmpstrMask(res uint32, words, expand bool) XMM {
	if !expand {
		return XMM{uint64(res)}
	}
	var r XMM
	if words {
		o := r.u16()
		for i := range o {
			o[i] = uint16(0 - (res >> i & 1))
		}
		return r
	}
	o := r.u8()
	for i := range o {
		o[i] = uint8(0 - (res >> i & 1))
	}
	return r
}
