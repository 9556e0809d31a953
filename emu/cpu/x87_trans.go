package cpu

import (
	"math"
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
)

// Transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1,
// FYL2X, FYL2XP1. They are evaluated in a 128-bit significand format
// ("wide"), accurate to about 2^-120, then rounded once to 64 bits per the
// rounding control, so the result is the correctly rounded one (barring an
// exact value within about 2^-56 ulp of a rounding boundary). The hardware
// is not quite as good: on the AMD host these were compared with, about one
// random case in a thousand came out 1 ulp (an error of up to 0.6 ulp) off
// the correctly rounded value, and such results differ here. As on the
// hardware, FSIN, FCOS, FSINCOS and FPTAN reduce their argument modulo π/2
// exactly but with the x87's 66-bit approximation of π, and leave arguments
// of 2^63 or more unreduced with C2 set.

// wide is an unpacked nonzero value with a 128-bit significand (zero when
// hi is 0): value = hi:lo / 2^127 × 2^e.
type wide struct {
	hi, lo uint64 // hi bit 63 set unless zero
	e      int32
	neg    bool
}

// Constants, rounded to 128 bits.
var (
	wOne   = wide{hi: intBit, e: 0}
	wTwo   = wide{hi: intBit, e: 1}
	wPi    = wide{hi: 0xc90fdaa22168c234, lo: 0xc4c6628b80dc1cd1, e: 1}
	wLn2   = wide{hi: 0xb17217f7d1cf79ab, lo: 0xc9e3b39803f2f6af, e: -1}
	wLog2e = wide{hi: 0xb8aa3b295c17f0bb, lo: 0xbe87fed0691d3e89, e: 0}
	wSqrt2 = wide{hi: 0xb504f333f9de6484, lo: 0x597d89b3754abe9f, e: 0}
	wPio2  = wnorm(false, 62, pio2Hi, pio2Lo)
)

// The x87 reduces trigonometric arguments by π/2 taken as the 66-bit
// 0x3243F6A8885A308D3 × 2^-65.
const (
	pio2Hi = 0x3 // bits 64 and 65
	pio2Lo = 0x243f6a8885a308d3
)

func wnorm(neg bool, e int32, hi, lo uint64) wide {
	if hi == 0 {
		if lo == 0 {
			return wide{}
		}
		hi, lo, e = lo, 0, e-64
	}
	n := uint(bits.LeadingZeros64(hi))
	hi, lo = shl128(hi, lo, n)
	return wide{hi: hi, lo: lo, e: e - int32(n), neg: neg}
}

func (w wide) isZero() bool { return w.hi == 0 }

func (w wide) negate() wide { w.neg = !w.neg; return w }

func (w wide) scale(n int32) wide {
	if !w.isZero() {
		w.e += n
	}
	return w
}

func wFromF80(x F80) wide {
	if x.class() == fcZero {
		return wide{}
	}
	m, e := x.unpack()
	return wide{hi: m, e: e - f80Bias, neg: x.neg()}
}

func wFromInt(v int64) wide {
	m := uint64(v)
	if v < 0 {
		m = -m
	}
	return wnorm(v < 0, 127, 0, m)
}

// toF80 rounds w to a register value; inexact marks w as an approximation
// of a value that is not exactly representable, so that the rounding sees a
// nonzero tail even when w's own tail is zero.
func (w wide) toF80(inexact bool, ctl uint16) (F80, uint16) {
	if w.isZero() {
		return f80Zero(w.neg), 0
	}
	lo := w.lo
	if inexact {
		lo |= 1
	}
	return pack(w.neg, w.e+f80Bias, w.hi, lo, 64, ctl)
}

// wmul returns a×b, truncated to 128 bits.
func wmul(a, b wide) wide {
	if a.isZero() || b.isZero() {
		return wide{neg: a.neg != b.neg}
	}
	h1, l1 := bits.Mul64(a.hi, b.hi)
	h2, l2 := bits.Mul64(a.hi, b.lo)
	h3, l3 := bits.Mul64(a.lo, b.hi)
	h4, _ := bits.Mul64(a.lo, b.lo)
	w3, w2, w1 := h1, l1, uint64(0)
	var c uint64
	w1, c = bits.Add64(w1, l2, 0)
	w2, c = bits.Add64(w2, h2, c)
	w3 += c
	w1, c = bits.Add64(w1, l3, 0)
	w2, c = bits.Add64(w2, h3, c)
	w3 += c
	w1, c = bits.Add64(w1, h4, 0)
	w2, c = bits.Add64(w2, 0, c)
	w3 += c
	e := a.e + b.e + 1
	if w3&intBit == 0 {
		w3, w2 = w3<<1|w2>>63, w2<<1|w1>>63
		e--
	}
	return wide{hi: w3, lo: w2, e: e, neg: a.neg != b.neg}
}

