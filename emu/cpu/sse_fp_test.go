package cpu

import (
	"math"
	"testing"
)

// Explicit SSE floating-point edge cases, with the expected values derived
// from the SDM's rules (the native differential test checks the same
// instructions on random inputs against the host).

const (
	tAddsd    = "f20f58ca" // addsd xmm1, xmm2
	tSubsd    = "f20f5cca" // subsd xmm1, xmm2
	tMulsd    = "f20f59ca" // mulsd xmm1, xmm2
	tDivsd    = "f20f5eca" // divsd xmm1, xmm2
	tSqrtsd   = "f20f51ca" // sqrtsd xmm1, xmm2
	tMinsd    = "f20f5dca" // minsd xmm1, xmm2
	tMaxss    = "f30f5fca" // maxss xmm1, xmm2
	tCvtsd2ss = "f20f5aca" // cvtsd2ss xmm1, xmm2
	tRoundsd4 = "660f3a0bca04"
)

const (
	dOne   = 0x3ff0000000000000
	dTwo   = 0x4000000000000000
	dInf   = 0x7ff0000000000000
	dMax   = 0x7fefffffffffffff
	dQNaN1 = 0x7ff8000000000001
	dQNaN2 = 0x7ff8000000000002
	dSNaN2 = 0x7ff0000000000002
	dNegZ  = 1 << 63
	tMX    = 0x1f80 // default MXCSR
)

func TestSSEScalarFP(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name     string
		code     string
		a, b     uint64
		mxcsr    uint32
		want     uint64
		wantMX   uint32
		upperBit bool // the instruction is single precision: compare 32 bits
	}{
		{"first QNaN wins", tAddsd, dQNaN1, dQNaN2, tMX, dQNaN1, tMX, false},
		{"second SNaN quietened", tAddsd, dOne, dSNaN2, tMX, dQNaN2, tMX | mxIE, false},
		{"QNaN first beats SNaN second, IE", tAddsd, dQNaN1, dSNaN2, tMX, dQNaN1, tMX | mxIE, false},
		{"inf-inf is the default NaN", tAddsd, dInf, dInf | sign64, tMX, defNaN64, tMX | mxIE, false},
		{"0*inf is the default NaN", tMulsd, 0, dInf, tMX, defNaN64, tMX | mxIE, false},
		{"sqrt(-1) is the default NaN", tSqrtsd, 0, dOne | sign64, tMX, defNaN64, tMX | mxIE, false},
		{"sqrt(-0) = -0", tSqrtsd, 0, dNegZ, tMX, dNegZ, tMX, false},
		{"1/3 inexact", tDivsd, dOne, 0x4008000000000000, tMX, 0x3fd5555555555555, tMX | mxPE, false},
		{"1/0 divide by zero", tDivsd, dOne, 0, tMX, dInf, tMX | mxZE, false},
		{"-1/-0", tDivsd, dOne | sign64, dNegZ, tMX, dInf, tMX | mxZE, false},
		{"min NaN first returns second", tMinsd, dQNaN1, dOne, tMX, dOne, tMX | mxIE, false},
		{"min SNaN second returned as is", tMinsd, dOne, dSNaN2, tMX, dSNaN2, tMX | mxIE, false},
		{"min(+0, -0) is the second", tMinsd, 0, dNegZ, tMX, dNegZ, tMX, false},
		{"min(-0, +0) is the second", tMinsd, dNegZ, 0, tMX, 0, tMX, false},
		{"min(1, 2)", tMinsd, dOne, dTwo, tMX, dOne, tMX, false},
		{"max single", tMaxss, 0x3f800000, 0x40000000, tMX, 0x40000000, tMX, true},
		{"round up", tAddsd, dOne, 0x3c30000000000000, tMX | mxRU, dOne + 1, tMX | mxRU | mxPE, false},
		{"round down", tAddsd, dOne, 0x3c30000000000000, tMX | mxRD, dOne, tMX | mxRD | mxPE, false},
		{"round nearest", tAddsd, dOne, 0x3c30000000000000, tMX, dOne, tMX | mxPE, false},
		{"round toward zero", tSubsd, dOne, 0x3c30000000000000, tMX | mxRZ, 0x3fefffffffffffff, tMX | mxRZ | mxPE, false},
		{"x-x is -0 rounding down", tSubsd, dOne, dOne, tMX | mxRD, dNegZ, tMX | mxRD, false},
		{"x-x is +0 to nearest", tSubsd, dOne, dOne, tMX, 0, tMX, false},
		{"overflow to inf", tMulsd, dMax, dTwo, tMX, dInf, tMX | mxOE | mxPE, false},
		{"overflow toward zero gives max", tMulsd, dMax, dTwo, tMX | mxRZ, dMax, tMX | mxRZ | mxOE | mxPE, false},
		{"just above max toward zero: no overflow", tAddsd, dMax, 0x7c90000000000000, tMX | mxRZ, dMax, tMX | mxRZ | mxPE, false},
		{"large opposite operands, to nearest", tAddsd, 0xffd1d73c0e49e54b, dMax, tMX, 0x7fe71461f8db0d5a, tMX | mxPE, false},
		{"large opposite operands, down", tAddsd, 0xffd1d73c0e49e54b, dMax, tMX | mxRD, 0x7fe71461f8db0d59, tMX | mxRD | mxPE, false},
		{"underflow to a denormal, tie to even", tMulsd, 0x0010000000000000, 0x3fe0000000000001, tMX, 0x0008000000000000, tMX | mxUE | mxPE, false},
		{"flush to zero", tMulsd, 0x0010000000000000, 0x3fe0000000000001, tMX | mxFZ, 0, tMX | mxFZ | mxUE | mxPE, false},
		{"denormal operand", tAddsd, 1, 0, tMX, 1, tMX | mxDE, false},
		{"denormals are zero", tAddsd, 1, 0, tMX | mxDAZ, 0, tMX | mxDAZ, false},
		{"narrow SNaN", tCvtsd2ss, 0, 0x7ff4000000000000 | 0x20000000, tMX, 0x7fe00001, tMX | mxIE, true},
		{"narrow overflow", tCvtsd2ss, 0, dMax, tMX, 0x7f800000, tMX | mxOE | mxPE, true},
		{"roundsd with MXCSR.RC up", tRoundsd4, 0, 0x4000cccccccccccd, tMX | mxRU, 0x4008000000000000, tMX | mxRU | mxPE, false},
	} {
		e.c.X[1] = XMM{tc.a, 0x1111111111111111}
		e.c.X[2] = XMM{tc.b, 0x2222222222222222}
		e.c.MXCSR = tc.mxcsr
		e.mustStep(tc.code)
		got := e.c.X[1][0]
		wantHi := uint64(0x1111111111111111)
		if tc.upperBit {
			got &= 0xffffffff
		}
		if got != tc.want || e.c.X[1][1] != wantHi {
			t.Errorf("%s: xmm1 = %#x_%#x, want %#x", tc.name, e.c.X[1][1], e.c.X[1][0], tc.want)
		}
		if e.c.MXCSR != tc.wantMX {
			t.Errorf("%s: MXCSR = %#x, want %#x", tc.name, e.c.MXCSR, tc.wantMX)
		}
	}
}

