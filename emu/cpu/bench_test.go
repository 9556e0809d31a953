package cpu

import (
	"strings"
	"testing"
)

// BenchmarkIntLoop measures the interpreter on a loop of common integer
// instructions, reporting guest instructions per second.
func BenchmarkIntLoop(b *testing.B) {
	e := newEnv(b)
	// loop: add rax, rcx; xor rdx, rax; lea rbx, [rbx+rax*2+1]; mov [rdi], rbx;
	//       mov r8, [rdi]; cmp rcx, rsi; setl r9b; dec rcx; jnz loop; syscall
	e.load("48 01 c8 48 31 c2 48 8d 5c 43 01 48 89 1f 4c 8b 07 48 39 f1 41 0f 9c c1 48 ff c9 75 e3 0f 05")
	const iters = 1 << 20
	b.ResetTimer()
	for range b.N {
		e.c.RIP = tCode
		e.c.R[RCX] = iters
		e.c.R[RDI] = tData
		if k := e.c.Run(); k != StopSyscall {
			b.Fatalf("stopped with %v: %+v", k, e.c.Fault)
		}
	}
	b.ReportMetric(float64(b.N)*iters*9/b.Elapsed().Seconds()/1e6, "Minst/s")
}

// benchLoop runs code (a loop on RCX ending in a SYSCALL) from iters down,
// reporting guest instructions per second.
func benchLoop(b *testing.B, code string, iters uint64) {
	e := newEnv(b)
	e.load(code)
	e.write(tData, []byte(strings.Repeat("x", 64))) // no zero byte
	b.ResetTimer()
	var insts uint64
	for range b.N {
		e.c.RIP = tCode
		e.c.R[RCX] = iters
		e.c.R[RDI] = tData
		e.c.Stats.Insts = 0
		if k := e.c.Run(); k != StopSyscall {
			b.Fatalf("stopped with %v: %+v", k, e.c.Fault)
		}
		insts += e.c.Stats.Insts
	}
	b.ReportMetric(float64(insts)/b.Elapsed().Seconds()/1e6, "Minst/s")
}

// BenchmarkSSEStr is the inner loop of an SSE2 string function: aligned and
// unaligned loads, pminub, pcmpeqb, por, pmovmskb, test and branch.
func BenchmarkSSEStr(b *testing.B) {
	// loop: movdqa xmm1, [rdi]; movdqu xmm2, [rdi+1]; pminub xmm1, xmm2;
	//       pcmpeqb xmm1, xmm0; por xmm3, xmm1; pmovmskb eax, xmm1;
	//       test eax, eax; jnz out; dec rcx; jnz loop; out: syscall
	benchLoop(b, "660f6f0f f30f6f5701 660fdaca 660f74c8 660febd9 660fd7c1 85c0 7505 48ffc9 75de 0f05", 1<<20)
}

// BenchmarkShift runs shifts and rotates by immediates and by CL.
func BenchmarkShift(b *testing.B) {
	// loop: mov rdx, rsi; shl rdx, 3; shr rdx, cl; sar rdx, 2; rol rdx, 5;
	//       ror rdx, cl; dec rcx; jnz loop; syscall
	benchLoop(b, "4889f2 48c1e203 48d3ea 48c1fa02 48c1c205 48d3ca 48ffc9 75e6 0f05", 1<<20)
}
