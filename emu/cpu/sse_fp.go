package cpu

import (
	"math"

	"golang.org/x/arch/x86/x86asm"
)

// SSE floating-point arithmetic, bit-exact with hardware.
//
// An operation on finite nonzero operands is reduced to an exact magnitude
// p·2^e, where p is a double rounded to nearest and rp the sign of the
// remaining error, both obtained with error-free transformations (TwoSum,
// FMA on frexp-normalised operands). packFP rounds that magnitude to single
// or double precision in the MXCSR rounding mode, with the overflow and
// underflow thresholds, tininess after rounding (as x86 detects it) and
// the denormal grid. Single-precision operations are computed in double,
// which never overflows or underflows for them, and rounded once by packFP.
//
// MXCSR: all six exception flags are set as hardware sets them, DAZ and FZ
// are honoured. Exceptions are always treated as masked: an unmasked
// exception does not raise SIGFPE. The one deliberate difference from
// hardware is RCPxS/RSQRTxS, whose approximations differ between processor
// models anyway; these return the correctly rounded value.

// MXCSR bits.
const (
	mxIE  = 1 << 0
	mxDE  = 1 << 1
	mxZE  = 1 << 2
	mxOE  = 1 << 3
	mxUE  = 1 << 4
	mxPE  = 1 << 5
	mxDAZ = 1 << 6
	mxRC  = 3 << 13
	mxFZ  = 1 << 15
	mxRD  = 1 << 13 // rounding control: down
	mxRU  = 2 << 13 // up
	mxRZ  = 3 << 13 // toward zero

	// mxcsrMask is the MXCSR_MASK this CPU reports: every defined bit,
	// DAZ included.
	mxcsrMask = 0xffff
)

// IEEE field masks.
const (
	sign64   = 1 << 63
	exp64    = 0x7ff << 52
	mant64   = 1<<52 - 1
	quiet64  = 1 << 51
	defNaN64 = 0xfff8000000000000 // the "real indefinite" QNaN

	sign32   = 1 << 31
	exp32    = 0xff << 23
	mant32   = 1<<23 - 1
	quiet32  = 1 << 22
	defNaN32 = 0xffc00000
)

func asF64(b uint64) float64 { return math.Float64frombits(b) }
func asF32(b uint32) float32 { return math.Float32frombits(b) }

func isNaN64(b uint64) bool  { return b&^sign64 > exp64 }
func isSNaN64(b uint64) bool { return isNaN64(b) && b&quiet64 == 0 }
func isDen64(b uint64) bool  { return b&exp64 == 0 && b&mant64 != 0 }
func isNaN32(b uint32) bool  { return b&^sign32 > exp32 }
func isSNaN32(b uint32) bool { return isNaN32(b) && b&quiet32 == 0 }
func isDen32(b uint32) bool  { return b&exp32 == 0 && b&mant32 != 0 }

// normal64 and normal32 report a normal number: not zero, denormal,
// infinite or NaN.
func normal64(b uint64) bool { return (b>>52&0x7ff)-1 < 0x7fe }
func normal32(b uint32) bool { return (b>>23&0xff)-1 < 0xfe }

// daz64 and daz32 apply denormals-are-zero to an input.
func daz64(b uint64) uint64 {
	if isDen64(b) {
		return b & sign64
	}
	return b
}

func daz32(b uint32) uint32 {
	if isDen32(b) {
		return b & sign32
	}
	return b
}

// nan64 returns the result of an operation with a NaN operand: the first
// operand if it is a NaN, else the second, quietened; IE for any SNaN.
func (c *CPU) nan64(a, b uint64) uint64 {
	if isSNaN64(a) || isSNaN64(b) {
		c.MXCSR |= mxIE
	}
	if isNaN64(a) {
		return a | quiet64
	}
	return b | quiet64
}

func (c *CPU) nan32(a, b uint32) uint32 {
	if isSNaN32(a) || isSNaN32(b) {
		c.MXCSR |= mxIE
	}
	if isNaN32(a) {
		return a | quiet32
	}
	return b | quiet32
}

type fpOp uint8

const (
	fpAdd fpOp = iota
	fpSub
	fpMul
	fpDiv
	fpSqrt // of the second operand
)

func fsign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// fpFormat describes single or double precision.
type fpFormat struct {
	mbits      int // explicit mantissa bits
	emin, emax int // exponent range of normal numbers
	sign       uint64
}

var (
	fmt64 = fpFormat{52, -1022, 1023, sign64}
	fmt32 = fpFormat{23, -126, 127, sign32}
)

// fpVal is an operation's result before rounding: the exact value is
// ±p·2^e plus an error below p's precision of sign rp. exact marks a value
// (v) that needs no rounding: zeros, infinities.
type fpVal struct {
	v     float64
	exact bool
	neg   bool
	p     float64
	rp    int
	e     int
}

func exactVal(v float64) fpVal { return fpVal{v: v, exact: true} }

// nearVal describes a finite nonzero double v rounded to nearest whose
// exact value lies on side r of it.
func nearVal(v float64, r int) fpVal {
	return fpVal{neg: v < 0, p: math.Abs(v), rp: r * fsign(v)}
}

// sseTwoSum returns x+y to nearest and the sign of its rounding error
// (Fast2Sum on the operands ordered by magnitude, so that no intermediate
// overflows; exact unless the sum itself overflows).
func sseTwoSum(x, y float64) (float64, int) {
	if math.Abs(x) < math.Abs(y) {
		x, y = y, x
	}
	s := x + y
	return s, fsign(y - (s - x))
}

