package cpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"golang.org/x/sys/unix"
)

// Instruction-level tests of the x87 handlers. The native tests cover the
// same ground at random; these pin down the documented behaviour.

func (e *tenv) f64At(off uint64) float64 {
	e.t.Helper()
	return math.Float64frombits(binary.LittleEndian.Uint64(e.read(tData+off, 8)))
}

func (e *tenv) u16At(off uint64) uint16 {
	e.t.Helper()
	return binary.LittleEndian.Uint16(e.read(tData+off, 2))
}

// x87Run runs code with RDI pointing at the data area.
func (e *tenv) x87Run(code string) {
	e.t.Helper()
	e.c.R[RDI] = tData
	e.run("dbe3" + code) // FNINIT first
}

func TestX87OperandOrder(t *testing.T) {
	e := newEnv(t)
	var d [8]byte
	binary.LittleEndian.PutUint32(d[0:], 3)
	binary.LittleEndian.PutUint32(d[4:], 2)
	e.write(tData, d[:])
	// ST(1) = 3, ST(0) = 2; the result leaves ST(0) and ST(1) at 16 and 24.
	const load = "db07 db4704"
	const store = "dd5f10 dd5f18"
	for _, c := range []struct {
		code, name string
		st0, st1   float64
	}{
		{"d8e1", "FSUB ST0,ST1", -1, 3},
		{"d8e9", "FSUBR ST0,ST1", 1, 3},
		{"dce9", "FSUB ST1,ST0", 2, 1},
		{"dce1", "FSUBR ST1,ST0", 2, -1},
		{"dee9", "FSUBP ST1,ST0", 1, math.NaN()},
		{"dee1", "FSUBRP ST1,ST0", -1, math.NaN()},
		{"d8f1", "FDIV ST0,ST1", 2.0 / 3, 3},
		{"d8f9", "FDIVR ST0,ST1", 1.5, 3},
		{"dcf9", "FDIV ST1,ST0", 2, 1.5},
		{"dcf1", "FDIVR ST1,ST0", 2, 2.0 / 3},
		{"def9", "FDIVP ST1,ST0", 1.5, math.NaN()},
		{"def1", "FDIVRP ST1,ST0", 2.0 / 3, math.NaN()},
		{"dec1", "FADDP ST1,ST0", 5, math.NaN()},
		{"dcc9", "FMUL ST1,ST0", 2, 6},
		{"da6704", "FISUB m32", 0, 3},
		{"da7f04", "FIDIVR m32", 1, 3},
		{"d9c9", "FXCH ST1", 3, 2},
	} {
		e.x87Run(load + c.code + store)
		st0, st1 := e.f64At(16), e.f64At(24)
		if st0 != c.st0 || st1 != c.st1 && !(math.IsNaN(c.st1) && math.IsNaN(st1)) {
			t.Errorf("%s: ST0 %v ST1 %v, want %v %v", c.name, st0, st1, c.st0, c.st1)
		}
	}
}

func TestX87StackFaults(t *testing.T) {
	e := newEnv(t)
	// Nine pushes: the ninth overflows and loads the indefinite.
	e.x87Run("d9e8d9e8d9e8d9e8d9e8d9e8d9e8d9e8 d9e8 dfe0 dd5f00")
	if sw := uint16(e.c.R[RAX]); sw&(fsIE|fsSF|fsC1) != fsIE|fsSF|fsC1 || sw>>11&7 != 7 {
		t.Errorf("overflow: status %#x", sw)
	}
	if v := binary.LittleEndian.Uint64(e.read(tData, 8)); v != 0xfff8<<48 {
		t.Errorf("overflow result %#x", v)
	}
	// A store from an empty stack stores the indefinite; C1 clear.
	e.x87Run("dd5f08 dfe0")
	if sw := uint16(e.c.R[RAX]); sw&(fsIE|fsSF|fsC1) != fsIE|fsSF {
		t.Errorf("underflow: status %#x", sw)
	}
	if v := binary.LittleEndian.Uint64(e.read(tData+8, 8)); v != 0xfff8<<48 {
		t.Errorf("underflow result %#x", v)
	}
	// FXAM of an empty register: C3 and C0.
	e.x87Run("d9e5 dfe0")
	if sw := uint16(e.c.R[RAX]); sw&fsCond != fsC3|fsC0 {
		t.Errorf("fxam empty: %#x", sw)
	}
}

