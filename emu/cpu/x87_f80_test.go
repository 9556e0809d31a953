package cpu

import (
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"strings"
	"testing"
)

// Tests of the soft-float against math/big, which rounds exactly in every
// mode. big.Float has no exponent range, so these keep results normal; the
// edge cases (denormals, overflow, NaNs) have their own tests, and the
// native tests compare everything with the host FPU.

const refPrec = 512

func refF80(x F80) *big.Float {
	f := new(big.Float).SetPrec(refPrec)
	if x.class() == fcZero {
		if x.neg() {
			f.Neg(f)
		}
		return f
	}
	m, e := x.unpack()
	f.SetUint64(m).SetMantExp(f, int(e)-f80Bias-63)
	if x.neg() {
		f.Neg(f)
	}
	return f
}

// bigToF80 converts a big.Float of at most 64 significant bits in the
// normal range exactly.
func bigToF80(t *testing.T, f *big.Float) F80 {
	t.Helper()
	if f.Sign() == 0 {
		return f80Zero(f.Signbit())
	}
	m := new(big.Float)
	e := f.MantExp(m) // f = m × 2^e, 0.5 <= |m| < 1
	m.SetMantExp(m.Abs(m), 64)
	u, acc := m.Uint64()
	if acc != big.Exact || u>>63 == 0 {
		t.Fatalf("%v does not fit 64 bits", f)
	}
	return F80{Mant: u, Exp: signExp(f.Signbit(), int32(e-1+f80Bias))}
}

var bigModes = [4]big.RoundingMode{big.ToNearestEven, big.ToNegativeInf, big.ToPositiveInf, big.ToZero}

// refRound rounds f to prec bits per rc and returns the F80 and the flags
// the x87 reports: PE when inexact, with C1 when rounded away from zero.
func refRound(t *testing.T, f *big.Float, prec uint, rc uint16) (F80, uint16) {
	t.Helper()
	g := new(big.Float).SetPrec(prec).SetMode(bigModes[rc])
	g.Set(f)
	var exc uint16
	if acc := g.Acc(); acc != big.Exact {
		exc = fsPE
		if acc == big.Above && g.Sign() > 0 || acc == big.Below && g.Sign() < 0 {
			exc |= fsC1
		}
	}
	return bigToF80(t, g), exc
}

// randNormal returns a random F80 with a full-width significand and an
// exponent within ±spread of 1.
func randNormal(r *rand.Rand, spread int) F80 {
	m := r.Uint64() | intBit
	switch r.Intn(4) {
	case 0:
		m &^= 1<<uint(r.Intn(64)) - 1 // short significands make exact results
	case 1:
		m |= 1<<uint(r.Intn(64)) - 1
	}
	x := F80{Mant: m, Exp: uint16(f80Bias - spread + r.Intn(2*spread+1))}
	if r.Intn(2) == 0 {
		x.Exp |= 0x8000
	}
	return x
}

func ctlFor(pc uint, rc uint16) uint16 {
	bits := map[uint]uint16{24: 0, 53: 2, 64: 3}[pc]
	return 0x7f | bits<<8 | rc<<10
}

func TestF80ArithVsBig(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	ops := []struct {
		name string
		f    func(a, b F80, ctl uint16) (F80, uint16)
		ref  func(z, a, b *big.Float) *big.Float
	}{
		{"add", func(a, b F80, c uint16) (F80, uint16) { return f80Add(a, b, false, c) }, (*big.Float).Add},
		{"sub", func(a, b F80, c uint16) (F80, uint16) { return f80Add(a, b, true, c) }, (*big.Float).Sub},
		{"mul", f80Mul, (*big.Float).Mul},
		{"div", f80Div, (*big.Float).Quo},
	}
	for _, op := range ops {
		for i := 0; i < 20000; i++ {
			var a, b F80
			if i%2 == 0 {
				// float64 operands, as compiled C code mostly has.
				fa := math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(1023-60+r.Intn(120))<<52)
				fb := math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(1023-60+r.Intn(120))<<52)
				a, _ = f64ToF80(math.Float64bits(fa))
				b, _ = f64ToF80(math.Float64bits(fb))
			} else {
				a, b = randNormal(r, 200), randNormal(r, 200)
				if op.name == "add" || op.name == "sub" {
					b.Exp = b.Exp&0x8000 | (a.Exp&0x7fff - 70 + uint16(r.Intn(140)))
				}
			}
			pc := []uint{24, 53, 64, 64}[r.Intn(4)]
			rc := uint16(r.Intn(4))
			got, exc := op.f(a, b, ctlFor(pc, rc))
			exact := op.ref(new(big.Float).SetPrec(refPrec), refF80(a), refF80(b))
			if exact.Sign() == 0 {
				want := f80Zero(rc == rcDown)
				if op.name == "mul" || op.name == "div" {
					want = f80Zero(a.neg() != b.neg())
				}
				if got != want || exc != 0 {
					t.Fatalf("%s %v %v pc %d rc %d: got %v %#x, want %v", op.name, a, b, pc, rc, got, exc, want)
				}
				continue
			}
			want, wexc := refRound(t, exact, pc, rc)
			if got != want || exc != wexc {
				t.Fatalf("%s %04x:%016x %04x:%016x pc %d rc %d: got %04x:%016x %#x, want %04x:%016x %#x",
					op.name, a.Exp, a.Mant, b.Exp, b.Mant, pc, rc, got.Exp, got.Mant, exc, want.Exp, want.Mant, wexc)
			}
		}
	}
}

