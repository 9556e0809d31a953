package clone

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// CLONE_VM without CLONE_THREAD: a guest process that shares its parent's
// memory. Its instructions are interpreted by a goroutine of the parent's
// guestrun (they share the address space), but it needs a kernel task of its
// own for its pid, parent, fd table, cwd, SysV undo list, death signal and
// wait status. That task is a stub: assembly that never runs Go, looping on
// a mailbox in memory outside the Go heap. The interpreter posts each of
// the guest child's syscalls there and the stub runs it on its own task.
//
// The stub is raw-cloned from the guest parent's own task (a guestrun
// thread, or the parent's stub) with the guest's flags and exit signal, so
// the kernel makes it the right process's child, with the right exit
// signal, CLONE_PARENT and all. Two kernel mechanisms say when the stub has
// exec'd or ended, however it ended: its CLONE_CHILD_CLEARTID word is
// cleared and woken when it lets go of the shared memory (exit, SIGKILL,
// execve), and its robust futex list, which it registers first thing, is
// processed at exit and at execve, also when it dies dumping core (which
// skips the CLEARTID wake). The manager goroutine waits on both, then frees
// the stub's stack and mailbox once the interpreter is done with them.
//
// If the interpreter's thread dies (guestrun killed), the stub must not
// wait forever: the mailbox's control word is on that thread's robust futex
// list, so the kernel marks it FUTEX_OWNER_DIED and wakes the stub, which
// then kills its own process.

// Stub operations.
const (
	opSyscall = 1 // run syscall nr with args
	opSafe    = 2 // run it through the safe window, with the interrupt word at word
	opCall    = 3 // call fn with arg in DI (an assembly routine of this package)
)

// Mailbox states: the interpreter posts (statePosted), the stub answers
// (stateIdle); the manager marks a stub that is gone (stateGone), which no
// stub can overwrite any more.
const (
	stateIdle   = 0
	statePosted = 1
	stateGone   = 2
)

// Robust futex bits (linux/futex.h).
const (
	futexWaiters   = 0x80000000
	futexOwnerDied = 0x40000000
)

// futex operations.
const (
	futexWait        = 0
	futexWake        = 1
	futexWaitPrivate = 128
	futexWakePrivate = 129
)

// futexWaitv is struct futex_waitv.
type futexWaitv struct {
	val   uint64
	uaddr uint64
	flags uint32
	_     uint32
}

// futex2 flags of futex_waitv.
const (
	futex2SizeU32 = 0x02
	futex2Private = 128
)

// mailbox is shared by the interpreter, the stub and the manager. The
// assembly reads its fields through go_asm.h offsets.
type mailbox struct {
	ctl    uint32 // interpreter tid | FUTEX_WAITERS; FUTEX_OWNER_DIED once it died
	state  uint32
	op     uint64
	nr     uint64
	args   [6]uint64
	word   uint64 // opSafe: the interrupt word
	window uint64 // opSafe: the safe window's address
	fn     uint64 // opCall
	arg    uint64
	ret    int64

	pid, tid uint32 // the stub's, written when it starts

	// The stub waits on state (private) and ctl (shared: the kernel's
	// robust-list wake-up is a shared one) at once.
	waitv [2]futexWaitv

	// robust_list_head of the interpreter's thread, and its one entry.
	robustNext, robustOffset, robustPending uint64
	robustEntry                             uint64

	// The stub's CLONE_PARENT_SETTID/CHILD_CLEARTID word, and its own
	// robust list with one entry, on stubCtl (its tid | FUTEX_WAITERS).
	stubWord                                         uint32
	stubCtl                                          uint32
	stubRobustNext, stubRobustOffset, stubRobustPend uint64
	stubRobustEntry                                  uint64

	// What the stub sets up before it reports ready: a handler per host
	// signal (handler 0: left alone), then its signal mask.
	acts [64]Sigaction
	mask uint64

	stub  cloneArgs // the stub's clone3 arguments
	pidfd int32     // CLONE_PIDFD of the stub
	_     int32

	// The caller's signal mask around the stub's clone, which runs with
	// every signal blocked: the stub starts with them blocked.
	allMask, oldMask uint64
	cloneRet         int64
}

// Sigaction is the x86-64 kernel's struct sigaction.
type Sigaction struct {
	Handler, Flags, Restorer uintptr
	Mask                     uint64
}

// cleartidGrace is how long the manager waits for the CLEARTID word once
// the stub's robust list has been processed.
const cleartidGrace = 200 * time.Millisecond