func TestSSECvtInt(t *testing.T) {
	e := newEnv(t)
	f := math.Float64bits
	for _, tc := range []struct {
		code   string
		in     uint64
		mxcsr  uint32
		want   uint64
		wantMX uint32
	}{
		{"f20f2cc1", f(3e9), tMX, 0x80000000, tMX | mxIE},                // cvttsd2si eax: out of range
		{"f20f2cc1", f(-2.7), tMX, 0xfffffffe, tMX | mxPE},               // truncates
		{"f20f2cc1", dQNaN1, tMX, 0x80000000, tMX | mxIE},                // NaN
		{"f20f2dc1", f(2.5), tMX, 2, tMX | mxPE},                         // cvtsd2si eax: ties to even
		{"f20f2dc1", f(2.5), tMX | mxRU, 3, tMX | mxRU | mxPE},           // up
		{"f20f2dc1", f(-2.5), tMX | mxRD, 0xfffffffd, tMX | mxRD | mxPE}, // down
		{"f20f2dc1", f(2.5), tMX | mxRZ, 2, tMX | mxRZ | mxPE},           // toward zero
		{"f2480f2dc1", f(-0x1p63), tMX, 1 << 63, tMX},                    // cvtsd2si rax: exact minimum
		{"f2480f2dc1", f(0x1p63), tMX, 1 << 63, tMX | mxIE},              // just out of range
	} {
		e.c.X[1] = XMM{tc.in}
		e.c.MXCSR = tc.mxcsr
		e.c.R[RAX] = 0x5555555555555555
		e.mustStep(tc.code)
		if e.c.R[RAX] != tc.want || e.c.MXCSR != tc.wantMX {
			t.Errorf("%s(%#x) mxcsr %#x: rax %#x mxcsr %#x, want %#x %#x", tc.code, tc.in, tc.mxcsr, e.c.R[RAX], e.c.MXCSR, tc.want, tc.wantMX)
		}
	}
	// cvtsi2sd xmm1, rax: 2^63-1 is not a double.
	for _, tc := range []struct {
		mxcsr uint32
		want  uint64
	}{{tMX, 0x43e0000000000000}, {tMX | mxRZ, 0x43dfffffffffffff}, {tMX | mxRD, 0x43dfffffffffffff}} {
		e.c.R[RAX] = 1<<63 - 1
		e.c.MXCSR = tc.mxcsr
		e.mustStep("f2480f2ac8")
		if e.c.X[1][0] != tc.want || e.c.MXCSR != tc.mxcsr|mxPE {
			t.Errorf("cvtsi2sd rc %#x: %#x mxcsr %#x, want %#x", tc.mxcsr, e.c.X[1][0], e.c.MXCSR, tc.want)
		}
	}
}

