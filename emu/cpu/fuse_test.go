package cpu

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
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
			// cmp/test; jcc +2; syscall; syscall: one block, whose Jcc
			// taken is a side exit
			code := form + hex.EncodeToString([]byte{0x70 + byte(cc), 2}) + "0f050f05"
			e.load(code)
			if b := e.hotBlock(); b.insts[0].seq == 2 {
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
		for _, in := range e.hotBlock().insts {
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

// runMatchesSteps runs the code at tCode from the state set makes, once with
// Run, its blocks hot at once, and once by stepping, and checks that both
// stop at the same SYSCALL with the same registers, flags and first 32
// bytes of tData.
func (e *tenv) runMatchesSteps(code string, set func()) {
	e.t.Helper()
	set()
	e.c.promoteAfter = 1
	if k := e.c.Run(); k != StopSyscall {
		e.t.Fatalf("%s: Run stopped with %v", code, k)
	}
	run, runF, runRIP, runMem := e.c.R, e.c.Flags(), e.c.RIP, e.read(tData, 32)
	set()
	for e.c.Step() == 0 {
	}
	if run != e.c.R || runF != e.c.Flags() || runRIP != e.c.RIP || !bytes.Equal(runMem, e.read(tData, 32)) {
		e.t.Fatalf("%s: run gives %#x flags %#x at %#x, steps %#x flags %#x at %#x",
			code, run, runF, runRIP, e.c.R, e.c.Flags(), e.c.RIP)
	}
}

// TestFusedRuns checks the fused runs of three and two instructions (load,
// compare, branch; mask, test, branch; LEA and Jcc) against stepping, with
// the branch taken and not, and that a load that faults leaves the
// registers alone.
func TestFusedRuns(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(11, 12))
	codes := []string{
		// movzx ecx, byte [rdi+rax]; cmp dl, cl; jne +2
		"0fb60c07 38ca 7502",
		// movzx ecx, byte [rdi+rax]; cmp cl, dl; je +2
		"0fb60c07 38d1 7402",
		// movzx eax, byte [rdi+rax]; test al, al; je +2
		"0fb60407 84c0 7402",
		// movzx rcx, byte [rdi+rax]; test cl, dl; jne +2
		"480fb60c07 84d1 7502",
		// movzx ecx, byte [rdi+rax]; cmp ecx, edx; je +2
		"0fb60c07 39d1 7402",
		// pmovmskb edx, xmm0; test edx, edx; jne +2
		"660fd7d0 85d2 7502",
		// pmovmskb eax, xmm1; test eax, eax; je +2
		"660fd7c1 85c0 7402",
		// cmp rax, rdx; lea rcx, [rcx+rax*2+16]; jbe +2
		"4839d0 488d4c4110 7602",
		// sub rax, rdx; lea rdx, [rdx+16]; jl +2
		"4829d0 488d5210 7c02",
		// sub rax, 0x40; jbe +2
		"4883e840 7602",
		// sub rdx, rax; jne +2
		"4829c2 7502",
		// add ecx, edx; jl +2
		"01d1 7c02",
		// add rax, -1; jg +2
		"4883c0ff 7f02",
		// sub ecx, 3; jb +2
		"83e903 7202",
		// add rcx, rdx; jo +2
		"4801d1 7002",
	}
	// cmp rax, rdx or add rax, rdx or and rax, rdx; lea rcx, [rcx+8]; jcc +2
	for _, op := range []string{"4839d0", "4801d0", "4821d0"} {
		for cc := range 16 {
			codes = append(codes, op+" 488d4908 "+hex.EncodeToString([]byte{0x70 + byte(cc), 2}))
		}
	}
	for _, code := range codes {
		// code; syscall; syscall: the Jcc taken skips the first syscall.
		e.load(strings.ReplaceAll(code, " ", "") + "0f050f05")
		b := e.hotBlock()
		if b.insts[len(b.insts)-2].flags&instPeephole == 0 {
			t.Errorf("%s: not fused", code)
		}
		for range 200 {
			regs := [4]uint64{uint64(r.IntN(8)), r.Uint64(), r.Uint64() & 0x1ff, tData}
			if r.IntN(3) == 0 {
				regs[2] &= 0xff
			}
			var x [2]XMM
			for i := range x {
				for j := range 16 {
					if r.IntN(4) == 0 {
						x[i].u8()[j] = 0x80
					}
				}
			}
			data := make([]byte, 8)
			for i := range data {
				data[i] = byte(r.IntN(3))
			}
			e.write(tData, data)
			set := func() {
				e.c.R[RAX], e.c.R[RCX], e.c.R[RDX], e.c.R[RDI] = regs[0], regs[1], regs[2], regs[3]
				e.c.X[0], e.c.X[1] = x[0], x[1]
				e.c.SetFlags(0)
				e.c.RIP = tCode
			}
			e.runMatchesSteps(code, set)
		}
	}
	// A fused load from an unmapped address faults at the MOVZX.
	e.load("0fb60c07 38ca 7502 0f05")
	e.c.R[RAX], e.c.R[RCX], e.c.R[RDI] = 0, 7, 0x1000
	e.c.RIP = tCode
	if k := e.c.Run(); k != StopFault || e.c.RIP != tCode || e.c.R[RCX] != 7 {
		t.Errorf("fault: stopped with %v at %#x, rcx %#x", k, e.c.RIP, e.c.R[RCX])
	}
}

// TestFusedLoadPcmpistri checks MOVDQA or MOVDQU and PCMPISTRI fused
// against stepping, and where a fault of either load stops.
func TestFusedLoadPcmpistri(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(13, 14))
	// movdq[au] xmm1, [rdi+rax]; pcmpistri xmm1, [rsi+rax], 0x1a;
	// lea rax, [rax+16]; jbe +2; syscall; syscall
	for _, load := range []string{"660f6f0c07", "f30f6f0c07"} {
		code := load + "660f3a630c061a 488d4010 7602 0f05 0f05"
		e.load(strings.ReplaceAll(code, " ", ""))
		b := e.hotBlock()
		if b.insts[0].flags&instPeephole == 0 {
			t.Fatalf("%s: not fused", code)
		}
		// MOVDQA's form takes in the LEA and the JBE too.
		if load[:2] == "66" && b.insts[1].op != x86asm.SYSCALL {
			t.Fatalf("%s: LEA and JBE not fused: %v", code, b.insts[1].op)
		}
		for range 300 {
			buf := make([]byte, 0x200)
			for i := range buf {
				buf[i] = "\x00ab"[r.IntN(3)]
				if r.IntN(4) != 0 {
					buf[i] = 'a'
				}
			}
			e.write(tData, buf)
			off := uint64(0x100 + r.IntN(16))
			rax := uint64(16 * r.IntN(2))
			set := func() {
				e.c.R[RAX], e.c.R[RCX], e.c.R[RDI], e.c.R[RSI] = rax, 0, tData, tData+off
				e.c.X[1] = XMM{}
				e.c.SetFlags(0)
				e.c.RIP = tCode
			}
			set()
			if k := e.c.Run(); k != StopSyscall {
				t.Fatalf("%s: Run stopped with %v", code, k)
			}
			run, runX, runF, runRIP := e.c.R, e.c.X[1], e.c.Flags(), e.c.RIP
			set()
			for e.c.Step() == 0 {
			}
			if run != e.c.R || runX != e.c.X[1] || runF != e.c.Flags() || runRIP != e.c.RIP {
				t.Fatalf("%s: run gives %#x %#x flags %#x at %#x, steps %#x %#x flags %#x at %#x",
					code, run, runX, runF, runRIP, e.c.R, e.c.X[1], e.c.Flags(), e.c.RIP)
			}
		}
		// The second load faults: at the PCMPISTRI, with the first done.
		e.write(tData, []byte("0123456789abcdef"))
		e.c.R[RAX], e.c.R[RDI], e.c.R[RSI] = 0, tData, 0x1000
		e.c.X[1] = XMM{}
		e.c.RIP = tCode
		if k := e.c.Run(); k != StopFault || e.c.RIP != tCode+5 || e.c.R[RAX] != 0 || e.c.X[1] != (XMM{0x3736353433323130, 0x6665646362613938}) {
			t.Errorf("%s: second load: stopped with %v at %#x, xmm1 %#x", code, k, e.c.RIP, e.c.X[1])
		}
		// The first load faults: at the load, nothing done.
		e.c.R[RDI], e.c.R[RSI] = 0x1000, tData
		e.c.X[1] = XMM{}
		e.c.RIP = tCode
		if k := e.c.Run(); k != StopFault || e.c.RIP != tCode || e.c.R[RAX] != 0 || e.c.X[1] != (XMM{}) {
			t.Errorf("%s: first load: stopped with %v at %#x, xmm1 %#x", code, k, e.c.RIP, e.c.X[1])
		}
	}
}

