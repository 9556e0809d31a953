package cpu

import (
	"math"
	"math/bits"
)

// Soft-float for the x87's 80-bit extended format. Every operation is exact
// to the bit: results are rounded once, per the control word's rounding and
// precision control, and report the exceptions the hardware would, so that
// long double code (printf's fmt_fp, libm) behaves as it does natively.
//
// Internally a finite nonzero value is unpacked into a sign, a 64-bit
// significand m with bit 63 set, and a biased exponent e (which may leave the
// format's range): value = m / 2^63 × 2^(e-16383).

const (
	f80Bias = 16383
	f80EMax = 0x7ffe // largest biased exponent of a finite value
	intBit  = 1 << 63
	qnanBit = 1 << 62

	// Exponent wrap applied to an overflowing or underflowing register result
	// when the exception is unmasked.
	f80Wrap = 24576
)

// Status word bits. Operations return their exceptions in this layout, with
// fsC1 meaning "rounded up in magnitude".
const (
	fsIE  = 1 << 0
	fsDE  = 1 << 1
	fsZE  = 1 << 2
	fsOE  = 1 << 3
	fsUE  = 1 << 4
	fsPE  = 1 << 5
	fsSF  = 1 << 6
	fsES  = 1 << 7
	fsC0  = 1 << 8
	fsC1  = 1 << 9
	fsC2  = 1 << 10
	fsTop = 7 << 11
	fsC3  = 1 << 14
	fsB   = 1 << 15

	fsExc  = fsIE | fsDE | fsZE | fsOE | fsUE | fsPE
	fsCond = fsC0 | fsC1 | fsC2 | fsC3
)

// Rounding control values (control word bits 10-11).
const (
	rcNearest = 0
	rcDown    = 1
	rcUp      = 2
	rcZero    = 3
)

// Special values.
var (
	f80Indefinite = F80{Mant: intBit | qnanBit, Exp: 0xffff}
	f80One        = F80{Mant: intBit, Exp: f80Bias}
)

// fclass is the kind of value an F80 encodes.
type fclass uint8

const (
	fcZero   fclass = iota
	fcFinite        // normal, denormal or pseudo-denormal
	fcInf
	fcQNaN
	fcSNaN
	fcBad // unnormal, pseudo-NaN, pseudo-infinity: invalid operands since the 387
)

func (x F80) neg() bool      { return x.Exp&0x8000 != 0 }
func (x F80) isNaN() bool    { c := x.class(); return c == fcQNaN || c == fcSNaN }
func (x F80) isDenorm() bool { return x.Exp&0x7fff == 0 && x.Mant != 0 }

func (x F80) class() fclass {
	e := x.Exp & 0x7fff
	switch {
	case e == 0:
		if x.Mant == 0 {
			return fcZero
		}
		return fcFinite
	case x.Mant&intBit == 0:
		return fcBad
	case e == 0x7fff:
		if x.Mant<<1 == 0 {
			return fcInf
		}
		if x.Mant&qnanBit != 0 {
			return fcQNaN
		}
		return fcSNaN
	}
	return fcFinite
}

// unpack returns the normalised significand and exponent of a finite
// nonzero x.
func (x F80) unpack() (uint64, int32) {
	m, e := x.Mant, int32(x.Exp&0x7fff)
	if e == 0 {
		// Denormals and pseudo-denormals have the exponent of the smallest
		// normal.
		n := bits.LeadingZeros64(m)
		return m << n, 1 - int32(n)
	}
	return m, e
}

func signExp(neg bool, e int32) uint16 {
	s := uint16(e)
	if neg {
		s |= 0x8000
	}
	return s
}

func f80Zero(neg bool) F80          { return F80{Exp: signExp(neg, 0)} }
func f80Inf(neg bool) F80           { return F80{Mant: intBit, Exp: signExp(neg, 0x7fff)} }
func (x F80) withSign(neg bool) F80 { x.Exp = signExp(neg, int32(x.Exp&0x7fff)); return x }

// pcBits returns the significand precision the control word selects for
// the basic arithmetic operations. The reserved setting behaves as extended.
func pcBits(ctl uint16) uint {
	switch ctl >> 8 & 3 {
	case 0:
		return 24
	case 2:
		return 53
	}
	return 64
}