// wadd returns a+b, truncated to 128 bits.
func wadd(a, b wide) wide {
	if b.isZero() {
		return a
	}
	if a.isZero() {
		return b
	}
	if a.e < b.e || a.e == b.e && (a.hi < b.hi || a.hi == b.hi && a.lo < b.lo) {
		a, b = b, a
	}
	d := a.e - b.e
	if d >= 128 {
		// b matters only to say on which side of a the sum lies when a
		// is a 64-bit rounding boundary; then it shows in the lowest bit.
		if a.lo&^intBit != 0 {
			return a
		}
		d = 128
	}
	bh, bl := shr128(b.hi, b.lo, uint(d))
	if a.neg == b.neg {
		lo, c := bits.Add64(a.lo, bl, 0)
		hi, c := bits.Add64(a.hi, bh, c)
		if c != 0 {
			hi, lo = shr128(hi, lo, 1)
			return wide{hi: hi | intBit, lo: lo, e: a.e + 1, neg: a.neg}
		}
		return wide{hi: hi, lo: lo, e: a.e, neg: a.neg}
	}
	lo, bw := bits.Sub64(a.lo, bl, 0)
	hi, _ := bits.Sub64(a.hi, bh, bw)
	return wnorm(a.neg, a.e, hi, lo)
}

func wsub(a, b wide) wide { return wadd(a, b.negate()) }

// wdiv returns a/b (b nonzero) through a reciprocal refined by one Newton
// step from a 64-bit estimate.
func wdiv(a, b wide) wide {
	q, _ := bits.Div64(1<<62, 0, b.hi) // 2^126 / b.hi, in (2^62, 2^63]
	x := wnorm(false, -b.e, q, 0)
	x = wmul(x, wsub(wTwo, wmul(b.abs(), x)))
	r := wmul(a, x)
	r.neg = a.neg != b.neg
	return r
}

func (w wide) abs() wide { w.neg = false; return w }

// wdivInt returns a/d for a small positive integer d.
func wdivInt(a wide, d uint64) wide {
	if a.isZero() {
		return a
	}
	q1, r := bits.Div64(0, a.hi, d)
	q2, r := bits.Div64(r, a.lo, d)
	q3, _ := bits.Div64(r, 0, d)
	n := uint(bits.LeadingZeros64(q1))
	if q1 == 0 {
		q1, q2, q3 = q2, q3, 0
		n = 64 + uint(bits.LeadingZeros64(q1))
	}
	s := n & 63
	if s != 0 {
		q1, q2 = q1<<s|q2>>(64-s), q2<<s|q3>>(64-s)
	}
	return wide{hi: q1, lo: q2, e: a.e - int32(n), neg: a.neg}
}

// wsqrt returns the square root of a positive a by Newton steps from a
// float64 estimate.
func wsqrt(a wide) wide {
	e := a.e
	f := float64(a.hi) * 0x1p-63
	if e&1 != 0 {
		f *= 2
		e--
	}
	x := wnorm(false, 127-62+e/2, 0, uint64(math.Sqrt(f)*0x1p62))
	for i := 0; i < 2; i++ {
		x = wadd(x, wdiv(a, x)).scale(-1)
	}
	return x
}

// negligible reports whether a series term t no longer changes sum.
func negligible(t, sum wide) bool { return t.isZero() || t.e < sum.e-132 }

// series sums x + x^3/3 + x^5/5 + ... (atanh) or, with alt, the alternating
// x - x^3/3 + ... (atan), for |x| well below 1.
func series(x wide, alt bool) wide {
	x2 := wmul(x, x)
	if alt {
		x2.neg = true
	}
	sum, p := x, x
	for k := uint64(3); ; k += 2 {
		p = wmul(p, x2)
		t := wdivInt(p, k)
		sum = wadd(sum, t)
		if negligible(t, sum) {
			return sum
		}
	}
}