// sseCompute evaluates x op y for operands that are not NaNs. It returns
// the flags of the operation itself (IE, with ok false for an invalid
// operation, or ZE).
func sseCompute(op fpOp, x, y float64) (r fpVal, fl uint32, ok bool) {
	inf := math.IsInf(x, 0) || math.IsInf(y, 0)
	switch op {
	case fpSub:
		y = -y
		fallthrough
	case fpAdd:
		if math.IsInf(x, 0) && math.IsInf(y, 0) && x != y {
			return r, mxIE, false
		}
		s, e := sseTwoSum(x, y)
		switch {
		case inf || s == 0 && e == 0:
			return exactVal(s), 0, true
		case math.IsInf(s, 0):
			// Overflow: the halved sum is exact in range.
			s, e = sseTwoSum(x/2, y/2)
			r = nearVal(s, e)
			r.e = 1
			return r, 0, true
		}
		return nearVal(s, e), 0, true
	case fpMul:
		if x == 0 && math.IsInf(y, 0) || y == 0 && math.IsInf(x, 0) {
			return r, mxIE, false
		}
		if inf || x == 0 || y == 0 {
			return exactVal(x * y), 0, true
		}
		mx, ex := math.Frexp(math.Abs(x))
		my, ey := math.Frexp(math.Abs(y))
		p := mx * my
		r = fpVal{neg: math.Signbit(x) != math.Signbit(y), p: p, rp: fsign(math.FMA(mx, my, -p)), e: ex + ey}
		return r, 0, true
	case fpDiv:
		if x == 0 && y == 0 || math.IsInf(x, 0) && math.IsInf(y, 0) {
			return r, mxIE, false
		}
		if y == 0 && !inf {
			fl = mxZE
		}
		if inf || x == 0 || y == 0 {
			return exactVal(x / y), fl, true
		}
		mx, ex := math.Frexp(math.Abs(x))
		my, ey := math.Frexp(math.Abs(y))
		p := mx / my
		r = fpVal{neg: math.Signbit(x) != math.Signbit(y), p: p, rp: fsign(math.FMA(-p, my, mx)), e: ex - ey}
		return r, 0, true
	case fpSqrt:
		if y < 0 {
			return r, mxIE, false
		}
		if inf || y == 0 {
			return exactVal(math.Sqrt(y)), 0, true
		}
		my, ey := math.Frexp(y)
		if ey&1 != 0 {
			my, ey = my*2, ey-1
		}
		p := math.Sqrt(my)
		return fpVal{p: p, rp: fsign(math.FMA(-p, p, my)), e: ey / 2}, 0, true
	}
	return r, 0, true
}

// magDir is the direction rounding moves a magnitude in mode m: 0 to
// nearest, 1 away from zero, -1 toward zero.
func magDir(m uint32, neg bool) int {
	switch m & mxRC {
	case mxRZ:
		return -1
	case mxRD:
		if neg {
			return 1
		}
		return -1
	case mxRU:
		if neg {
			return -1
		}
		return 1
	}
	return 0
}

// roundGrid rounds t+ε (t ≥ 0, ε infinitesimal of sign rt) to an integer
// in direction dir and reports whether that was inexact.
func roundGrid(t float64, rt, dir int) (float64, bool) {
	n := math.Floor(t)
	f := t - n
	if f == 0 && rt == 0 {
		return n, false
	}
	switch dir {
	case 1:
		if f > 0 || rt > 0 {
			n++
		}
	case -1:
		if f == 0 && rt < 0 {
			n--
		}
	default:
		if f > 0.5 || f == 0.5 && (rt > 0 || rt == 0 && math.Mod(n, 2) != 0) {
			n++
		}
	}
	return n, true
}

// packFP rounds r to format f in the MXCSR rounding mode, applies FZ, adds
// the resulting flags to fl, records them and returns the bits.
func (c *CPU) packFP(f *fpFormat, r fpVal, fl uint32) uint64 {
	m := c.MXCSR
	var b uint64
	if r.exact {
		if f == &fmt32 {
			b = uint64(math.Float32bits(float32(r.v)))
		} else {
			b = math.Float64bits(r.v)
		}
		c.MXCSR |= fl
		return b
	}
	dir := magDir(m, r.neg)
	_, pe := math.Frexp(r.p)
	ex := pe - 1 + r.e // exponent of the exact value
	// Round to the format's precision with an unbounded exponent.
	n, inexact := roundGrid(math.Ldexp(r.p, f.mbits-(pe-1)), r.rp, dir)
	if n < math.Ldexp(1, f.mbits) {
		// Just below a power of two, rounded down: the largest mantissa
		// of the exponent below.
		n, ex = math.Ldexp(1, f.mbits+1)-1, ex-1
	}
	ue := ex
	if n == math.Ldexp(1, f.mbits+1) {
		ue++
	}
	bias := -f.emin + 1
	switch {
	case ue > f.emax:
		fl |= mxOE | mxPE
		b = uint64(f.emax+bias+1) << f.mbits // infinity
		if dir < 0 {
			b-- // the largest finite number
		}
	case ex < f.emin:
		// Round on the denormal grid; tiny if it would be tiny unbounded.
		tiny := ue < f.emin
		ns, inex := roundGrid(math.Ldexp(r.p, r.e-(f.emin-f.mbits)), r.rp, dir)
		b = uint64(ns)
		if inex {
			fl |= mxPE
			if tiny {
				fl |= mxUE
			}
		}
		if tiny && m&mxFZ != 0 {
			b = 0
			fl |= mxUE | mxPE
		}
	default:
		b = uint64(ex+bias)<<f.mbits + uint64(n) - 1<<f.mbits
		if inexact {
			fl |= mxPE
		}
	}
	if r.neg {
		b |= f.sign
	}
	c.MXCSR |= fl
	return b
}