func TestF80SqrtVsBig(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 20000; i++ {
		a := randNormal(r, 3000).withSign(false)
		if i%3 == 0 {
			a, _ = f64ToF80(r.Uint64() >> 1)
			if a.class() != fcFinite || a.isDenorm() {
				continue
			}
		}
		pc := []uint{24, 53, 64, 64}[r.Intn(4)]
		rc := uint16(r.Intn(4))
		got, exc := f80Sqrt(a, ctlFor(pc, rc))
		exact := new(big.Float).SetPrec(refPrec).Sqrt(refF80(a))
		want, wexc := refRound(t, exact, pc, rc)
		if got != want || exc != wexc {
			t.Fatalf("sqrt %04x:%016x pc %d rc %d: got %04x:%016x %#x, want %04x:%016x %#x",
				a.Exp, a.Mant, pc, rc, got.Exp, got.Mant, exc, want.Exp, want.Mant, wexc)
		}
	}
	for _, c := range []struct {
		in, want F80
		exc      uint16
	}{
		{F80{Exp: 0x8000}, F80{Exp: 0x8000}, 0},
		{f80Inf(false), f80Inf(false), 0},
		{f80Inf(true), f80Indefinite, fsIE},
		{f80One.withSign(true), f80Indefinite, fsIE},
		{F80{Mant: intBit | 1, Exp: 0x7fff}, F80{Mant: intBit | qnanBit | 1, Exp: 0x7fff}, fsIE},
		{F80{Mant: 1 << 61, Exp: 0}, F80{Mant: intBit, Exp: f80Bias - 8192}, fsDE}, // 2^-16384
	} {
		got, exc := f80Sqrt(c.in, 0x37f)
		if got != c.want || exc != c.exc {
			t.Errorf("sqrt %v: got %v %#x, want %v %#x", c.in, got, exc, c.want, c.exc)
		}
	}
}

