package syscall

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/clone"
	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// Process is one guest process: an address space, its decoded code, and the
// state the kernel keeps per process that guestrun emulates.
type Process struct {
	Mem  *mem.Mem
	Code *cpu.CodeCache
	Log  *dbg.Log
	Sig  *signal.Process

	// Image is what the loader set up; /proc/self shows it.
	Image *loader.Image

	// Strace, when set, is called around every syscall (-strace).
	Strace Tracer
	// Calls counts the syscalls made, by number (-stats).
	Calls [maxSyscall]uint64
	// Debugger, when set, runs the CPU instead of cpu.Run (-g).
	Debugger Debugger
	// retired sums the CPU counters of exited threads (-stats), under mu.
	retired cpu.Stats

	// Exit ends guestrun with the guest's exit status when a thread other
	// than the main one ends the process (the main thread's Run returns
	// the status instead). Nil means os.Exit.
	Exit func(status int)

	// Pid is the guest process's pid: guestrun's, or for a CLONE_VM child
	// its stub's.
	Pid int
	// sharedFiles is set when the process's fd table is guestrun's own,
	// so that an fd of the guest is one of guestrun's: always but in a
	// child run here (CLONE_VM, or a fork, forkhere.go) without
	// CLONE_FILES.
	sharedFiles bool
	// space is the address space Mem stands for, shared by the processes
	// that share the memory.
	space *addrSpace
	// forked marks a forked child run here (forkhere.go); pinned one
	// that is not handed over on its own (startChild says why).
	forked, pinned bool
	// endWord is set (post) when a child run here has ended (awaitVMChild).
	endWord uint32

	mu      sync.Mutex
	threads map[int]*Task // live threads by tid
	leader  *Task         // the main thread, even after it exited
	live    int           // threads that have not exited
	dying   atomic.Bool   // exit_group or a fatal signal is ending the process
}

// Tracer shows syscalls as strace does.
type Tracer interface {
	Enter(t *Task, nr uint64, a *Args)
	Exit(t *Task, nr uint64, a *Args, ret int64)
}

// Task is one guest thread, run by a goroutine locked to its own OS thread, so
// that the host tid is the guest tid.
type Task struct {
	P   *Process
	CPU *cpu.CPU
	Tid int
	Sig *signal.Thread

	// ClearChildTID is set_tid_address's word, cleared and woken at exit.
	ClearChildTID uint64
	// RobustList and RobustLen are set_robust_list's head.
	RobustList, RobustLen uint64

	exited bool
	group  bool          // the exit ends the process (exit_group)
	status int           // exit status when exited
	done   chan struct{} // closed once the thread has exited
	parked atomic.Bool   // stopped for good (park)

	// stub is the kernel task that runs the host syscalls of a task of a
	// CLONE_VM child (clonevm.go); nil for guestrun's own threads.
	stub *clone.Stub
	// handoff asks the task of a child run here to hand its process over
	// to a guestrun of its own (adopt.go); handoffTimer sets it for a
	// forked child (forkhere.go).
	handoff      atomic.Bool
	handoffTimer *time.Timer
	// lastOfProcess is set when the task of a child run here that ends
	// is its process's last.
	lastOfProcess bool

	// execPending is the memfd of the signals pending at an execve in
	// progress (exec.go), 0 if none.
	execPending int

	sigs sigState  // signal delivery and syscall restart (deliver.go)
	intr intrState // interrupting host syscalls (interrupt.go)
	args Args      // the syscall's arguments: on the stack they would escape
}

// NewProcess creates the process for a loaded image.
func NewProcess(m *mem.Mem, img *loader.Image, log *dbg.Log) *Process {
	p := &Process{
		Mem:     m,
		Code:    cpu.NewCodeCache(m),
		Log:     log,
		Sig:     signal.NewProcess(),
		Image:   img,
		Pid:     unix.Getpid(),
		threads: map[int]*Task{},

		sharedFiles: true,
		space:       &addrSpace{},
	}
	p.initFDPass()
	return p
}