// zeroSum gives an exact zero sum its sign: x + (-x) and +0 + -0 are -0 in
// round-down mode, +0 otherwise; -0 + -0 is -0.
func zeroSum(r fpVal, m uint32, x, y float64) fpVal {
	if r.exact && r.v == 0 && math.Signbit(x) != math.Signbit(y) && m&mxRC == mxRD {
		r.v = math.Copysign(0, -1)
	}
	return r
}

func (c *CPU) arith64(op fpOp, a, b uint64) uint64 {
	m := c.MXCSR
	if m&mxDAZ != 0 {
		a, b = daz64(a), daz64(b)
	}
	if op == fpSqrt {
		a = b
	}
	if isNaN64(a) || isNaN64(b) {
		return c.nan64(a, b)
	}
	x, y := asF64(a), asF64(b)
	r, fl, ok := sseCompute(op, x, y)
	if !ok {
		c.MXCSR |= fl
		return defNaN64
	}
	// An invalid operation or division by zero hides a denormal operand.
	if fl == 0 && (isDen64(a) || isDen64(b)) {
		fl = mxDE
	}
	if op == fpSub {
		y = -y
	}
	if op <= fpSub {
		r = zeroSum(r, m, x, y)
	}
	return c.packFP(&fmt64, r, fl)
}

func (c *CPU) arith32(op fpOp, a, b uint32) uint32 {
	m := c.MXCSR
	if m&mxDAZ != 0 {
		a, b = daz32(a), daz32(b)
	}
	if op == fpSqrt {
		a = b
	}
	if isNaN32(a) || isNaN32(b) {
		return c.nan32(a, b)
	}
	x, y := float64(asF32(a)), float64(asF32(b))
	r, fl, ok := sseCompute(op, x, y)
	if !ok {
		c.MXCSR |= fl
		return defNaN32
	}
	if fl == 0 && (isDen32(a) || isDen32(b)) {
		fl = mxDE
	}
	if op == fpSub {
		y = -y
	}
	if op <= fpSub {
		r = zeroSum(r, m, x, y)
	}
	return uint32(c.packFP(&fmt32, r, fl))
}

// Scalar operations. The fast paths cover round-to-nearest without DAZ or
// FZ on normal operands with a normal result, where the only flag an
// operation can raise is PE; its exact error is checked only while PE is
// still clear. Products and quotients must also stay away from the bottom
// of the range, where a result rounded up to the smallest normal is still
// tiny, and where their rounding errors would not be representable.

// fastFP reports round to nearest without DAZ or FZ.
func (c *CPU) fastFP() bool { return c.MXCSR&(mxRC|mxDAZ|mxFZ) == 0 }

// roomy64 and roomy32 report a biased exponent of at least 54 (2^-969) or
// 25 (2^-102).
func roomy64(b uint64) bool { return b&exp64 >= 54<<52 }
func roomy32(b uint32) bool { return b&exp32 >= 25<<23 }

// inexactIf records PE for a fast-path result.
func (c *CPU) inexactIf(e bool) {
	if e {
		c.MXCSR |= mxPE
	}
}

// normalOrZero64 reports a normal number or a zero: operands the fast paths
// take. A sum of two of them that is zero is exact (the sum of normals is a
// multiple of the smallest denormal), and so is a product with a zero.
func normalOrZero64(b uint64) bool { return normal64(b) || b<<1 == 0 }

func sseAdd64(c *CPU, a, b uint64) uint64 {
	if c.fastFP() && normalOrZero64(a) && normalOrZero64(b) {
		if r, ok := c.fastSum64(asF64(a), asF64(b)); ok {
			return r
		}
	}
	return c.arith64(fpAdd, a, b)
}

func sseSub64(c *CPU, a, b uint64) uint64 {
	if c.fastFP() && normalOrZero64(a) && normalOrZero64(b) {
		if r, ok := c.fastSum64(asF64(a), -asF64(b)); ok {
			return r
		}
	}
	return c.arith64(fpSub, a, b)
}

// fastSum64 adds x and y, normals or zeros, unless the result needs
// rounding care (ok false). PE is sticky: once it is set, the rounding
// error need not be computed. The error of a sum that neither overflows
// nor underflows is exactly (x-(s-v))+(y-v) with v = s-x (TwoSum, no
// branch). The callers fall back on arith64, so that this one inlines.
func (c *CPU) fastSum64(x, y float64) (r uint64, ok bool) {
	s := x + y
	if r = math.Float64bits(s); !normal64(r) && s != 0 {
		return 0, false
	}
	if c.MXCSR&mxPE == 0 {
		v := s - x
		c.inexactIf((x-(s-v))+(y-v) != 0)
	}
	return r, true
}

func sseMul64(c *CPU, a, b uint64) uint64 {
	if c.fastFP() && normalOrZero64(a) && normalOrZero64(b) {
		x, y := asF64(a), asF64(b)
		p := x * y
		r := math.Float64bits(p)
		if normal64(r) && roomy64(r) {
			if c.MXCSR&mxPE == 0 {
				c.inexactIf(math.FMA(x, y, -p) != 0)
			}
			return r
		}
		if a<<1 == 0 || b<<1 == 0 {
			return r
		}
	}
	return c.arith64(fpMul, a, b)
}