func TestF80Specials(t *testing.T) {
	qnan := func(m uint64, neg bool) F80 { return F80{Mant: intBit | qnanBit | m, Exp: signExp(neg, 0x7fff)} }
	snan := func(m uint64) F80 { return F80{Mant: intBit | m, Exp: 0x7fff} }
	one, two := f80One, F80{Mant: intBit, Exp: f80Bias + 1}
	den := F80{Mant: 1, Exp: 0}
	maxF := F80{Mant: ^uint64(0), Exp: f80EMax}
	minN := F80{Mant: intBit, Exp: 1}
	cases := []struct {
		name     string
		got      F80
		exc      uint16
		want     F80
		wantExcs uint16
	}{}
	add := func(name string, r F80, exc uint16, want F80, wexc uint16) {
		cases = append(cases, struct {
			name     string
			got      F80
			exc      uint16
			want     F80
			wantExcs uint16
		}{name, r, exc, want, wexc})
	}
	r, e := f80Add(qnan(1, false), qnan(2, false), false, 0x37f)
	add("qnan+qnan larger significand", r, e, qnan(2, false), 0)
	r, e = f80Add(qnan(2, true), qnan(2, false), false, 0x37f)
	add("qnan tie prefers positive", r, e, qnan(2, false), 0)
	r, e = f80Add(snan(3), qnan(1, false), false, 0x37f)
	add("qnan over snan", r, e, qnan(1, false), fsIE)
	r, e = f80Mul(snan(3), one, 0x37f)
	add("snan quieted", r, e, qnan(3, false), fsIE)
	r, e = f80Add(f80Inf(false), f80Inf(true), false, 0x37f)
	add("inf-inf", r, e, f80Indefinite, fsIE)
	r, e = f80Mul(f80Inf(false), F80{}, 0x37f)
	add("inf*0", r, e, f80Indefinite, fsIE)
	r, e = f80Div(F80{}, F80{}, 0x37f)
	add("0/0", r, e, f80Indefinite, fsIE)
	r, e = f80Div(one, F80{Exp: 0x8000}, 0x37f)
	add("1/-0", r, e, f80Inf(true), fsZE)
	r, e = f80Div(den, F80{}, 0x37f)
	add("denormal/0 reports no DE", r, e, f80Inf(false), fsZE)
	r, e = f80Add(one, one.withSign(true), false, 0x37f)
	add("x-x is +0", r, e, F80{}, 0)
	r, e = f80Add(one, one.withSign(true), false, 0x77f)
	add("x-x is -0 rounding down", r, e, F80{Exp: 0x8000}, 0)
	r, e = f80Add(F80{Mant: intBit, Exp: 0x3fff}, F80{Exp: 0x3fff}, false, 0x37f)
	add("unnormal operand", r, e, f80Indefinite, fsIE)
	r, e = f80Add(den, den, false, 0x37f)
	add("denormal sum", r, e, F80{Mant: 2}, fsDE)
	r, e = f80Add(F80{Mant: intBit}, F80{Mant: 1}, false, 0x37f)
	add("pseudo-denormal", r, e, F80{Mant: intBit | 1, Exp: 1}, fsDE)
	r, e = f80Mul(maxF, two, 0x37f)
	add("overflow to inf", r, e, f80Inf(false), fsOE|fsPE|fsC1)
	r, e = f80Mul(maxF, two, 0xf7f)
	add("overflow toward zero", r, e, maxF, fsOE|fsPE)
	r, e = f80Mul(maxF.withSign(true), two, 0xb7f)
	add("negative overflow rounding up", r, e, maxF.withSign(true), fsOE|fsPE)
	r, e = f80Mul(maxF, two, 0x377)
	add("unmasked overflow wraps", r, e, F80{Mant: ^uint64(0), Exp: f80EMax + 1 - f80Wrap}, fsOE)
	r, e = f80Mul(minN, F80{Mant: intBit, Exp: f80Bias - 1}, 0x37f)
	add("exact denormal result", r, e, F80{Mant: 1 << 62}, 0)
	r, e = f80Mul(minN, F80{Mant: intBit | 1, Exp: f80Bias - 1}, 0x37f)
	add("inexact denormal result", r, e, F80{Mant: 1 << 62}, fsUE|fsPE)
	r, e = f80Mul(minN, F80{Mant: intBit, Exp: f80Bias - 1}, 0x36f)
	add("unmasked underflow wraps", r, e, F80{Mant: intBit, Exp: f80Wrap}, fsUE)
	// (1 - 2^-25) × 2^-16382 rounded to 24 bits: tiny before rounding but
	// not after, so no underflow, as on the hardware.
	r, e = f80Mul(F80{Mant: 0xffffff8000000000, Exp: f80Bias - 1}, minN, 0x07f)
	add("tininess after rounding", r, e, minN, fsPE|fsC1)
	r, e = f80Mul(F80{Mant: 0xffffff0000000000, Exp: f80Bias - 1}, minN, 0x07f)
	add("tiny after rounding", r, e, minN, fsUE|fsPE|fsC1)
	for _, c := range cases {
		if c.got != c.want || c.exc != c.wantExcs {
			t.Errorf("%s: got %04x:%016x %#x, want %04x:%016x %#x", c.name, c.got.Exp, c.got.Mant, c.exc, c.want.Exp, c.want.Mant, c.wantExcs)
		}
	}
}

