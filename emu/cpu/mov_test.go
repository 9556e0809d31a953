package cpu

import (
	"encoding/binary"
	"testing"
)

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func (e *tenv) mem64(a uint64) uint64 { return binary.LittleEndian.Uint64(e.read(a, 8)) }

func TestMovMemory(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RDI] = tData
	c.R[RAX] = 0x1122334455667788
	e.mustStep("48 89 07") // mov [rdi], rax
	if got := e.mem64(tData); got != 0x1122334455667788 {
		t.Fatalf("mov [rdi], rax stored %#x", got)
	}
	c.R[RCX] = ^uint64(0)
	e.mustStep("8b 0f") // mov ecx, [rdi]: zero-extends
	e.reg(RCX, 0x55667788)
	e.mustStep("88 27") // mov [rdi], ah
	e.mustStep("8a 0f") // mov cl, [rdi]
	e.reg(RCX, 0x55667777)
	e.mustStep("66 c7 07 34 12") // mov word [rdi], 0x1234
	e.mustStep("48 c7 47 08 fe ff ff ff")
	if got := e.mem64(tData + 8); got != 0xfffffffffffffffe {
		t.Errorf("mov qword imm stored %#x", got)
	}
	e.mustStep("48 8b 0f")
	e.reg(RCX, 0x1122334455661234)

	// FS-relative and RIP-relative operands.
	c.FSBase = tData
	e.mustStep("64 48 8b 04 25 08 00 00 00") // mov rax, fs:[8]
	e.reg(RAX, 0xfffffffffffffffe)
	e.mustStep("48 8b 05 f9 ff 00 00") // mov rax, [rip+0xfff9] = [tData]
	e.reg(RAX, 0x1122334455661234)
	// moffs form with a 64-bit address.
	e.mustStep("48 a1" + " 08 00 02 00 00 00 00 00")
	e.reg(RAX, 0xfffffffffffffffe)

	e.write(tData, []byte{0x80, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff})
	for _, tc := range []struct {
		code string
		want uint64
	}{
		{"0f b6 07", 0x80},                  // movzx eax, byte [rdi]
		{"48 0f be 07", 0xffffffffffffff80}, // movsx rax, byte [rdi]
		{"0f be 07", 0xffffff80},            // movsx eax, byte [rdi]
		{"66 0f be 07", 0xdeadbeefdeadff80}, // movsx ax, byte [rdi]
		{"0f b7 07", 0xff80},                // movzx eax, word [rdi]
		{"48 0f bf 07", 0xffffffffffffff80}, // movsx rax, word [rdi]
		{"48 63 47 01", 0xffffffffff7fffff}, // movsxd rax, [rdi+1]
		{"48 63 07", 0x7fffff80},
		{"63 07", 0x7fffff80}, // movsxd eax, [rdi] without REX.W: a move
	} {
		c.R[RAX] = 0xdeadbeefdeadbeef
		e.mustStep(tc.code)
		if c.R[RAX] != tc.want {
			t.Errorf("%s: rax = %#x, want %#x", tc.code, c.R[RAX], tc.want)
		}
	}
}

func TestLea(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RDI], c.R[RCX] = 0xffffffff00001000, 3
	for _, tc := range []struct {
		code string
		want uint64
	}{
		{"8d 44 8f 08", 0x1014},                 // lea eax, [rdi+rcx*4+8]
		{"48 8d 44 8f 08", 0xffffffff00001014},  // lea rax, [rdi+rcx*4+8]
		{"48 8d 47 f0", 0xffffffff00000ff0},     // lea rax, [rdi-16]
		{"48 8d 04 cd 08 00 00 00", 0x20},       // lea rax, [rcx*8+8]
		{"48 8d 05 00 00 00 00", tCode + 7},     // lea rax, [rip]
		{"48 8d 04 25 78 56 34 12", 0x12345678}, // lea rax, [0x12345678]
		{"67 48 8d 44 0f ff", 0x1002},           // lea rax, [edi+ecx-1]: 32-bit address
		{"66 8d 44 8f 08", 0xdeadbeefdead1014},  // lea ax, ...
		{"64 48 8d 04 25 10 00 00 00", 0x10},    // the segment base does not count
	} {
		c.R[RAX] = 0xdeadbeefdeadbeef
		c.FSBase = 0x5000
		e.mustStep(tc.code)
		if c.R[RAX] != tc.want {
			t.Errorf("%s: rax = %#x, want %#x", tc.code, c.R[RAX], tc.want)
		}
	}
}