func sseDiv64(c *CPU, a, b uint64) uint64 {
	if c.fastFP() && normal64(a) && normal64(b) && roomy64(a) {
		x, y := asF64(a), asF64(b)
		q := x / y
		if r := math.Float64bits(q); normal64(r) && roomy64(r) {
			if c.MXCSR&mxPE == 0 {
				c.inexactIf(math.FMA(-q, y, x) != 0)
			}
			return r
		}
	}
	return c.arith64(fpDiv, a, b)
}

func sseSqrt64(c *CPU, _, b uint64) uint64 {
	if c.fastFP() && normal64(b) && roomy64(b) && b&sign64 == 0 {
		y := asF64(b)
		s := math.Sqrt(y)
		if c.MXCSR&mxPE == 0 {
			c.inexactIf(math.FMA(-s, s, y) != 0)
		}
		return math.Float64bits(s)
	}
	return c.arith64(fpSqrt, 0, b)
}

// The single-precision fast paths check PE in double, where sums, products
// and remainders of singles are exact.

func sseAdd32(c *CPU, a, b uint32) uint32 {
	if c.fastFP() && normal32(a) && normal32(b) {
		x, y := asF32(a), asF32(b)
		if r := math.Float32bits(x + y); normal32(r) {
			if c.MXCSR&mxPE == 0 {
				s, e := sseTwoSum(float64(x), float64(y))
				c.inexactIf(e != 0 || s != float64(asF32(r)))
			}
			return r
		}
	}
	return c.arith32(fpAdd, a, b)
}

func sseSub32(c *CPU, a, b uint32) uint32 {
	if c.fastFP() && normal32(a) && normal32(b) {
		x, y := asF32(a), asF32(b)
		if r := math.Float32bits(x - y); normal32(r) {
			if c.MXCSR&mxPE == 0 {
				s, e := sseTwoSum(float64(x), -float64(y))
				c.inexactIf(e != 0 || s != float64(asF32(r)))
			}
			return r
		}
	}
	return c.arith32(fpSub, a, b)
}

func sseMul32(c *CPU, a, b uint32) uint32 {
	if c.fastFP() && normal32(a) && normal32(b) {
		x, y := asF32(a), asF32(b)
		if r := math.Float32bits(x * y); normal32(r) && roomy32(r) {
			if c.MXCSR&mxPE == 0 {
				c.inexactIf(float64(x)*float64(y) != float64(asF32(r)))
			}
			return r
		}
	}
	return c.arith32(fpMul, a, b)
}

func sseDiv32(c *CPU, a, b uint32) uint32 {
	if c.fastFP() && normal32(a) && normal32(b) {
		x, y := asF32(a), asF32(b)
		if r := math.Float32bits(x / y); normal32(r) && roomy32(r) {
			if c.MXCSR&mxPE == 0 {
				q := float64(asF32(r))
				c.inexactIf(math.FMA(-q, float64(y), float64(x)) != 0)
			}
			return r
		}
	}
	return c.arith32(fpDiv, a, b)
}

func sseSqrt32(c *CPU, _, b uint32) uint32 {
	if c.fastFP() && normal32(b) && b&sign32 == 0 {
		y := float64(asF32(b))
		r := float32(math.Sqrt(y))
		if c.MXCSR&mxPE == 0 {
			c.inexactIf(math.FMA(-float64(r), float64(r), y) != 0)
		}
		return math.Float32bits(r)
	}
	return c.arith32(fpSqrt, 0, b)
}

// MIN and MAX return the second operand when either is a NaN (signalling
// IE even for a QNaN) or both are zeros.
func sseMin64(c *CPU, a, b uint64) uint64 {
	a, b = c.minmaxIn64(a, b)
	if !isNaN64(a) && !isNaN64(b) && asF64(a) < asF64(b) {
		return a
	}
	return b
}

func sseMax64(c *CPU, a, b uint64) uint64 {
	a, b = c.minmaxIn64(a, b)
	if !isNaN64(a) && !isNaN64(b) && asF64(a) > asF64(b) {
		return a
	}
	return b
}

func sseMin32(c *CPU, a, b uint32) uint32 {
	a, b = c.minmaxIn32(a, b)
	if !isNaN32(a) && !isNaN32(b) && asF32(a) < asF32(b) {
		return a
	}
	return b
}

func sseMax32(c *CPU, a, b uint32) uint32 {
	a, b = c.minmaxIn32(a, b)
	if !isNaN32(a) && !isNaN32(b) && asF32(a) > asF32(b) {
		return a
	}
	return b
}

func (c *CPU) minmaxIn64(a, b uint64) (uint64, uint64) {
	if c.MXCSR&mxDAZ != 0 {
		a, b = daz64(a), daz64(b)
	}
	switch {
	case isNaN64(a) || isNaN64(b):
		c.MXCSR |= mxIE
	case isDen64(a) || isDen64(b):
		c.MXCSR |= mxDE
	}
	return a, b
}

func (c *CPU) minmaxIn32(a, b uint32) (uint32, uint32) {
	if c.MXCSR&mxDAZ != 0 {
		a, b = daz32(a), daz32(b)
	}
	switch {
	case isNaN32(a) || isNaN32(b):
		c.MXCSR |= mxIE
	case isDen32(a) || isDen32(b):
		c.MXCSR |= mxDE
	}
	return a, b
}

