package syscall

import (
	"os"
	"runtime"
	"slices"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/signal"
)

// Guest threads. Each is a goroutine locked to its own OS thread for its
// whole life, never unlocked, so that the OS thread ends with it: the host
// tid is the guest tid, and per-thread kernel state (signal delivery of
// host-directed signals, credentials, affinity, the thread's name) is the
// kernel's own.

// cloneThread creates a thread (CLONE_THREAD, with CLONE_VM and
// CLONE_SIGHAND) and returns its tid once it is registered.
func (t *Task) cloneThread(a *CloneArgs) int64 {
	fl := a.Flags
	switch {
	case fl&unix.CLONE_INTO_CGROUP != 0:
		return -int64(unix.EINVAL)
	case fl&unix.CLONE_SETTLS != 0 && a.TLS >= taskSizeMax:
		return -int64(unix.EPERM)
	}
	// A chosen tid needs privilege, and guestrun cannot choose its host
	// threads' tids anyway.
	for _, id := range a.SetTID {
		if id < 1 {
			return -int64(unix.EINVAL)
		}
	}
	if len(a.SetTID) > 0 {
		return -int64(unix.EPERM)
	}
	// A forked child run here with several threads could not be handed
	// over any more.
	t.moveOut()
	c := t.CPU.Clone()
	c.R[cpu.RAX] = 0
	if a.Stack != 0 {
		c.R[cpu.RSP] = a.Stack
	}
	if fl&unix.CLONE_SETTLS != 0 {
		c.FSBase = a.TLS
	}
	n := &Task{P: t.P, CPU: c, done: make(chan struct{})}
	if t.stub != nil {
		return t.cloneStubThread(a, n)
	}
	var comm [16]byte
	unix.Prctl(unix.PR_GET_NAME, uintptr(unsafe.Pointer(&comm[0])), 0, 0, 0)
	var cpus unix.CPUSet
	if unix.SchedGetaffinity(0, &cpus) != nil {
		cpus = unix.CPUSet{}
	}
	cred := threadCreds()
	ready := make(chan int64, 1)
	go n.startThread(t, a, &inherited{comm, cpus, cred}, ready)
	r := <-ready
	if r > 0 {
		t.P.Log.Printf(dbg.Clone, "clone: thread %d, flags %#x", r, fl)
		if fl&unix.CLONE_VFORK != 0 {
			<-n.done
		}
	}
	return r
}

// unshareFlags are the unshare(2) flags that give a thread what its clone
// flags ask for and a Go thread shares: the Go runtime creates its threads
// with CLONE_FS, CLONE_FILES and CLONE_SYSVSEM and no new namespace.
func unshareFlags(fl uint64) int {
	const ns = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET |
		unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME
	return int(^fl&(unix.CLONE_FS|unix.CLONE_FILES|unix.CLONE_SYSVSEM) | fl&ns)
}

// inherited is what a new kernel thread inherits from its creator that a Go
// thread would not: the name, the CPU affinity and the credentials, which
// are per thread in the kernel (a guest's setuid changes only its own
// threads).
type inherited struct {
	comm [16]byte
	cpus unix.CPUSet
	cred creds
}

type creds struct {
	uid, gid [3]uint32 // real, effective, saved
	groups   []uint32  // nil if unknown
}

// threadCreds returns the calling thread's credentials.
func threadCreds() creds {
	var c creds
	unix.RawSyscall(unix.SYS_GETRESUID, uintptr(unsafe.Pointer(&c.uid[0])), uintptr(unsafe.Pointer(&c.uid[1])), uintptr(unsafe.Pointer(&c.uid[2])))
	unix.RawSyscall(unix.SYS_GETRESGID, uintptr(unsafe.Pointer(&c.gid[0])), uintptr(unsafe.Pointer(&c.gid[1])), uintptr(unsafe.Pointer(&c.gid[2])))
	n, _, _ := unix.RawSyscall(unix.SYS_GETGROUPS, 0, 0, 0)
	g := make([]uint32, n+1) // never empty
	n, _, e := unix.RawSyscall(unix.SYS_GETGROUPS, n, uintptr(unsafe.Pointer(&g[0])), 0)
	if e == 0 {
		c.groups = g[:n]
	}
	return c
}

// adopt gives the calling thread credentials c where they differ from its
// own, for the calling thread only as the raw syscalls do; the groups and
// gids first, while the uids may still allow it.
func (c *creds) adopt() {
	own := threadCreds()
	if c.groups != nil && !slices.Equal(own.groups, c.groups) {
		g := append(c.groups, 0) // never empty
		unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(c.groups)), uintptr(unsafe.Pointer(&g[0])), 0)
	}
	if own.gid != c.gid {
		unix.RawSyscall(unix.SYS_SETRESGID, uintptr(c.gid[0]), uintptr(c.gid[1]), uintptr(c.gid[2]))
	}
	if own.uid != c.uid {
		unix.RawSyscall(unix.SYS_SETRESUID, uintptr(c.uid[0]), uintptr(c.uid[1]), uintptr(c.uid[2]))
	}
}