func TestF80Float64Conversions(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 100000; i++ {
		v := r.Uint64()
		if i%4 == 0 {
			v >>= 12 // denormals
		}
		x, den := f64ToF80(v)
		if den != (v&(0x7ff<<52) == 0 && v<<12 != 0) {
			t.Fatalf("%#x: denormal %v", v, den)
		}
		back, exc := f80ToF64(x, 0x37f)
		isSNaN := v&(0x7ff<<52) == 0x7ff<<52 && v<<12 != 0 && v&(1<<51) == 0
		switch {
		case isSNaN:
			if back != v|1<<51 || exc != fsIE {
				t.Fatalf("%#x: snan round trip %#x %#x", v, back, exc)
			}
		case back != v || exc != 0:
			t.Fatalf("%#x: round trip %#x %#x", v, back, exc)
		}
		if f := math.Float64frombits(v); !math.IsNaN(f) && !math.IsInf(f, 0) && f != 0 {
			if got, want := refF80(x), new(big.Float).SetFloat64(f); got.Cmp(want) != 0 {
				t.Fatalf("%#x: value %v, want %v", v, got, want)
			}
		}
		w := uint32(v)
		y, _ := f32ToF80(w)
		back32, exc := f80ToF32(y, 0x37f)
		if w&(0xff<<23) == 0xff<<23 && w<<9 != 0 && w&(1<<22) == 0 {
			w |= 1 << 22
			if exc != fsIE {
				t.Fatalf("%#x: snan", w)
			}
		}
		if back32 != w {
			t.Fatalf("%#x: float32 round trip %#x", w, back32)
		}
	}
	// Rounding F80 to float64 and float32 in each mode.
	for i := 0; i < 40000; i++ {
		x := randNormal(r, 120)
		rc := uint16(r.Intn(4))
		got, exc := f80ToF64(x, rc<<10|0x37f)
		want, wexc := refRound(t, refF80(x), 53, rc)
		wf, _ := refF80(want).Float64()
		if got != math.Float64bits(wf) || exc != wexc {
			t.Fatalf("f80ToF64 %v rc %d: got %#x %#x, want %#x %#x", x, rc, got, exc, math.Float64bits(wf), wexc)
		}
		got32, exc := f80ToF32(x, rc<<10|0x37f)
		want, wexc = refRound(t, refF80(x), 24, rc)
		wf32, _ := refF80(want).Float32()
		if got32 != math.Float32bits(wf32) || exc != wexc {
			t.Fatalf("f80ToF32 %v rc %d: got %#x %#x, want %#x %#x", x, rc, got32, exc, math.Float32bits(wf32), wexc)
		}
	}
	// Edges of the double range.
	for _, c := range []struct {
		x    F80
		ctl  uint16
		want uint64
		exc  uint16
	}{
		{F80{Mant: intBit, Exp: f80Bias + 1024}, 0x37f, 0x7ff << 52, fsOE | fsPE | fsC1},
		{F80{Mant: intBit, Exp: f80Bias + 1024}, 0xf7f, 0x7fefffffffffffff, fsOE | fsPE},
		{F80{Mant: intBit, Exp: f80Bias - 1074}, 0x37f, 1, 0},
		{F80{Mant: intBit, Exp: f80Bias - 1075}, 0x37f, 0, fsUE | fsPE},
		{F80{Mant: intBit | 1, Exp: f80Bias - 1075}, 0x37f, 1, fsUE | fsPE | fsC1},
		{F80{Mant: ^uint64(0), Exp: f80Bias - 1023}, 0x37f, 1 << 52, fsPE | fsC1}, // rounds up to the smallest normal
		{F80{Mant: 1, Exp: 0}, 0x37f, 0, fsUE | fsPE},
		{F80{Mant: 1, Exp: 0}, 0xb7f, 1, fsUE | fsPE | fsC1},
		{F80{Exp: 0x3fff}, 0x37f, 0xfff8 << 48, fsIE},
	} {
		got, exc := f80ToF64(c.x, c.ctl)
		if got != c.want || exc != c.exc {
			t.Errorf("f80ToF64 %04x:%016x ctl %#x: got %#x %#x, want %#x %#x", c.x.Exp, c.x.Mant, c.ctl, got, exc, c.want, c.exc)
		}
	}
}

// refRoundInt rounds f to an integer per rc.
func refRoundInt(f *big.Float, rc uint16) *big.Int {
	i, _ := f.Int(nil) // toward zero
	frac := new(big.Float).SetPrec(refPrec).Sub(f, new(big.Float).SetInt(i))
	one := big.NewInt(1)
	switch {
	case frac.Sign() == 0:
	case rc == rcDown && f.Sign() < 0:
		i.Sub(i, one)
	case rc == rcUp && f.Sign() > 0:
		i.Add(i, one)
	case rc == rcNearest:
		h := new(big.Float).Abs(frac).Cmp(big.NewFloat(0.5))
		if h > 0 || h == 0 && i.Bit(0) == 1 {
			if f.Sign() > 0 {
				i.Add(i, one)
			} else {
				i.Sub(i, one)
			}
		}
	}
	return i
}