// sseCmp compares two values already screened for NaNs: -1, 0, 1, or 2 for
// unordered.
func sseCmp(x, y float64, unordered bool) int {
	switch {
	case unordered:
		return 2
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// cmpPred evaluates CMPPS/CMPSS predicate p (0..7: EQ LT LE UNORD NEQ NLT
// NLE ORD) on a comparison result.
func cmpPred(p uint8, r int) bool {
	switch p & 7 {
	case 0:
		return r == 0
	case 1:
		return r == -1
	case 2:
		return r == -1 || r == 0
	case 3:
		return r == 2
	case 4:
		return r != 0
	case 5:
		return r != -1
	case 6:
		return r == 1 || r == 2
	}
	return r != 2
}

// signalling predicates raise IE for a QNaN operand too.
func cmpSignals(p uint8) bool {
	switch p & 7 {
	case 1, 2, 5, 6:
		return true
	}
	return false
}

func (c *CPU) cmp64(a, b uint64, p uint8) uint64 {
	if c.MXCSR&mxDAZ != 0 {
		a, b = daz64(a), daz64(b)
	}
	un := isNaN64(a) || isNaN64(b)
	switch {
	case isSNaN64(a) || isSNaN64(b) || un && cmpSignals(p):
		c.MXCSR |= mxIE
	case !un && (isDen64(a) || isDen64(b)):
		c.MXCSR |= mxDE
	}
	return ones64(cmpPred(p, sseCmp(asF64(a), asF64(b), un)))
}

func (c *CPU) cmp32(a, b uint32, p uint8) uint32 {
	if c.MXCSR&mxDAZ != 0 {
		a, b = daz32(a), daz32(b)
	}
	un := isNaN32(a) || isNaN32(b)
	switch {
	case isSNaN32(a) || isSNaN32(b) || un && cmpSignals(p):
		c.MXCSR |= mxIE
	case !un && (isDen32(a) || isDen32(b)):
		c.MXCSR |= mxDE
	}
	return ones32(cmpPred(p, sseCmp(float64(asF32(a)), float64(asF32(b)), un)))
}

// comiFlags sets ZF, PF and CF from a comparison (all three when
// unordered) and clears OF, SF and AF.
func (c *CPU) comiFlags(r int) {
	var f uint64
	switch r {
	case 2:
		f = FlagZF | FlagPF | FlagCF
	case -1:
		f = FlagCF
	case 0:
		f = FlagZF
	}
	c.setStatus(f)
}

func (c *CPU) comi64(a, b uint64, signalQ bool) {
	if c.MXCSR&mxDAZ != 0 {
		a, b = daz64(a), daz64(b)
	}
	un := isNaN64(a) || isNaN64(b)
	switch {
	case isSNaN64(a) || isSNaN64(b) || un && signalQ:
		c.MXCSR |= mxIE
	case !un && (isDen64(a) || isDen64(b)):
		c.MXCSR |= mxDE
	}
	c.comiFlags(sseCmp(asF64(a), asF64(b), un))
}

func (c *CPU) comi32(a, b uint32, signalQ bool) {
	if c.MXCSR&mxDAZ != 0 {
		a, b = daz32(a), daz32(b)
	}
	un := isNaN32(a) || isNaN32(b)
	switch {
	case isSNaN32(a) || isSNaN32(b) || un && signalQ:
		c.MXCSR |= mxIE
	case !un && (isDen32(a) || isDen32(b)):
		c.MXCSR |= mxDE
	}
	c.comiFlags(sseCmp(float64(asF32(a)), float64(asF32(b)), un))
}

// Handler builders for scalar (low lane, the rest of the destination kept)
// and packed forms.

type op64 func(c *CPU, a, b uint64) uint64
type op32 func(c *CPU, a, b uint32) uint32

func defSD(f op64, list ...x86asm.Op) {
	h := func(c *CPU, in *Inst) {
		b := c.src64(in)
		d := &c.X[in.args[0].reg]
		d[0] = f(c, d[0], b)
	}
	defSSE(selXXM(h), list...)
}

func defSS(f op32, list ...x86asm.Op) {
	h := func(c *CPU, in *Inst) {
		b := c.src32(in)
		d := &c.X[in.args[0].reg]
		d[0] = d[0]&^0xffffffff | uint64(f(c, uint32(d[0]), b))
	}
	defSSE(selXXM(h), list...)
}

func defPD(f op64, list ...x86asm.Op) {
	h := func(c *CPU, in *Inst) {
		s := c.xsrc(in)
		d := &c.X[in.args[0].reg]
		*d = XMM{f(c, d[0], s[0]), f(c, d[1], s[1])}
	}
	defSSE(selXXM(h), list...)
}

func defPS(f op32, list ...x86asm.Op) {
	h := func(c *CPU, in *Inst) {
		s := c.xsrc(in)
		d := c.X[in.args[0].reg]
		a, b := d.u32(), s.u32()
		for i := range a {
			a[i] = f(c, a[i], b[i])
		}
		c.X[in.args[0].reg] = d
	}
	defSSE(selXXM(h), list...)
}

// selXXM accepts xmm, xmm/mem forms.
func selXXM(h handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if isX(in, 0) && (isX(in, 1) || isM(in, 1)) {
			return h
		}
		return nil
	}
}

// selXXMI accepts xmm, xmm/mem, imm8 forms.
func selXXMI(h handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if isX(in, 0) && (isX(in, 1) || isM(in, 1)) && in.nargs == 3 && in.args[2].kind == argImm {
			return h
		}
		return nil
	}
}

