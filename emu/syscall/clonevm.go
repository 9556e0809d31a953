package syscall

import (
	"runtime"
	"slices"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/clone"
	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/signal"
)

// clone with CLONE_VM and without CLONE_THREAD, and vfork. The guest child
// is a new guest process in this guestrun: it shares the memory (the same
// mem.Mem and code cache), and a goroutine locked to an OS thread of its own
// interprets it. Its kernel identity is a stub process (emu/clone): every
// host syscall of the child runs there (Task.stub, hostcall.go), so its
// pid, parent, fds, cwd, death signal and wait status are the kernel's.
// Signals sent to the stub are caught there and routed here
// (signal.AddStub). The guest's tid words (CLONE_PARENT_SETTID,
// CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID) are written here, as the kernel
// would: the stub's own CLEARTID word tells guestrun when it is gone.

// cloneVMHost are the clone flags of a CLONE_VM child that the host carries
// out for the stub as the guest gave them. CLONE_SIGHAND, CLONE_SETTLS and
// CLONE_CLEAR_SIGHAND are emulated, CLONE_VFORK is guestrun's wait.
const cloneVMHost = cloneFS | cloneFiles | cloneSysvsem | cloneIO | clonePtrace | cloneUntraced |
	cloneNamespaces | clonePidfd | cloneIntoCgroup | cloneParent

// sysVfork is clone(CLONE_VM|CLONE_VFORK|SIGCHLD).
func sysVfork(t *Task, a *Args) int64 {
	return t.cloneVM(&CloneArgs{Flags: unix.CLONE_VM | unix.CLONE_VFORK, ExitSignal: uint64(unix.SIGCHLD)})
}

// vmStart is what the new child's goroutine and its creator exchange: the
// child's interpreter, then whether its stub was made. Both goroutines are
// locked to their threads, and each waits for the other in a futex, not
// on a channel: a locked goroutine made runnable by the scheduler takes
// two thread wake-ups (an idle thread that finds it, then its own), which
// was over 100 µs of every fork on a VM.
type vmStart struct {
	in     *clone.Interpreter
	err    error
	handed uint32 // 1 once in and err are set
	ahead  uint32 // goAhead or noGo
}

const (
	goAhead = 1
	noGo    = 2
)

// await returns *w once it is not 0, blocking the thread in between.
func await(w *uint32) uint32 {
	for {
		if v := atomic.LoadUint32(w); v != 0 {
			return v
		}
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), futexWait|futexPrivate, 0, 0, 0, 0)
	}
}

// post sets *w to v and wakes the threads waiting for it.
func post(w *uint32, v uint32) {
	atomic.StoreUint32(w, v)
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), futexWake|futexPrivate, 1<<30, 0, 0, 0)
}

// startInterpreter starts the goroutine of n, a task with a stub to be,
// and returns its interpreter once its thread is registered. The caller
// then posts to st.ahead whether the stub was made.
func (n *Task) startInterpreter() (st *vmStart) {
	st = &vmStart{}
	go n.runVM(st)
	await(&st.handed)
	return st
}

// tidWords does for n, a new task with a stub, what the kernel does with
// the guest's tid words: the stub's own clone used its CLEARTID word.
func (t *Task) tidWords(a *CloneArgs, n *Task) {
	if a.Flags&cloneParentSettid != 0 {
		t.writeU32(a.ParentTID, uint32(n.Tid))
	}
	if a.Flags&cloneChildSettid != 0 {
		// In the child's memory, which is t's unless it is a fork.
		n.writeU32(a.ChildTID, uint32(n.Tid))
	}
	if a.Flags&cloneChildCleartid != 0 {
		n.ClearChildTID = a.ChildTID
	}
}

// cloneVM makes a guest process sharing t's memory; clone.go has checked
// the arguments as the kernel does.
func (t *Task) cloneVM(a *CloneArgs) int64 {
	if e := t.checkChildArgs(a); e != 0 {
		return e
	}
	p := t.P
	fl := a.Flags
	child := &Process{Mem: p.Mem, Code: p.Code, Log: p.Log, Image: p.Image, Strace: p.Strace,
		threads: map[int]*Task{}, sharedFiles: fl&cloneFiles != 0 && p.sharedFiles, space: p.space}
	child.Sig = p.Sig.Child(0, fl&unix.CLONE_SIGHAND != 0, fl&cloneClearSighand != 0)
	return t.startChild(a, child, t.CPU.Clone())
}