// shr128 shifts hi:lo right by s, or-ing the bits shifted out into the
// lowest bit so that rounding still sees them.
func shr128(hi, lo uint64, s uint) (uint64, uint64) {
	switch {
	case s == 0:
		return hi, lo
	case s < 64:
		st := lo << (64 - s)
		lo = hi<<(64-s) | lo>>s
		hi >>= s
		if st != 0 {
			lo |= 1
		}
	case s < 128:
		st := lo | hi<<(128-s)
		if s == 64 {
			st = lo
		}
		lo = hi >> (s - 64)
		hi = 0
		if st != 0 {
			lo |= 1
		}
	default:
		if hi|lo != 0 {
			lo = 1
		} else {
			lo = 0
		}
		hi = 0
	}
	return hi, lo
}

// round rounds neg × hi:lo/2^127 × 2^(e-16383) (hi normalised; lo holds the
// bits below, with any lower ones or-ed in) to prec significand bits in the
// exponent range [emin, emax], per the control word's rounding control. It
// returns the rounded significand and exponent: a denormal result has bit 63
// clear and e = emin, a zero result m = 0. Tininess is detected after
// rounding, as the hardware does for the x87. Overflow and underflow of a
// register result (emin = 1) with the exception unmasked wrap the exponent
// by 24576 instead, or give infinity or zero if that is not enough.
func round(neg bool, e int32, hi, lo uint64, prec uint, emin, emax int32, ctl uint16) (uint64, int32, uint16) {
	var exc uint16
	rc := ctl >> 10 & 3
	reg := emin == 1
	ulp := uint64(1) << (64 - prec)
	tiny := false
	if e < emin {
		// Tiny after rounding: the value rounded to prec bits with an
		// unbounded exponent is below the smallest normal. That is so
		// unless rounding carries all the way up, which can only happen
		// from one binade below.
		inc, _ := roundBits(neg, hi, lo, prec, rc)
		tiny = e < emin-1 || !inc || hi|(ulp-1) != ^uint64(0)
		if tiny && reg && ctl&fsUE == 0 {
			e += f80Wrap
			exc |= fsUE
			tiny = false
			if e < emin {
				return 0, 0, exc | fsPE // still too small (FSCALE): zero
			}
		} else {
			hi, lo = shr128(hi, lo, uint(emin-e))
			e = emin
		}
	}
	inc, inexact := roundBits(neg, hi, lo, prec, rc)
	hi &^= ulp - 1
	if inc {
		var carry uint64
		hi, carry = bits.Add64(hi, ulp, 0)
		if carry != 0 {
			hi = intBit
			e++
		}
		exc |= fsC1
	}
	if inexact {
		exc |= fsPE
		if tiny {
			exc |= fsUE
		}
	}
	if e > emax {
		if reg && ctl&fsOE == 0 {
			if e-f80Wrap > emax {
				return intBit, emax + 1, exc | fsOE | fsPE | fsC1 // still too large (FSCALE): infinity
			}
			return hi, e - f80Wrap, exc | fsOE
		}
		exc = exc&^fsC1 | fsOE | fsPE
		if rc == rcNearest || (rc == rcUp && !neg) || (rc == rcDown && neg) {
			return intBit, emax + 1, exc | fsC1
		}
		return ^(ulp - 1), emax, exc
	}
	if hi == 0 {
		e = 0
	}
	return hi, e, exc
}

// roundBits reports whether rounding hi:lo to prec bits per rc increments
// its last kept bit, and whether it is inexact.
func roundBits(neg bool, hi, lo uint64, prec uint, rc uint16) (inc, inexact bool) {
	ulp := uint64(1) << (64 - prec)
	var guard, rest bool
	if prec == 64 {
		guard, rest = lo&intBit != 0, lo<<1 != 0
	} else {
		ext := hi & (ulp - 1)
		guard, rest = ext&(ulp>>1) != 0, ext&(ulp>>1-1) != 0 || lo != 0
	}
	inexact = guard || rest
	switch rc {
	case rcNearest:
		inc = guard && (rest || hi&ulp != 0)
	case rcDown:
		inc = inexact && neg
	case rcUp:
		inc = inexact && !neg
	}
	return inc, inexact
}

// pack rounds an unpacked result to an F80 register value.
func pack(neg bool, e int32, hi, lo uint64, prec uint, ctl uint16) (F80, uint16) {
	m, e, exc := round(neg, e, hi, lo, prec, 1, f80EMax, ctl)
	if m&intBit == 0 {
		e = 0
	}
	return F80{Mant: m, Exp: signExp(neg, e)}, exc
}