// TestFusedAddsdStore checks ADDSD and MOVSD to the same element fused
// against stepping, MXCSR included, and that a store that faults stops at
// the MOVSD with the sum done.
func TestFusedAddsdStore(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(15, 16))
	// addsd xmm1, [rdi+8]; movsd [rdi+8], xmm1; syscall
	code := "f20f584f08 f20f114f08 0f05"
	e.load(strings.ReplaceAll(code, " ", ""))
	if e.hotBlock().insts[0].flags&instPeephole == 0 {
		t.Fatal("not fused")
	}
	vals := []float64{0, 1, -1, 0.1, 1e308, -1e308, 1e-310, 3, math.Inf(1), math.NaN()}
	for range 300 {
		x, m := vals[r.IntN(len(vals))], vals[r.IntN(len(vals))]
		if r.IntN(2) == 0 {
			x, m = r.NormFloat64(), float64(r.IntN(100))/8
		}
		mxcsr := uint32(0x1f80)
		if r.IntN(2) == 0 {
			mxcsr |= mxPE
		}
		set := func() {
			e.write(tData+8, binary.LittleEndian.AppendUint64(nil, math.Float64bits(m)))
			e.c.R[RDI] = tData
			e.c.X[1] = XMM{math.Float64bits(x), 7}
			e.c.MXCSR = mxcsr
			e.c.RIP = tCode
		}
		set()
		if k := e.c.Run(); k != StopSyscall {
			t.Fatalf("Run stopped with %v", k)
		}
		runX, runM, runMem := e.c.X[1], e.c.MXCSR, binary.LittleEndian.Uint64(e.read(tData+8, 8))
		set()
		for e.c.Step() == 0 {
		}
		if runX != e.c.X[1] || runM != e.c.MXCSR || runMem != binary.LittleEndian.Uint64(e.read(tData+8, 8)) {
			t.Fatalf("%g + %g: run gives %#x mxcsr %#x mem %#x, steps %#x %#x %#x", x, m, runX, runM, runMem,
				e.c.X[1], e.c.MXCSR, binary.LittleEndian.Uint64(e.read(tData+8, 8)))
		}
	}
	// The read-only page (zeros) can be read, not written.
	e.c.R[RDI] = tRO
	e.c.X[1] = XMM{math.Float64bits(2)}
	e.c.RIP = tCode
	if k := e.c.Run(); k != StopFault || e.c.RIP != tCode+5 || e.c.X[1][0] != math.Float64bits(2) {
		t.Errorf("store: stopped with %v at %#x, xmm1 %#x", k, e.c.RIP, e.c.X[1])
	}
}

