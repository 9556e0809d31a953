package cpu

import "testing"

func TestDivideErrors(t *testing.T) {
	e := newEnv(t)
	c := e.c
	for _, tc := range []struct {
		code          string
		rax, rdx, rcx uint64
	}{
		{"48 f7 f1", 1, 0, 0},                         // div rcx by zero
		{"f7 f1", 1, 0, 0},                            // div ecx by zero
		{"f6 f1", 1, 0, 0x100},                        // div cl: cl = 0
		{"48 f7 f1", 0, 5, 5},                         // quotient overflow: rdx >= rcx
		{"f7 f1", 0, 1, 1},                            // edx:eax / 1 > 32 bits
		{"f6 f1", 0x200, 0, 2},                        // ax / 2 > 0xff
		{"48 f7 f9", 1 << 63, ^uint64(0), ^uint64(0)}, // idiv: MIN / -1
		{"f7 f9", 0x80000000, 0xffffffff, 0xffffffff},
		{"66 f7 f9", 0x8000, 0xffff, 0xffff},
		{"f6 f9", 0x80, 0, 0xff},             // ax = 0x80: 128 / -1 = -128 fits
		{"48 f7 f9", 0, 1, 2},                // 2^64 / 2 = 2^63 does not fit
		{"48 f7 f9", 0, ^uint64(0) - 1, 0x2}, // -2^65 / 2 = -2^64 does not fit
	} {
		c.R[RAX], c.R[RDX], c.R[RCX] = tc.rax, tc.rdx, tc.rcx
		c.SetFlags(FlagZF)
		k := e.step(tc.code)
		if tc.code == "f6 f9" {
			if k != 0 || c.R[RAX] != 0x80 {
				t.Errorf("idiv cl: %v rax %#x", k, c.R[RAX])
			}
			continue
		}
		if k != StopFault || c.Fault != (Fault{Sig: 8, Code: 1, Addr: tCode}) || c.RIP != tCode {
			t.Errorf("%s: %v %+v rip %#x", tc.code, k, c.Fault, c.RIP)
		}
		if c.R[RAX] != tc.rax || c.R[RDX] != tc.rdx || c.Flags() != 0x202|FlagZF {
			t.Errorf("%s: state changed", tc.code)
		}
	}
	// The largest quotients that fit.
	c.R[RAX], c.R[RDX], c.R[RCX] = 0, 1<<63, 1<<63|1
	e.mustStep("48 f7 f1")
	c.R[RAX], c.R[RDX], c.R[RCX] = 0, ^uint64(0), 2
	e.mustStep("48 f7 f9") // -2^64 / 2 = -2^63
	e.reg(RAX, 1<<63)
	e.reg(RDX, 0)
}

func TestMulMemory(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RDI] = tData
	e.write(tData, le64(0xffffffffffffffff))
	c.R[RAX] = 3
	e.mustStep("48 f7 27") // mul qword [rdi]
	e.reg(RAX, 0xfffffffffffffffd)
	e.reg(RDX, 2)
	e.flags(FlagCF|FlagOF, FlagCF|FlagOF)
	c.R[RAX] = 3
	e.mustStep("48 f7 2f") // imul qword [rdi]: 3 * -1
	e.reg(RAX, 0xfffffffffffffffd)
	e.reg(RDX, ^uint64(0))
	e.flags(FlagCF|FlagOF, 0)
	e.mustStep("48 6b 07 07") // imul rax, [rdi], 7
	e.reg(RAX, 0xfffffffffffffff9)
	e.mustStep("0f af 07") // imul eax, [rdi]
	e.reg(RAX, 7)
	c.R[RDX] = 0xdead
	e.mustStep("f6 27") // mul byte [rdi]: ax = 7 * 255
	e.reg(RAX, 7*255)
	e.reg(RDX, 0xdead)
	c.R[RAX], c.R[RDX] = 100, 0
	e.write(tData, le64(7))
	e.mustStep("48 f7 37") // div qword [rdi]
	e.reg(RAX, 14)
	e.reg(RDX, 2)
}