// wlog2 returns log2(x) for a finite positive x, and whether the result is
// exact (x a power of two).
func wlog2(x wide) (wide, bool) {
	k := x.e
	m := x
	m.e = 0
	if m.hi == intBit && m.lo == 0 {
		return wFromInt(int64(k)), true
	}
	if m.hi > wSqrt2.hi {
		m.e = -1
		k++
	}
	// ln m = 2 atanh((m-1)/(m+1)), with m in [sqrt(1/2), sqrt(2)).
	s := wdiv(wsub(m, wOne), wadd(m, wOne))
	l := wmul(series(s, false).scale(1), wLog2e)
	return wadd(wFromInt(int64(k)), l), false
}

// wlog2p1 returns log2(1+x) for x > -1.
func wlog2p1(x wide) wide {
	if x.e >= -2 {
		r, _ := wlog2(wadd(wOne, x))
		return r
	}
	// |x| < 1/4: ln(1+x) = 2 atanh(x/(2+x)) keeps the relative accuracy
	// of tiny x.
	s := wdiv(x, wadd(wTwo, x))
	return wmul(series(s, false).scale(1), wLog2e)
}

// wexpm1 returns e^t - 1 for |t| < 1 by its Taylor series.
func wexpm1(t wide) wide {
	sum, p := t, t
	for k := uint64(2); ; k++ {
		p = wdivInt(wmul(p, t), k)
		sum = wadd(sum, p)
		if negligible(p, sum) {
			return sum
		}
	}
}

// watan returns atan(z) for 0 <= z <= 1: three argument halvings,
// atan(z) = 2 atan(z / (1 + sqrt(1 + z^2))), then the series.
func watan(z wide) wide {
	if z.isZero() {
		return z
	}
	for i := 0; i < 3; i++ {
		z = wdiv(z, wadd(wOne, wsqrt(wadd(wOne, wmul(z, z)))))
	}
	return series(z, true).scale(3)
}

// wsincos returns sin(r) and cos(r) for |r| <= π/4 by their Taylor series.
func wsincos(r wide) (s, c wide) {
	r2 := wmul(r, r).negate()
	s, c = r, wOne
	ps, pc := r, wOne
	for k := uint64(1); ; k++ {
		ps = wdivInt(wmul(ps, r2), 2*k*(2*k+1))
		pc = wdivInt(wmul(pc, r2), (2*k-1)*(2*k))
		s = wadd(s, ps)
		c = wadd(c, pc)
		if negligible(ps, s) && negligible(pc, c) {
			return s, c
		}
	}
}

// reduce reduces a finite |x| < 2^63 modulo the x87's π/2: |x| = k·π/2 + r
// exactly, with |r| <= π/4.
func reduce(x F80) (r wide, k uint64) {
	w := wFromF80(x).abs()
	if w.e < -1 {
		return w, 0
	}
	// X = |x| in units of 2^-65, below 2^128; π/2 is P units.
	m, e := x.unpack()
	xh, xl := shl128(0, m, uint(e-f80Bias+2))
	// Estimate k = round(|x| / (π/2)) to within one.
	q := wdiv(w, wPio2)
	switch {
	case q.e >= 0:
		k = q.hi >> (63 - uint(q.e))
		k += q.hi >> (62 - uint(q.e)) & 1
	case q.e == -1:
		k = 1
	}
	for {
		// R = X - k·P as a signed 192-bit value.
		ph, pl := bits.Mul64(k, pio2Lo)
		pt, pm := bits.Mul64(k, pio2Hi)
		pm, c := bits.Add64(pm, ph, 0)
		pt += c
		rl, b := bits.Sub64(xl, pl, 0)
		rm, b := bits.Sub64(xh, pm, b)
		rt := 0 - pt - b
		neg := int64(rt) < 0
		if neg {
			rl, b = bits.Sub64(0, rl, 0)
			rm, b = bits.Sub64(0, rm, b)
			rt = 0 - rt - b
		}
		if rt == 0 && rm < 2 {
			// |R| <= P/2, comparing 2|R| with P.
			th, tl := rm<<1|rl>>63, rl<<1
			if th < pio2Hi || th == pio2Hi && tl <= pio2Lo {
				return wnorm(neg, 62, rm, rl), k
			}
		}
		if neg {
			k--
		} else {
			k++
		}
	}
}

// sinCos returns sin(x) and cos(x) for a finite |x| < 2^63.
func sinCos(x F80) (s, c wide) {
	r, k := reduce(x)
	s, c = wsincos(r)
	switch k & 3 {
	case 1:
		s, c = c, s.negate()
	case 2:
		s, c = s.negate(), c.negate()
	case 3:
		s, c = c.negate(), s
	}
	if x.neg() {
		s = s.negate()
	}
	return s, c
}