// canon returns x with a pseudo-denormal given the exponent of its value,
// as the hardware writes it back.
func (x F80) canon() F80 {
	if x.Exp&0x7fff == 0 && x.Mant&intBit != 0 {
		x.Exp |= 1
	}
	return x
}

// quiet returns x as a quiet NaN.
func (x F80) quiet() F80 { x.Mant |= qnanBit; return x }

// propagate returns the NaN result of an operation with NaN operand(s): a
// QNaN over an SNaN, else the larger significand (the positive one on a tie),
// quieted.
func propagate(a, b F80) (F80, uint16) {
	ca, cb := a.class(), b.class()
	var exc uint16
	if ca == fcSNaN || cb == fcSNaN {
		exc = fsIE
	}
	aNaN, bNaN := ca == fcQNaN || ca == fcSNaN, cb == fcQNaN || cb == fcSNaN
	switch {
	case !bNaN:
		return a.quiet(), exc
	case !aNaN:
		return b.quiet(), exc
	case ca != cb:
		if ca == fcQNaN {
			return a, exc
		}
		return b, exc
	case a.Mant > b.Mant || a.Mant == b.Mant && !a.neg():
		return a.quiet(), exc
	}
	return b.quiet(), exc
}

// invalid is the masked response to an invalid operation.
func invalid() (F80, uint16) { return f80Indefinite, fsIE }

// special handles the operand classes every two-operand arithmetic
// operation treats alike. ok is false when the result is already decided.
func special(a, b F80) (ca, cb fclass, r F80, exc uint16, ok bool) {
	ca, cb = a.class(), b.class()
	if ca == fcBad || cb == fcBad {
		r, exc = invalid()
		return ca, cb, r, exc, false
	}
	if ca >= fcQNaN || cb >= fcQNaN {
		r, exc = propagate(a, b)
		return ca, cb, r, exc, false
	}
	if a.isDenorm() || b.isDenorm() {
		exc = fsDE
	}
	return ca, cb, r, exc, true
}

// f80Add returns a+b, or a-b with sub.
func f80Add(a, b F80, sub bool, ctl uint16) (F80, uint16) {
	ca, cb, r, exc, ok := special(a, b)
	if !ok {
		return r, exc
	}
	na, nb := a.neg(), b.neg() != sub
	switch {
	case ca == fcInf:
		if cb == fcInf && na != nb {
			return invalid()
		}
		return f80Inf(na), exc
	case cb == fcInf:
		return f80Inf(nb), exc
	case ca == fcZero && cb == fcZero:
		if na != nb {
			return f80Zero(ctl>>10&3 == rcDown), exc
		}
		return f80Zero(na), exc
	case cb == fcZero:
		m, e := a.unpack()
		r, x := pack(na, e, m, 0, pcBits(ctl), ctl)
		return r, exc | x
	case ca == fcZero:
		m, e := b.unpack()
		r, x := pack(nb, e, m, 0, pcBits(ctl), ctl)
		return r, exc | x
	}
	ma, ea := a.unpack()
	mb, eb := b.unpack()
	if ea < eb || ea == eb && ma < mb {
		ma, ea, na, mb, eb, nb = mb, eb, nb, ma, ea, na
	}
	bh, bl := shr128(mb, 0, uint(ea-eb))
	hi, lo, e := ma, uint64(0), ea
	if na == nb {
		var c uint64
		lo, c = bits.Add64(lo, bl, 0)
		hi, c = bits.Add64(hi, bh, c)
		if c != 0 {
			hi, lo = shr128(hi, lo, 1)
			hi |= intBit
			e++
		}
	} else {
		var bw uint64
		lo, bw = bits.Sub64(lo, bl, 0)
		hi, _ = bits.Sub64(hi, bh, bw)
		if hi|lo == 0 {
			return f80Zero(ctl>>10&3 == rcDown), exc
		}
		n := uint(bits.LeadingZeros64(hi))
		if hi == 0 {
			n = 64 + uint(bits.LeadingZeros64(lo))
		}
		hi, lo = shl128(hi, lo, n)
		e -= int32(n)
	}
	r, x := pack(na, e, hi, lo, pcBits(ctl), ctl)
	return r, exc | x
}

