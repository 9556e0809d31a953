package cpu

import (
	"bytes"
	"testing"
)

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}

func TestRepMovs(t *testing.T) {
	e := newEnv(t)
	c := e.c
	src := pattern(0x3000)
	for _, tc := range []struct {
		code      string
		n         uint64 // element size
		si, di    uint64 // offsets from tData
		count     uint64
		backwards bool
	}{
		{"f3 a4", 1, 0x10, 0x5001, 0x2345, false},  // crosses pages, not aligned
		{"f3 48 a5", 8, 0x8, 0x5003, 0x400, false}, // qwords straddling pages
		{"f3 a5", 4, 0, 0x7000, 1, false},
		{"f3 66 a5", 2, 0x100, 0x102, 0x80, false}, // overlapping forward: replicates
		{"f3 a4", 1, 0x100, 0xf0, 0x200, false},    // overlapping, destination below
		{"f3 a4", 1, 0x2000, 0x2001, 0x1000, true}, // backwards overlap: a memmove
		{"f3 48 a5", 8, 0x2ff8, 0x6ff8, 0x300, true},
		{"f2 a4", 1, 0, 0x5000, 0x20, false}, // REPNE acts as REP
		{"a4", 1, 0, 0x5000, 1, false},
		{"48 a5", 8, 0x18, 0x5000, 1, true},
	} {
		e.write(tData, src)
		e.write(tData+0x3000, make([]byte, 0x6000))
		mem := append(append([]byte(nil), src...), make([]byte, 0x6000)...)
		// The reference: one element at a time.
		si, di := tc.si, tc.di
		for range tc.count {
			copy(mem[di:di+tc.n], mem[si:si+tc.n])
			if tc.backwards {
				si, di = si-tc.n, di-tc.n
			} else {
				si, di = si+tc.n, di+tc.n
			}
		}
		c.R[RSI], c.R[RDI], c.R[RCX] = tData+tc.si, tData+tc.di, tc.count
		c.SetFlags(0)
		if tc.backwards {
			c.SetFlags(FlagDF)
		}
		e.mustStep(tc.code)
		rep := tc.code[0] == 'f'
		wantCX := uint64(0)
		if !rep {
			wantCX = tc.count
		}
		if c.R[RSI] != tData+si || c.R[RDI] != tData+di || c.R[RCX] != wantCX {
			t.Errorf("%s: rsi %#x rdi %#x rcx %#x, want %#x %#x %#x", tc.code, c.R[RSI], c.R[RDI], c.R[RCX], tData+si, tData+di, wantCX)
		}
		if got := e.read(tData, len(mem)); !bytes.Equal(got, mem) {
			for i := range got {
				if got[i] != mem[i] {
					t.Errorf("%s: first difference at +%#x: %#x, want %#x", tc.code, i, got[i], mem[i])
					break
				}
			}
		}
	}
}

func TestRepStos(t *testing.T) {
	e := newEnv(t)
	c := e.c
	for _, tc := range []struct {
		code      string
		n, di     uint64
		count     uint64
		backwards bool
	}{
		{"f3 aa", 1, 0x123, 0x3456, false},
		{"f3 48 ab", 8, 0xffc, 0x801, false},
		{"f3 66 ab", 2, 0x2001, 0x10, true},
		{"f3 ab", 4, 0, 0, false},
		{"ab", 4, 0x10, 1, false},
	} {
		mem := make([]byte, 0x6000)
		e.write(tData, mem)
		c.R[RAX] = 0x1122334455667788
		v := le64(c.R[RAX])[:tc.n]
		di := tc.di
		for range tc.count {
			copy(mem[di:], v)
			if tc.backwards {
				di -= tc.n
			} else {
				di += tc.n
			}
		}
		c.R[RDI], c.R[RCX] = tData+tc.di, tc.count
		c.SetFlags(FlagCF)
		if tc.backwards {
			c.SetFlags(FlagCF | FlagDF)
		}
		e.mustStep(tc.code)
		if c.R[RDI] != tData+di {
			t.Errorf("%s: rdi %#x, want %#x", tc.code, c.R[RDI], tData+di)
		}
		if got := e.read(tData, len(mem)); !bytes.Equal(got, mem) {
			t.Errorf("%s: memory differs", tc.code)
		}
		e.flags(FlagCF, FlagCF)
	}
}

