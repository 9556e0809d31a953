package cpu

import "testing"

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
