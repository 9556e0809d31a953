package cpu

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// TestFusedCompareBranch runs CMP and TEST (register and immediate forms,
// every size) followed by each Jcc both fused, by Run, and one instruction
// at a time, by Step, and compares where they go and the flags they leave.
func TestFusedCompareBranch(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(7, 8))
	edges := []uint64{0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 1<<63 - 1, 1 << 63, ^uint64(0)}
	value := func() uint64 {
		if r.IntN(2) == 0 {
			return edges[r.IntN(len(edges))]
		}
		return r.Uint64()
	}
	// Operands: RAX and RCX, or RAX and an 8-bit immediate (sign-extended;
	// 0x7f and 0x80 cover both signs).
	forms := []string{
		"38c8", "6639c8", "39c8", "4839c8", // cmp rax, rcx
		"80f87f", "6683f880", "83f87f", "4883f880", // cmp rax, imm
		"84c8", "6685c8", "85c8", "4885c8", // test rax, rcx
		"f6c080", "66f7c08000", "f7c0ffff0080", "48f7c0ff000080", // test rax, imm
	}
	fused := 0
	for _, form := range forms {
		for cc := range 16 {
			// cmp/test; jcc +2; syscall; syscall
			code := form + hex.EncodeToString([]byte{0x70 + byte(cc), 2}) + "0f050f05"
			e.load(code)
			if b := e.c.block(tCode); len(b.insts) == 1 {
				fused++
			}
			for range 40 {
				a, c := value(), value()
				if r.IntN(4) == 0 {
					c = a
				}
				e.c.R[RAX], e.c.R[RCX] = a, c
				e.c.SetFlags(0)
				e.c.RIP = tCode
				if k := e.c.Run(); k != StopSyscall {
					t.Fatalf("%s: Run stopped with %v", code, k)
				}
				gotRIP, gotF := e.c.RIP, e.c.Flags()
				e.c.R[RAX], e.c.R[RCX] = a, c
				e.c.SetFlags(0)
				e.c.RIP = tCode
				for range 2 {
					if k := e.c.Step(); k != 0 {
						t.Fatalf("%s: Step stopped with %v", code, k)
					}
				}
				if k := e.c.Step(); k != StopSyscall {
					t.Fatalf("%s: Step stopped with %v at %#x", code, k, e.c.RIP)
				}
				if gotRIP != e.c.RIP || gotF != e.c.Flags() {
					t.Fatalf("%s with rax %#x rcx %#x: fused to %#x flags %#x, stepped to %#x flags %#x",
						code, a, c, gotRIP, gotF, e.c.RIP, e.c.Flags())
				}
			}
		}
	}
	if fused < 10*8+8*8 {
		t.Errorf("only %d pairs fused", fused)
	}
}

// TestDeadFlags checks that rotates and ALU operations leave the flags
// alone only where they are dead, and that running a block gives what
// stepping through it does.
func TestDeadFlags(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		code    string
		dropped int // instructions whose flags the block drops
	}{
		// rol rax, 7; mov rcx, rax; ror ecx, 3; lea rdx, [rcx+rax*2]; xor rdx, rcx
		{"48c1c007 4889c1 c1c903 488d1441 4831ca", 2},
		// rol rax, 7; jc +0: the flags are read
		{"48c1c007 7200", 0},
		// rol rax, 7; mov [rdi], rax; add rax, rcx: the store may fault
		{"48c1c007 488907 4801c8", 0},
		// ror ax, 5; rol ax, 0: a zero count keeps the flags, up to the block's end
		{"66c1c805 66c1c000", 0},
		// rol al, 3; movzx ecx, al; cmp ecx, 17; jne +0
		{"c0c003 0fb6c8 83f911 7500", 1},
		// add rax, rcx; xor rdx, rax; cmp rcx, rdx; jne +0
		{"4801c8 4831c2 4839d1 7500", 2},
		// add rax, rcx; adc rdx, 0: the carry is read
		{"4801c8 4883d200", 0},
		// and eax, 7; ror eax, 3; xor edx, eax: the rotate keeps and's SF, ZF, PF
		{"83e007 c1c803 31c2", 1},
		// sub rax, 1; mov [rdi], rax; xor rax, rcx: the store may fault
		{"4883e801 488907 4831c8", 0},
		// or cl, 0x40; sete dl
		{"80c940 0f94c2", 0},
	} {
		code := strings.ReplaceAll(tc.code, " ", "") + "0f05"
		e.load(code)
		dropped := 0
		for _, in := range e.c.block(tCode).insts {
			if in.flags&instPeephole != 0 && in.op != x86asm.CMP && in.op != x86asm.TEST {
				dropped++
			}
		}
		if dropped != tc.dropped {
			t.Errorf("%s: %d rotates drop their flags, want %d", tc.code, dropped, tc.dropped)
		}
		for range 50 {
			regs := [4]uint64{r.Uint64(), r.Uint64(), r.Uint64(), tData}
			flags := r.Uint64() & arithFlags
			set := func() {
				e.c.R[RAX], e.c.R[RCX], e.c.R[RDX], e.c.R[RDI] = regs[0], regs[1], regs[2], regs[3]
				e.c.SetFlags(flags)
				e.c.RIP = tCode
			}
			set()
			if k := e.c.Run(); k != StopSyscall {
				t.Fatalf("%s: Run stopped with %v", tc.code, k)
			}
			run, runF := e.c.R, e.c.Flags()
			set()
			for e.c.Step() == 0 {
			}
			if run != e.c.R || runF != e.c.Flags() {
				t.Fatalf("%s: run gives %#x flags %#x, steps %#x flags %#x", tc.code, run, runF, e.c.R, e.c.Flags())
			}
		}
	}
}
