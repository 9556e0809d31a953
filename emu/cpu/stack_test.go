package cpu

import "testing"

func TestPushPop(t *testing.T) {
	e := newEnv(t)
	c := e.c
	sp := c.R[RSP]
	c.R[RAX] = 0x1122334455667788
	e.mustStep("50") // push rax
	e.reg(RSP, sp-8)
	e.mustStep("6a ff") // push -1
	e.mustStep("68 00 00 00 80")
	if e.mem64(sp-24) != 0xffffffff80000000 || e.mem64(sp-16) != ^uint64(0) {
		t.Errorf("push imm: %#x %#x", e.mem64(sp-24), e.mem64(sp-16))
	}
	e.mustStep("59") // pop rcx
	e.reg(RCX, 0xffffffff80000000)
	e.mustStep("66 6a ff") // 16-bit push
	e.reg(RSP, sp-18)
	e.mustStep("66 5a") // pop dx
	e.reg(RDX, 0xffff)
	e.reg(RSP, sp-16)

	// push rsp pushes the old value; pop rsp loads the value.
	e.mustStep("54")
	if e.mem64(sp-24) != sp-16 {
		t.Errorf("push rsp pushed %#x", e.mem64(sp-24))
	}
	e.mustStep("5c")
	e.reg(RSP, sp-16)

	// push [rdi]; pop [rsp+8] uses RSP after the pop.
	c.R[RDI] = tData
	e.write(tData, le64(0xabcdef))
	e.mustStep("ff 37")
	e.mustStep("8f 44 24 08")
	e.reg(RSP, sp-16)
	if e.mem64(sp-8) != 0xabcdef {
		t.Errorf("pop [rsp+8] stored %#x at %#x", e.mem64(sp-8), sp-8)
	}

	// pushfq/popfq round trip through memory.
	c.SetFlags(FlagCF | FlagDF)
	e.mustStep("9c")
	c.SetFlags(0)
	e.mustStep("9d")
	e.flags(^uint64(0), 0x202|FlagCF|FlagDF)
	// POPF cannot clear IF or set VIF/VIP.
	e.write(c.R[RSP]-8, le64(0x1f0000|FlagAC|FlagZF))
	c.R[RSP] -= 8
	e.mustStep("9d")
	e.flags(^uint64(0), 0x202|FlagAC|FlagZF)
	// 16-bit pushf/popf.
	e.mustStep("66 9c")
	e.reg(RSP, sp-18)
	c.SetFlags(FlagID)
	e.mustStep("66 9d")
	e.flags(^uint64(0), 0x202|FlagID|FlagZF)
}

func TestEnterLeave(t *testing.T) {
	e := newEnv(t)
	c := e.c
	sp := c.R[RSP]
	c.R[RBP] = 0x1234
	e.mustStep("c8 20 00 00") // enter 0x20, 0
	e.reg(RBP, sp-8)
	e.reg(RSP, sp-8-0x20)
	if e.mem64(sp-8) != 0x1234 {
		t.Errorf("enter saved rbp %#x", e.mem64(sp-8))
	}
	e.mustStep("c9") // leave
	e.reg(RSP, sp)
	e.reg(RBP, 0x1234)

	// Nesting level 2 copies one frame pointer from the old frame.
	c.R[RBP] = tData + 0x100
	e.write(tData+0xf8, le64(0x5555))
	e.mustStep("c8 10 00 02")
	e.reg(RBP, sp-8)
	e.reg(RSP, sp-24-0x10)
	if e.mem64(sp-16) != 0x5555 || e.mem64(sp-24) != sp-8 {
		t.Errorf("enter level 2: %#x %#x", e.mem64(sp-16), e.mem64(sp-24))
	}
}

func TestCallRet(t *testing.T) {
	e := newEnv(t)
	c := e.c
	sp := c.R[RSP]
	e.mustStep("e8 10 00 00 00") // call +0x10
	if c.RIP != tCode+0x15 || e.mem64(sp-8) != tCode+5 {
		t.Errorf("call: rip %#x, pushed %#x", c.RIP, e.mem64(sp-8))
	}
	e.mustStep("c3")
	if c.RIP != tCode+5 || c.R[RSP] != sp {
		t.Errorf("ret: rip %#x rsp %#x", c.RIP, c.R[RSP])
	}
	c.R[RAX] = 0x4000
	e.mustStep("ff d0") // call rax
	if c.RIP != 0x4000 || e.mem64(sp-8) != tCode+2 {
		t.Errorf("call rax: rip %#x", c.RIP)
	}
	e.mustStep("c2 08 00") // ret 8
	if c.RIP != tCode+2 || c.R[RSP] != sp+8 {
		t.Errorf("ret 8: rip %#x rsp %#x", c.RIP, c.R[RSP])
	}
	// call [rsp] reads the target before pushing.
	sp -= 32
	c.R[RSP] = sp
	e.write(sp, le64(0x7777))
	e.mustStep("ff 14 24")
	if c.RIP != 0x7777 || c.R[RSP] != sp-8 {
		t.Errorf("call [rsp]: rip %#x", c.RIP)
	}
	c.R[RDI] = sp
	e.mustStep("ff 27") // jmp [rdi]
	if c.RIP != 0x7777 {
		t.Errorf("jmp [rdi]: rip %#x", c.RIP)
	}
	e.mustStep("eb fe") // jmp to itself
	if c.RIP != tCode {
		t.Errorf("jmp .: rip %#x", c.RIP)
	}
	// A push to an unmapped stack faults with RSP unchanged.
	c.R[RSP] = 0x9000
	if k := e.step("e8 00 00 00 00"); k != StopFault || c.R[RSP] != 0x9000 || c.RIP != tCode || c.Fault.Addr != 0x8ff8 {
		t.Errorf("call with bad stack: %v rsp %#x rip %#x %+v", k, c.R[RSP], c.RIP, c.Fault)
	}
}

// TestStackNonCanonical: an implicit stack access at a non-canonical RSP is
// a stack fault, SIGBUS, and leaves the registers alone.
func TestStackNonCanonical(t *testing.T) {
	for _, code := range []string{
		"50",       // push rax
		"c3",       // ret
		"cb",       // lret
		"48 cf",    // iretq
		"ff 1c 25", // lcall [tData]
	} {
		e := newEnv(t)
		c := e.c
		if code == "ff 1c 25" {
			code += " 00 00 02 00"
			e.write(tData, []byte{0, 0, 1, 0, userCS, 0})
		}
		c.R[RSP] = 1 << 63
		if k := e.step(code); k != StopFault || c.Fault != (Fault{Sig: 7, Code: siKernel, Trapno: 12}) ||
			c.RIP != tCode || c.R[RSP] != 1<<63 {
			t.Errorf("%s: %v %+v RIP %#x RSP %#x", code, k, c.Fault, c.RIP, c.R[RSP])
		}
	}
}

// TestLcallUnmappedStack: LCALL's pushes to an unmapped stack fault as
// writes.
func TestLcallUnmappedStack(t *testing.T) {
	e := newEnv(t)
	c := e.c
	e.write(tData, []byte{0, 0, 1, 0, userCS, 0})
	c.R[RSP] = 0x80000
	want := Fault{Sig: 11, Code: segvMapErr, Addr: 0x80000 - 4, Trapno: 14, Err: pfUser | pfWrite}
	if k := e.step("ff 1c 25 00 00 02 00"); k != StopFault || c.Fault != want {
		t.Errorf("lcall: %v %+v, want %+v", k, c.Fault, want)
	}
}