// startThread is the new thread's goroutine: it takes over its OS thread,
// sets it up, registers the thread and tells its creator the tid (or why
// it failed), then runs it.
func (n *Task) startThread(parent *Task, a *CloneArgs, in *inherited, ready chan<- int64) {
	runtime.LockOSThread()
	n.Tid = unix.Gettid()
	signal.UnblockInterrupt()
	fl := a.Flags
	if u := unshareFlags(fl); u != 0 {
		if fl&unix.CLONE_NEWIPC != 0 && fl&unix.CLONE_SYSVSEM != 0 {
			ready <- -int64(unix.EINVAL)
			return
		}
		if err := unix.Unshare(u); err != nil {
			ready <- errno(err)
			return
		}
	}
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&in.comm[0])), 0, 0, 0)
	if in.cpus.Count() > 0 {
		unix.SchedSetaffinity(0, &in.cpus)
	}
	in.cred.adopt()
	if fl&unix.CLONE_PIDFD != 0 {
		fd := n.hraw(unix.SYS_PIDFD_OPEN, uintptr(n.Tid), pidfdThread, 0)
		if fd < 0 {
			ready <- fd
			return
		}
		if !n.writeU32(a.Pidfd, uint32(fd)) {
			unix.Close(int(fd))
			ready <- efault
			return
		}
	}
	p := n.P
	n.Sig = parent.Sig.NewSibling(n.interrupt, n.Tid, fl&unix.CLONE_VFORK != 0)
	p.mu.Lock()
	p.threads[n.Tid] = n
	p.live++
	p.mu.Unlock()
	if fl&unix.CLONE_PARENT_SETTID != 0 {
		n.writeU32(a.ParentTID, uint32(n.Tid))
	}
	if fl&unix.CLONE_CHILD_SETTID != 0 {
		n.writeU32(a.ChildTID, uint32(n.Tid))
	}
	if fl&unix.CLONE_CHILD_CLEARTID != 0 {
		n.ClearChildTID = a.ChildTID
	}
	ready <- int64(n.Tid)
	n.Run()
}

// finish ends a thread whose Run loop is over (see Run).
func (t *Task) finish() int {
	if t.stub != nil {
		return t.finishStub()
	}
	p := t.P
	if t.group {
		p.endGroup(t)
		return p.ended(t, t.status)
	}
	if p.dying.Load() {
		t.park()
	}
	t.retireStats()
	t.Sig.Exit()
	p.mu.Lock()
	delete(p.threads, t.Tid)
	p.live--
	last := p.live == 0
	p.mu.Unlock()
	// Gone for signals first, so that a thread that joins this one
	// never finds it.
	t.exitMM()
	close(t.done)
	switch {
	case last && !p.dying.Load():
		// The last thread's status is the process's (since Linux 5.19;
		// before, the main thread's).
		return p.ended(t, t.status)
	case t == p.leader, p.dying.Load():
		// The main thread cannot end the host process: it waits.
		t.park()
	}
	return t.status
}

// ended ends the process with status: the main thread returns it to its
// caller, another thread exits guestrun.
func (p *Process) ended(t *Task, status int) int {
	handOffChildren()
	if t == p.leader {
		return status
	}
	if p.Exit != nil {
		p.Exit(status)
	}
	os.Exit(status)
	return status
}

// park stops a thread for good: the process is ending, or its main thread
// exited while others run on.
func (t *Task) park() {
	t.parked.Store(true)
	select {}
}

// stopped reports whether the thread has parked or exited.
func (t *Task) stopped() bool {
	select {
	case <-t.done:
		return true
	default:
		return t.parked.Load()
	}
}

// parkTimeout bounds how long the end of a process waits for its other
// threads to stop; one blocked where guestrun cannot interrupt it (in the
// kernel, or waiting for a vfork child) is left running.
const parkTimeout = 100 * time.Millisecond

// endGroup stops the other threads of t's process, as exit_group and a fatal
// signal do, and processes every thread's robust futex list as the kernel
// does for each exiting thread. A second caller parks.
func (p *Process) endGroup(t *Task) {
	if !p.dying.CompareAndSwap(false, true) {
		t.park()
	}
	p.mu.Lock()
	all := make([]*Task, 0, len(p.threads))
	for _, o := range p.threads {
		all = append(all, o)
	}
	p.mu.Unlock()
	for _, o := range all {
		if o != t {
			o.interrupt()
		}
	}
	for deadline := time.Now().Add(parkTimeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if !slices.ContainsFunc(all, func(o *Task) bool { return o != t && !o.stopped() }) {
			break
		}
	}
	for _, o := range all {
		o.exitRobust()
	}
}