func TestCmovSetcc(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RDI] = tData
	e.write(tData, le64(0x1111111122222222))

	// cmove eax, [rdi] with ZF clear: no move, but the upper half is cleared.
	c.R[RAX] = 0xaaaaaaaabbbbbbbb
	c.SetFlags(0)
	e.mustStep("0f 44 07")
	e.reg(RAX, 0xbbbbbbbb)
	// With ZF set it moves.
	c.SetFlags(FlagZF)
	e.mustStep("48 0f 44 07")
	e.reg(RAX, 0x1111111122222222)
	// The source is read even when the condition is false.
	c.R[RDI] = 0x8000
	c.SetFlags(0)
	if k := e.step("0f 44 07"); k != StopFault || e.c.Fault.Sig != 11 || e.c.Fault.Addr != 0x8000 {
		t.Errorf("cmov from unmapped memory: %v %+v", k, e.c.Fault)
	}
	c.R[RDI] = tData

	// sete byte [rdi]; setne ah
	c.SetFlags(FlagZF)
	e.mustStep("0f 94 07")
	if b := e.read(tData, 1)[0]; b != 1 {
		t.Errorf("sete [rdi] stored %d", b)
	}
	c.R[RAX] = 0xffff
	e.mustStep("0f 95 c4")
	e.reg(RAX, 0xff)
}

func TestXchgXlatSeg(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RDI] = tData
	e.write(tData, le64(0x0102030405060708))
	c.R[RAX] = 0xffffffffaaaaaaaa
	e.mustStep("87 07") // xchg [rdi], eax
	e.reg(RAX, 0x05060708)
	if got := e.mem64(tData); got != 0x01020304aaaaaaaa {
		t.Errorf("xchg stored %#x", got)
	}
	e.mustStep("86 27") // xchg [rdi], ah
	e.reg(RAX, 0x0506aa08)

	// xlatb: al = [rbx + al]
	c.R[RBX], c.R[RAX] = tData, 0x1234_0003
	e.mustStep("d7")
	e.reg(RAX, 0x1234_00aa)

	e.mustStep("8c d0") // mov eax, ss
	e.reg(RAX, 0x2b)
	e.mustStep("8c c8") // mov eax, cs
	e.reg(RAX, 0x33)
	e.mustStep("0f c3 07") // movnti [rdi], eax
	if got := e.mem64(tData); got != 0x0102030400000033 {
		t.Errorf("movnti stored %#x", got)
	}
}

// TestFaultPrecision: a faulting store leaves registers and flags as they
// were.
func TestFaultPrecision(t *testing.T) {
	e := newEnv(t)
	c := e.c
	for _, code := range []string{
		"48 01 07",       // add [rdi], rax
		"f0 48 01 07",    // lock add [rdi], rax
		"48 ff 07",       // inc qword [rdi]
		"48 d3 27",       // shl qword [rdi], cl
		"48 0f ab 0f",    // bts [rdi], rcx
		"48 87 07",       // xchg [rdi], rax
		"48 0f c1 07",    // xadd [rdi], rax
		"f0 48 0f b1 0f", // lock cmpxchg [rdi], rcx (fails the compare)
		"8f 07",          // pop [rdi]
	} {
		c.R[RDI], c.R[RAX], c.R[RCX] = tRO, 5, 1
		c.R[RSP] = tStack - 64
		c.SetFlags(FlagCF | FlagZF)
		before := c.R
		if k := e.step(code); k != StopFault || c.Fault.Sig != 11 || c.Fault.Code != segvAccErr || c.Fault.Addr != tRO {
			t.Errorf("%s: %v %+v", code, k, c.Fault)
			continue
		}
		if c.R != before || c.Flags() != 0x202|FlagCF|FlagZF || c.RIP != tCode {
			t.Errorf("%s: state changed: flags %#x rip %#x regs %x", code, c.Flags(), c.RIP, c.R)
		}
	}
}