// shl128 shifts hi:lo left by s < 128.
func shl128(hi, lo uint64, s uint) (uint64, uint64) {
	switch {
	case s == 0:
		return hi, lo
	case s < 64:
		return hi<<s | lo>>(64-s), lo << s
	}
	return lo << (s - 64), 0
}

// f80Mul returns a×b.
func f80Mul(a, b F80, ctl uint16) (F80, uint16) {
	ca, cb, r, exc, ok := special(a, b)
	if !ok {
		return r, exc
	}
	neg := a.neg() != b.neg()
	switch {
	case ca == fcInf || cb == fcInf:
		if ca == fcZero || cb == fcZero {
			return invalid()
		}
		return f80Inf(neg), exc
	case ca == fcZero || cb == fcZero:
		return f80Zero(neg), exc
	}
	ma, ea := a.unpack()
	mb, eb := b.unpack()
	hi, lo := bits.Mul64(ma, mb)
	e := ea + eb - f80Bias + 1
	if hi&intBit == 0 {
		hi, lo = shl128(hi, lo, 1)
		e--
	}
	r, x := pack(neg, e, hi, lo, pcBits(ctl), ctl)
	return r, exc | x
}

// f80Div returns a/b.
func f80Div(a, b F80, ctl uint16) (F80, uint16) {
	ca, cb, r, exc, ok := special(a, b)
	if !ok {
		return r, exc
	}
	neg := a.neg() != b.neg()
	switch {
	case ca == fcInf:
		if cb == fcInf {
			return invalid()
		}
		return f80Inf(neg), exc
	case cb == fcInf:
		return f80Zero(neg), exc
	case cb == fcZero:
		if ca == fcZero {
			return invalid()
		}
		return f80Inf(neg), fsZE // the hardware does not report DE here
	case ca == fcZero:
		return f80Zero(neg), exc
	}
	ma, ea := a.unpack()
	mb, eb := b.unpack()
	hi, lo, e := divSig(ma, mb)
	r, x := pack(neg, ea-eb+e, hi, lo, pcBits(ctl), ctl)
	return r, exc | x
}

// divSig divides normalised significands: ma/mb = hi:lo/2^127 × 2^e with hi
// normalised and the remainder folded into the lowest bit.
func divSig(ma, mb uint64) (hi, lo uint64, e int32) {
	e = f80Bias
	if ma >= mb {
		// The quotient is in [1, 2): its integer bit, then 64 fraction bits.
		q, r := bits.Div64(ma-mb, 0, mb)
		q2, r2 := bits.Div64(r, 0, mb)
		hi, lo = intBit|q>>1, q<<63|q2>>1
		if q2&1 != 0 || r2 != 0 {
			lo |= 1
		}
		return hi, lo, e
	}
	q, r := bits.Div64(ma, 0, mb)
	q2, r2 := bits.Div64(r, 0, mb)
	if r2 != 0 {
		q2 |= 1
	}
	return q, q2, e - 1
}

// f80Sqrt returns the square root of a.
func f80Sqrt(a F80, ctl uint16) (F80, uint16) {
	switch a.class() {
	case fcBad:
		return invalid()
	case fcSNaN:
		return a.quiet(), fsIE
	case fcQNaN, fcZero:
		return a, 0
	case fcInf:
		if a.neg() {
			return invalid()
		}
		return a, 0
	}
	if a.neg() {
		return invalid()
	}
	var exc uint16
	if a.isDenorm() {
		exc = fsDE
	}
	m, e := a.unpack()
	// value = m × 2^(e-16383-63); make the power of two even by shifting
	// m into a 128-bit radicand, whose root then has exactly 64 bits.
	ue := e - f80Bias - 63
	var rh, rl uint64
	if ue&1 == 0 {
		rh, rl = m, 0
		ue -= 64
	} else {
		rh, rl = m>>1, m<<63
		ue -= 63
	}
	root, rem := isqrt128(rh, rl)
	// Bits below the root: half when the remainder exceeds root (so that
	// the radicand is at least (root+1/2)^2), sticky when it is nonzero.
	var lo uint64
	if rem.hi != 0 || rem.lo > root {
		lo = intBit
	}
	if rem.hi|rem.lo != 0 {
		lo |= 1
	}
	r, x := pack(false, ue/2+63+f80Bias, root, lo, pcBits(ctl), ctl)
	return r, exc | x
}

