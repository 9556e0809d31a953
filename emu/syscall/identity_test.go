package syscall

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
)

func TestIdentitySyscalls(t *testing.T) {
	mt := newMemTask(t)
	for _, c := range []struct {
		nr   int
		want int
	}{
		{unix.SYS_GETPID, os.Getpid()},
		{unix.SYS_GETPPID, os.Getppid()},
		{unix.SYS_GETTID, mt.Tid},
		{unix.SYS_GETUID, os.Getuid()},
		{unix.SYS_GETEUID, os.Geteuid()},
		{unix.SYS_GETGID, os.Getgid()},
		{unix.SYS_GETEGID, os.Getegid()},
		{unix.SYS_GETPGRP, unix.Getpgrp()},
	} {
		if got := mt.sys(c.nr); got != int64(c.want) {
			t.Errorf("%s = %d, want %d", Lookup(uint64(c.nr)).Name, got, c.want)
		}
	}
	if got := mt.must(unix.SYS_GETSID, 0); got != int64(mustSid(t)) {
		t.Errorf("getsid(0) = %d", got)
	}
	if got := mt.must(unix.SYS_GETPGID, 0); got != int64(unix.Getpgrp()) {
		t.Errorf("getpgid(0) = %d", got)
	}

	p := uint64(mtScratch)
	mt.must(unix.SYS_GETRESUID, p, p+4, p+8)
	if int(mt.u32(p)) != os.Getuid() || int(mt.u32(p+4)) != os.Geteuid() {
		t.Errorf("getresuid gave %d %d", mt.u32(p), mt.u32(p+4))
	}
	mt.fail(unix.EFAULT, unix.SYS_GETRESGID, p, mtRO, p+8)

	// Setting the ids one already has works for anyone.
	mt.must(unix.SYS_SETRESUID, ^uint64(0), ^uint64(0), ^uint64(0))
	mt.must(unix.SYS_SETREGID, ^uint64(0), ^uint64(0))

	n := mt.must(unix.SYS_GETGROUPS, 0, 0)
	if got := mt.must(unix.SYS_GETGROUPS, uint64(n), p); got != n {
		t.Errorf("getgroups = %d, want %d", got, n)
	}
	if n > 0 {
		mt.fail(unix.EINVAL, unix.SYS_GETGROUPS, uint64(n-1), p)
		mt.fail(unix.EFAULT, unix.SYS_GETGROUPS, uint64(n), mtHole)
	}
	mt.fail(unix.EINVAL, unix.SYS_SETGROUPS, 1<<20, p)
}

