package cpu

import "testing"

// TestShiftMemory checks the memory forms against the register forms, which
// the native tests validate.
func TestShiftMemory(t *testing.T) {
	e := newEnv(t)
	c := e.c
	vals := []uint64{0, 1, 0x80, 0xff, 0x80000001, 1 << 63, ^uint64(0), 0x123456789abcdef0}
	counts := []uint64{0, 1, 2, 7, 8, 9, 16, 17, 31, 32, 33, 63, 64}
	pairs := []struct {
		mem, reg string
		n        uint8
	}{
		{"48 d3 27", "48 d3 e2", 8}, {"d3 2f", "d3 ea", 4}, {"66 d3 3f", "66 d3 fa", 2}, {"d2 27", "d2 e2", 1},
		{"48 d1 27", "48 d1 e2", 8}, {"c0 3f 03", "c0 fa 03", 1}, {"48 c1 07 05", "48 c1 c2 05", 8},
		{"48 d3 07", "48 d3 c2", 8}, {"d3 0f", "d3 ca", 4}, {"66 d3 17", "66 d3 d2", 2}, {"d2 1f", "d2 da", 1},
		{"48 d3 17", "48 d3 d2", 8}, {"d0 17", "d0 d2", 1}, {"d1 1f", "d1 da", 4},
		{"48 0f a5 07", "48 0f a5 c2", 8}, {"0f ad 07", "0f ad c2", 4}, {"66 0f a4 07 05", "66 0f a4 c2 05", 2},
		{"d2 24 25 00 00 02 00", "d2 e2", 1},
	}
	for _, p := range pairs {
		e.place(tCode, p.mem)
		e.place(tCode+0x100, p.reg)
		for _, a := range vals {
			for _, k := range counts {
				for _, cf := range []uint64{0, FlagCF} {
					c.R[RDI], c.R[RCX], c.R[RAX] = tData, k, 0x8765432112345678
					c.R[RDX] = a
					e.write(tData, le64(a))
					c.SetFlags(cf | FlagZF)
					e.stepAt(tCode)
					gotMem, gotF := e.mem64(tData), c.Flags()
					c.R[RDX] = a
					c.SetFlags(cf | FlagZF)
					e.stepAt(tCode + 0x100)
					m := sizeMask(p.n)
					if want := a&^m | c.R[RDX]&m; gotMem != want || gotF != c.Flags() {
						t.Fatalf("%s with [rdi]=%#x cl=%d cf=%d: mem %#x flags %#x; want %#x %#x", p.mem, a, k, cf, gotMem, gotF, want, c.Flags())
					}
				}
			}
		}
	}
}

func TestShiftCountZero(t *testing.T) {
	e := newEnv(t)
	c := e.c
	// A zero count changes no flags but still zero-extends a 32-bit register.
	c.R[RAX], c.R[RCX] = 0xffffffff00000001, 64
	c.SetFlags(FlagCF | FlagOF | FlagSF)
	e.mustStep("d3 e0") // shl eax, cl (cl masks to 0)
	e.reg(RAX, 1)
	e.flags(arithFlags, FlagCF|FlagOF|FlagSF)
	c.R[RAX] = 0xffffffff00000001
	e.mustStep("c1 c0 00") // rol eax, 0
	e.reg(RAX, 1)
	e.flags(arithFlags, FlagCF|FlagOF|FlagSF)
	// Shifts by 63 and 64 on 64-bit operands.
	c.R[RAX], c.R[RCX] = 1<<63|1, 63
	e.mustStep("48 d3 e8") // shr rax, 63
	e.reg(RAX, 1)
	e.flags(FlagCF|FlagZF, 0)
	c.R[RAX] = 3
	e.mustStep("48 c1 e0 3f") // shl rax, 63
	e.reg(RAX, 1<<63)
	e.flags(FlagCF|FlagSF|FlagOF, FlagCF|FlagSF)
}
