package cpu

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Guest layout of FuzzExec: the fuzzed code on one page, two pages of data
// with most registers pointing into them, nothing else mapped.
const (
	fzCode     = 0x10000
	fzData     = 0x20000
	fzDataSize = 2 * mem.PageSize
	// fzBudget bounds the instructions of one input.
	fzBudget = 5000
	// fzHang is how long one input may take before it counts as a hang.
	fzHang = 20 * time.Second
)

// fzEnv is one address space per fuzzing process: reserving the 4 TiB
// window for every input would dominate the run time.
var fzEnv = sync.OnceValues(func() (*fzSpace, error) {
	m, err := mem.New()
	if err != nil {
		return nil, err
	}
	return &fzSpace{m: m, cc: NewCodeCache(m)}, nil
})

type fzSpace struct {
	m  *mem.Mem
	cc *CodeCache
}

// fzState is what an execution is compared by.
type fzState struct {
	Kind   StopKind
	RIP    uint64
	Fault  Fault
	R      [16]uint64
	Flags  uint64
	X      [16]XMM
	MXCSR  uint32
	FPU    FPU
	FSBase uint64
	GSBase uint64
}

func (s *fzSpace) reset(t *testing.T, code []byte, writable bool) *CPU {
	anon := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED
	rw := unix.PROT_READ | unix.PROT_WRITE
	if _, err := s.m.Map(fzCode, mem.PageSize, rw, anon, -1, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.m.Write(fzCode, code); err != nil {
		t.Fatal(err)
	}
	prot := unix.PROT_READ | unix.PROT_EXEC
	if writable {
		prot |= unix.PROT_WRITE
	}
	if err := s.m.Protect(fzCode, mem.PageSize, prot); err != nil {
		t.Fatal(err)
	}
	if _, err := s.m.Map(fzData, fzDataSize, rw, anon, -1, 0, ""); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, fzDataSize)
	for i := range data {
		data[i] = byte(i * 0x9d >> 3)
	}
	if err := s.m.Write(fzData, data); err != nil {
		t.Fatal(err)
	}
	c := New(s.m, s.cc)
	c.RIP = fzCode
	c.R = [16]uint64{
		RAX: 0, RCX: 0x40, RDX: 0, RBX: fzData + 0x100,
		RSP: fzData + 0x1c00, RBP: fzData + 0x1800, RSI: fzData + 0x800, RDI: fzData + 0x1000,
		R8:  0xc000000000,   // where Go puts its heap
		R9:  mem.WindowSize, // just past the window
		R10: ^uint64(0),     // the top of the address space
		R11: 1 << 63,        // non-canonical
		R12: fzData, R13: fzCode, R14: 1, R15: 0x7fff_ffff_f000,
	}
	c.FSBase, c.GSBase = fzData, fzData+0x1000
	return c
}

func (c *CPU) fzState(k StopKind) fzState {
	return fzState{Kind: k, RIP: c.RIP, Fault: c.Fault, R: c.R, Flags: c.Flags(), X: c.X,
		MXCSR: c.MXCSR, FPU: c.FPU, FSBase: c.FSBase, GSBase: c.GSBase}
}

// stepAll runs the code one instruction at a time with Step; ok is false when
// the budget ran out.
func (s *fzSpace) stepAll(t *testing.T, code []byte, writable bool) (st fzState, ok bool) {
	c := s.reset(t, code, writable)
	for range fzBudget {
		if k := c.Step(); k != 0 {
			return c.fzState(k), true
		}
	}
	return fzState{}, false
}

// codePage is the code page as the last execution left it.
func (s *fzSpace) codePage(t *testing.T) []byte {
	b := make([]byte, mem.PageSize)
	if err := s.m.Read(fzCode, b); err != nil {
		t.Fatal(err)
	}
	return b
}

// runAll runs code with Run; hot makes each block a superblock at once.
func (s *fzSpace) runAll(t *testing.T, code []byte, writable, hot bool) fzState {
	c := s.reset(t, code, writable)
	c.promoteAfter = promoteAfter
	if hot {
		c.promoteAfter = 1
	}
	// Run stops at the next block boundary after Interrupt; the input
	// ended within the budget under Step, so it must end by itself here.
	stop := time.AfterFunc(fzHang/2, c.Interrupt)
	k := c.Run()
	stop.Stop()
	return c.fzState(k)
}

// FuzzExec runs arbitrary machine code. The first byte selects the variant
// (bit 0: the code page is also writable); the rest is the code. Every
// input must end in a guest fault, a syscall stop or the instruction budget:
// never a Go panic or a hang. An input that ends within the budget must end
// the same way under Step and under Run (self-modifying code included).
func FuzzExec(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		writable := in[0]&1 != 0
		code := in[1:min(len(in), 1+mem.PageSize)]
		s, err := fzEnv()
		if err != nil {
			t.Fatal(err)
		}
		hang := time.AfterFunc(fzHang, func() {
			panic(fmt.Sprintf("FuzzExec: input % x ran for %v", in, fzHang))
		})
		defer hang.Stop()
		a, ok := s.stepAll(t, code, writable)
		if !ok {
			return
		}
		checkStop(t, a)
		// Code that reads the time stamp counter or random numbers may
		// take another path the second time, also code that wrote such an
		// instruction into its own page.
		varies := nondeterministic(code) || nondeterministic(s.codePage(t))
		if varies {
			return
		}
		if b := s.runAll(t, code, writable, false); a != b {
			t.Fatalf("Step and Run disagree:\nStep: %+v\nRun:  %+v", a, b)
		}
		if b := s.runAll(t, code, writable, true); a != b {
			t.Fatalf("Step and Run with superblocks disagree:\nStep: %+v\nRun:  %+v", a, b)
		}
	})
}

// nondeterministic reports whether code may hold RDTSC (0F 31), RDTSCP
// (0F 01 F9), or RDRAND, RDSEED or RDPID (0F C7 /6, /7).
func nondeterministic(code []byte) bool {
	for i := 0; i+1 < len(code); i++ {
		if code[i] != 0x0f {
			continue
		}
		switch code[i+1] {
		case 0x31, 0x01, 0xc7:
			return true
		}
	}
	return false
}

func checkStop(t *testing.T, s fzState) {
	t.Helper()
	switch s.Kind {
	case StopSyscall:
		return
	case StopFault:
		switch unix.Signal(s.Fault.Sig) {
		case unix.SIGSEGV, unix.SIGILL, unix.SIGFPE, unix.SIGTRAP, unix.SIGBUS:
			return
		}
	}
	t.Fatalf("stopped with kind %d, fault %+v at %#x", s.Kind, s.Fault, s.RIP)
}