func mustSid(t *testing.T) int {
	sid, err := unix.Getsid(0)
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

func TestIdentityPrctl(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	mt := newMemTask(t)
	mt.Tid = unix.Gettid()
	p := uint64(mtScratch)

	var old [16]byte
	unix.Syscall(unix.SYS_PRCTL, unix.PR_GET_NAME, uintptr(unsafe.Pointer(&old[0])), 0)
	defer unix.Syscall(unix.SYS_PRCTL, unix.PR_SET_NAME, uintptr(unsafe.Pointer(&old[0])), 0)

	mt.putString(p, "a-rather-long-thread-name")
	mt.must(unix.SYS_PRCTL, unix.PR_SET_NAME, p)
	mt.must(unix.SYS_PRCTL, unix.PR_GET_NAME, p+64)
	if got := mt.bytes(p+64, 16); !bytes.Equal(got, []byte("a-rather-long-t\x00")) {
		t.Errorf("PR_GET_NAME = %q", got)
	}
	// A short name at the very end of readable memory is fine.
	mt.putString(mtRO-3, "ab")
	mt.must(unix.SYS_PRCTL, unix.PR_SET_NAME, mtRO-3)
	mt.must(unix.SYS_PRCTL, unix.PR_GET_NAME, p+64)
	if got := mt.bytes(p+64, 3); string(got) != "ab\x00" {
		t.Errorf("PR_GET_NAME = %q", got)
	}
	mt.fail(unix.EFAULT, unix.SYS_PRCTL, unix.PR_SET_NAME, mtHole)
	mt.fail(unix.EFAULT, unix.SYS_PRCTL, unix.PR_GET_NAME, mtRO)

	mt.must(unix.SYS_PRCTL, unix.PR_SET_PDEATHSIG, uint64(unix.SIGUSR1))
	mt.must(unix.SYS_PRCTL, unix.PR_GET_PDEATHSIG, p)
	if mt.u32(p) != uint32(unix.SIGUSR1) {
		t.Errorf("PR_GET_PDEATHSIG = %d", mt.u32(p))
	}
	mt.must(unix.SYS_PRCTL, unix.PR_SET_PDEATHSIG, 0)
	mt.fail(unix.EINVAL, unix.SYS_PRCTL, unix.PR_SET_PDEATHSIG, 1000)

	if d := mt.must(unix.SYS_PRCTL, unix.PR_GET_DUMPABLE); d != 1 && d != 0 {
		t.Errorf("PR_GET_DUMPABLE = %d", d)
	}
	mt.must(unix.SYS_PRCTL, unix.PR_GET_SECCOMP)
	mt.fail(unix.EINVAL, unix.SYS_PRCTL, unix.PR_SET_SECCOMP, 1)
	mt.fail(unix.EINVAL, unix.SYS_PRCTL, 0x7fff0000)
	mt.fail(unix.EINVAL, unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 2)

	mt.ClearChildTID = 0x1234
	mt.must(unix.SYS_PRCTL, unix.PR_GET_TID_ADDRESS, p)
	if mt.u64(p) != 0x1234 {
		t.Errorf("PR_GET_TID_ADDRESS = %#x", mt.u64(p))
	}
	if n := mt.must(unix.SYS_PRCTL, 0x41555856, p, 100); n != 32 || mt.u64(p) != 6 || mt.u64(p+8) != 4096 {
		t.Errorf("PR_GET_AUXV = %d, %d %d", n, mt.u64(p), mt.u64(p+8))
	}

	// capget with version 3 fills two sets; an unknown version with no data
	// only reports the preferred version.
	mt.putU32(p, capV3)
	mt.putU32(p+4, 0)
	mt.must(unix.SYS_CAPGET, p, p+16)
	mt.putU32(p, 1)
	mt.must(unix.SYS_CAPGET, p, 0)
	if mt.u32(p) != capV3 {
		t.Errorf("capget wrote version %#x", mt.u32(p))
	}
	mt.putU32(p, 1)
	mt.fail(unix.EINVAL, unix.SYS_CAPGET, p, p+16)
	mt.fail(unix.EFAULT, unix.SYS_CAPGET, mtHole, p+16)
}

// TestHostCalls runs raw calls from guest code in a task whose CPU makes
// them itself (cpu.CPU.HostCalls) and in one with -strace, which must not,
// and compares what the guest saw, with getppid's answer checked against the
// host's.
func TestHostCalls(t *testing.T) {
	prog := []byte{
		0xb8, 110, 0, 0, 0, // mov eax, SYS_getppid
		0x0f, 0x05, // syscall
		0x49, 0x89, 0xc4, // mov r12, rax
		0xb8, 121, 0, 0, 0, // mov eax, SYS_getpgid
		0xbf, 0xff, 0xff, 0xff, 0x7f, // mov edi, 0x7fffffff: no such process
		0x0f, 0x05, // syscall
		0x49, 0x89, 0xc5, // mov r13, rax
		0x49, 0x89, 0xce, // mov r14, rcx
		0x4d, 0x89, 0xdf, // mov r15, r11
		0xb8, 231, 0, 0, 0, // mov eax, SYS_exit_group
		0xbf, 7, 0, 0, 0, // mov edi, 7
		0x0f, 0x05, // syscall
	}
	run := func(strace bool) (regs [4]uint64, host cpu.SyscallSet) {
		tt := newTestTask(t)
		code := tt.alloc(64)
		copy(tt.mem(code, uint64(len(prog))), prog)
		if err := tt.P.Mem.Protect(testBase, testSize, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC); err != nil {
			t.Fatal(err)
		}
		if strace {
			tt.P.Strace = NewStrace(io.Discard)
		}
		tt.CPU.RIP = code
		if st := tt.Run(); st != 7 {
			t.Fatalf("strace %v: exit status %d, want 7", strace, st)
		}
		c := tt.CPU
		return [4]uint64{c.R[cpu.R12], c.R[cpu.R13], c.R[cpu.R14] - code, c.R[cpu.R15]}, c.HostCalls
	}
	fast, set := run(false)
	slow, none := run(true)
	if set != rawCalls || none != (cpu.SyscallSet{}) {
		t.Errorf("HostCalls %x without -strace, %x with it", set, none)
	}
	if fast != slow {
		t.Errorf("r12-r15 (rcx relative to the code) %#x made by the CPU, %#x by the syscall layer", fast, slow)
	}
	if got := int(fast[0]); got != os.Getppid() {
		t.Errorf("getppid = %d, want %d", got, os.Getppid())
	}
}
