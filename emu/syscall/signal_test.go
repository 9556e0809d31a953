package syscall

import (
	"encoding/binary"
	"os"
	"os/exec"
	"sync"
	gosyscall "syscall"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// Guest layout of the signal tests.
const (
	sigTestStackLo = 0x30000000000
	sigTestStackHi = sigTestStackLo + 0x40000
	sigTestData    = 0x600000 // scratch page for syscall arguments
	sigTestAlt     = 0x610000 // alternate stack
	sigTestAltSize = 0x4000
	sigTestRIP     = 0x401002 // "just after the SYSCALL instruction"
	sigTestHandler = 0x402000
	sigTestRestore = 0x403000
)

func sigTestTask(t *testing.T) *Task {
	t.Helper()
	m, err := mem.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	rw := unix.PROT_READ | unix.PROT_WRITE
	fl := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED
	for _, r := range [][2]uint64{{sigTestStackLo, sigTestStackHi - sigTestStackLo}, {sigTestData, 0x1000}, {sigTestAlt, sigTestAltSize}} {
		if _, err := m.Map(r[0], r[1], rw, fl, -1, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	p := &Process{Mem: m, Code: cpu.NewCodeCache(m), Sig: signal.NewProcess(), threads: map[int]*Task{},
		Pid: unix.Getpid(), sharedFiles: true}
	c := cpu.New(m, p.Code)
	task := &Task{P: p, CPU: c, Tid: unix.Gettid(), Sig: p.Sig.NewThread(c.Interrupt)}
	p.threads[task.Tid] = task
	for i := range c.R {
		c.R[i] = 0x100 + uint64(i)
	}
	c.R[cpu.RSP] = sigTestStackHi - 0x1008
	c.RIP = sigTestRIP
	return task
}

// sys runs a syscall as the SYSCALL instruction would, then the delivery
// that follows it.
func (t *Task) sysForTest(nr uint64, args ...uint64) int64 {
	c := t.CPU
	c.R[cpu.RAX] = nr
	for i, r := range []int{cpu.RDI, cpu.RSI, cpu.RDX, cpu.R10, cpu.R8, cpu.R9} {
		if i < len(args) {
			c.R[r] = args[i]
		}
	}
	t.syscall()
	ret := int64(c.R[cpu.RAX])
	t.deliverPending()
	return ret
}

func (t *Task) putAction(sig int, handler, flags, mask uint64) {
	var b [32]byte
	le := binary.LittleEndian
	le.PutUint64(b[0:], handler)
	le.PutUint64(b[8:], flags|signal.SARestorer)
	le.PutUint64(b[16:], sigTestRestore)
	le.PutUint64(b[24:], mask)
	t.P.Mem.Write(sigTestData, b[:])
	if r := t.sysForTest(unix.SYS_RT_SIGACTION, uint64(sig), sigTestData, 0, 8); r != 0 {
		panic("rt_sigaction failed")
	}
}

func (t *Task) u64(addr uint64) uint64 {
	v, ok := t.readU64(addr)
	if !ok {
		panic("bad test address")
	}
	return v
}

// returnFromHandler does what the handler's RET and the restorer's
// rt_sigreturn do.
func (t *Task) returnFromHandler() int64 {
	t.CPU.R[cpu.RSP] += 8
	return t.sysForTest(unix.SYS_RT_SIGRETURN)
}

func TestSigactionErrors(t *testing.T) {
	task := sigTestTask(t)
	if r := task.sysForTest(unix.SYS_RT_SIGACTION, uint64(unix.SIGKILL), sigTestData, 0, 8); r != -int64(unix.EINVAL) {
		t.Errorf("SIGKILL: %d", r)
	}
	if r := task.sysForTest(unix.SYS_RT_SIGACTION, uint64(unix.SIGKILL), 0, sigTestData, 8); r != 0 {
		t.Errorf("reading SIGKILL's action: %d", r)
	}
	if r := task.sysForTest(unix.SYS_RT_SIGACTION, 65, 0, sigTestData, 8); r != -int64(unix.EINVAL) {
		t.Errorf("signal 65: %d", r)
	}
	if r := task.sysForTest(unix.SYS_RT_SIGACTION, uint64(unix.SIGUSR1), 0, sigTestData, 16); r != -int64(unix.EINVAL) {
		t.Errorf("sigsetsize 16: %d", r)
	}
	if r := task.sysForTest(unix.SYS_RT_SIGACTION, uint64(unix.SIGUSR1), 0x10, 0, 8); r != efault {
		t.Errorf("bad pointer: %d", r)
	}
	task.putAction(int(unix.SIGUSR1), sigTestHandler, signal.SASigInfo|1<<40, 1<<8)
	if r := task.sysForTest(unix.SYS_RT_SIGACTION, uint64(unix.SIGUSR1), 0, sigTestData+64, 8); r != 0 {
		t.Fatal(r)
	}
	if h, f := task.u64(sigTestData+64), task.u64(sigTestData+72); h != sigTestHandler || f != signal.SASigInfo|signal.SARestorer {
		t.Errorf("old action: handler %#x flags %#x", h, f)
	}
}

func TestSigprocmask(t *testing.T) {
	task := sigTestTask(t)
	set := func(v uint64) { task.writeU64(sigTestData, v) }
	set(^uint64(0))
	if r := task.sysForTest(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, sigTestData, 0, 8); r != 0 {
		t.Fatal(r)
	}
	if got := uint64(task.Sig.Blocked()); got != ^uint64(signal.Unblockable) {
		t.Errorf("blocked %#x", got)
	}
	set(1 << 9)
	task.sysForTest(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, sigTestData, sigTestData+8, 8)
	if old := task.u64(sigTestData + 8); old != ^uint64(signal.Unblockable) {
		t.Errorf("old mask %#x", old)
	}
	if task.Sig.Blocked().Has(10) {
		t.Errorf("SIG_UNBLOCK left SIGUSR1 blocked")
	}
	if r := task.sysForTest(unix.SYS_RT_SIGPROCMASK, 7, sigTestData, 0, 8); r != -int64(unix.EINVAL) {
		t.Errorf("bad how: %d", r)
	}
	if r := task.sysForTest(unix.SYS_RT_SIGPROCMASK, 7, 0, 0, 8); r != 0 {
		t.Errorf("bad how without a set: %d", r)
	}
	if r := task.sysForTest(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, sigTestData, 0, 4); r != -int64(unix.EINVAL) {
		t.Errorf("sigsetsize 4: %d", r)
	}
	// A blocked signal sent to ourselves stays pending.
	task.sysForTest(unix.SYS_KILL, uint64(unix.Getpid()), uint64(unix.SIGUSR2))
	task.sysForTest(unix.SYS_RT_SIGPENDING, sigTestData+16, 8)
	if p := task.u64(sigTestData + 16); p != 1<<(unix.SIGUSR2-1) {
		t.Errorf("pending %#x", p)
	}
}

func TestDeliverAndSigreturn(t *testing.T) {
	task := sigTestTask(t)
	c := task.CPU
	task.putAction(int(unix.SIGUSR1), sigTestHandler, signal.SASigInfo, 1<<(unix.SIGUSR2-1))
	c.R[cpu.RBX] = 0xb0b
	c.X[5] = cpu.XMM{1, 2}
	sp := c.R[cpu.RSP]
	if r := task.sysForTest(unix.SYS_TGKILL, uint64(unix.Getpid()), uint64(task.Tid), uint64(unix.SIGUSR1)); r != 0 {
		t.Fatalf("tgkill: %d", r)
	}
	frame := c.R[cpu.RSP]
	if c.RIP != sigTestHandler || c.R[cpu.RDI] != uint64(unix.SIGUSR1) || c.R[cpu.RSI] != frame+signal.FrameInfo ||
		c.R[cpu.RDX] != frame+signal.FrameUC || c.R[cpu.RAX] != 0 {
		t.Errorf("handler entry: rip %#x rdi %d rsi %#x rdx %#x rax %d", c.RIP, c.R[cpu.RDI], c.R[cpu.RSI], c.R[cpu.RDX], c.R[cpu.RAX])
	}
	if (frame+8)%16 != 0 || frame >= sp-128 {
		t.Errorf("frame %#x for sp %#x", frame, sp)
	}
	if c.X[5] != (cpu.XMM{}) || c.Flags()&cpu.FlagDF != 0 {
		t.Errorf("handler starts with xmm5 %v flags %#x", c.X[5], c.Flags())
	}
	mc := frame + signal.FrameUC + signal.UCMcontext
	if task.u64(frame) != sigTestRestore || task.u64(mc+signal.SCRip) != sigTestRIP ||
		task.u64(mc+13*8) != 0 || task.u64(mc+11*8) != 0xb0b {
		t.Errorf("frame: ret %#x rip %#x rax %#x rbx %#x", task.u64(frame), task.u64(mc+signal.SCRip), task.u64(mc+13*8), task.u64(mc+11*8))
	}
	var si [signal.InfoSize]byte
	task.P.Mem.Read(frame+signal.FrameInfo, si[:])
	info := signal.GetInfo(si[:])
	if info.Signo != int32(unix.SIGUSR1) || info.Code != signal.SITKill || info.Pid() != unix.Getpid() {
		t.Errorf("siginfo %+v", info)
	}
	if task.Sig.Blocked() != signal.Bit(int(unix.SIGUSR1))|signal.Bit(int(unix.SIGUSR2)) {
		t.Errorf("handler mask %#x", task.Sig.Blocked())
	}

	// The handler clobbers registers and edits the saved context.
	c.R[cpu.RBX] = 0
	c.R[cpu.RCX] = 0
	c.X[5] = cpu.XMM{9, 9}
	task.writeU64(mc+signal.SCRip, sigTestRIP+3)
	task.writeU64(mc+13*8, 77)
	if r := task.returnFromHandler(); r != 77 {
		t.Errorf("rt_sigreturn returned %d", r)
	}
	if c.RIP != sigTestRIP+3 || c.R[cpu.RAX] != 77 || c.R[cpu.RBX] != 0xb0b || c.R[cpu.RSP] != sp ||
		c.R[cpu.RCX] != sigTestRIP || c.X[5] != (cpu.XMM{1, 2}) {
		t.Errorf("after sigreturn: rip %#x rax %d rbx %#x rsp %#x rcx %#x xmm5 %v", c.RIP, c.R[cpu.RAX], c.R[cpu.RBX], c.R[cpu.RSP], c.R[cpu.RCX], c.X[5])
	}
	if task.Sig.Blocked() != 0 {
		t.Errorf("mask after sigreturn %#x", task.Sig.Blocked())
	}
}

func TestDeliverOnAltStack(t *testing.T) {
	task := sigTestTask(t)
	c := task.CPU
	task.putAction(int(unix.SIGUSR1), sigTestHandler, signal.SAOnStack, 0)
	le := binary.LittleEndian
	var ss [24]byte
	le.PutUint64(ss[0:], sigTestAlt)
	le.PutUint64(ss[16:], sigTestAltSize)
	task.P.Mem.Write(sigTestData, ss[:])
	if r := task.sysForTest(unix.SYS_SIGALTSTACK, sigTestData, 0); r != 0 {
		t.Fatal(r)
	}
	task.sysForTest(unix.SYS_KILL, uint64(unix.Getpid()), uint64(unix.SIGUSR1))
	frame := c.R[cpu.RSP]
	if frame < sigTestAlt || frame >= sigTestAlt+sigTestAltSize {
		t.Fatalf("frame %#x not on the alternate stack", frame)
	}
	// sigaltstack from the handler says it runs on it, and refuses changes.
	if r := task.sysForTest(unix.SYS_SIGALTSTACK, 0, sigTestData+32); r != 0 {
		t.Fatal(r)
	}
	if f := le.Uint32(mustIn(task, sigTestData+40, 4)); f != signal.SSOnStack {
		t.Errorf("ss_flags in the handler %#x", f)
	}
	if r := task.sysForTest(unix.SYS_SIGALTSTACK, sigTestData, 0); r != -int64(unix.EPERM) {
		t.Errorf("changing the stack in use: %d", r)
	}
	task.returnFromHandler()
	if c.R[cpu.RSP] != sigTestStackHi-0x1008 {
		t.Errorf("rsp after sigreturn %#x", c.R[cpu.RSP])
	}
	// Too small a stack: ENOMEM.
	le.PutUint64(ss[16:], 1024)
	task.P.Mem.Write(sigTestData, ss[:])
	if r := task.sysForTest(unix.SYS_SIGALTSTACK, sigTestData, 0); r != -int64(unix.ENOMEM) {
		t.Errorf("small stack: %d", r)
	}
}

func mustIn(t *Task, addr, n uint64) []byte {
	b, ok := t.in(addr, n)
	if !ok {
		panic("bad test address")
	}
	return b
}

// A syscall that returns a restart code, with a signal queued meanwhile.
const sigTestNr = maxSyscall - 1

var (
	sigTestOnce   sync.Once
	sigTestResult int64
)

func defSigTestSyscall() {
	sigTestOnce.Do(func() {
		def(sigTestNr, "sigtest", func(t *Task, a *Args) int64 {
			if a[0] != 0 {
				t.P.Sig.Send(t.Sig, signal.KillInfo(int(a[0]), signal.SIUser, 1, 1))
			}
			return sigTestResult
		})
	})
}

func TestSyscallRestart(t *testing.T) {
	defSigTestSyscall()
	usr1 := uint64(unix.SIGUSR1)
	for _, tc := range []struct {
		name    string
		code    unix.Errno
		flags   uint64
		sig     uint64 // 0: no signal
		wantRAX uint64 // in the frame, or in RAX without a handler
		rewind  bool
	}{
		{"sys+restart", errRestartSys, signal.SARestart, usr1, sigTestNr, true},
		{"sys", errRestartSys, 0, usr1, eintr, false},
		{"nointr", errRestartNoIntr, 0, usr1, sigTestNr, true},
		{"nohand", errRestartNoHand, signal.SARestart, usr1, eintr, false},
		{"block", errRestartBlock, signal.SARestart, usr1, eintr, false},
		{"sys no signal", errRestartSys, 0, 0, sigTestNr, true},
		{"nohand no signal", errRestartNoHand, 0, 0, sigTestNr, true},
		{"block no signal", errRestartBlock, 0, 0, unix.SYS_RESTART_SYSCALL, true},
		{"ignored signal", errRestartNoHand, 0, uint64(unix.SIGCHLD), sigTestNr, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task := sigTestTask(t)
			c := task.CPU
			task.putAction(int(unix.SIGUSR1), sigTestHandler, tc.flags, 0)
			sigTestResult = -int64(tc.code)
			task.sysForTest(sigTestNr, tc.sig)
			wantRIP := uint64(sigTestRIP)
			if tc.rewind {
				wantRIP -= 2
			}
			if tc.sig != usr1 {
				if c.RIP != wantRIP || c.R[cpu.RAX] != tc.wantRAX {
					t.Errorf("rip %#x rax %#x, want %#x %#x", c.RIP, c.R[cpu.RAX], wantRIP, tc.wantRAX)
				}
				return
			}
			mc := c.R[cpu.RSP] + signal.FrameUC + signal.UCMcontext
			if c.RIP != sigTestHandler {
				t.Fatalf("no handler ran")
			}
			if rip, rax := task.u64(mc+signal.SCRip), task.u64(mc+13*8); rip != wantRIP || rax != tc.wantRAX {
				t.Errorf("frame rip %#x rax %#x, want %#x %#x", rip, rax, wantRIP, tc.wantRAX)
			}
		})
	}
}

func TestFaultToHandler(t *testing.T) {
	task := sigTestTask(t)
	c := task.CPU
	task.putAction(int(unix.SIGSEGV), sigTestHandler, signal.SASigInfo, 0)
	c.RIP = 0x401234
	task.fault(&cpu.Fault{Sig: int(unix.SIGSEGV), Code: 2, Addr: 0xdead000, Trapno: 14, Err: 7})
	task.deliverPending()
	frame := c.R[cpu.RSP]
	mc := frame + signal.FrameUC + signal.UCMcontext
	if c.RIP != sigTestHandler || task.u64(mc+signal.SCRip) != 0x401234 {
		t.Fatalf("rip %#x, saved %#x", c.RIP, task.u64(mc+signal.SCRip))
	}
	if task.u64(mc+signal.SCTrapno) != 14 || task.u64(mc+signal.SCErr) != 7 || task.u64(mc+signal.SCCR2) != 0xdead000 {
		t.Errorf("trapno %d err %d cr2 %#x", task.u64(mc+signal.SCTrapno), task.u64(mc+signal.SCErr), task.u64(mc+signal.SCCR2))
	}
	if task.u64(frame+signal.FrameInfo+16) != 0xdead000 || task.u64(frame+signal.FrameInfo+8)&0xffffffff != 2 {
		t.Errorf("si_addr %#x si_code %d", task.u64(frame+signal.FrameInfo+16), task.u64(frame+signal.FrameInfo+8))
	}
}

func TestBadStackForcesSIGSEGV(t *testing.T) {
	task := sigTestTask(t)
	c := task.CPU
	task.putAction(int(unix.SIGUSR1), sigTestHandler, 0, 0)
	task.putAction(int(unix.SIGSEGV), sigTestHandler+0x10, signal.SAOnStack|signal.SASigInfo, 0)
	le := binary.LittleEndian
	var ss [24]byte
	le.PutUint64(ss[0:], sigTestAlt)
	le.PutUint64(ss[16:], sigTestAltSize)
	task.P.Mem.Write(sigTestData, ss[:])
	task.sysForTest(unix.SYS_SIGALTSTACK, sigTestData, 0)
	task.writeU64(sigTestData, 1<<(unix.SIGUSR1-1))
	task.sysForTest(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, sigTestData, 0, 8)
	task.sysForTest(unix.SYS_KILL, uint64(unix.Getpid()), uint64(unix.SIGUSR1))
	c.R[cpu.RSP] = 0x1000 // unmapped
	task.sysForTest(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, sigTestData, 0, 8)
	if c.RIP != sigTestHandler+0x10 || c.R[cpu.RDI] != uint64(unix.SIGSEGV) {
		t.Fatalf("rip %#x rdi %d", c.RIP, c.R[cpu.RDI])
	}
	if code := task.u64(c.R[cpu.RSI]+8) & 0xffffffff; code != signal.SIKernel {
		t.Errorf("si_code %#x", code)
	}
}

func TestSigtimedwaitSyscall(t *testing.T) {
	task := sigTestTask(t)
	rt := uint64(signal.SigRTMin + 3)
	task.writeU64(sigTestData, 1<<(rt-1))
	task.sysForTest(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, sigTestData, 0, 8)
	var si [signal.InfoSize]byte
	for v := range uint64(3) {
		in := signal.KillInfo(0, signal.SIQueue, unix.Getpid(), unix.Getuid())
		in.Fields[1] = v + 100
		in.Put(si[:])
		task.P.Mem.Write(sigTestData+0x100, si[:])
		if r := task.sysForTest(unix.SYS_RT_SIGQUEUEINFO, uint64(unix.Getpid()), rt, sigTestData+0x100); r != 0 {
			t.Fatalf("rt_sigqueueinfo: %d", r)
		}
	}
	task.writeU64(sigTestData+0x200, 0)
	task.writeU64(sigTestData+0x208, 0)
	for v := range uint64(3) {
		r := task.sysForTest(unix.SYS_RT_SIGTIMEDWAIT, sigTestData, sigTestData+0x300, sigTestData+0x200, 8)
		if r != int64(rt) {
			t.Fatalf("rt_sigtimedwait: %d", r)
		}
		task.P.Mem.Read(sigTestData+0x300, si[:])
		if in := signal.GetInfo(si[:]); in.Value() != v+100 || in.Code != signal.SIQueue {
			t.Errorf("value %d code %d", in.Value(), in.Code)
		}
	}
	if r := task.sysForTest(unix.SYS_RT_SIGTIMEDWAIT, sigTestData, 0, sigTestData+0x200, 8); r != -int64(unix.EAGAIN) {
		t.Errorf("empty: %d", r)
	}
	task.writeU64(sigTestData+0x208, 1e9)
	if r := task.sysForTest(unix.SYS_RT_SIGTIMEDWAIT, sigTestData, 0, sigTestData+0x200, 8); r != -int64(unix.EINVAL) {
		t.Errorf("bad timespec: %d", r)
	}
	// Only a thread signalling itself may claim a kill si_code.
	kinfo := signal.KillInfo(0, signal.SIUser, 1, 1)
	kinfo.Put(si[:])
	task.P.Mem.Write(sigTestData+0x100, si[:])
	if r := task.sysForTest(unix.SYS_RT_SIGQUEUEINFO, 1, rt, sigTestData+0x100); r != -int64(unix.EPERM) {
		t.Errorf("impersonating kill: %d", r)
	}
	if r := task.sysForTest(unix.SYS_TGKILL, uint64(unix.Getpid()), 1, rt); r != -int64(unix.ESRCH) {
		t.Errorf("tgkill of a thread not ours: %d", r)
	}
}

// TestFatalSignal runs the fatal paths in a child process, which must die of
// the signal.
func TestFatalSignal(t *testing.T) {
	if what := os.Getenv("GUESTRUN_SIGTEST"); what != "" {
		task := sigTestTask(t)
		switch what {
		case "blocked-segv":
			// A handled but blocked SIGSEGV from a fault kills.
			task.putAction(int(unix.SIGSEGV), sigTestHandler, 0, 0)
			task.writeU64(sigTestData, 1<<(unix.SIGSEGV-1))
			task.sysForTest(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, sigTestData, 0, 8)
			task.fault(&cpu.Fault{Sig: int(unix.SIGSEGV), Code: 1, Addr: 8, Trapno: 14, Err: 4})
			task.deliverPending()
		case "kill-term":
			task.sysForTest(unix.SYS_KILL, uint64(unix.Getpid()), uint64(unix.SIGTERM))
		}
		os.Exit(3)
	}
	for what, want := range map[string]unix.Signal{"blocked-segv": unix.SIGSEGV, "kill-term": unix.SIGTERM} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFatalSignal$")
		cmd.Env = append(os.Environ(), "GUESTRUN_SIGTEST="+what)
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Errorf("%s: %v", what, err)
			continue
		}
		ws := ee.Sys().(gosyscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != want {
			t.Errorf("%s: status %v, want death by %v", what, ws, want)
		}
	}
}