// Scalar double arithmetic, the bulk of compiled floating-point code, has
// handlers of its own rather than defSD's call through a function value.
func subsd(c *CPU, in *Inst) { d := &c.X[in.args[0].reg]; d[0] = sseSub64(c, d[0], c.src64(in)) }
func divsd(c *CPU, in *Inst) { d := &c.X[in.args[0].reg]; d[0] = sseDiv64(c, d[0], c.src64(in)) }

// ADDSD and MULSD, register and memory forms, call sseAdd64 and sseMul64
// directly: matrix code spends its time there.
func addsdXX(c *CPU, in *Inst) {
	d := &c.X[in.args[0].reg&15]
	d[0] = sseAdd64(c, d[0], c.X[in.args[1].reg&15][0])
}

func addsdXM(c *CPU, in *Inst) {
	b := ldT[uint64](c, c.ea(in))
	d := &c.X[in.args[0].reg&15]
	d[0] = sseAdd64(c, d[0], b)
}

func mulsdXX(c *CPU, in *Inst) {
	d := &c.X[in.args[0].reg&15]
	d[0] = sseMul64(c, d[0], c.X[in.args[1].reg&15][0])
}

func mulsdXM(c *CPU, in *Inst) {
	b := ldT[uint64](c, c.ea(in))
	d := &c.X[in.args[0].reg&15]
	d[0] = sseMul64(c, d[0], b)
}

// selXXorM picks the register or the memory form.
func selXXorM(hx, hm handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		switch {
		case isX(in, 0) && isX(in, 1):
			return hx
		case isX(in, 0) && isM(in, 1):
			return hm
		}
		return nil
	}
}

func init() {
	defSSE(selXXorM(addsdXX, addsdXM), x86asm.ADDSD)
	defSSE(selXXM(subsd), x86asm.SUBSD)
	defSSE(selXXorM(mulsdXX, mulsdXM), x86asm.MULSD)
	defSSE(selXXM(divsd), x86asm.DIVSD)
	defSD(sseSqrt64, x86asm.SQRTSD)
	defSD(sseMin64, x86asm.MINSD)
	defSD(sseMax64, x86asm.MAXSD)
	defSS(sseAdd32, x86asm.ADDSS)
	defSS(sseSub32, x86asm.SUBSS)
	defSS(sseMul32, x86asm.MULSS)
	defSS(sseDiv32, x86asm.DIVSS)
	defSS(sseSqrt32, x86asm.SQRTSS)
	defSS(sseMin32, x86asm.MINSS)
	defSS(sseMax32, x86asm.MAXSS)
	defSS(sseRcp32, x86asm.RCPSS)
	defSS(sseRsqrt32, x86asm.RSQRTSS)
	defPD(sseAdd64, x86asm.ADDPD)
	defPD(sseSub64, x86asm.SUBPD)
	defPD(sseMul64, x86asm.MULPD)
	defPD(sseDiv64, x86asm.DIVPD)
	defPD(sseSqrt64, x86asm.SQRTPD)
	defPD(sseMin64, x86asm.MINPD)
	defPD(sseMax64, x86asm.MAXPD)
	defPS(sseAdd32, x86asm.ADDPS)
	defPS(sseSub32, x86asm.SUBPS)
	defPS(sseMul32, x86asm.MULPS)
	defPS(sseDiv32, x86asm.DIVPS)
	defPS(sseSqrt32, x86asm.SQRTPS)
	defPS(sseMin32, x86asm.MINPS)
	defPS(sseMax32, x86asm.MAXPS)
	defPS(sseRcp32, x86asm.RCPPS)
	defPS(sseRsqrt32, x86asm.RSQRTPS)

	defX(pand, mmxNo, x86asm.ANDPS, x86asm.ANDPD)
	defX(pandn, mmxNo, x86asm.ANDNPS, x86asm.ANDNPD)
	defX(por, mmxNo, x86asm.ORPS, x86asm.ORPD)
	defX(pxor, mmxNo, x86asm.XORPS, x86asm.XORPD)
	defX(punpckldq, mmxNo, x86asm.UNPCKLPS)
	defX(punpckhdq, mmxNo, x86asm.UNPCKHPS)
	defX(punpcklqdq, mmxNo, x86asm.UNPCKLPD)
	defX(punpckhqdq, mmxNo, x86asm.UNPCKHPD)
	defXi(shufps, mmxNo, x86asm.SHUFPS)
	defXi(shufpd, mmxNo, x86asm.SHUFPD)
	defX(movshdup, mmxNo, x86asm.MOVSHDUP)
	defX(movsldup, mmxNo, x86asm.MOVSLDUP)
	defSSE(selMovddup, x86asm.MOVDDUP)

	defSSE(selXXMI(opCmpss), x86asm.CMPSS)
	defSSE(selXXMI(opCmpsd), x86asm.CMPSD_XMM)
	defSSE(selXXMI(opCmpps), x86asm.CMPPS)
	defSSE(selXXMI(opCmppd), x86asm.CMPPD)
	defSSE(selXXM(opComiss), x86asm.COMISS)
	defSSE(selXXM(opUcomiss), x86asm.UCOMISS)
	defSSE(selXXM(opComisd), x86asm.COMISD)
	defSSE(selXXM(opUcomisd), x86asm.UCOMISD)

	defSSE(selXXM(opHaddps), x86asm.HADDPS)
	defSSE(selXXM(opHsubps), x86asm.HSUBPS)
	defSSE(selXXM(opHaddpd), x86asm.HADDPD)
	defSSE(selXXM(opHsubpd), x86asm.HSUBPD)
	defSSE(selXXM(opAddsubps), x86asm.ADDSUBPS)
	defSSE(selXXM(opAddsubpd), x86asm.ADDSUBPD)

	defSSE(selXXMI(opRoundss), x86asm.ROUNDSS)
	defSSE(selXXMI(opRoundsd), x86asm.ROUNDSD)
	defSSE(selXXMI(opRoundps), x86asm.ROUNDPS)
	defSSE(selXXMI(opRoundpd), x86asm.ROUNDPD)
	defSSE(selXXMI(opDpps), x86asm.DPPS)
	defSSE(selXXMI(opDppd), x86asm.DPPD)
	defSSE(selXXMI(opInsertps), x86asm.INSERTPS)
}