type u128 struct{ hi, lo uint64 }

// isqrt128 returns the integer square root of hi:lo (hi >= 2^62) and the
// remainder hi:lo - root^2.
func isqrt128(hi, lo uint64) (uint64, u128) {
	// A float64 estimate has 52 good bits; one Newton step doubles that,
	// and the final corrections make it exact.
	est := sqrtEstimate(hi, lo)
	r := est
	if hi < est {
		q, _ := bits.Div64(hi, lo, est)
		var c uint64
		r, c = bits.Add64(est, q, 0)
		r = r>>1 | c<<63
	}
	for {
		sh, sl := bits.Mul64(r, r)
		if sh > hi || sh == hi && sl > lo {
			r--
			continue
		}
		rem, b := bits.Sub64(lo, sl, 0)
		remh, _ := bits.Sub64(hi, sh, b)
		// (r+1)^2 = r^2 + 2r + 1 <= radicand  <=>  rem >= 2r+1.
		th, tl := r>>63, r<<1|1
		if r != ^uint64(0) && (remh > th || remh == th && rem >= tl) {
			r++
			continue
		}
		return r, u128{remh, rem}
	}
}

func sqrtEstimate(hi, lo uint64) uint64 {
	f := math.Sqrt(float64(hi)*0x1p64 + float64(lo))
	if f >= 0x1p64 {
		return ^uint64(0)
	}
	return uint64(f)
}

// f64ToF80 converts a float64 exactly, keeping an SNaN signalling; den
// reports a denormal input.
func f64ToF80(v uint64) (x F80, den bool) {
	neg := v>>63 != 0
	e := int32(v >> 52 & 0x7ff)
	f := v & (1<<52 - 1)
	switch e {
	case 0x7ff:
		return F80{Mant: intBit | f<<11, Exp: signExp(neg, 0x7fff)}, false
	case 0:
		if f == 0 {
			return f80Zero(neg), false
		}
		n := bits.LeadingZeros64(f)
		return F80{Mant: f << n, Exp: signExp(neg, f80Bias-1074+63-int32(n))}, true
	}
	return F80{Mant: intBit | f<<11, Exp: signExp(neg, e-1023+f80Bias)}, false
}

// f32ToF80 is f64ToF80 for a float32.
func f32ToF80(v uint32) (x F80, den bool) {
	neg := v>>31 != 0
	e := int32(v >> 23 & 0xff)
	f := uint64(v & (1<<23 - 1))
	switch e {
	case 0xff:
		return F80{Mant: intBit | f<<40, Exp: signExp(neg, 0x7fff)}, false
	case 0:
		if f == 0 {
			return f80Zero(neg), false
		}
		n := bits.LeadingZeros64(f)
		return F80{Mant: f << n, Exp: signExp(neg, f80Bias-149+63-int32(n))}, true
	}
	return F80{Mant: intBit | f<<40, Exp: signExp(neg, e-127+f80Bias)}, false
}

// f80ToF64 rounds x to a float64 per the control word's rounding control.
func f80ToF64(x F80, ctl uint16) (uint64, uint16) {
	sign := uint64(x.Exp>>15) << 63
	switch x.class() {
	case fcBad:
		return 0xfff8 << 48, fsIE
	case fcZero:
		return sign, 0
	case fcInf:
		return sign | 0x7ff<<52, 0
	case fcSNaN:
		return sign | 0xfff<<51 | x.Mant<<1>>12, fsIE
	case fcQNaN:
		return sign | 0x7ff<<52 | x.Mant<<1>>12, 0
	}
	m, e := x.unpack()
	m, e, exc := round(x.neg(), e, m, 0, 53, f80Bias-1022, f80Bias+1023, ctl)
	switch {
	case e > f80Bias+1023:
		return sign | 0x7ff<<52, exc
	case m&intBit == 0:
		return sign | m>>11, exc
	}
	return sign | uint64(e-f80Bias+1023)<<52 | m>>11&(1<<52-1), exc
}