func TestF80IntConversions(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for i := 0; i < 100000; i++ {
		x := randNormal(r, 70)
		if i%2 == 0 {
			x.Exp = x.Exp&0x8000 | uint16(f80Bias-2+r.Intn(8)) // small, many halves
			x.Mant &^= 1<<uint(55+r.Intn(9)) - 1
		}
		rc := uint16(r.Intn(4))
		n := []uint{16, 32, 64}[r.Intn(3)]
		exact := refF80(x)
		ref := refRoundInt(exact, rc)
		trunc, _ := exact.Int(nil)
		var rexc uint16 // rounding flags
		if !exact.IsInt() {
			rexc = fsPE
			if ref.CmpAbs(trunc) > 0 {
				rexc |= fsC1
			}
		}
		got, exc := f80ToInt(x, n, rc)
		lim := new(big.Int).Lsh(big.NewInt(1), n-1)
		want, wexc := uint64(ref.Int64())&(lim.Uint64()<<1-1), rexc
		if ref.Cmp(lim) >= 0 || ref.Cmp(new(big.Int).Neg(lim)) < 0 {
			want, wexc = lim.Uint64(), fsIE
		}
		if got != want || exc != wexc {
			t.Fatalf("f80ToInt %04x:%016x n %d rc %d: got %#x %#x, want %#x %#x", x.Exp, x.Mant, n, rc, got, exc, want, wexc)
		}
		fr, fexc := f80RoundInt(x, rc)
		if refF80(fr).Cmp(new(big.Float).SetInt(ref)) != 0 || fexc != rexc || ref.Sign() == 0 && fr.neg() != x.neg() {
			t.Fatalf("frndint %04x:%016x rc %d: got %v %#x, want %v %#x", x.Exp, x.Mant, rc, refF80(fr), fexc, ref, rexc)
		}
	}
	for i := -70000; i <= 70000; i += 7 {
		v := int64(i) * int64(i) * int64(i) * 11
		x := intToF80(v)
		if got, _ := f80ToInt(x, 64, rcNearest); int64(got) != v {
			t.Fatalf("intToF80 round trip %d: %d", v, int64(got))
		}
	}
	if got, exc := f80ToInt(intToF80(math.MinInt64), 64, rcNearest); got != 1<<63 || exc != 0 {
		t.Errorf("-2^63: %#x %#x", got, exc)
	}
	if got, exc := f80ToInt(F80{Mant: intBit, Exp: f80Bias + 63}, 64, rcNearest); got != 1<<63 || exc != fsIE {
		t.Errorf("2^63: %#x %#x", got, exc)
	}
}

// TestF80FmtFpPattern runs the loop of musl's fmt_fp on long doubles: the
// significand times 2^28, then repeatedly take the integer part (a
// truncating conversion) and multiply the rest by 1e9. Every step must be
// exact and the base-1e9 digits must spell the value's decimal expansion.
func TestF80FmtFpPattern(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	billion := intToF80(1e9)
	for i := 0; i < 400; i++ {
		x := randNormal(r, 0).withSign(false) // [1, 2)
		y, exc := f80Mul(x, F80{Mant: intBit, Exp: f80Bias + 28}, 0x37f)
		if exc != 0 {
			t.Fatalf("scaling: %#x", exc)
		}
		var digits []string
		for n := 0; y.class() != fcZero; n++ {
			if n > 10 {
				t.Fatalf("%v: no end", x)
			}
			z, exc := f80ToInt(y, 64, rcZero)
			if z >= 1e9 && n > 0 || exc&^(fsPE|fsC1) != 0 {
				t.Fatalf("%v: digit %d = %d exc %#x", x, n, z, exc)
			}
			digits = append(digits, fmt.Sprintf("%09d", z))
			var e1, e2 uint16
			y, e1 = f80Add(y, intToF80(int64(z)), true, 0x37f)
			y, e2 = f80Mul(billion, y, 0x37f)
			if e1|e2 != 0 {
				t.Fatalf("%v: inexact step %#x %#x", x, e1, e2)
			}
		}
		scaled := new(big.Float).SetPrec(refPrec).SetMantExp(refF80(x), 28)
		want := scaled.Text('f', 9*(len(digits)-1))
		got := strings.TrimLeft(digits[0], "0") + "." + strings.Join(digits[1:], "")
		if len(digits) == 1 {
			got = strings.TrimLeft(digits[0], "0")
		}
		if got != want {
			t.Fatalf("%v: digits %s, want %s", x, got, want)
		}
	}
}