// Sizes of the memory a stub uses: one mapping holds, from the bottom, a
// guard page, the stub's stack, and the mailbox.
const (
	pageSize   = 4096
	stubStack  = 64 << 10 // room for signal frames with the full XSAVE state
	mailboxLen = (int(unsafe.Sizeof(mailbox{})) + pageSize - 1) &^ (pageSize - 1)
	regionLen  = pageSize + stubStack + mailboxLen
)

// Stub is a guest task's kernel task: a CLONE_VM child's, or a thread's in
// such a child.
type Stub struct {
	region []byte
	mb     *mailbox
	// Pid and Tid are the stub's process and thread ids: the guest's.
	Pid, Tid int
	// Pidfd is the pidfd CLONE_PIDFD made (in the caller's fd table), or -1.
	Pidfd int

	gone     chan struct{} // closed once the stub has exec'd, exited or died
	released chan struct{} // closed once the interpreter is done with the mailbox
	dead     atomic.Bool
}

// VMSpec is a CLONE_VM child as the guest asked for it.
type VMSpec struct {
	// Flags are the clone3 flags the host carries out for the stub
	// (CLONE_FS, CLONE_FILES, CLONE_SYSVSEM, CLONE_IO, CLONE_PARENT,
	// CLONE_PTRACE, CLONE_UNTRACED, namespaces, CLONE_PIDFD,
	// CLONE_INTO_CGROUP); CLONE_VM and the tid flags on the mailbox are
	// added. The guest's tid words are the caller's to emulate.
	Flags      uint64
	ExitSignal uint64
	SetTid     []int32
	Cgroup     uint64
	// Acts and Mask are the stub's host signal handlers and mask.
	Acts [64]Sigaction
	Mask uint64
}

// Interpreter is the thread that will interpret a new stub's guest task.
// It must be created on that thread (locked to its goroutine) before the
// stub exists, so that the stub can never outlive it unnoticed.
type Interpreter struct {
	s *Stub
}

// NewInterpreter allocates a stub's memory and registers the calling
// thread, which must stay locked to its goroutine until Release, as the
// stub's interpreter.
func NewInterpreter() (*Interpreter, error) {
	region, err := unix.Mmap(-1, 0, regionLen, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, err
	}
	unix.Mprotect(region[:pageSize], unix.PROT_NONE)
	mb := (*mailbox)(unsafe.Pointer(&region[regionLen-mailboxLen]))
	s := &Stub{region: region, mb: mb, Pidfd: -1, gone: make(chan struct{}), released: make(chan struct{})}
	mb.ctl = uint32(unix.Gettid()) | futexWaiters
	entry := uintptr(unsafe.Pointer(&mb.robustEntry))
	mb.robustEntry = uint64(uintptr(unsafe.Pointer(&mb.robustNext)))
	mb.robustNext = uint64(entry)
	mb.robustOffset = uint64(uintptr(unsafe.Pointer(&mb.ctl)) - entry)
	// The stub's own list, which it registers.
	sentry := uintptr(unsafe.Pointer(&mb.stubRobustEntry))
	mb.stubRobustEntry = uint64(uintptr(unsafe.Pointer(&mb.stubRobustNext)))
	mb.stubRobustNext = uint64(sentry)
	mb.stubRobustOffset = uint64(uintptr(unsafe.Pointer(&mb.stubCtl)) - sentry)
	if _, _, e := unix.RawSyscall(unix.SYS_SET_ROBUST_LIST, uintptr(unsafe.Pointer(&mb.robustNext)), 24, 0); e != 0 {
		unix.Munmap(region)
		return nil, e
	}
	mb.waitv[0] = futexWaitv{val: stateIdle, uaddr: uint64(uintptr(unsafe.Pointer(&mb.state))), flags: futex2SizeU32 | futex2Private}
	mb.waitv[1] = futexWaitv{uaddr: uint64(uintptr(unsafe.Pointer(&mb.ctl))), flags: futex2SizeU32}
	return &Interpreter{s: s}, nil
}

// Stub returns the interpreter's stub (not started until StartVM).
func (in *Interpreter) Stub() *Stub { return in.s }

// Starter runs a stub-making routine on the guest parent's task: directly
// on a guestrun thread (RunOnThread), or by the parent's own stub
// (Stub.Call). fn is an assembly routine taking its argument in DI.
type Starter func(fn, arg uintptr) int64

// RunOnThread is the Starter of a guest parent that is a guestrun thread.
// The calling goroutine must be locked to that thread.
func RunOnThread(fn, arg uintptr) int64 { return callAsm(fn, arg) }