// NewMainTask creates the first thread, set up to start at the image's entry
// point. The caller must be on the OS thread the task will run on.
func (p *Process) NewMainTask() *Task {
	c := cpu.New(p.Mem, p.Code)
	c.RIP = p.Image.Entry
	c.R[cpu.RSP] = p.Image.SP
	if p.Log.On(dbg.Unimp) {
		c.Debug = func(format string, args ...any) { p.Log.Printf(dbg.Unimp, format, args...) }
	}
	t := &Task{P: p, CPU: c, Tid: unix.Gettid(), done: make(chan struct{})}
	t.Sig = p.Sig.NewThread(t.interrupt)
	t.Sig.Tid = t.Tid
	// /proc/self/comm and PR_GET_NAME show the guest program, as after a
	// native execve.
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&commName(p.Image.ExecFn)[0])), 0, 0, 0)
	p.mu.Lock()
	p.threads[t.Tid] = t
	p.leader = t
	p.live++
	p.mu.Unlock()
	return t
}

// commName is the kernel's task name for a program path: its base name, cut
// to 15 bytes, NUL-terminated.
func commName(path string) []byte {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		path = path[i+1:]
	}
	if len(path) > 15 {
		path = path[:15]
	}
	return append([]byte(path), 0)
}

// Run executes the task until it exits. For the main thread it returns the
// process's exit status once the process is over (the caller exits with it);
// while other threads live on, it does not return. For another thread it
// returns once the thread has exited, or not at all if its exit ends the
// process. A fatal signal does not return: guestrun dies of it.
func (t *Task) Run() int {
	c := t.CPU
	// The CPU makes the raw calls itself when nothing else is to be done
	// around them: no stub to run them on, no -strace, -stats or debugger.
	// A raw call's result is never a restart request.
	// (A forked child's CPU is a copy of its parent's: always set.)
	c.HostCalls = cpu.SyscallSet{}
	if t.stub == nil && t.P.Strace == nil && t.P.Debugger == nil && !launch.Stats {
		c.HostCalls = rawCalls
	}
	for !t.exited {
		var stop cpu.StopKind
		if d := t.P.Debugger; d != nil {
			stop = d.Run(c)
		} else {
			stop = c.Run()
		}
		switch stop {
		case cpu.StopSyscall:
			t.syscall()
		case cpu.StopFault:
			t.fault(&c.Fault)
		case cpu.StopInterrupt:
		}
		if t.P.dying.Load() && !t.group {
			t.park()
		}
		if t.stub != nil && t.stub.Dead() && !t.exited {
			t.stubGone()
		}
		if !t.exited {
			t.deliverPending()
		}
		if t.handoff.Load() && !t.exited {
			t.adopt()
		}
	}
	return t.finish()
}

// syscall runs the syscall the CPU stopped at, with the kernel's register
// conventions: number in RAX, arguments in RDI RSI RDX R10 R8 R9, result in
// RAX, RCX and R11 clobbered with the return address and RFLAGS.
func (t *Task) syscall() {
	c := t.CPU
	nr := c.R[cpu.RAX]
	a := &t.args
	*a = Args{c.R[cpu.RDI], c.R[cpu.RSI], c.R[cpu.RDX], c.R[cpu.R10], c.R[cpu.R8], c.R[cpu.R9]}
	if t.P.Strace != nil {
		t.P.Strace.Enter(t, nr, a)
	}
	// SYSCALL itself sets RCX and R11; rt_sigreturn may then replace them.
	c.R[cpu.RCX] = c.RIP
	c.R[cpu.R11] = c.Flags()
	t.sigs.fromSyscall, t.sigs.nr = true, nr
	ret := t.dispatch(nr, a)
	if ret == -int64(unix.EPIPE) || ret == -int64(unix.EFBIG) {
		// The kernel may have sent the thread SIGPIPE or SIGXFSZ.
		signal.DrainHost()
	}
	if t.P.Strace != nil {
		t.P.Strace.Exit(t, nr, a, ret)
	}
	c.R[cpu.RAX] = uint64(ret)
}

// exit ends the task with a status; group ends the whole process.
func (t *Task) exit(status int, group bool) {
	t.exited = true
	t.group = group
	t.status = status
}