func TestF80Remainder(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	for i := 0; i < 20000; i++ {
		a, b := randNormal(r, 40), randNormal(r, 40)
		near := i%2 == 1
		// Iterate as fmodl and remquol do until the reduction completes.
		x := a
		var cc uint16
		for n := 0; ; n++ {
			var exc uint16
			x, exc = f80Rem(x, b, near, 0x37f)
			cc = exc & fsCond
			if exc&fsExc != 0 {
				t.Fatalf("rem %v %v: exc %#x", a, b, exc)
			}
			if cc&fsC2 == 0 {
				break
			}
			if n > 10 {
				t.Fatal("no end")
			}
		}
		fa, fb := refF80(a), refF80(b)
		q := new(big.Float).SetPrec(refPrec).Quo(fa, fb)
		var qi *big.Int
		if near {
			qi = refRoundInt(q, rcNearest)
		} else {
			qi, _ = q.Int(nil)
		}
		want := new(big.Float).SetPrec(refPrec).Sub(fa, new(big.Float).SetPrec(refPrec).Mul(new(big.Float).SetInt(qi), fb))
		if refF80(x).Cmp(want) != 0 || want.Sign() == 0 && x.neg() != a.neg() {
			t.Fatalf("rem(%v, %v, near %v) = %v, want %v", refF80(a), refF80(b), near, refF80(x), want)
		}
		q3 := new(big.Int).And(new(big.Int).Abs(qi), big.NewInt(7)).Uint64()
		wcc := uint16(q3>>2&1)<<8 | uint16(q3>>1&1)<<14 | uint16(q3&1)<<9
		if cc != wcc {
			t.Fatalf("rem(%v, %v): quotient bits %#x, want %#x (q %v)", refF80(a), refF80(b), cc, wcc, qi)
		}
	}
}

func TestF80Constants(t *testing.T) {
	// Round-to-nearest values of FLDPI, FLDL2T, FLDL2E, FLDLG2, FLDLN2,
	// and the truncated ones (round down and toward zero).
	for _, c := range []struct {
		k          x87Const
		near, down F80
	}{
		{constPi, F80{0xc90fdaa22168c235, 0x4000}, F80{0xc90fdaa22168c234, 0x4000}},
		{constL2T, F80{0xd49a784bcd1b8afe, 0x4000}, F80{0xd49a784bcd1b8afe, 0x4000}},
		{constL2E, F80{0xb8aa3b295c17f0bc, 0x3fff}, F80{0xb8aa3b295c17f0bb, 0x3fff}},
		{constLG2, F80{0x9a209a84fbcff799, 0x3ffd}, F80{0x9a209a84fbcff798, 0x3ffd}},
		{constLN2, F80{0xb17217f7d1cf79ac, 0x3ffe}, F80{0xb17217f7d1cf79ab, 0x3ffe}},
	} {
		if got := c.k.value(0x37f); got != c.near {
			t.Errorf("%v nearest: %v", c.near, got)
		}
		for _, ctl := range []uint16{0x77f, 0xf7f} {
			if got := c.k.value(ctl); got != c.down {
				t.Errorf("%v ctl %#x: %v", c.near, ctl, got)
			}
		}
		if got := c.k.value(0xb7f); got.Mant != c.down.Mant+1 {
			t.Errorf("%v up: %v", c.near, got)
		}
	}
	// The wide constants, against series summed with big.Float: correctly
	// rounded to 128 bits.
	for _, c := range []struct {
		name string
		w    wide
		ref  *big.Float
	}{
		{"pi", wPi, refPi()},
		{"ln2", wLn2, refLn2()},
		{"log2e", wLog2e, new(big.Float).SetPrec(refPrec).Quo(refInt(1), refLn2())},
		{"sqrt2", wSqrt2, new(big.Float).SetPrec(refPrec).Sqrt(refInt(2))},
	} {
		d := new(big.Float).SetPrec(refPrec).Sub(refWide(c.w), c.ref)
		halfULP := new(big.Float).SetMantExp(big.NewFloat(1), int(c.w.e)-128)
		if d.Abs(d).Cmp(halfULP) > 0 {
			t.Errorf("%s: %v, want %v", c.name, refWide(c.w).Text('p', 0), c.ref.Text('p', 0))
		}
	}
}

func refWide(w wide) *big.Float {
	f := new(big.Float).SetPrec(refPrec).SetUint64(w.hi)
	f.SetMantExp(f, 64)
	f.Add(f, new(big.Float).SetUint64(w.lo))
	f.SetMantExp(f, int(w.e)-127)
	if w.neg {
		f.Neg(f)
	}
	return f
}

func refInt(v int64) *big.Float { return new(big.Float).SetPrec(refPrec).SetInt64(v) }