// TestFusedFrames checks the stack protector's check, a comparison made a
// boolean and a pair of register copies, fused, against stepping, and where
// a fault of the check's second load stops.
func TestFusedFrames(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(15, 16))
	codes := []string{
		// mov rdx, [rdi]; sub rdx, fs:[0x28]; jne +2
		"488b17 64482b142528000000 7502",
		// mov rax, fs:[0x28]; mov [rdi+16], rax
		"64488b042528000000 48894710",
		// cmp rax, rcx; sete dl
		"4839c8 0f94c2",
		// cmp eax, ecx; setne al
		"39c8 0f95c0",
		// cmp rcx, rax; setne sil
		"4839c1 400f95c6",
		// mov rax, rdi; mov rsi, rax
		"4889f8 4889c6",
		// mov rcx, rdx; mov rdx, rcx
		"4889d1 4889ca",
	}
	for _, code := range codes {
		// code; syscall; syscall: a taken JNE skips the first syscall.
		e.load(strings.ReplaceAll(code, " ", "") + "0f050f05")
		if b := e.hotBlock(); b.insts[0].flags&instPeephole == 0 {
			t.Fatalf("%s: not fused", code)
		}
		for range 200 {
			regs := [5]uint64{r.Uint64(), r.Uint64(), r.Uint64(), tData, r.Uint64()}
			if r.IntN(2) == 0 {
				regs[1] = regs[0] ^ uint64(r.IntN(2))<<(r.IntN(2)*40)
			}
			canary := make([]byte, 8)
			for i := range canary {
				canary[i] = byte(r.IntN(2))
			}
			e.write(tData+0x100+0x28, []byte{1, 0, 0, 0, 0, 0, 0, 0})
			e.runMatchesSteps(code, func() {
				e.write(tData, canary)
				e.c.R[RAX], e.c.R[RCX], e.c.R[RDX], e.c.R[RDI], e.c.R[RSI] = regs[0], regs[1], regs[2], regs[3], regs[4]
				e.c.FSBase = tData + 0x100
				e.c.SetFlags(0)
				e.c.RIP = tCode
			})
		}
	}
	// The canary's copy faults at its store, after the load: mov rax,
	// fs:[0x28]; mov [rdi], rax, into the read-only page; the fault is a
	// write.
	e.load("64488b042528000000 488907 0f05")
	e.hotBlock()
	e.c.R[RAX], e.c.R[RDI] = 0, tRO
	e.c.FSBase = tData + 0x100
	e.c.RIP = tCode
	if k := e.c.Run(); k != StopFault || e.c.RIP != tCode+9 || e.c.R[RAX] != 1 || e.c.Fault.Err&pfWrite == 0 {
		t.Errorf("store fault: stopped with %v at %#x, rax %#x, fault %+v", k, e.c.RIP, e.c.R[RAX], e.c.Fault)
	}
	// The canary's load through FS faults at the SUB, after the MOV.
	e.load("488b17 64482b142528000000 7502 0f05")
	e.hotBlock()
	e.c.R[RDX], e.c.R[RDI] = 0, tData
	e.write(tData, []byte{7, 0, 0, 0, 0, 0, 0, 0})
	e.c.FSBase = 0x1000
	e.c.RIP = tCode
	if k := e.c.Run(); k != StopFault || e.c.RIP != tCode+3 || e.c.R[RDX] != 7 {
		t.Errorf("fault: stopped with %v at %#x, rdx %#x", k, e.c.RIP, e.c.R[RDX])
	}
}