// checkChildArgs makes the checks of a new process's arguments that come
// after clone.go's, in the kernel's order.
func (t *Task) checkChildArgs(a *CloneArgs) int64 {
	fl := a.Flags
	switch {
	case fl&cloneSettls != 0 && a.TLS >= taskSizeMax:
		return -int64(unix.EPERM)
	case fl&cloneIntoCgroup != 0 && t.badFD(a.Cgroup):
		return fdBad
	}
	if fl&clonePidfd != 0 {
		if _, ok := t.out(a.Pidfd, 4); !ok {
			return efault
		}
	}
	return 0
}

// startChild starts child, a new process run in this guestrun whose CPU is
// c, a copy of t's: its stub, then its goroutine.
func (t *Task) startChild(a *CloneArgs, child *Process, c *cpu.CPU) int64 {
	fl := a.Flags
	c.R[cpu.RAX] = 0
	if a.Stack != 0 {
		c.R[cpu.RSP] = a.Stack
	}
	if fl&cloneSettls != 0 {
		c.FSBase = a.TLS
	}
	n := &Task{P: child, CPU: c, done: make(chan struct{})}
	child.space.users.Add(1)
	st := n.startInterpreter()
	in, err := st.in, st.err
	if err != nil {
		child.space.leave()
		return errno(err)
	}
	spec := clone.VMSpec{
		Flags:      fl & cloneVMHost,
		ExitSignal: a.ExitSignal,
		SetTid:     a.SetTID,
		Cgroup:     a.Cgroup,
		Mask:       ^uint64(0), // until the stub is known to the signal router
	}
	if fl&cloneParent != 0 || a.ExitSignal > signal.NSig {
		// clone3 takes no exit signal with CLONE_PARENT: the kernel
		// gives the child the parent's own, as it does for clone. An
		// exit signal past the last one, which only clone lets
		// through, sends nothing.
		spec.ExitSignal = 0
	}
	for i, h := range child.Sig.StubActions() {
		spec.Acts[i] = clone.Sigaction(h)
	}
	start := clone.RunOnThread
	if t.stub != nil {
		start = t.stub.Call
	}
	spaceFree.RLock()
	if err := in.StartVM(&spec, start); err != nil {
		spaceFree.RUnlock()
		post(&st.ahead, noGo)
		child.space.leave()
		t.P.Log.Printf(dbg.Clone, "clone: child in this guestrun: %v", err)
		return errno(err)
	}
	s := in.Stub()
	if !child.sharedFiles {
		// The stub's fd table began as a copy of its creator's: the
		// guest memories' fds in it would show in the child and keep
		// those memories alive.
		fds := spaceFDs()
		slices.Sort(fds)
		forRuns(fds, func(first, last int) {
			s.Syscall(unix.SYS_CLOSE_RANGE, [6]uintptr{uintptr(first), uintptr(last)})
		})
	}
	spaceFree.RUnlock()
	n.stub = s
	n.Tid = s.Tid
	child.Pid = s.Pid
	child.Sig.Pid = s.Pid
	n.Sig = child.Sig.NewThread(n.interrupt)
	n.Sig.Tid = s.Tid
	n.Sig.SetBlocked(t.Sig.Blocked())
	if fl&cloneVfork != 0 || child.space != t.P.space {
		n.Sig.Alt = t.Sig.Alt
	} else {
		n.Sig.Alt = signal.AltStack{Flags: signal.SSDisable}
	}
	child.threads[n.Tid] = n
	child.leader = n
	child.live = 1
	signal.Unhide(s.Tid)
	signal.AddStub(s.Tid, child.Sig)
	addVMChild(child)
	unblockStub(s)
	if fl&clonePidfd != 0 {
		t.writeU32(a.Pidfd, uint32(s.Pidfd))
	}
	t.tidWords(a, n)
	t.P.Log.Printf(dbg.Clone, "clone: child %d in this guestrun, flags %#x, exit signal %d", s.Pid, fl, a.ExitSignal)
	// A vfork's parent waits for the stub to go; a guestrun's execve
	// would make an exit signal other than SIGCHLD SIGCHLD, and unshare
	// the fd table.
	child.pinned = fl&(cloneVfork|cloneFiles) != 0 || a.otherExitSignal()
	if child.space != t.P.space && !child.pinned {
		n.handOffLater()
	}
	post(&st.ahead, goAhead)
	if fl&cloneVfork != 0 {
		<-s.Gone()
	}
	return int64(s.Pid)
}