func shufps(d, s XMM, imm uint8) XMM {
	var r XMM
	a, b, o := d.u32(), s.u32(), r.u32()
	o[0], o[1] = a[imm&3], a[imm>>2&3]
	o[2], o[3] = b[imm>>4&3], b[imm>>6&3]
	return r
}

func shufpd(d, s XMM, imm uint8) XMM { return XMM{d[imm&1], s[imm>>1&1]} }

func movshdup(_, s XMM) XMM {
	a := s.u32()
	a[0], a[2] = a[1], a[3]
	return s
}

func movsldup(_, s XMM) XMM {
	a := s.u32()
	a[1], a[3] = a[0], a[2]
	return s
}

func selMovddup(in *Inst) handler {
	if isX(in, 0) && (isX(in, 1) || isM(in, 1)) {
		return opMovddup
	}
	return nil
}

func opMovddup(c *CPU, in *Inst) {
	v := c.src64(in)
	c.X[in.args[0].reg] = XMM{v, v}
}

func opCmpss(c *CPU, in *Inst) {
	b := c.src32(in)
	d := &c.X[in.args[0].reg]
	d[0] = d[0]&^0xffffffff | uint64(c.cmp32(uint32(d[0]), b, uint8(in.imm)))
}

func opCmpsd(c *CPU, in *Inst) {
	b := c.src64(in)
	d := &c.X[in.args[0].reg]
	d[0] = c.cmp64(d[0], b, uint8(in.imm))
}

func opCmpps(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := c.X[in.args[0].reg]
	a, b := d.u32(), s.u32()
	for i := range a {
		a[i] = c.cmp32(a[i], b[i], uint8(in.imm))
	}
	c.X[in.args[0].reg] = d
}

func opCmppd(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := &c.X[in.args[0].reg]
	*d = XMM{c.cmp64(d[0], s[0], uint8(in.imm)), c.cmp64(d[1], s[1], uint8(in.imm))}
}

func opComiss(c *CPU, in *Inst) {
	c.comi32(uint32(c.X[in.args[0].reg][0]), c.src32(in), true)
}

func opUcomiss(c *CPU, in *Inst) {
	c.comi32(uint32(c.X[in.args[0].reg][0]), c.src32(in), false)
}

func opComisd(c *CPU, in *Inst) { c.comi64(c.X[in.args[0].reg][0], c.src64(in), true) }

func opUcomisd(c *CPU, in *Inst) { c.comi64(c.X[in.args[0].reg][0], c.src64(in), false) }

func opHaddps(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := c.X[in.args[0].reg]
	a, b := d.u32(), s.u32()
	var r XMM
	o := r.u32()
	o[0], o[1] = sseAdd32(c, a[0], a[1]), sseAdd32(c, a[2], a[3])
	o[2], o[3] = sseAdd32(c, b[0], b[1]), sseAdd32(c, b[2], b[3])
	c.X[in.args[0].reg] = r
}

func opHsubps(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := c.X[in.args[0].reg]
	a, b := d.u32(), s.u32()
	var r XMM
	o := r.u32()
	o[0], o[1] = sseSub32(c, a[0], a[1]), sseSub32(c, a[2], a[3])
	o[2], o[3] = sseSub32(c, b[0], b[1]), sseSub32(c, b[2], b[3])
	c.X[in.args[0].reg] = r
}

func opHaddpd(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := &c.X[in.args[0].reg]
	*d = XMM{sseAdd64(c, d[0], d[1]), sseAdd64(c, s[0], s[1])}
}

func opHsubpd(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := &c.X[in.args[0].reg]
	*d = XMM{sseSub64(c, d[0], d[1]), sseSub64(c, s[0], s[1])}
}

func opAddsubps(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := c.X[in.args[0].reg]
	a, b := d.u32(), s.u32()
	a[0], a[1] = sseSub32(c, a[0], b[0]), sseAdd32(c, a[1], b[1])
	a[2], a[3] = sseSub32(c, a[2], b[2]), sseAdd32(c, a[3], b[3])
	c.X[in.args[0].reg] = d
}

func opAddsubpd(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := &c.X[in.args[0].reg]
	*d = XMM{sseSub64(c, d[0], s[0]), sseAdd64(c, d[1], s[1])}
}