// trigArg is the part of FSIN, FCOS, FSINCOS and FPTAN common to all: it
// returns the decided results for special operands (ok false), or reports
// an argument out of range (big).
func trigArg(x F80) (r F80, exc uint16, ok, big bool) {
	switch x.class() {
	case fcBad, fcInf:
		r, exc = invalid()
		return r, exc, false, false
	case fcSNaN:
		return x.quiet(), fsIE, false, false
	case fcQNaN:
		return x, 0, false, false
	case fcZero:
		return x, 0, false, false
	}
	if _, e := x.unpack(); e-f80Bias >= 63 {
		return x, 0, false, true
	}
	return x, denExc(x.isDenorm()), true, false
}

// trigUnary sets ST(0) to sin (cos false) or cos of ST(0).
func trigUnary(cos bool) handler {
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		f := &c.FPU
		f.Status &^= fsC2
		if f.emptyST(0) {
			if f.stackFault(0) {
				f.put(0, f80Indefinite)
			}
			return
		}
		x := f.get(0)
		r, exc, ok, big := trigArg(x)
		switch {
		case big:
			f.Status = f.Status&^fsC1 | fsC2
			return
		case ok:
			s, co := sinCos(x)
			if cos {
				s = co
			}
			var x2 uint16
			r, x2 = s.toF80(true, f.Control)
			exc |= x2
		case cos && x.class() == fcZero:
			r = f80One
		}
		if f.raise(exc) {
			f.put(0, r)
		}
	}
}

// trigPush computes ST(0) = sin(ST(0)) then pushes cos (FSINCOS), or
// ST(0) = tan(ST(0)) then pushes 1 (FPTAN).
func trigPush(tan bool) handler {
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		f := &c.FPU
		f.Status &^= fsC2
		if f.emptyST(0) || !f.emptyST(7) {
			f.stackFault2()
			return
		}
		x := f.get(0)
		r, exc, ok, big := trigArg(x)
		r2 := r // a NaN result is pushed twice
		switch {
		case big:
			f.Status = f.Status&^fsC1 | fsC2
			return
		case ok:
			s, co := sinCos(x)
			if tan {
				s, co = wdiv(s, co), wOne
			}
			// C1 reports the rounding of the first result.
			var x1, x2 uint16
			r, x1 = s.toF80(true, f.Control)
			r2, x2 = co.toF80(!tan, f.Control)
			exc |= x1 | x2&^fsC1
		case x.class() == fcZero:
			r2 = f80One
		}
		if f.raise(exc) {
			f.put(0, r)
			f.Top = (f.Top - 1) & 7 // ST(7) is free: checked above
			f.put(0, r2)
		}
	}
}

// f80F2xm1 is F2XM1: 2^x - 1, for -1 <= x <= 1. Outside that range the
// result is undefined; this returns x, as AMD processors do.
func f80F2xm1(x F80, ctl uint16) (F80, uint16) {
	switch x.class() {
	case fcBad:
		return invalid()
	case fcSNaN:
		return x.quiet(), fsIE
	case fcQNaN, fcZero:
		return x, 0
	case fcInf:
		if x.neg() {
			return f80One.withSign(true), 0
		}
		return x, 0
	}
	exc := denExc(x.isDenorm())
	m, e := x.unpack()
	switch {
	case e > f80Bias || e == f80Bias && m != intBit:
		return x, exc | fsPE
	case e == f80Bias && !x.neg():
		// 2^1 - 1 is computed just below 1.
		r, x2 := pack(false, f80Bias-1, ^uint64(0), ^uint64(0), 64, ctl)
		return r, exc | x2
	case e == f80Bias:
		return F80{Mant: intBit, Exp: 0xbffe}, exc | fsPE
	}
	r, x2 := wexpm1(wmul(wFromF80(x), wLn2)).toF80(true, ctl)
	return r, exc | x2
}