// refAtanSeries sums atan(x) = x - x^3/3 + ... for small x.
func refAtanSeries(x *big.Float) *big.Float {
	x2 := new(big.Float).SetPrec(refPrec).Mul(x, x)
	sum := new(big.Float).SetPrec(refPrec).Set(x)
	p := new(big.Float).SetPrec(refPrec).Set(x)
	for k := int64(3); k < 2000; k += 2 {
		p.Mul(p, x2).Neg(p)
		t := new(big.Float).SetPrec(refPrec).Quo(p, refInt(k))
		if t.Sign() == 0 || t.MantExp(nil) < sum.MantExp(nil)-refPrec {
			break
		}
		sum.Add(sum, t)
	}
	return sum
}

var refPiVal, refLn2Val *big.Float

func refPi() *big.Float {
	if refPiVal == nil {
		a := refAtanSeries(new(big.Float).SetPrec(refPrec).Quo(refInt(1), refInt(5)))
		b := refAtanSeries(new(big.Float).SetPrec(refPrec).Quo(refInt(1), refInt(239)))
		a.Mul(a, refInt(16))
		b.Mul(b, refInt(4))
		refPiVal = a.Sub(a, b)
	}
	return new(big.Float).Set(refPiVal)
}

// refAtanh sums atanh(x) = x + x^3/3 + ... for small x.
func refAtanh(x *big.Float) *big.Float {
	x2 := new(big.Float).SetPrec(refPrec).Mul(x, x)
	sum := new(big.Float).SetPrec(refPrec).Set(x)
	p := new(big.Float).SetPrec(refPrec).Set(x)
	for k := int64(3); k < 4000; k += 2 {
		p.Mul(p, x2)
		t := new(big.Float).SetPrec(refPrec).Quo(p, refInt(k))
		if t.Sign() == 0 || t.MantExp(nil) < sum.MantExp(nil)-refPrec {
			break
		}
		sum.Add(sum, t)
	}
	return sum
}

func refLn2() *big.Float {
	if refLn2Val == nil {
		s := refAtanh(new(big.Float).SetPrec(refPrec).Quo(refInt(1), refInt(3)))
		refLn2Val = s.Mul(s, refInt(2))
	}
	return new(big.Float).Set(refLn2Val)
}

// refLog2 returns log2(x) for x > 0.
func refLog2(x *big.Float) *big.Float {
	m := new(big.Float).SetPrec(refPrec)
	e := x.MantExp(m) // m in [0.5, 1)
	num := new(big.Float).SetPrec(refPrec).Sub(m, refInt(1))
	den := new(big.Float).SetPrec(refPrec).Add(m, refInt(1))
	l := refAtanh(num.Quo(num, den))
	l.Mul(l, refInt(2)).Quo(l, refLn2())
	return l.Add(l, refInt(int64(e)))
}

// refExpm1 returns e^x - 1 for |x| <= 1.
func refExpm1(x *big.Float) *big.Float {
	sum := new(big.Float).SetPrec(refPrec)
	p := new(big.Float).SetPrec(refPrec).SetInt64(1)
	for k := int64(1); k < 500; k++ {
		p.Mul(p, x).Quo(p, refInt(k))
		if p.Sign() == 0 || sum.Sign() != 0 && p.MantExp(nil) < sum.MantExp(nil)-refPrec {
			break
		}
		sum.Add(sum, p)
	}
	return sum
}

// refSinCos returns sin and cos of a small x.
func refSinCos(x *big.Float) (s, c *big.Float) {
	s, c = new(big.Float).SetPrec(refPrec), refInt(1)
	p := refInt(1)
	for k := int64(1); k < 500; k++ {
		p.Mul(p, x).Quo(p, refInt(k))
		if p.Sign() == 0 || p.MantExp(nil) < -refPrec-8 {
			break
		}
		switch k % 4 {
		case 1:
			s.Add(s, p)
		case 2:
			c.Sub(c, p)
		case 3:
			s.Sub(s, p)
		case 0:
			c.Add(c, p)
		}
	}
	return s, c
}

// refAtan returns atan(x) for any x, halving the argument until the series
// converges fast.
func refAtan(x *big.Float) *big.Float {
	z := new(big.Float).SetPrec(refPrec).Set(x)
	for i := 0; i < 8; i++ {
		t := new(big.Float).SetPrec(refPrec).Mul(z, z)
		t.Add(t, refInt(1)).Sqrt(t).Add(t, refInt(1))
		z.Quo(z, t)
	}
	a := refAtanSeries(z)
	return a.SetMantExp(a, 8)
}