// StartVM makes the stub for in's guest task, on the parent's task
// through start, and returns once the stub runs (or failed). The manager
// goroutine then watches it.
func (in *Interpreter) StartVM(spec *VMSpec, start Starter) error {
	s := in.s
	mb := s.mb
	mb.acts = spec.Acts
	mb.mask = spec.Mask
	mb.allMask = ^uint64(0)
	mb.state = statePosted // until the stub reports ready
	mb.pidfd = -1
	word := uint64(uintptr(unsafe.Pointer(&mb.stubWord)))
	mb.stub = cloneArgs{
		flags: spec.Flags | unix.CLONE_VM | unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_CLEARTID,
		// The kernel sets the word before clone3 returns, and clears
		// it when the stub lets go of the memory.
		parentTid:  word,
		childTid:   word,
		exitSignal: spec.ExitSignal,
		stack:      uint64(uintptr(unsafe.Pointer(&s.region[0]))) + pageSize,
		stackSize:  stubStack,
		cgroup:     spec.Cgroup,
	}
	if spec.Flags&clonePidfd != 0 {
		mb.stub.pidfd = uint64(uintptr(unsafe.Pointer(&mb.pidfd)))
	}
	var setTid []int32
	if len(spec.SetTid) > 0 {
		setTid = append(setTid, spec.SetTid...)
		mb.stub.setTid = uint64(uintptr(unsafe.Pointer(&setTid[0])))
		mb.stub.setTidSize = uint64(len(setTid))
	}
	r := start(stubCloneAddr(), uintptr(unsafe.Pointer(mb)))
	runtime.KeepAlive(setTid)
	if r < 0 {
		in.free()
		return unix.Errno(-r)
	}
	// The stub reports ready by going idle.
	for atomic.LoadUint32(&mb.state) != stateIdle {
		if atomic.LoadUint32(&mb.stubWord) == 0 {
			// Killed before it got going (by a kill of every
			// process, say): nobody else knew its pid.
			in.free()
			return unix.EAGAIN
		}
		futexWaitv2(&mb.state, statePosted, true, &mb.stubWord, uint32(r))
	}
	s.Pid, s.Tid = int(mb.pid), int(mb.tid)
	s.Pidfd = int(mb.pidfd)
	go s.manage()
	return nil
}

// free unmaps a stub's memory that was never used by a stub.
// free frees the memory of a stub whose start failed, which clone3 may
// have made all the same: a creator that is itself a stub, killed during
// its clone, returns no pid. Such a stub (its CLONE_PARENT_SETTID word is
// set) is told that its interpreter died, as the kernel would tell it,
// and kills itself; the memory, its stack, must outlive it.
func (in *Interpreter) free() {
	mb := in.s.mb
	if atomic.LoadUint32(&mb.stubWord) != 0 {
		atomic.OrUint32(&mb.ctl, futexOwnerDied)
		futex(&mb.ctl, futexWake, 1)
		ts := unix.Timespec{Nsec: int64(cleartidGrace)}
		for w := atomic.LoadUint32(&mb.stubWord); w != 0; w = atomic.LoadUint32(&mb.stubWord) {
			// CLEARTID clears the word when the stub is gone.
			if _, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&mb.stubWord)), futexWait, uintptr(w),
				uintptr(unsafe.Pointer(&ts)), 0, 0); e == unix.ETIMEDOUT {
				break
			}
		}
	}
	unix.Munmap(in.s.region)
}

// Abandon is called by the interpreter, on its thread, when no stub was
// made for it.
func (in *Interpreter) Abandon() { unix.RawSyscall(unix.SYS_SET_ROBUST_LIST, 0, 24, 0) }

// manage waits until the stub has exec'd or ended, marks it gone, and
// frees its memory once the interpreter has released it.
func (s *Stub) manage() {
	mb := s.mb
	for {
		w, c := atomic.LoadUint32(&mb.stubWord), atomic.LoadUint32(&mb.stubCtl)
		if w == 0 {
			break
		}
		if c&futexOwnerDied != 0 {
			// The robust list goes first; the kernel clears the
			// CLEARTID word, in this memory, right after, unless the
			// stub dumps core. The memory must outlive that write.
			ts := unix.Timespec{Nsec: int64(cleartidGrace)}
			unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&mb.stubWord)), futexWait, uintptr(w),
				uintptr(unsafe.Pointer(&ts)), 0, 0)
			if atomic.LoadUint32(&mb.stubWord) != 0 {
				break
			}
			continue
		}
		futexWaitv2(&mb.stubWord, w, false, &mb.stubCtl, c)
	}
	s.dead.Store(true)
	atomic.StoreUint32(&mb.state, stateGone)
	futex(&mb.state, futexWakePrivate, 1<<30)
	close(s.gone)
	<-s.released
	unix.Munmap(s.region)
}