// sseRcp32 and sseRsqrt32 are the approximate reciprocals. Hardware results
// differ between implementations (within 1.5*2^-12 relative error); these
// return the correctly rounded value, a denormal operand counts as zero and
// a tiny reciprocal is flushed to zero. No flags are raised.
func sseRcp32(_ *CPU, _, b uint32) uint32 {
	switch {
	case isNaN32(b):
		return b | quiet32
	case b&exp32 == 0:
		return b&sign32 | exp32
	}
	r := math.Float32bits(float32(1 / float64(asF32(b))))
	if r&exp32 == 0 {
		r &= sign32
	}
	return r
}

func sseRsqrt32(_ *CPU, _, b uint32) uint32 {
	switch {
	case isNaN32(b):
		return b | quiet32
	case b&exp32 == 0:
		return b&sign32 | exp32
	case b&sign32 != 0:
		return defNaN32
	}
	return math.Float32bits(float32(1 / math.Sqrt(float64(asF32(b)))))
}

// sseRoundInt rounds x to an integer in rounding-control mode rc (MXCSR
// encoding).
func sseRoundInt(x float64, rc uint32) float64 {
	switch rc {
	case mxRD:
		return math.Floor(x)
	case mxRU:
		return math.Ceil(x)
	case mxRZ:
		return math.Trunc(x)
	}
	return math.RoundToEven(x)
}

// roundMode decodes ROUNDxx's immediate: bit 2 selects MXCSR.RC, else
// bits 1:0.
func (c *CPU) roundMode(imm uint8) uint32 {
	if imm&4 != 0 {
		return c.MXCSR & mxRC
	}
	return uint32(imm&3) << 13
}

func (c *CPU) round64i(b uint64, imm uint8) uint64 {
	if c.MXCSR&mxDAZ != 0 {
		b = daz64(b)
	}
	if isNaN64(b) {
		return c.nan64(b, b)
	}
	x := asF64(b)
	r := math.Float64bits(sseRoundInt(x, c.roundMode(imm)))
	if r != b && imm&8 == 0 {
		c.MXCSR |= mxPE
	}
	return r
}

func (c *CPU) round32i(b uint32, imm uint8) uint32 {
	if c.MXCSR&mxDAZ != 0 {
		b = daz32(b)
	}
	if isNaN32(b) {
		return c.nan32(b, b)
	}
	x := float64(asF32(b))
	r := math.Float32bits(float32(sseRoundInt(x, c.roundMode(imm))))
	if r != b && imm&8 == 0 {
		c.MXCSR |= mxPE
	}
	return r
}

func opRoundss(c *CPU, in *Inst) {
	b := c.src32(in)
	d := &c.X[in.args[0].reg]
	d[0] = d[0]&^0xffffffff | uint64(c.round32i(b, uint8(in.imm)))
}

func opRoundsd(c *CPU, in *Inst) {
	b := c.src64(in)
	c.X[in.args[0].reg][0] = c.round64i(b, uint8(in.imm))
}

func opRoundps(c *CPU, in *Inst) {
	s := c.xsrc(in)
	b := s.u32()
	for i := range b {
		b[i] = c.round32i(b[i], uint8(in.imm))
	}
	c.X[in.args[0].reg] = s
}

func opRoundpd(c *CPU, in *Inst) {
	s := c.xsrc(in)
	c.X[in.args[0].reg] = XMM{c.round64i(s[0], uint8(in.imm)), c.round64i(s[1], uint8(in.imm))}
}

// DPPS multiplies the lanes selected by imm[7:4], adds the products
// pairwise ((0+1)+(2+3)) and writes the sum to the lanes selected by
// imm[3:0].
func opDpps(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := c.X[in.args[0].reg]
	imm := uint8(in.imm)
	a, b := d.u32(), s.u32()
	var p [4]uint32
	for i := range p {
		if imm>>(4+i)&1 != 0 {
			p[i] = sseMul32(c, a[i], b[i])
		}
	}
	sum := sseAdd32(c, sseAdd32(c, p[0], p[1]), sseAdd32(c, p[2], p[3]))
	var r XMM
	o := r.u32()
	for i := range o {
		if imm>>i&1 != 0 {
			o[i] = sum
		}
	}
	c.X[in.args[0].reg] = r
}

func opDppd(c *CPU, in *Inst) {
	s := c.xsrc(in)
	d := c.X[in.args[0].reg]
	imm := uint8(in.imm)
	var p [2]uint64
	for i := range p {
		if imm>>(4+i)&1 != 0 {
			p[i] = sseMul64(c, d[i], s[i])
		}
	}
	sum := sseAdd64(c, p[0], p[1])
	var r XMM
	for i := range r {
		if imm>>i&1 != 0 {
			r[i] = sum
		}
	}
	c.X[in.args[0].reg] = r
}

// INSERTPS copies a single (lane imm[7:6] of a register, or m32) to lane
// imm[5:4] and then zeroes the lanes in imm[3:0].
func opInsertps(c *CPU, in *Inst) {
	imm := uint8(in.imm)
	var v uint32
	if isX(in, 1) {
		s := c.X[in.args[1].reg]
		v = s.u32()[imm>>6]
	} else {
		v = uint32(c.load32(c.ea(in)))
	}
	d := c.X[in.args[0].reg]
	a := d.u32()
	a[imm>>4&3] = v
	for i := range a {
		if imm>>i&1 != 0 {
			a[i] = 0
		}
	}
	c.X[in.args[0].reg] = d
}
