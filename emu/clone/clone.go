// Package clone makes new host processes for guest processes. A multi-threaded
// Go runtime cannot go on running in a forked child, so the child made here
// never runs Go code: it is raw-cloned by assembly, makes a few raw syscalls,
// and execs guestrun (or fails and exits with 127).
//
// The clone shares the parent's memory and suspends the calling thread until
// the child has exec'd (CLONE_VM|CLONE_VFORK, as posix_spawn does): no page
// tables are copied, and the child runs on a small stack of its own, with
// signals blocked until its handlers are reset (CLONE_CLEAR_SIGHAND), so that
// no Go signal handler can ever run in it.
package clone

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Clone flags this package sets or interprets itself.
const (
	cloneVM           = unix.CLONE_VM
	cloneVfork        = unix.CLONE_VFORK
	cloneParentSettid = unix.CLONE_PARENT_SETTID
	clonePidfd        = unix.CLONE_PIDFD
	cloneClearSighand = 0x100000000
	cloneIntoCgroup   = 0x200000000
)

// Spec describes a child: the clone flags that shape it and the program it
// execs.
type Spec struct {
	// Flags are the clone3 flags the guest asked for that the host carries
	// out as they are (CLONE_PARENT, CLONE_FS, CLONE_SYSVSEM, namespaces,
	// CLONE_PIDFD, CLONE_INTO_CGROUP...). CLONE_VM, CLONE_VFORK and
	// CLONE_CLEAR_SIGHAND are added; tid-writing flags must not be given,
	// since the child's tid words live in guest memory the child rebuilds.
	Flags      uint64
	ExitSignal uint64
	SetTid     []int32 // clone3's set_tid
	Cgroup     uint64  // clone3's cgroup fd, with CLONE_INTO_CGROUP
	// ParentTid, if not nil, is where the kernel writes the child's pid
	// before the child runs (CLONE_PARENT_SETTID); it must not move.
	ParentTid *int32

	Path string   // program to exec
	Argv []string // its argv
	Env  []string // its environment
	// Keep are fds the program inherits although they are close-on-exec:
	// the child clears FD_CLOEXEC on them before execve.
	Keep []int32

	// On, if not nil, makes the child on another task than the calling
	// thread: a stub's (spawnClone runs there), which then is its parent.
	// Wait reaps a child whose execve failed, there.
	On   Starter
	Wait func(pid int)
}

// Result is what Spawn reports of a child it made.
type Result struct {
	Pid   int
	Pidfd int // with CLONE_PIDFD, else -1
}

// prog is what the child's assembly reads: it must only read memory that
// stays put (Go's heap does not move) and write only err and its stack.
// TestProgLayout checks the offsets the assembly uses.
type prog struct {
	fds   *int32 // fds to clear FD_CLOEXEC on
	nfds  uint64
	mask  uint64 // signal mask for the new program
	path  *byte
	argv  **byte
	envp  **byte
	err   int64 // the execve error, as a negative errno, if it failed
	_     uint64
	stack [1024]byte // the child's stack; it calls nothing, so it needs little
}

// cloneArgs is struct clone_args (CLONE_ARGS_SIZE_VER2).
type cloneArgs struct {
	flags, pidfd, childTid, parentTid, exitSignal, stack, stackSize, tls, setTid, setTidSize, cgroup uint64
}

// clone3 runs clone3 with args; the child runs p and never returns. The
// parent gets the child's pid or a negative errno.
//
//go:noescape
func clone3(args *cloneArgs, size uintptr, p *prog) int64

// spawnReq is what spawnClone, the clone3 of a Starter, reads from DI.
type spawnReq struct {
	args  *cloneArgs
	size  uintptr
	p     *prog
	saved uint64 // the caller's R12
}

// spawnClone is called through a Starter, never from Go.
func spawnClone()
func spawnCloneAddr() uintptr

// cstrings makes a NULL-terminated array of C strings.
func cstrings(ss []string) []*byte {
	a := make([]*byte, len(ss)+1)
	for i, s := range ss {
		a[i] = cstring(s)
	}
	return a
}

func cstring(s string) *byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return &b[0]
}

// Spawn makes the child and returns once it has exec'd. If the execve fails
// the child exits with 127 and, unless it was made another process's child
// (CLONE_PARENT), Spawn reaps it and returns the execve error. hide, if
// not nil, is for the child's exit signal, which the caller's parent must
// not see: it is called with the child's pid before it is reaped.
func Spawn(s *Spec, hide func(pid int)) (Result, error) {
	argv := cstrings(s.Argv)
	envp := cstrings(s.Env)
	p := &prog{
		path: cstring(s.Path),
		argv: &argv[0],
		envp: &envp[0],
	}
	if len(s.Keep) > 0 {
		p.fds, p.nfds = &s.Keep[0], uint64(len(s.Keep))
	}
	pidfd := int32(-1)
	args := &cloneArgs{
		flags:      s.Flags | cloneVM | cloneVfork | cloneClearSighand,
		exitSignal: s.ExitSignal,
		stack:      uint64(uintptr(unsafe.Pointer(&p.stack[0]))),
		stackSize:  uint64(len(p.stack)),
		cgroup:     s.Cgroup,
	}
	if s.Flags&clonePidfd != 0 {
		args.pidfd = uint64(uintptr(unsafe.Pointer(&pidfd)))
	}
	if s.ParentTid != nil {
		args.flags |= cloneParentSettid
		args.parentTid = uint64(uintptr(unsafe.Pointer(s.ParentTid)))
	}
	if len(s.SetTid) > 0 {
		args.setTid = uint64(uintptr(unsafe.Pointer(&s.SetTid[0])))
		args.setTidSize = uint64(len(s.SetTid))
	}

	var r int64
	if s.On != nil {
		// The stub runs with its signals blocked around this (the
		// caller's job), and the program starts with none blocked.
		req := &spawnReq{args: args, size: unsafe.Sizeof(*args), p: p}
		r = s.On(spawnCloneAddr(), uintptr(unsafe.Pointer(req)))
		runtime.KeepAlive(req)
	} else {
		// The signal mask is per thread: block everything on this one
		// for the clone, and give the child the mask the thread had.
		runtime.LockOSThread()
		all := ^uint64(0)
		var old uint64
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		p.mask = old
		r = clone3(args, unsafe.Sizeof(*args), p)
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
		runtime.UnlockOSThread()
	}
	runtime.KeepAlive(argv)
	runtime.KeepAlive(envp)
	runtime.KeepAlive(s)
	runtime.KeepAlive(s.ParentTid)

	if r < 0 {
		return Result{}, unix.Errno(-r)
	}
	pid := int(r)
	if p.err != 0 {
		if hide != nil {
			hide(pid)
		}
		if pidfd >= 0 {
			unix.Close(int(pidfd))
		}
		if s.Flags&unix.CLONE_PARENT == 0 && s.Wait != nil {
			s.Wait(pid)
		} else if s.Flags&unix.CLONE_PARENT == 0 {
			for {
				if _, err := unix.Wait4(pid, nil, unix.WALL, nil); err != unix.EINTR {
					break
				}
			}
		}
		return Result{}, unix.Errno(-p.err)
	}
	return Result{Pid: pid, Pidfd: int(pidfd)}, nil
}
