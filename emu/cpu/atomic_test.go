package cpu

import (
	"sync"
	"testing"
)

func TestCmpxchg(t *testing.T) {
	e := newEnv(t)
	c := e.c
	for _, lock := range []string{"", "f0 "} {
		c.R[RDI] = tData
		e.write(tData, le64(0x1111111122222222))
		// Success: the store happens, RAX keeps its upper half.
		c.R[RAX], c.R[RCX] = 0xffffffff22222222, 0x9999999933333333
		e.mustStep(lock + "0f b1 0f") // cmpxchg [rdi], ecx
		e.flags(FlagZF, FlagZF)
		e.reg(RAX, 0xffffffff22222222)
		if got := e.mem64(tData); got != 0x1111111133333333 {
			t.Errorf("%scmpxchg stored %#x", lock, got)
		}
		// Failure: RAX is loaded, zero-extended.
		e.mustStep(lock + "0f b1 0f")
		e.flags(FlagZF|FlagCF, FlagCF)
		e.reg(RAX, 0x33333333)
		// 64-bit and 8-bit forms.
		c.R[RAX] = 0x1111111133333333
		e.mustStep(lock + "48 0f b1 0f")
		e.flags(FlagZF, FlagZF)
		c.R[RAX] = 0x55
		e.mustStep(lock + "0f b0 2f") // cmpxchg [rdi], ch
		e.reg(RAX, 0x33)
		e.flags(FlagZF, 0)
		// A failing compare on read-only memory still faults.
		c.R[RDI] = tRO
		c.R[RAX] = 1
		if k := e.step(lock + "0f b1 0f"); k != StopFault || c.Fault.Addr != tRO || c.R[RAX] != 1 {
			t.Errorf("%scmpxchg on read-only memory: %v %+v", lock, k, c.Fault)
		}
	}
	// Register destinations: a failed compare leaves the destination whole.
	c.R[RAX], c.R[RDX], c.R[RCX] = 1, 0xaaaaaaaa00000002, 3
	e.mustStep("0f b1 ca")
	e.reg(RDX, 0xaaaaaaaa00000002)
	e.reg(RAX, 2)
	e.mustStep("0f b1 ca")
	e.reg(RDX, 3)
}

func TestCmpxchg8b16b(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RDI] = tData + 0x10
	e.write(tData+0x10, append(le64(0x1111111122222222), le64(0x3333333344444444)...))
	c.R[RDX], c.R[RAX] = 0xffffffff11111111, 0xffffffff22222222
	c.R[RCX], c.R[RBX] = 0x55555555, 0x66666666
	e.mustStep("f0 0f c7 0f") // lock cmpxchg8b [rdi]
	e.flags(FlagZF, FlagZF)
	if got := e.mem64(tData + 0x10); got != 0x5555555566666666 {
		t.Errorf("cmpxchg8b stored %#x", got)
	}
	e.mustStep("0f c7 0f")
	e.flags(FlagZF, 0)
	e.reg(RDX, 0x55555555)
	e.reg(RAX, 0x66666666)

	c.R[RDX], c.R[RAX] = 0x3333333344444444, 0x5555555566666666
	c.R[RCX], c.R[RBX] = 7, 8
	e.mustStep("f0 48 0f c7 0f") // lock cmpxchg16b [rdi]
	e.flags(FlagZF, FlagZF)
	if e.mem64(tData+0x10) != 8 || e.mem64(tData+0x18) != 7 {
		t.Errorf("cmpxchg16b stored %#x %#x", e.mem64(tData+0x10), e.mem64(tData+0x18))
	}
	e.mustStep("f0 48 0f c7 0f")
	e.flags(FlagZF, 0)
	e.reg(RDX, 7)
	e.reg(RAX, 8)
	// A misaligned operand is a #GP.
	c.R[RDI] = tData + 8
	if k := e.step("f0 48 0f c7 0f"); k != StopFault || c.Fault != (Fault{Sig: 11, Code: siKernel, Trapno: 13}) {
		t.Errorf("misaligned cmpxchg16b: %v %+v", k, c.Fault)
	}
}

func TestXadd(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RDI] = tData
	for _, code := range []string{"0f c1 07", "f0 0f c1 07", "f0 0f c1 47 09"} {
		e.write(tData, le64(0xfffffff0))
		e.write(tData+9, le64(0xfffffff0))
		c.R[RAX] = 0x10
		e.mustStep(code)
		e.reg(RAX, 0xfffffff0)
		e.flags(FlagZF|FlagCF, FlagZF|FlagCF)
	}
	// xadd eax, eax: the sum wins.
	c.R[RAX] = 5
	e.mustStep("0f c1 c0")
	e.reg(RAX, 10)
	c.R[RAX], c.R[RCX] = 5, 7
	e.mustStep("0f c0 c8") // xadd al, cl
	e.reg(RAX, 12)
	e.reg(RCX, 5)
}

// TestCasConcurrent: two guest threads increment a counter with LOCK
// CMPXCHG loops and CMPXCHG16B.
func TestCasConcurrent(t *testing.T) {
	e := newEnv(t)
	const n = 20000
	// The first counter is a quadword at [rbx]; the second is the 16 bytes
	// at [rbx+16], whose halves grow by 1 and 2 through CMPXCHG16B.
	e.load("48 8b 03" + // mov rax, [rbx]
		"48 8d 50 01" + // lea rdx, [rax+1]
		"f0 48 0f b1 13" + // lock cmpxchg [rbx], rdx
		"75 f5" + // jne retry
		"49 89 c8" + // mov r8, rcx (save)
		"48 8b 43 10" + // mov rax, [rbx+16]
		"48 8b 53 18" + // mov rdx, [rbx+24]
		"49 89 db" + // mov r11, rbx
		"48 8d 58 01" + // retry2: lea rbx, [rax+1]
		"48 8d 4a 02" + // lea rcx, [rdx+2]
		"4c 89 dd" + // mov rbp, r11
		"f0 48 0f c7 4d 10" + // lock cmpxchg16b [rbp+16]
		"75 ed" + // jne retry2
		"4c 89 db" + // mov rbx, r11
		"4c 89 c1" + // mov rcx, r8
		"e2 c9" + // loop
		"0f 05")
	var wg sync.WaitGroup
	for range 2 {
		c := e.c.Clone()
		c.R[RBX], c.R[RCX] = tData, n
		c.RIP = tCode
		wg.Add(1)
		go func() {
			defer wg.Done()
			if k := c.Run(); k != StopSyscall {
				t.Errorf("stopped with %v at %#x: %+v", k, c.RIP, c.Fault)
			}
		}()
	}
	wg.Wait()
	if a, b, d := e.mem64(tData), e.mem64(tData+16), e.mem64(tData+24); a != 2*n || b != 2*n || d != 4*n {
		t.Errorf("counters %d %d %d, want %d %d %d", a, b, d, 2*n, 2*n, 4*n)
	}
}
