package syscall

import (
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/clone"
	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// fork, and clone without CLONE_VM. The child starts in this guestrun
// (forkhere.go) and is handed over to a guestrun of its own later, if it
// lives on; the code below is that guestrun's start, which a fork takes
// directly when the child cannot start here. The guest child is then a new
// guestrun process: emu/clone makes the host child, with the pid, parent, exit signal
// and namespaces the guest asked for, and it execs guestrun in resume mode
// (guestrun --resume=FD). FD is a memfd holding a snapshot of the guest:
// registers, signal state, the process image, and the memory, copied into a
// new memfd the child maps as its window (mem.Fork). The guest's fds are
// the host child's own; those with FD_CLOEXEC would vanish at the host
// execve, so the child clears the flag on them first and the resumed
// guestrun sets it again. That execve also makes the host child's exit
// signal SIGCHLD: a child whose exit signal is another (or none) is
// registered with package signal, which gives the guest that signal, and
// wait picks such children for __WCLONE (waitclone.go), until the child
// execs itself (execFlag).

func init() {
	def(unix.SYS_FORK, "fork", sysFork)
	def(unix.SYS_VFORK, "vfork", sysVfork)
}

// Launch is how this guestrun was started, which the guestrun processes that
// fork and execve start inherit. cmd/guestrun sets it.
type Launch struct {
	Argv0   string // guestrun's own argv[0], for the command lines of the new processes
	Sysroot string // -L
	Strace  bool
	Stats   bool
	Debug   dbg.Category
	LogFD   int // the -D file's fd, or -1 when the log goes to stderr
}

var launch = Launch{Argv0: "guestrun", LogFD: -1}

// SetLaunch records how guestrun was started.
func SetLaunch(l Launch) { launch = l }

// Clone flags.
const (
	cloneFS            = unix.CLONE_FS
	cloneFiles         = unix.CLONE_FILES
	clonePidfd         = unix.CLONE_PIDFD
	clonePtrace        = unix.CLONE_PTRACE
	cloneVfork         = unix.CLONE_VFORK
	cloneParent        = unix.CLONE_PARENT
	cloneSysvsem       = unix.CLONE_SYSVSEM
	cloneSettls        = unix.CLONE_SETTLS
	cloneParentSettid  = unix.CLONE_PARENT_SETTID
	cloneChildCleartid = unix.CLONE_CHILD_CLEARTID
	cloneUntraced      = unix.CLONE_UNTRACED
	cloneChildSettid   = unix.CLONE_CHILD_SETTID
	cloneIO            = unix.CLONE_IO
	cloneClearSighand  = 0x100000000
	cloneIntoCgroup    = 0x200000000

	cloneNamespaces = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
		unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWTIME

	// cloneHost are the flags of a new process that the host carries out
	// as the guest gave them.
	cloneHost = cloneFS | clonePidfd | clonePtrace | cloneParent | cloneSysvsem | cloneUntraced | cloneIO |
		cloneIntoCgroup | cloneNamespaces
)

func sysFork(t *Task, a *Args) int64 {
	return t.cloneProcess(&CloneArgs{ExitSignal: uint64(unix.SIGCHLD)})
}

// cloneProcess makes a new guest process as a copy of t's: fork, and clone
// and clone3 without CLONE_VM, whose arguments clone.go has checked.
func (t *Task) cloneProcess(r *CloneArgs) int64 {
	if e := t.CheckNproc(); e != 0 {
		return e
	}
	if ret, ok := t.forkHere(r); ok {
		return ret
	}
	fl := r.Flags
	switch {
	case fl&cloneFiles != 0:
		// A shared fd table cannot survive the host execve of guestrun.
		t.P.Log.Once(dbg.Unimp, "clone-files", "unimp: clone with CLONE_FILES and without CLONE_VM, with no room for the child here (EINVAL)")
		return -int64(unix.EINVAL)
	case fl&cloneIntoCgroup != 0 && t.badFD(r.Cgroup):
		return fdBad
	}
	if fl&clonePidfd != 0 {
		if _, ok := t.out(r.Pidfd, 4); !ok {
			return efault
		}
	}
	s, err := t.snapshot(r, false)
	if err != nil {
		return errno(err)
	}
	defer unix.Close(s.Mem.FD)
	keep := append([]int32(nil), s.Cloexec...)
	for _, fd := range s.Mem.FDs() {
		keep = append(keep, int32(fd))
	}
	if launch.LogFD >= 0 {
		keep = append(keep, int32(launch.LogFD))
	}
	var vfork [2]int
	s.VforkFD = -1
	if fl&cloneVfork != 0 {
		if vfork, err = highPipe(); err != nil {
			return errno(err)
		}
		defer unix.Close(vfork[0])
		s.VforkFD = vfork[1]
		keep = append(keep, int32(vfork[1]))
	}
	s.ExecFlagFD = -1
	var flag signal.ExecFlag
	cloneKid := r.otherExitSignal()
	if cloneKid {
		// Without the flag the child stays a clone child if it execs.
		if fd, f, err := newExecFlag(); err == nil {
			defer unix.Close(fd)
			s.ExecFlagFD, flag = fd, f
			keep = append(keep, int32(fd))
		}
	}
	sfd, err := writeSnapshot(s)
	if err != nil {
		if s.VforkFD >= 0 {
			unix.Close(s.VforkFD)
		}
		if flag.Release != nil {
			flag.Release()
		}
		return errno(err)
	}
	keep = append(keep, int32(sfd))
	spec := &clone.Spec{
		Flags:      fl & cloneHost,
		ExitSignal: r.ExitSignal,
		SetTid:     r.SetTID,
		Cgroup:     r.Cgroup,
		Path:       "/proc/self/exe",
		Argv:       []string{launch.Argv0, "--resume=" + strconv.Itoa(sfd)},
		Env:        os.Environ(),
		Keep:       keep,
	}
	if t.stub != nil {
		// A CLONE_VM child forks: its stub is the new process's parent.
		spec.On = t.stub.Call
		spec.Wait = func(pid int) { t.hraw6(unix.SYS_WAIT4, uintptr(pid), 0, unix.WALL, 0, 0, 0) }
		if !t.P.sharedFiles {
			// The stub's fd table is its own: guestrun's fds for the
			// new process are passed into it, and go once it is made.
			give := make([]int, 0, len(keep)-len(s.Cloexec))
			for _, fd := range keep[len(s.Cloexec):] {
				give = append(give, int(fd))
			}
			passed, err := t.passFDs(give, true)
			defer t.closeStubFDs(passed)
			if err != nil {
				unix.Close(sfd)
				if s.VforkFD >= 0 {
					unix.Close(s.VforkFD)
				}
				if flag.Release != nil {
					flag.Release()
				}
				return errno(err)
			}
		}
		var all, old uint64 = ^uint64(0), 0
		t.hraw6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		defer t.hraw6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	}
	var kid *signal.NewChild
	if cloneKid {
		// Its end must be told from a fork child's from the start.
		kid = signal.MakeChild(int(r.ExitSignal), flag)
		spec.ParentTid = &kid.Pid
	}
	// A child whose exec fails is reaped unseen by its parent: this
	// process, or the stub of a CLONE_VM child.
	hide := func(pid int) { signal.HideChild(pid, int(r.ExitSignal), t.P.Pid) }
	res, err := clone.Spawn(spec, hide)
	if kid != nil {
		kid.Made(res.Pid)
	}
	unix.Close(sfd)
	if s.VforkFD >= 0 {
		unix.Close(s.VforkFD)
	}
	if err != nil {
		t.P.Log.Printf(dbg.Clone, "clone: new process: %v", err)
		return errno(err)
	}
	t.P.Log.Printf(dbg.Clone, "clone: new process %d, flags %#x, exit signal %d", res.Pid, fl, r.ExitSignal)
	signal.Unhide(res.Pid)
	if fl&cloneParent == 0 && r.ExitSignal == uint64(unix.SIGCHLD) {
		signal.SetExitSignal(res.Pid, int(r.ExitSignal))
	}
	if fl&cloneParentSettid != 0 {
		t.writeU32(r.ParentTID, uint32(res.Pid))
	}
	if fl&clonePidfd != 0 {
		t.writeU32(r.Pidfd, uint32(res.Pidfd))
	}
	if fl&cloneVfork != 0 {
		// The child has exec'd or exited when the last write end, which
		// only it has and which is close-on-exec, is closed.
		var b [1]byte
		for {
			if _, err := unix.Read(vfork[0], b[:]); err != unix.EINTR {
				break
			}
		}
	}
	return int64(res.Pid)
}

// snapshot captures t's process for a forked child.
// With share, the memory is the same memfd rather than a copy (adopt.go).
func (t *Task) snapshot(r *CloneArgs, share bool) (*snapshot, error) {
	c := t.CPU
	s := &snapshot{
		Launch: launch,
		Limits: GuestLimits(),
		Image:  *t.P.Image,
		Regs:   c.R,
		RIP:    c.RIP,
		Flags:  c.Flags(),
		FSBase: c.FSBase,
		GSBase: c.GSBase,
		Mask:   t.Sig.Blocked(),
		Alt:    t.Sig.Alt,
	}
	// The new guestrun starts elsewhere if the guest changed directory.
	s.Image.Path = t.exePath()
	s.Regs[cpu.RAX] = 0
	if sp := r.Stack; sp != 0 {
		s.Regs[cpu.RSP] = sp
	}
	if r.Flags&cloneSettls != 0 {
		s.FSBase = r.TLS
	}
	c.FXSave(&s.FX)
	for sig := 1; sig <= signal.NSig; sig++ {
		a := t.P.Sig.Action(sig)
		if r.Flags&cloneClearSighand != 0 && a.Handler != signal.IGN {
			a = signal.Action{}
		}
		s.Actions[sig-1] = a
	}
	if r.Flags&cloneChildSettid != 0 {
		s.ChildSetTid = r.ChildTID
	}
	if r.Flags&cloneChildCleartid != 0 {
		s.ClearChildTid = r.ChildTID
	}
	var comm [16]byte
	unix.Prctl(unix.PR_GET_NAME, uintptr(unsafe.Pointer(&comm[0])), 0, 0, 0)
	s.Comm = unix.ByteSliceToString(comm[:])
	var err error
	if !t.P.sharedFiles {
		s.Cloexec, err = t.P.stubCloexecFDs()
	} else {
		s.Cloexec, err = t.P.cloexecFDs()
	}
	if err != nil {
		return nil, err
	}
	fork := t.P.Mem.Fork
	if share {
		fork = t.P.Mem.Share
	}
	f, err := fork()
	if err != nil {
		return nil, unix.ENOMEM
	}
	s.Mem = *f
	return s, nil
}

// cloexecFDs lists the guest's fds that are close-on-exec. Every fork
// does it: raw getdents, without the os package's directory machinery.
func (p *Process) cloexecFDs() ([]int32, error) {
	dfd, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	var fds []int32
	var buf [4096]byte
	var names []string
	for {
		n, err := unix.Getdents(dfd, buf[:])
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return fds, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names[:0])
		for _, name := range names {
			fd, err := strconv.Atoi(name)
			if err != nil || fd == dfd || p.reserved(fd) {
				continue
			}
			if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && fl&unix.FD_CLOEXEC != 0 {
				fds = append(fds, int32(fd))
			}
		}
	}
}