func TestX87RoundingControl(t *testing.T) {
	e := newEnv(t)
	var d [32]byte
	binary.LittleEndian.PutUint64(d[0:], math.Float64bits(2.5))
	binary.LittleEndian.PutUint64(d[8:], math.Float64bits(-2.5))
	e.write(tData, d[:])
	for rc, want := range [4][2]int32{{2, -2}, {2, -3}, {3, -2}, {2, -2}} {
		binary.LittleEndian.PutUint16(d[16:], 0x37f|uint16(rc)<<10)
		e.write(tData+16, d[16:18])
		// FLDCW [rdi+16]; FLD m64 [rdi]; FISTP m32 [rdi+20]; same for -2.5 at 24.
		e.x87Run("d96f10 dd4700 db5f14 dd4708 db5f18")
		got := [2]int32{int32(binary.LittleEndian.Uint32(e.read(tData+20, 4))), int32(binary.LittleEndian.Uint32(e.read(tData+24, 4)))}
		if got != want {
			t.Errorf("rc %d: FISTP gave %v, want %v", rc, got, want)
		}
		// FISTTP truncates whatever the rounding control.
		e.x87Run("d96f10 dd4708 db4f14")
		if got := int32(binary.LittleEndian.Uint32(e.read(tData+20, 4))); got != -2 {
			t.Errorf("rc %d: FISTTP gave %d", rc, got)
		}
		// FLDPI is rounded per RC too.
		e.x87Run("d96f10 d9eb db7f00")
		want := uint64(0xc90fdaa22168c235)
		if rc == rcDown || rc == rcZero {
			want--
		}
		if got := binary.LittleEndian.Uint64(e.read(tData, 8)); got != want {
			t.Errorf("rc %d: FLDPI %#x", rc, got)
		}
		e.write(tData, d[:16])
	}
	// Out of range: the integer indefinite and IE.
	binary.LittleEndian.PutUint64(d[0:], math.Float64bits(1e10))
	e.write(tData, d[:8])
	e.x87Run("dd4700 db5f14 dfe0")
	if got := binary.LittleEndian.Uint32(e.read(tData+20, 4)); got != 0x80000000 || e.c.R[RAX]&fsIE == 0 {
		t.Errorf("FISTP 1e10: %#x status %#x", got, e.c.R[RAX])
	}
}

func TestX87Compare(t *testing.T) {
	e := newEnv(t)
	var d [24]byte
	binary.LittleEndian.PutUint64(d[0:], math.Float64bits(1))
	binary.LittleEndian.PutUint64(d[8:], math.Float64bits(2))
	binary.LittleEndian.PutUint64(d[16:], math.Float64bits(math.NaN()))
	e.write(tData, d[:])
	for _, c := range []struct {
		a, b  int // offsets of ST(1) and ST(0)
		flags uint64
		cc    uint16
	}{
		{8, 0, FlagCF, fsC0}, // 1 < 2
		{0, 8, 0, 0},         // 2 > 1
		{0, 0, FlagZF, fsC3}, // equal
		{16, 0, FlagZF | FlagPF | FlagCF, fsC0 | fsC2 | fsC3},
	} {
		ld := func(off int) string { return fmt.Sprintf("dd47%02x", off) }
		// FUCOMI ST(0), ST(1), then FUCOM ST(1) and FNSTSW AX.
		e.x87Run(ld(c.a) + ld(c.b) + "dbe9 dde1 dfe0")
		e.flags(FlagZF|FlagPF|FlagCF|FlagOF|FlagSF|FlagAF, c.flags)
		if cc := uint16(e.c.R[RAX]) & fsCond; cc != c.cc {
			t.Errorf("%d vs %d: condition codes %#x, want %#x", c.b, c.a, cc, c.cc)
		}
	}
	// FCOM (unlike FUCOM) signals a QNaN.
	e.x87Run("dd4710 dd4700 d8d1 dfe0")
	if e.c.R[RAX]&fsIE == 0 {
		t.Error("FCOM with a NaN: no IE")
	}
}

func TestX87Environment(t *testing.T) {
	e := newEnv(t)
	// FLD1; FLDZ; FLDCW [rdi+64] (0x0b3e: round up, IE unmasked);
	// FNSTENV [rdi].
	e.write(tData+64, []byte{0x3e, 0x0b})
	e.x87Run("d9e8 d9ee d96f40 d937")
	env := e.read(tData, 28)
	le := binary.LittleEndian
	if cw, sw, tw := le.Uint32(env[0:]), le.Uint32(env[4:]), le.Uint32(env[8:]); cw != 0xffff0b7e || sw != 0xffff3000 || tw != 0xffff1fff {
		t.Errorf("FNSTENV: cw %#x sw %#x tw %#x", cw, sw, tw)
	}
	if le.Uint32(env[24:]) != 0xffff0000 {
		t.Errorf("FNSTENV data selector %#x", le.Uint32(env[24:]))
	}
	if e.c.FPU.Control != 0x0b7f {
		t.Errorf("FNSTENV left the control word %#x, want all exceptions masked", e.c.FPU.Control)
	}
	// FLDENV brings back the control word.
	e.c.R[RDI] = tData
	e.run("d927")
	if e.c.FPU.Control != 0x0b7e {
		t.Errorf("FLDENV: control word %#x", e.c.FPU.Control)
	}
	// 16-bit layout under an operand-size prefix.
	e.x87Run("d9e8 66d937")
	if cw, sw, tw := le.Uint16(e.read(tData, 2)), le.Uint16(e.read(tData+2, 2)), le.Uint16(e.read(tData+4, 2)); cw != 0x37f || sw != 0x3800 || tw != 0x3fff {
		t.Errorf("16-bit FNSTENV: %#x %#x %#x", cw, sw, tw)
	}
	// FNSAVE stores the registers in stack order and reinitialises;
	// FRSTOR brings everything back.
	e.x87Run("d9e8 d9eb dd37")
	if e.c.FPU.Tag != 0xffff || e.c.FPU.Control != 0x37f {
		t.Errorf("FNSAVE did not reinitialise: tag %#x", e.c.FPU.Tag)
	}
	save := e.read(tData, 108)
	if m, x := le.Uint64(save[28:]), le.Uint16(save[36:]); m != 0xc90fdaa22168c235 || x != 0x4000 {
		t.Errorf("FNSAVE ST0 %04x:%016x", x, m)
	}
	e.x87Run("dd27 dd5f70 dd5f78")
	if e.f64At(0x70) != math.Pi || e.f64At(0x78) != 1 {
		t.Errorf("FRSTOR: %v %v", e.f64At(0x70), e.f64At(0x78))
	}
}