// f80ToF32 rounds x to a float32 per the control word's rounding control.
func f80ToF32(x F80, ctl uint16) (uint32, uint16) {
	sign := uint32(x.Exp>>15) << 31
	switch x.class() {
	case fcBad:
		return 0xffc00000, fsIE
	case fcZero:
		return sign, 0
	case fcInf:
		return sign | 0xff<<23, 0
	case fcSNaN:
		return sign | 0x1ff<<22 | uint32(x.Mant<<1>>41), fsIE
	case fcQNaN:
		return sign | 0xff<<23 | uint32(x.Mant<<1>>41), 0
	}
	m, e := x.unpack()
	m, e, exc := round(x.neg(), e, m, 0, 24, f80Bias-126, f80Bias+127, ctl)
	switch {
	case e > f80Bias+127:
		return sign | 0xff<<23, exc
	case m&intBit == 0:
		return sign | uint32(m>>40), exc
	}
	return sign | uint32(e-f80Bias+127)<<23 | uint32(m>>40)&(1<<23-1), exc
}

// intToF80 converts a signed integer exactly.
func intToF80(v int64) F80 {
	if v == 0 {
		return F80{}
	}
	neg := v < 0
	m := uint64(v)
	if neg {
		m = -m
	}
	n := bits.LeadingZeros64(m)
	return F80{Mant: m << n, Exp: signExp(neg, f80Bias+63-int32(n))}
}

// roundInt rounds the magnitude of a finite nonzero x to an integer per rc.
// big reports a magnitude of 2^64 or more; inc that it was rounded up.
func roundInt(x F80, rc uint16) (ip uint64, big, inexact, inc bool) {
	m, e := x.unpack()
	var frac uint64 // the bits below the binary point, left-aligned
	switch sh := e - f80Bias; {
	case sh >= 64:
		return 0, true, false, false
	case sh == 63:
		ip = m
	case sh >= 0:
		ip, frac = m>>(63-sh), m<<(sh+1)
	case sh == -1:
		frac = m
	default:
		frac = 1 // below one half: only stickiness matters
	}
	inexact = frac != 0
	switch rc {
	case rcNearest:
		inc = frac > intBit || frac == intBit && ip&1 != 0
	case rcDown:
		inc = inexact && x.neg()
	case rcUp:
		inc = inexact && !x.neg()
	}
	if inc {
		ip++
		big = ip == 0
	}
	return ip, big, inexact, inc
}

// f80ToInt rounds x to an n-bit signed integer per rc. Out of range values
// and NaNs give the integer indefinite with IE.
func f80ToInt(x F80, n uint, rc uint16) (uint64, uint16) {
	indef := uint64(1) << (n - 1)
	switch x.class() {
	case fcZero:
		return 0, 0
	case fcFinite:
	default:
		return indef, fsIE
	}
	ip, big, inexact, inc := roundInt(x, rc)
	if big || ip > indef || ip == indef && !x.neg() {
		return indef, fsIE
	}
	var exc uint16
	if inexact {
		exc = fsPE
		if inc {
			exc |= fsC1
		}
	}
	if x.neg() {
		ip = -ip
	}
	return ip & (indef<<1 - 1), exc
}

// f80RoundInt is FRNDINT: x rounded to an integral value per rc.
func f80RoundInt(x F80, rc uint16) (F80, uint16) {
	switch x.class() {
	case fcBad:
		return invalid()
	case fcSNaN:
		return x.quiet(), fsIE
	case fcFinite:
	default:
		return x, 0
	}
	var exc uint16
	if x.isDenorm() {
		exc = fsDE
	}
	if _, e := x.unpack(); e-f80Bias >= 63 {
		return x, exc
	}
	ip, _, inexact, inc := roundInt(x, rc)
	if inexact {
		exc |= fsPE
		if inc {
			exc |= fsC1
		}
	}
	if ip == 0 {
		return f80Zero(x.neg()), exc
	}
	return intToF80(int64(ip)).withSign(x.neg()), exc
}

// f80Scale is FSCALE: a × 2^trunc(b).
func f80Scale(a, b F80, ctl uint16) (F80, uint16) {
	ca, cb, r, exc, ok := special(a, b)
	if !ok {
		return r, exc
	}
	if cb == fcInf {
		switch {
		case !b.neg() && ca == fcZero, b.neg() && ca == fcInf:
			return invalid()
		case b.neg():
			return f80Zero(a.neg()), exc
		}
		return f80Inf(a.neg()), exc
	}
	if ca != fcFinite {
		return a, exc
	}
	var n int32
	if cb == fcFinite {
		mb, eb := b.unpack()
		switch sh := eb - f80Bias; {
		case sh > 20:
			n = 1 << 21 // far beyond the exponent range either way
		case sh >= 0:
			n = int32(mb >> (63 - sh))
		}
		if b.neg() {
			n = -n
		}
	}
	ma, ea := a.unpack()
	r, x := pack(a.neg(), ea+n, ma, 0, 64, ctl)
	return r, exc | x
}