// cloneStubThread makes thread n (CLONE_THREAD) of a CLONE_VM child: its
// kernel task is a stub thread that t's stub clones into its own thread
// group, sharing its host handlers, fds, cwd and SysV undo list.
func (t *Task) cloneStubThread(a *CloneArgs, n *Task) int64 {
	fl := a.Flags
	st := n.startInterpreter()
	in, err := st.in, st.err
	if err != nil {
		return errno(err)
	}
	spec := clone.VMSpec{
		Flags: unix.CLONE_THREAD | unix.CLONE_SIGHAND | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SYSVSEM,
		Mask:  ^uint64(0), // until the thread is known to the signal router
	}
	if err := in.StartVM(&spec, t.stub.Call); err != nil {
		post(&st.ahead, noGo)
		return errno(err)
	}
	s := in.Stub()
	n.stub = s
	n.Tid = s.Tid
	n.Sig = t.Sig.NewSibling(n.interrupt, n.Tid, fl&cloneVfork != 0)
	p := t.P
	p.mu.Lock()
	p.threads[n.Tid] = n
	p.live++
	p.mu.Unlock()
	p.space.users.Add(1)
	signal.AddStub(s.Tid, p.Sig)
	unblockStub(s)
	if fl&clonePidfd != 0 {
		fd := t.hraw(unix.SYS_PIDFD_OPEN, uintptr(n.Tid), pidfdThread, 0)
		if fd >= 0 {
			t.writeU32(a.Pidfd, uint32(fd))
		}
	}
	t.tidWords(a, n)
	t.P.Log.Printf(dbg.Clone, "clone: thread %d of CLONE_VM child %d", n.Tid, p.Pid)
	post(&st.ahead, goAhead)
	if fl&cloneVfork != 0 {
		<-s.Gone()
	}
	return int64(n.Tid)
}

// runVM is the goroutine of a child run here: it takes an OS thread,
// registers it as the interpreter of the stub to be, and runs the
// child once its creator has made the stub.
func (n *Task) runVM(st *vmStart) {
	runtime.LockOSThread()
	// The thread goes back to Go's pool at the end, once the stub has
	// been released or abandoned (its robust list cleared): starting a
	// thread for every child costs more than the rest of a fork.
	defer runtime.UnlockOSThread()
	in, err := clone.NewInterpreter()
	st.in, st.err = in, err
	post(&st.handed, 1)
	if err != nil || await(&st.ahead) != goAhead {
		if in != nil {
			in.Abandon()
		}
		return
	}
	s := n.stub
	go func() {
		<-s.Gone()
		n.Sig.Cancel()
		n.interrupt()
	}()
	n.Run()
}

// unblockStub unblocks the signals of a new stub, once the signal router
// knows it. The creator calls it, not the new task's goroutine: a stub
// killed meanwhile is left for that goroutine to find, since n.hraw6 would
// end the calling goroutine and release the stub on the creator's thread.
func unblockStub(s *clone.Stub) {
	var none uint64
	s.Syscall(unix.SYS_RT_SIGPROCMASK, [6]uintptr{unix.SIG_SETMASK, uintptr(unsafe.Pointer(&none)), 0, 8})
	runtime.KeepAlive(&none)
}

// stubCall runs a host syscall on the task's stub. If the stub is gone (it
// exec'd, or was killed) the guest task is over: its goroutine ends.
func (t *Task) stubCall(nr uintptr, a [6]uintptr) int64 {
	r, ok := t.stub.Syscall(nr, a)
	if !ok {
		t.stubGone()
	}
	return r
}

// stubSafe is Task.safe on the stub.
func (t *Task) stubSafe(nr uintptr, a [6]uintptr) int64 {
	r, ok := t.stub.Safe(signal.SafeWindowAddr(), &t.intr.word, nr, a)
	if !ok {
		t.stubGone()
	}
	return r
}

