package cpu

import (
	"sync"
	"testing"
)

// TestALUMemory checks the memory forms against the register forms, which
// the native tests validate.
func TestALUMemory(t *testing.T) {
	e := newEnv(t)
	c := e.c
	vals := []uint64{0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 63, ^uint64(0), 0x123456789abcdef0}
	// Each pair is a memory form and the same operation on registers, with
	// RDX standing for [rdi].
	pairs := []struct {
		mem, reg string
		n        uint8
	}{
		{"48 01 07", "48 01 c2", 8}, {"01 07", "01 c2", 4}, {"66 01 07", "66 01 c2", 2}, {"00 07", "00 c2", 1}, {"00 27", "00 e2", 1},
		{"48 03 07", "48 03 c2", 8}, {"02 27", "02 e2", 1},
		{"48 11 07", "48 11 c2", 8}, {"48 19 07", "48 19 c2", 8}, {"18 07", "18 c2", 1}, {"13 07", "13 c2", 4},
		{"48 21 07", "48 21 c2", 8}, {"48 09 07", "48 09 c2", 8}, {"48 31 07", "48 31 c2", 8}, {"30 27", "30 e2", 1},
		{"48 29 07", "48 29 c2", 8}, {"48 39 07", "48 39 c2", 8}, {"3a 07", "3a c2", 1}, {"48 85 07", "48 85 c2", 8}, {"84 27", "84 e2", 1},
		{"48 83 07 80", "48 83 c2 80", 8}, {"81 37 78 56 34 12", "81 f2 78 56 34 12", 4}, {"80 3f 80", "80 fa 80", 1},
		{"66 83 2f 01", "66 83 ea 01", 2}, {"48 f7 07 00 00 00 80", "48 f7 c2 00 00 00 80", 8}, {"f6 07 81", "f6 c2 81", 1},
		{"48 ff 07", "48 ff c2", 8}, {"ff 0f", "ff ca", 4}, {"fe 07", "fe c2", 1}, {"66 ff 0f", "66 ff ca", 2},
		{"48 f7 1f", "48 f7 da", 8}, {"f6 1f", "f6 da", 1}, {"48 f7 17", "48 f7 d2", 8}, {"f7 17", "f7 d2", 4},
		{"f0 48 01 07", "48 01 c2", 8}, {"f0 10 27", "10 e2", 1}, {"f0 66 19 07", "66 19 c2", 2}, {"f0 48 83 2f 05", "48 83 ea 05", 8},
		{"f0 ff 07", "ff c2", 4}, {"f0 f6 1f", "f6 da", 1}, {"f0 48 f7 17", "48 f7 d2", 8}, {"f0 80 37 ff", "80 f2 ff", 1},
	}
	for _, p := range pairs {
		e.place(tCode, p.mem)
		e.place(tCode+0x100, p.reg)
		for _, a := range vals {
			for _, b := range vals {
				for _, cf := range []uint64{0, FlagCF} {
					for _, off := range []uint64{0, 3} { // aligned and not
						c.R[RDI] = tData + off
						c.R[RAX] = b
						c.R[RDX] = a
						e.write(tData+off, le64(a))
						c.SetFlags(cf)
						e.stepAt(tCode)
						gotMem, gotRAX, gotF := e.mem64(tData+off), c.R[RAX], c.Flags()
						c.R[RAX], c.R[RDX] = b, a
						c.SetFlags(cf)
						e.stepAt(tCode + 0x100)
						m := sizeMask(p.n)
						if want := a&^m | c.R[RDX]&m; gotMem != want || gotRAX != c.R[RAX] || gotF != c.Flags() {
							t.Fatalf("%s with [rdi]=%#x rax=%#x cf=%d: mem %#x rax %#x flags %#x; want %#x %#x %#x",
								p.mem, a, b, cf, gotMem, gotRAX, gotF, want, c.R[RAX], c.Flags())
						}
					}
				}
			}
		}
	}
}

func TestLockIllegal(t *testing.T) {
	e := newEnv(t)
	for _, code := range []string{"f0 01 c8", "f0 48 89 07", "f0 48 39 07", "f0 48 85 07", "f0 90", "f0 ff c0", "f0 0f c1 c8", "f0 0f b1 c8", "f0 0f ab c8", "f0 87 c8"} {
		e.c.R[RDI] = tData
		if k := e.step(code); k != StopFault || e.c.Fault.Sig != 4 || e.c.Fault.Code != illOpc || e.c.RIP != tCode {
			t.Errorf("%s: %v %+v", code, k, e.c.Fault)
		}
	}
	// XCHG with memory takes LOCK.
	e.c.R[RDI] = tData
	e.mustStep("f0 87 07")
}

// TestLockConcurrent runs LOCKed read-modify-writes from two guest threads
// on the same words.
func TestLockConcurrent(t *testing.T) {
	e := newEnv(t)
	const n = 20000
	// loop: lock add qword [rbx], 1; lock inc dword [rbx+8];
	//       lock xadd [rbx+16], rdx; mov edx, 3;
	//       lock add word [rbx+33], 1 (inside a quadword);
	//       lock add dword [rbx+62], 1 (across quadwords);
	//       loop loop; syscall
	e.load("f0 48 83 03 01 f0 ff 43 08 f0 48 0f c1 53 10 ba 03 00 00 00 f0 66 83 43 21 01 f0 83 43 3e 01 e2 df 0f 05")
	var wg sync.WaitGroup
	for range 2 {
		c := e.c.Clone()
		c.R[RBX], c.R[RCX], c.R[RDX] = tData, n, 3
		c.RIP = tCode
		wg.Add(1)
		go func() {
			defer wg.Done()
			if k := c.Run(); k != StopSyscall {
				t.Errorf("stopped with %v: %+v", k, c.Fault)
			}
		}()
	}
	wg.Wait()
	m := e.read(tData, 80)
	get := func(o, n int) uint64 {
		var v uint64
		for i := n - 1; i >= 0; i-- {
			v = v<<8 | uint64(m[o+i])
		}
		return v
	}
	if get(0, 8) != 2*n || get(8, 4) != 2*n || get(16, 8) != 6*n || get(33, 2) != 2*n || get(62, 4) != 2*n {
		t.Errorf("counters: %d %d %d %d %d, want %d", get(0, 8), get(8, 4), get(16, 8), get(33, 2), get(62, 4), 2*n)
	}
}