// stubCloexecFDs lists the close-on-exec fds of a CLONE_VM child whose fd
// table is its stub's own, from /proc.
func (p *Process) stubCloexecFDs() ([]int32, error) {
	dir := "/proc/" + strconv.Itoa(p.Pid)
	names, err := os.ReadDir(dir + "/fd")
	if err != nil {
		return nil, err
	}
	var fds []int32
	for _, e := range names {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || p.reserved(fd) {
			continue
		}
		b, err := os.ReadFile(dir + "/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				if fl, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64); err == nil && fl&unix.O_CLOEXEC != 0 {
					fds = append(fds, int32(fd))
				}
			}
		}
	}
	return fds, nil
}

// execFlag is, in a clone child (exit signal not SIGCHLD), the word shared
// with its parent that execve sets: Linux makes the exit signal SIGCHLD at
// execve, which the parent, which emulates that signal, must know.
var execFlag *uint32

// newExecFlag makes the word for a new clone child: a memfd among
// guestrun's fds for the child, mapped here.
func newExecFlag() (int, signal.ExecFlag, error) {
	fd, err := unix.MemfdCreate("guestrun-execflag", unix.MFD_CLOEXEC)
	if err != nil {
		return -1, signal.ExecFlag{}, err
	}
	if h, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, reservedFloor()); err == nil {
		unix.Close(fd)
		fd = h
	}
	p, err := mapExecFlag(fd)
	if err != nil {
		unix.Close(fd)
		return -1, signal.ExecFlag{}, err
	}
	return fd, signal.ExecFlag{Word: (*uint32)(p), Release: func() { unix.MunmapPtr(p, mem.PageSize) }}, nil
}

// mapExecFlag maps the exec flag's memfd, outside the Go heap.
func mapExecFlag(fd int) (unsafe.Pointer, error) {
	if err := unix.Ftruncate(fd, mem.PageSize); err != nil {
		return nil, err
	}
	return unix.MmapPtr(fd, 0, nil, mem.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

// highPipe makes a close-on-exec pipe among guestrun's own fds.
func highPipe() ([2]int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return p, err
	}
	for i := range p {
		if h, err := unix.FcntlInt(uintptr(p[i]), unix.F_DUPFD_CLOEXEC, reservedFloor()); err == nil {
			unix.Close(p[i])
			p[i] = h
		}
	}
	return p, nil
}