// stubGone ends a task whose stub has exec'd or died: the kernel would
// have cleared its CLONE_CHILD_CLEARTID word then.
func (t *Task) stubGone() {
	t.leave()
	t.clearChildTID()
	t.endStub()
	runtime.Goexit()
}

// clearChildTID clears and wakes the task's CLONE_CHILD_CLEARTID word once
// its stub is gone, as the kernel does when the task lets go of the memory.
func (t *Task) clearChildTID() {
	// Not by the last user of the memory, as the kernel skips it then:
	// nobody else could see it, but for MAP_SHARED memory.
	if s := t.P.space; s.forked != nil && s.users.Load() == 1 {
		return
	}
	if addr := t.ClearChildTID; addr != 0 {
		t.guestAccess(func() { t.writeU32(addr, 0) })
		t.futexWake(addr)
	}
}

// leave removes an ending stub task from its process.
func (t *Task) leave() {
	t.Sig.Exit()
	p := t.P
	p.mu.Lock()
	if p.threads[t.Tid] == t {
		delete(p.threads, t.Tid)
		p.live--
	}
	t.lastOfProcess = p.live == 0
	p.mu.Unlock()
}

// endStub waits until the stub is gone and lets its memory go.
func (t *Task) endStub() {
	t.stub.AwaitGone()
	signal.RemoveStub(t.Tid)
	t.stub.Release()
	if t.handoffTimer != nil {
		t.handoffTimer.Stop()
	}
	t.P.space.leave()
	if t.lastOfProcess {
		// Only now may a wait for the process return (awaitVMChild):
		// its memory, if a fork's, is gone from guestrun's fd table.
		removeVMChild(t.P)
	}
	close(t.done)
}

// finishStub ends a stub task whose Run loop is over: its stub exits with
// the status.
func (t *Task) finishStub() int {
	t.leave()
	t.exitRobust()
	nr := uintptr(unix.SYS_EXIT)
	if t.group {
		nr = unix.SYS_EXIT_GROUP
	}
	t.stub.Syscall(nr, [6]uintptr{uintptr(t.status)})
	// A thread that joins this one must find it gone: its tid word is
	// cleared once the stub thread has exited.
	t.stub.AwaitGone()
	t.clearChildTID()
	t.endStub()
	return t.status
}

// stubDie ends a stub task's process by signal sig, as signal.Die ends
// guestrun's, without a core dump.
func (t *Task) stubDie(sig unix.Signal) {
	var rl unix.Rlimit
	t.hraw6(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_CORE, uintptr(unsafe.Pointer(&rl)), 0, 0, 0)
	var dfl signal.HostAction
	t.hraw6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	set := uint64(1) << (uint(sig) - 1)
	t.hraw6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	t.hraw(unix.SYS_TGKILL, uintptr(t.stub.Pid), uintptr(t.stub.Tid), uintptr(sig))
	// A signal that did not kill it still ends the process.
	t.hraw(unix.SYS_EXIT_GROUP, 128+uintptr(sig), 0, 0)
	t.stubGone()
}

// stubStop stops a stub task's process by the stop signal sig, as
// signal.Stop stops guestrun.
func (t *Task) stubStop(sig unix.Signal) {
	if sig != unix.SIGSTOP {
		var dfl signal.HostAction
		t.hraw6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	}
	t.hraw(unix.SYS_TGKILL, uintptr(t.stub.Pid), uintptr(t.stub.Tid), uintptr(sig))
	if sig != unix.SIGSTOP {
		act := t.P.Sig.StubActions()[sig-1]
		t.hraw6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	}
}

// hostExecStub execs guestrun on the stub for the guest child's execve. On
// success the stub is gone and so is this task.
func (t *Task) hostExecStub(argv, env []string) error {
	path := []byte("/proc/self/exe\x00")
	av, ev := cstrings(argv), cstrings(env)
	r := t.hraw(unix.SYS_EXECVE, uintptr(unsafe.Pointer(&path[0])), uintptr(unsafe.Pointer(&av[0])), uintptr(unsafe.Pointer(&ev[0])))
	return unix.Errno(-r)
}

// cstrings makes a NULL-terminated array of C strings.
func cstrings(ss []string) []*byte {
	a := make([]*byte, len(ss)+1)
	for i, s := range ss {
		a[i] = cstring(s)
	}
	return a
}