// execRobust processes the robust futex lists of t's process before t's
// host execve, which ends the other threads without guestrun's exit path:
// Linux processes theirs as they exit, then the caller's
// (futex_exec_release), but by then a caller other than the main thread
// has taken the main thread's tid, so none of its futexes match it.
func (p *Process) execRobust(t *Task) {
	p.mu.Lock()
	all := make([]*Task, 0, len(p.threads))
	for _, o := range p.threads {
		if o != t || t.Tid == p.Pid {
			all = append(all, o)
		}
	}
	p.mu.Unlock()
	for _, o := range all {
		o.exitRobust()
	}
}

// exitMM is what the kernel does with a thread's user memory at its exit:
// the robust futex list, then the CLONE_CHILD_CLEARTID word.
func (t *Task) exitMM() {
	t.exitRobust()
	if t.memShared() {
		t.clearChildTID()
	}
}

// memShared reports whether another task still uses the memory of t, which
// is exiting: Linux clears the CLONE_CHILD_CLEARTID word only then. Those
// are t's process's other threads, and the CLONE_VM relatives run by this
// guestrun.
func (t *Task) memShared() bool {
	p := t.P
	p.mu.Lock()
	others := p.live > 0
	p.mu.Unlock()
	return others || t.stub != nil || haveVMChildren()
}

// guestAccess runs f, which touches guest memory outside a syscall handler:
// a fault from another thread unmapping the memory meanwhile is ignored.
func (t *Task) guestAccess(f func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(interface{ Addr() uintptr }); !ok {
				panic(r)
			}
		}
	}()
	f()
}

// futexWake wakes one waiter of the shared futex at guest address addr, as
// the kernel's exit code does (without FUTEX_PRIVATE_FLAG).
func (t *Task) futexWake(addr uint64) {
	if h, ok := t.futexAddr(addr); ok {
		unix.RawSyscall6(unix.SYS_FUTEX, h, futexWake, 1, 0, 0, 0)
	}
}

// Robust futex words.
const (
	futexWaiters    = 0x80000000
	futexOwnerDied  = 0x40000000
	futexTidMask    = 0x3fffffff
	robustListLimit = 2048
)

// exitRobust walks the thread's robust futex list as the kernel's
// exit_robust_list does: every futex the thread still holds is marked
// FUTEX_OWNER_DIED and a waiter woken. The walk is bounded, and stops at
// the first unreadable entry.
func (t *Task) exitRobust() {
	head := t.RobustList
	if head == 0 {
		return
	}
	t.guestAccess(func() {
		entry, pi, ok := t.robustEntry(head)
		if !ok {
			return
		}
		off, ok := t.readU64(head + 8)
		if !ok {
			return
		}
		pending, ppi, ok := t.robustEntry(head + 16)
		if !ok {
			return
		}
		for n := 0; entry != head && n < robustListLimit; n++ {
			next, npi, ok := t.robustEntry(entry)
			if entry != pending && !t.futexDeath(entry+off, pi, false) {
				return
			}
			if !ok {
				return
			}
			entry, pi = next, npi
		}
		if pending != 0 {
			t.futexDeath(pending+off, ppi, true)
		}
	})
}

// robustEntry reads a robust list pointer; its low bit marks a PI futex.
func (t *Task) robustEntry(addr uint64) (entry uint64, pi, ok bool) {
	v, ok := t.readU64(addr)
	return v &^ 1, v&1 != 0, ok
}

// futexDeath is the kernel's handle_futex_death for the futex word at addr:
// false stops the walk.
func (t *Task) futexDeath(addr uint64, pi, pendingOp bool) bool {
	if addr%4 != 0 {
		return false
	}
	b, err := t.P.Mem.Slice(addr, 4, unix.PROT_READ|unix.PROT_WRITE)
	if err != nil {
		return false
	}
	w := (*uint32)(unsafe.Pointer(&b[0]))
	for {
		v := *w
		owner := v & futexTidMask
		if pendingOp && !pi && owner == 0 {
			t.futexWake(addr)
			return true
		}
		if int(owner) != t.Tid {
			return true
		}
		if !cas32(w, v, v&futexWaiters|futexOwnerDied) {
			continue
		}
		// PI futexes are the host kernel's: it wakes their waiters when
		// the host thread exits.
		if !pi && v&futexWaiters != 0 {
			t.futexWake(addr)
		}
		return true
	}
}

// cas32 is a locked compare-and-swap on guest memory, in assembly so that a
// fault in it is always a recoverable Go fault (sync/atomic is C code under
// the race detector).
//
//go:noescape
func cas32(p *uint32, old, new uint32) bool
