package cpu

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestTraps(t *testing.T) {
	e := newEnv(t)
	c := e.c
	for _, tc := range []struct {
		code string
		f    Fault
		rip  uint64
	}{
		{"cc", Fault{Sig: 5, Code: siKernel, Trapno: 3}, tCode + 1},
		{"cd 03", Fault{Sig: 5, Code: siKernel, Trapno: 3}, tCode + 2},
		{"cd 80", Fault{Sig: 11, Code: siKernel, Trapno: 13, Err: 0x80<<3 | 2}, tCode},
		{"f4", Fault{Sig: 11, Code: siKernel, Trapno: 13}, tCode},
		{"fa", Fault{Sig: 11, Code: siKernel, Trapno: 13}, tCode},
		{"ec", Fault{Sig: 11, Code: siKernel, Trapno: 13}, tCode},
		{"e6 80", Fault{Sig: 11, Code: siKernel, Trapno: 13}, tCode},
		{"0f 0b", Fault{Sig: 4, Code: illOpc, Addr: tCode, Trapno: 6}, tCode},
		{"0f b9 c0", Fault{Sig: 4, Code: illOpc, Addr: tCode, Trapno: 6}, tCode},
		{"f0 90", Fault{Sig: 4, Code: illOpc, Addr: tCode, Trapno: 6}, tCode},
	} {
		if k := e.step(tc.code); k != StopFault || c.Fault != tc.f || c.RIP != tc.rip {
			t.Errorf("%s: %v %+v rip %#x, want %+v rip %#x", tc.code, k, c.Fault, c.RIP, tc.f, tc.rip)
		}
	}
	// INT3 ends a block: Run stops right after it.
	e.load("90 cc 90")
	if k := c.Run(); k != StopFault || c.RIP != tCode+2 || c.Fault.Sig != 5 {
		t.Errorf("run into int3: %v rip %#x", k, c.RIP)
	}
}

func TestNops(t *testing.T) {
	e := newEnv(t)
	c := e.c
	before := c.R
	for _, code := range []string{
		"90", "66 90", "0f 1f 00", "0f 1f 44 00 00", "66 2e 0f 1f 84 00 00 00 00 00", "f3 0f 1e fa",
		"0f 18 08", "0f 18 00", "0f 0d 08", "0f 0d 00", "0f 19 04 24", "0f 1e c8", "0f 18 e0", "f3 48 0f 1e c8", "48 0f 1f 44 00 00",
		"f3 90", "0f ae e8", "0f ae f0", "0f ae f8", "0f 18 04 25 00 00 00 00", // prefetch of an unmapped address
	} {
		e.load(code)
		if k := c.Step(); k != 0 || c.RIP != tCode+uint64(len(hexBytes(t, code))) {
			t.Errorf("%s: %v rip %#x %+v", code, k, c.RIP, c.Fault)
		}
	}
	if c.R != before {
		t.Errorf("NOPs changed registers")
	}
	c.R[RDI] = 0x8000
	if k := e.step("0f ae 3f"); k != StopFault || c.Fault.Addr != 0x8000 {
		t.Errorf("clflush of unmapped memory: %v %+v", k, c.Fault)
	}
}

func TestFlagOps(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RAX], c.R[RCX] = 1, 1
	e.mustStep("48 39 c8") // cmp: ZF PF set
	e.mustStep("f5")       // cmc
	e.flags(arithFlags, FlagZF|FlagPF|FlagCF)
	e.mustStep("9f") // lahf
	e.reg(RAX, uint64(FlagZF|FlagPF|FlagCF|2)<<8|1)
	e.mustStep("f8") // clc
	e.flags(FlagCF, 0)
	e.mustStep("f9") // stc
	e.flags(FlagCF, FlagCF)
	c.R[RAX] = (FlagSF | FlagAF | 0x28) << 8
	c.SetFlags(FlagOF)
	e.mustStep("9e") // sahf keeps OF
	e.flags(arithFlags, FlagSF|FlagAF|FlagOF)
	e.mustStep("fd")
	e.flags(FlagDF, FlagDF)
	e.mustStep("fc")
	e.flags(FlagDF, 0)

	e.mustStep("0f 31")
	t1 := c.R[RDX]<<32 | c.R[RAX]
	e.mustStep("0f 01 f9")
	if t2 := c.R[RDX]<<32 | c.R[RAX]; t2 < t1 || c.R[RCX] != 0 {
		t.Errorf("rdtscp %d after rdtsc %d, rcx %d", t2, t1, c.R[RCX])
	}
}

func TestSalAlias(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RAX] = 3
	e.mustStep("48 c1 f0 04") // sal rax, 4 (/6)
	e.reg(RAX, 0x30)
	e.mustStep("66 d1 f0")
	e.reg(RAX, 0x60)
}

// TestHostCalls runs SYSCALLs of HostCalls without stopping: RAX gets the
// result or a negated errno, RCX the return address, R11 the flags; a call
// not in the set stops Run.
func TestHostCalls(t *testing.T) {
	e := newEnv(t)
	e.c.HostCalls.Add(unix.SYS_GETPPID)
	e.c.HostCalls.Add(unix.SYS_GETPGID)
	e.load("b86e000000" + // mov eax, SYS_getppid
		"0f05" + // syscall
		"4989c4" + // mov r12, rax
		"b879000000" + // mov eax, SYS_getpgid
		"bfffffff7f" + // mov edi, 0x7fffffff: no such process
		"0f05" + // syscall
		"4989c5" + // mov r13, rax
		"4989ce" + // mov r14, rcx
		"b827000000" + // mov eax, SYS_getpid: not in the set
		"0f05") // syscall
	if k := e.c.Run(); k != StopSyscall || e.c.RIP != tCode+35 {
		t.Fatalf("stopped with %v at %#x", k, e.c.RIP)
	}
	e.reg(R12, uint64(unix.Getppid()))
	esrch := uint64(unix.ESRCH)
	e.reg(R13, -esrch)
	e.reg(R14, tCode+22)
	e.reg(RAX, unix.SYS_GETPID)
	if e.c.R[R11]&0x202 != 0x202 {
		t.Errorf("r11 %#x: not the flags", e.c.R[R11])
	}
}