func TestSSECompareFlags(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		code   string
		a, b   uint64
		flags  uint64
		wantMX uint32
	}{
		{"660f2eca", dOne, dTwo, FlagCF, tMX},                                    // ucomisd: less
		{"660f2eca", dTwo, dOne, 0, tMX},                                         // greater
		{"660f2eca", dOne, dOne, FlagZF, tMX},                                    // equal
		{"660f2eca", dOne, dQNaN1, FlagZF | FlagPF | FlagCF, tMX},                // unordered, QNaN quiet
		{"660f2eca", dOne, dSNaN2, FlagZF | FlagPF | FlagCF, tMX | mxIE},         // SNaN signals
		{"0f2fca", 0x3f800000, 0x7fc00000, FlagZF | FlagPF | FlagCF, tMX | mxIE}, // comiss: QNaN signals
	} {
		e.c.MXCSR = tMX
		e.c.X[1], e.c.X[2] = XMM{tc.a}, XMM{tc.b}
		e.c.SetFlags(arithFlags)
		e.mustStep(tc.code)
		e.flags(arithFlags, tc.flags)
		if e.c.MXCSR != tc.wantMX {
			t.Errorf("%s: MXCSR %#x, want %#x", tc.code, e.c.MXCSR, tc.wantMX)
		}
	}
}

// RCPSS and RSQRTSS are approximations whose exact bits differ between
// processors; check the architectural error bound and the special cases.
func TestSSEReciprocalApprox(t *testing.T) {
	e := newEnv(t)
	for _, x := range []float32{1, 3, -7.5, 1e-30, 1e30, 0.1, 12345.678} {
		e.c.X[2] = XMM{uint64(math.Float32bits(x))}
		e.mustStep("f30f53ca") // rcpss xmm1, xmm2
		got := float64(math.Float32frombits(uint32(e.c.X[1][0])))
		if rel := math.Abs(got*float64(x) - 1); rel > 1.5/4096 {
			t.Errorf("rcpss(%g) = %g", x, got)
		}
		if x > 0 {
			e.mustStep("f30f52ca") // rsqrtss xmm1, xmm2
			got = float64(math.Float32frombits(uint32(e.c.X[1][0])))
			if rel := math.Abs(got*math.Sqrt(float64(x)) - 1); rel > 1.5/4096 {
				t.Errorf("rsqrtss(%g) = %g", x, got)
			}
		}
	}
	for _, tc := range []struct {
		code    string
		in, out uint32
	}{
		{"f30f53ca", 0, 0x7f800000},          // rcp(+0) = +inf
		{"f30f53ca", 0x80000001, 0xff800000}, // rcp(denormal) = inf
		{"f30f53ca", 0x7f800000, 0},          // rcp(inf) = 0
		{"f30f53ca", 0x7f7fffff, 0},          // tiny reciprocal flushed
		{"f30f52ca", 0x80000000, 0xff800000}, // rsqrt(-0) = -inf
		{"f30f52ca", 0xbf800000, defNaN32},   // rsqrt(-1) = default NaN
		{"f30f52ca", 0x7fa00000, 0x7fe00000}, // SNaN quietened
	} {
		e.c.X[2] = XMM{uint64(tc.in)}
		e.c.MXCSR = tMX
		e.mustStep(tc.code)
		if got := uint32(e.c.X[1][0]); got != tc.out || e.c.MXCSR != tMX {
			t.Errorf("%s(%#x) = %#x mxcsr %#x, want %#x", tc.code, tc.in, got, e.c.MXCSR, tc.out)
		}
	}
}