// f80Yl2x is FYL2X: y × log2(x).
func f80Yl2x(x, y F80, ctl uint16) (F80, uint16) {
	cx, cy, r, exc, ok := special(x, y)
	if !ok {
		return r, exc
	}
	if x.neg() && cx != fcZero {
		return invalid()
	}
	switch {
	case cx == fcZero:
		if cy == fcZero {
			return invalid()
		}
		if cy == fcInf {
			return f80Inf(!y.neg()), exc
		}
		return f80Inf(!y.neg()), exc | fsZE
	case cx == fcInf:
		if cy == fcZero {
			return invalid()
		}
		return f80Inf(y.neg()), exc
	}
	m, e := x.unpack()
	one := m == intBit && e == f80Bias
	below := e < f80Bias
	switch {
	case cy == fcInf:
		if one {
			return invalid()
		}
		return f80Inf(y.neg() != below), exc
	case cy == fcZero || one:
		return f80Zero(y.neg() != below), exc
	}
	l, exact := wlog2(wFromF80(x))
	r, x2 := wmul(wFromF80(y), l).toF80(!exact, ctl)
	return r, exc | x2 | fsPE
}

// f80Yl2xp1 is FYL2XP1: y × log2(x + 1), for |x| < 1 - sqrt(2)/2. Outside
// that range the hardware still computes it for x > -1, and returns x
// otherwise, as done here.
func f80Yl2xp1(x, y F80, ctl uint16) (F80, uint16) {
	cx, cy, r, exc, ok := special(x, y)
	if !ok {
		return r, exc
	}
	switch {
	case cx == fcZero:
		if cy == fcInf {
			return invalid()
		}
		return f80Zero(x.neg() != y.neg()), exc
	case cx == fcInf:
		if x.neg() {
			return invalid()
		}
		if cy == fcZero {
			return invalid()
		}
		return f80Inf(y.neg()), exc
	}
	if _, e := x.unpack(); x.neg() && e >= f80Bias {
		return x, exc | fsPE
	}
	switch cy {
	case fcInf:
		return f80Inf(x.neg() != y.neg()), exc
	case fcZero:
		return f80Zero(x.neg() != y.neg()), exc
	}
	r, x2 := wmul(wFromF80(y), wlog2p1(wFromF80(x))).toF80(true, ctl)
	return r, exc | x2 | fsPE
}

// f80Atan2 is FPATAN: the angle of the point (x, y), in [-π, π].
func f80Atan2(x, y F80, ctl uint16) (F80, uint16) {
	cx, cy, r, exc, ok := special(x, y)
	if !ok {
		return r, exc
	}
	var a wide
	switch {
	case cy == fcZero:
		if !x.neg() {
			return y, exc
		}
		a = wPi
	case cx == fcZero:
		a = wPi.scale(-1)
	case cy == fcInf:
		switch {
		case cx != fcInf:
			a = wPi.scale(-1)
		case x.neg():
			a = wmul(wPi, wFromInt(3)).scale(-2)
		default:
			a = wPi.scale(-2)
		}
	case cx == fcInf:
		if !x.neg() {
			return f80Zero(y.neg()), exc
		}
		a = wPi
	default:
		wx, wy := wFromF80(x).abs(), wFromF80(y).abs()
		if cmpMag(y, cy, x, cx) <= 0 {
			a = watan(wdiv(wy, wx))
		} else {
			a = wsub(wPi.scale(-1), watan(wdiv(wx, wy)))
		}
		if x.neg() {
			a = wsub(wPi, a)
		}
	}
	a.neg = y.neg()
	r, x2 := a.toF80(true, ctl)
	return r, exc | x2
}

// binPop sets ST(1) = op(ST(0), ST(1)) and pops: FYL2X, FYL2XP1, FPATAN.
func binPop(op func(st0, st1 F80, ctl uint16) (F80, uint16)) handler {
	return func(c *CPU, in *Inst) {
		c.fwait(in)
		f := &c.FPU
		var r F80
		if f.emptyST(0) || f.emptyST(1) {
			if !f.stackFault(0) {
				return
			}
			r = f80Indefinite
		} else {
			var exc uint16
			r, exc = op(f.get(0), f.get(1), f.Control)
			if !f.raise(exc) {
				return
			}
		}
		f.put(1, r)
		f.pop()
	}
}

func opF2XM1(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.unary(f80F2xm1)
}

func init() {
	def(trigUnary(false), x86asm.FSIN)
	def(trigUnary(true), x86asm.FCOS)
	def(trigPush(false), x86asm.FSINCOS)
	def(trigPush(true), x86asm.FPTAN)
	def(opF2XM1, x86asm.F2XM1)
	def(binPop(f80Yl2x), x86asm.FYL2X)
	def(binPop(f80Yl2xp1), x86asm.FYL2XP1)
	def(binPop(f80Atan2), x86asm.FPATAN)
}