// TestRepFault: a fault in the middle of a REP leaves the registers at the
// faulting element.
func TestRepFault(t *testing.T) {
	e := newEnv(t)
	c := e.c
	// Nothing is mapped above the stack: the copy runs into it.
	c.R[RSI], c.R[RDI], c.R[RCX] = tData, tStack-0x100, 0x200
	c.SetFlags(0)
	if k := e.step("f3 a4"); k != StopFault || c.Fault.Addr != tStack || c.RIP != tCode {
		t.Fatalf("rep movsb: %v %+v rip %#x", k, c.Fault, c.RIP)
	}
	if c.R[RCX] != 0x100 || c.R[RSI] != tData+0x100 || c.R[RDI] != tStack {
		t.Errorf("registers at the fault: rcx %#x rsi %#x rdi %#x", c.R[RCX], c.R[RSI], c.R[RDI])
	}
	// A first element that straddles the end faults with nothing done.
	c.R[RDI], c.R[RCX] = tStack-4, 3
	if k := e.step("f3 48 ab"); k != StopFault || c.R[RCX] != 3 || c.R[RDI] != tStack-4 {
		t.Errorf("rep stosq straddling the end: %v rcx %d rdi %#x", k, c.R[RCX], c.R[RDI])
	}
}

func TestCmpsScas(t *testing.T) {
	e := newEnv(t)
	c := e.c
	e.write(tData, []byte("hello, world\x00"))
	e.write(tData+0x100, []byte("hello, there\x00"))

	// repe cmpsb stops after the first difference.
	c.R[RSI], c.R[RDI], c.R[RCX] = tData, tData+0x100, 13
	e.mustStep("f3 a6")
	e.reg(RCX, 13-8)
	e.reg(RSI, tData+8)
	e.flags(FlagZF|FlagCF|FlagSF, 0) // 'w' > 't'
	// repne scasb finds the terminator.
	c.R[RAX], c.R[RDI], c.R[RCX] = 0, tData, ^uint64(0)
	e.mustStep("f2 ae")
	e.reg(RDI, tData+13)
	e.reg(RCX, ^uint64(0)-13)
	e.flags(FlagZF, FlagZF)
	// With RCX = 0 nothing happens, flags included.
	c.R[RCX] = 0
	c.SetFlags(FlagCF | FlagOF)
	e.mustStep("f3 a6")
	e.mustStep("f2 66 af")
	e.reg(RDI, tData+13)
	e.flags(arithFlags, FlagCF|FlagOF)
	// Single scasd and cmpsq compare like CMP.
	e.write(tData, le64(0x0000000100000002))
	c.R[RAX], c.R[RDI] = 1, tData
	e.mustStep("af")
	e.flags(FlagCF|FlagZF, FlagCF)
	e.reg(RDI, tData+4)
	c.R[RSI], c.R[RDI] = tData, tData
	c.SetFlags(FlagDF)
	e.mustStep("48 a7")
	e.flags(FlagZF, FlagZF)
	e.reg(RSI, tData-8)
	e.reg(RDI, tData-8)
	// lodsw, and lods with a 32-bit address and an FS override.
	c.SetFlags(0)
	c.R[RSI], c.R[RAX] = tData, ^uint64(0)
	e.mustStep("66 ad")
	e.reg(RAX, 0xffffffffffff0002)
	c.FSBase = tData
	c.R[RSI] = 0xffffffff_00000004
	e.mustStep("64 67 ac")
	e.reg(RAX, 0xffffffffffff0001)
	e.reg(RSI, 5)
}

func TestStringAddr32(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RAX] = 0xab
	c.R[RDI], c.R[RCX] = 0xffffffff_00000000|tData, 0xffffffff_00000004
	e.mustStep("67 f3 aa") // rep stosb with edi, ecx
	if got := e.read(tData, 5); !bytes.Equal(got, []byte{0xab, 0xab, 0xab, 0xab, 0}) {
		t.Errorf("stored % x", got)
	}
	e.reg(RDI, tData+4)
	e.reg(RCX, 0)
}