// TestF80TranscendentalVsBig checks that the transcendental instructions
// round the exact result correctly (the wide evaluation carries about 120
// bits, so a miss would take an exact value within 2^-56 ulp of a rounding
// boundary).
func TestF80TranscendentalVsBig(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	pio2 := new(big.Float).SetPrec(refPrec).SetUint64(pio2Hi)
	pio2.SetMantExp(pio2, 64).Add(pio2, new(big.Float).SetUint64(pio2Lo)).SetMantExp(pio2, -65)
	check := func(name string, got F80, exc uint16, exact *big.Float, rc uint16) {
		t.Helper()
		want, wexc := refRound(t, exact, 64, rc)
		if got != want || exc&(fsPE|fsC1) != wexc {
			t.Fatalf("%s: got %04x:%016x %#x, want %04x:%016x %#x", name, got.Exp, got.Mant, exc, want.Exp, want.Mant, wexc)
		}
	}
	for i := 0; i < 500; i++ {
		rc := uint16(r.Intn(4))
		ctl := 0x37f | rc<<10
		// F2XM1 on [-1, 1].
		x := randNormal(r, 30)
		if x.Exp&0x7fff >= f80Bias {
			x.Exp = x.Exp&0x8000 | (f80Bias - 1)
		}
		got, exc := f80F2xm1(x, ctl)
		check(fmt.Sprintf("f2xm1(%v)", refF80(x)), got, exc, refExpm1(new(big.Float).SetPrec(refPrec).Mul(refF80(x), refLn2())), rc)
		// FYL2X.
		y := randNormal(r, 20)
		x = randNormal(r, 2000).withSign(false)
		x.Mant |= 1 // not a power of two, whose exact results still report PE
		got, exc = f80Yl2x(x, y, ctl)
		l := refLog2(refF80(x))
		check(fmt.Sprintf("fyl2x(%v, %v)", refF80(x), refF80(y)), got, exc, l.Mul(l, refF80(y)), rc)
		// FYL2XP1 on |x| < 1 - sqrt(2)/2.
		x = randNormal(r, 40)
		if x.Exp&0x7fff > f80Bias-3 {
			x.Exp = x.Exp&0x8000 | (f80Bias - 3)
		}
		got, exc = f80Yl2xp1(x, y, ctl)
		l = refLog2(new(big.Float).SetPrec(refPrec).Add(refF80(x), refInt(1)))
		check(fmt.Sprintf("fyl2xp1(%v, %v)", refF80(x), refF80(y)), got, exc, l.Mul(l, refF80(y)), rc)
		// FPATAN in all quadrants.
		x, y = randNormal(r, 30), randNormal(r, 30)
		got, exc = f80Atan2(x, y, ctl)
		fx, fy := refF80(x), refF80(y)
		a := refAtan(new(big.Float).SetPrec(refPrec).Quo(fy, fx))
		if fx.Sign() < 0 {
			pi := refPi()
			if fy.Sign() > 0 {
				a.Add(a, pi)
			} else {
				a.Sub(a, pi)
			}
		}
		check(fmt.Sprintf("fpatan(%v, %v)", fx, fy), got, exc, a, rc)
		// FSIN and FCOS, reduced by the x87's π/2.
		x = randNormal(r, 62)
		if x.Exp&0x7fff > f80Bias+62 {
			continue
		}
		s, c := sinCos(x)
		gs, es := s.toF80(true, ctl)
		gc, ec := c.toF80(true, ctl)
		ax := new(big.Float).SetPrec(refPrec).Abs(refF80(x))
		k := refRoundInt(new(big.Float).SetPrec(refPrec).Quo(ax, pio2), rcNearest)
		red := new(big.Float).SetPrec(refPrec).Sub(ax, new(big.Float).SetPrec(refPrec).Mul(new(big.Float).SetInt(k), pio2))
		rs, rcos := refSinCos(red)
		switch k.Bit(0) | k.Bit(1)<<1 {
		case 1:
			rs, rcos = rcos, rs.Neg(rs)
		case 2:
			rs, rcos = rs.Neg(rs), rcos.Neg(rcos)
		case 3:
			rs, rcos = rcos.Neg(rcos), rs
		}
		if x.neg() {
			rs.Neg(rs)
		}
		check(fmt.Sprintf("sin(%v)", refF80(x)), gs, es, rs, rc)
		check(fmt.Sprintf("cos(%v)", refF80(x)), gc, ec, rcos, rc)
	}
}