// f80Rem is FPREM (near false: truncated quotient) and FPREM1 (near:
// quotient rounded to nearest even). It returns the partial remainder and
// the condition codes: C2 for an incomplete reduction, else the low quotient
// bits in C0 (Q2), C3 (Q1) and C1 (Q0). The remainder is exact.
func f80Rem(a, b F80, near bool, ctl uint16) (F80, uint16) {
	ca, cb, r, exc, ok := special(a, b)
	if !ok {
		return r, exc
	}
	switch {
	case ca == fcInf || cb == fcZero:
		return invalid()
	case ca == fcZero || cb == fcInf:
		return a.canon(), exc
	}
	ma, ea := a.unpack()
	mb, eb := b.unpack()
	neg := a.neg()
	d := ea - eb
	var q, rem uint64
	var re int32 // exponent of rem's unit, as for a significand's bit 63
	switch {
	case d >= 64:
		// Reduce by a multiple of 2^32 quotient units, as AMD documents, so
		// that the final quotient bits are those of the whole quotient.
		n := 32 + d%32
		hi, lo := shl128(0, ma, uint(n))
		_, rem = bits.Div64(hi, lo, mb)
		exc |= fsC2
		re = ea - n
	case d >= 0:
		hi, lo := shl128(0, ma, uint(d))
		q, rem = bits.Div64(hi, lo, mb)
		if near && (rem > mb-rem || rem == mb-rem && q&1 != 0) {
			q++
			rem = mb - rem
			neg = !neg
		}
		re = eb
	case d == -1 && near && ma > mb:
		// |a| is over half |b|: the quotient rounds to 1.
		q, rem, neg = 1, mb-(ma-mb), !neg
		re = ea
	default:
		return a.canon(), exc
	}
	exc |= uint16(q>>2&1)<<8 | uint16(q>>1&1)<<14 | uint16(q&1)<<9
	if rem == 0 {
		return f80Zero(a.neg()), exc
	}
	k := bits.LeadingZeros64(rem)
	r, x := pack(neg, re-int32(k), rem<<k, 0, 64, ctl)
	return r, exc | x&^fsC1
}

// f80Cmp compares a with b: -1, 0 or 1, or 2 when unordered. Any NaN is
// invalid unless quiet, which lets QNaNs through (FUCOM).
func f80Cmp(a, b F80, quiet bool) (int, uint16) {
	ca, cb := a.class(), b.class()
	if ca == fcBad || cb == fcBad {
		return 2, fsIE
	}
	if ca >= fcQNaN || cb >= fcQNaN {
		if !quiet || ca == fcSNaN || cb == fcSNaN {
			return 2, fsIE
		}
		return 2, 0
	}
	var exc uint16
	if a.isDenorm() || b.isDenorm() {
		exc = fsDE
	}
	if ca == fcZero && cb == fcZero {
		return 0, exc
	}
	// Order by sign, then by magnitude.
	na, nb := a.neg(), b.neg()
	if ca == fcZero {
		na = !nb
	} else if cb == fcZero {
		nb = !na
	}
	if na != nb {
		if na {
			return -1, exc
		}
		return 1, exc
	}
	c := cmpMag(a, ca, b, cb)
	if na {
		c = -c
	}
	return c, exc
}

// cmpMag compares the magnitudes of two nonzero non-NaN values.
func cmpMag(a F80, ca fclass, b F80, cb fclass) int {
	switch {
	case ca == fcInf && cb == fcInf:
		return 0
	case ca == fcInf:
		return 1
	case cb == fcInf:
		return -1
	}
	ma, ea := a.unpack()
	mb, eb := b.unpack()
	switch {
	case ea != eb:
		if ea > eb {
			return 1
		}
		return -1
	case ma > mb:
		return 1
	case ma < mb:
		return -1
	}
	return 0
}

// cmpCC returns the condition codes FCOM sets for a comparison result.
func cmpCC(c int) uint16 {
	switch c {
	case -1:
		return fsC0
	case 0:
		return fsC3
	case 1:
		return 0
	}
	return fsC0 | fsC2 | fsC3
}