// Gone is closed once the stub has exec'd, exited or been killed.
func (s *Stub) Gone() <-chan struct{} { return s.gone }

// AwaitGone blocks until the stub is gone, like a receive from Gone. The
// interpreter waits thus, in a futex, on its own thread (which must be the
// one to Release the stub: the wait reads the stub's memory): a goroutine
// locked to its thread and made runnable by the scheduler takes two thread
// wake-ups, some 100 µs on a VM.
func (s *Stub) AwaitGone() {
	for {
		v := atomic.LoadUint32(&s.mb.state)
		if v == stateGone {
			return
		}
		futexBlock(&s.mb.state, futexWaitPrivate, v)
	}
}

// Dead reports whether the stub is gone.
func (s *Stub) Dead() bool { return s.dead.Load() }

// Release is called by the interpreter when it has stopped using the stub,
// on its own thread, before that thread ends.
func (s *Stub) Release() {
	unix.RawSyscall(unix.SYS_SET_ROBUST_LIST, 0, 24, 0)
	close(s.released)
}

// Syscall runs a syscall on the stub's task and returns its raw result; an
// error of ErrGone if the stub is gone before it answered. Pointer
// arguments must stay valid and in place during the call.
func (s *Stub) Syscall(nr uintptr, a [6]uintptr) (int64, bool) {
	mb := s.mb
	mb.op = opSyscall
	mb.nr = uint64(nr)
	for i, v := range a {
		mb.args[i] = uint64(v)
	}
	return s.post()
}

// Safe runs a syscall on the stub's task through the safe window of package
// signal (at window): it does not start while *word is set, and a signal
// sent to the stub's thread before the call starts makes it return
// NotStarted.
func (s *Stub) Safe(window uintptr, word *uint32, nr uintptr, a [6]uintptr) (int64, bool) {
	mb := s.mb
	mb.op = opSafe
	mb.window = uint64(window)
	mb.word = uint64(uintptr(unsafe.Pointer(word)))
	mb.nr = uint64(nr)
	for i, v := range a {
		mb.args[i] = uint64(v)
	}
	return s.post()
}

// Call runs an assembly routine of this package on the stub's task: it is
// the Starter of a guest parent that is itself a stub.
func (s *Stub) Call(fn, arg uintptr) int64 {
	mb := s.mb
	mb.op = opCall
	mb.fn = uint64(fn)
	mb.arg = uint64(arg)
	r, ok := s.post()
	if !ok {
		return -int64(unix.ESRCH)
	}
	return r
}

// post hands the request to the stub and waits for its answer; ok is false
// if the stub went away first (it exec'd, exited or was killed).
func (s *Stub) post() (int64, bool) {
	mb := s.mb
	if s.dead.Load() {
		return 0, false
	}
	atomic.StoreUint32(&mb.state, statePosted)
	futex(&mb.state, futexWakePrivate, 1)
	for {
		switch atomic.LoadUint32(&mb.state) {
		case stateIdle:
			return atomic.LoadInt64(&mb.ret), true
		case stateGone:
			return 0, false
		}
		futexBlock(&mb.state, futexWaitPrivate, statePosted)
	}
}

// futex runs a futex operation that does not block for long.
func futex(addr *uint32, op int, val uint32) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), uintptr(op), uintptr(val), 0, 0, 0)
}

// futexBlock runs a futex wait that may block: the Go scheduler runs other
// goroutines meanwhile.
func futexBlock(addr *uint32, op int, val uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), uintptr(op), uintptr(val), 0, 0, 0)
}

// futexWaitv2 waits until *a != va or *b != vb. A word the stub wakes is
// private; one the kernel wakes (CLEARTID, robust lists) is shared.
func futexWaitv2(a *uint32, va uint32, aPrivate bool, b *uint32, vb uint32) {
	fa := uint32(futex2SizeU32)
	if aPrivate {
		fa |= futex2Private
	}
	w := [2]futexWaitv{
		{val: uint64(va), uaddr: uint64(uintptr(unsafe.Pointer(a))), flags: fa},
		{val: uint64(vb), uaddr: uint64(uintptr(unsafe.Pointer(b))), flags: futex2SizeU32},
	}
	unix.Syscall6(unix.SYS_FUTEX_WAITV, uintptr(unsafe.Pointer(&w[0])), 2, 0, 0, 0, 0)
}

// Assembly (vm_amd64.s).
func callAsm(fn, arg uintptr) int64
func stubCloneAddr() uintptr

// stubClone is called by callAsm or a stub, never from Go.
func stubClone()