func TestX87FXSaveArea(t *testing.T) {
	var f FPU
	f.Reset()
	f.push(f80One)
	f.push(F80{Mant: 0xc90fdaa22168c235, Exp: 0x4000})
	f.Control = 0x27f
	f.Status = fsPE | fsC1
	var b [512]byte
	for i := range b {
		b[i] = 0xaa
	}
	f.FXSaveArea(b[:])
	le := binary.LittleEndian
	if le.Uint16(b[0:]) != 0x27f || le.Uint16(b[2:]) != 0x3220 || b[4] != 0xc0 || b[5] != 0 {
		t.Errorf("header % x", b[:8])
	}
	if le.Uint64(b[32:]) != 0xc90fdaa22168c235 || le.Uint16(b[40:]) != 0x4000 || le.Uint64(b[48:]) != intBit || b[58] != 0 {
		t.Errorf("registers % x", b[32:64])
	}
	if b[24] != 0xaa || b[160] != 0xaa {
		t.Error("FXSaveArea wrote outside the x87 part")
	}
	var g FPU
	g.FXRestoreArea(b[:])
	if g.Control != f.Control || g.StatusWord() != f.StatusWord() || g.get(0) != f.get(0) || g.get(1) != f.get(1) || g.Tag != 0x0fff {
		t.Errorf("restored %+v, want %+v", g, f)
	}
}

func TestX87UnmaskedException(t *testing.T) {
	e := newEnv(t)
	e.write(tData, []byte{0x7b, 0x03}) // ZE unmasked
	// FLDCW; FLD1; FLDZ; FDIVP (1/0 is suppressed: ES set, stack kept);
	// FNSTSW AX (no wait); FLD1 raises #MF.
	e.load("dbe3 d92f d9e8 d9ee def9 dfe0 d9e8")
	e.c.R[RDI] = tData
	for i := 0; i < 6; i++ {
		if k := e.c.Step(); k != 0 {
			t.Fatalf("step %d: %v", i, k)
		}
	}
	if sw := uint16(e.c.R[RAX]); sw&(fsZE|fsES|fsB) != fsZE|fsES|fsB || sw>>11&7 != 6 {
		t.Errorf("status %#x", sw)
	}
	fld1 := e.c.RIP
	if k := e.c.Step(); k != StopFault || e.c.Fault.Sig != int(unix.SIGFPE) || e.c.Fault.Code != fpeFltDiv || e.c.Fault.Trapno != 16 || e.c.RIP != fld1 || e.c.Fault.Addr != fld1 {
		t.Errorf("got %v %+v at %#x, want SIGFPE/FPE_FLTDIV at %#x", k, e.c.Fault, e.c.RIP, fld1)
	}
	// Once the flags are cleared, as a handler would, FLD1 runs.
	e.c.FPU.Status &^= fsExc | fsES | fsB
	if k := e.c.Step(); k != 0 {
		t.Errorf("after clearing the flags: %v", k)
	}
}

func TestX87ControlWord(t *testing.T) {
	e := newEnv(t)
	e.write(tData, []byte{0xff, 0xff, 0, 0})
	e.x87Run("d92f d97f02") // FLDCW [rdi]; FNSTCW [rdi+2]
	if got := e.u16At(2); got != 0x1f7f {
		t.Errorf("FNSTCW after FLDCW 0xffff: %#x", got)
	}
}

// TestX87NoAllocs checks that executing x87 instructions does not allocate.
func TestX87NoAllocs(t *testing.T) {
	e := newEnv(t)
	e.c.R[RDI] = tData
	// FNINIT; FLD1; FLDPI; FDIVP; FSQRT; FSIN; FLD1; FXCH; FYL2X;
	// FSTP m64; FLDZ; FLD1; FUCOMIP; FSTP ST0; FISTP with no operand.
	e.load("dbe3 d9e8 d9eb def9 d9fa d9fe d9e8 d9c9 d9f1 dd5f10 d9ee d9e8 dfe9 ddd8 db5f18 0f05")
	e.c.Run()
	allocs := testing.AllocsPerRun(100, func() {
		e.c.RIP = tCode
		e.c.Run()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run", allocs)
	}
}
