package syscall

import (
	"bytes"
	"encoding/gob"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/clone"
	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// fork, and clone without CLONE_VM. The guest child is a new guestrun
// process: emu/clone makes the host child, with the pid, parent, exit signal
// and namespaces the guest asked for, and it execs guestrun in resume mode
// (guestrun --resume=FD). FD is a memfd holding a snapshot of the guest:
// registers, signal state, the process image, and the memory, copied into a
// new memfd the child maps as its window (mem.Fork). The guest's fds are
// the host child's own; those with FD_CLOEXEC would vanish at the host
// execve, so the child clears the flag on them first and the resumed
// guestrun sets it again.

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
	cloneVM            = unix.CLONE_VM
	cloneFS            = unix.CLONE_FS
	cloneFiles         = unix.CLONE_FILES
	cloneSighand       = unix.CLONE_SIGHAND
	clonePidfd         = unix.CLONE_PIDFD
	clonePtrace        = unix.CLONE_PTRACE
	cloneVfork         = unix.CLONE_VFORK
	cloneParent        = unix.CLONE_PARENT
	cloneThread        = unix.CLONE_THREAD
	cloneSysvsem       = unix.CLONE_SYSVSEM
	cloneSettls        = unix.CLONE_SETTLS
	cloneParentSettid  = unix.CLONE_PARENT_SETTID
	cloneChildCleartid = unix.CLONE_CHILD_CLEARTID
	cloneDetached      = unix.CLONE_DETACHED
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

// forkReq is a request for a new process, from fork or from clone or clone3
// without CLONE_VM. Addresses are guest addresses.
type forkReq struct {
	flags      uint64 // clone flags, without the exit signal
	exitSignal uint64
	stack      uint64 // the child's stack pointer, if not 0
	tls        uint64 // with CLONE_SETTLS: the child's FS base
	parentTid  uint64 // with CLONE_PARENT_SETTID
	childTid   uint64 // with CLONE_CHILD_SETTID or CLONE_CHILD_CLEARTID
	pidfd      uint64 // with CLONE_PIDFD: where the pidfd goes (an int)
	setTid     []int32
	cgroup     uint64 // with CLONE_INTO_CGROUP
}

func sysFork(t *Task, a *Args) int64 {
	return t.fork(&forkReq{exitSignal: uint64(unix.SIGCHLD)})
}

// sysVfork refuses: a vfork child shares its parent's memory, which needs
// the CLONE_VM machinery; making it a fork would break programs that rely
// on the sharing.
func sysVfork(t *Task, a *Args) int64 {
	t.P.Log.Once(dbg.Unimp, "vfork", "unimp: vfork (ENOSYS)")
	return -int64(unix.ENOSYS)
}

// snapshot is what a forked guestrun rebuilds the guest from.
type snapshot struct {
	Launch Launch
	Mem    mem.Forked
	Image  loader.Image
	Comm   string

	Regs                       [16]uint64
	RIP, Flags, FSBase, GSBase uint64
	FX                         [512]byte

	Actions [signal.NSig]signal.Action
	Mask    signal.Set
	Alt     signal.AltStack

	ChildSetTid   uint64 // CLONE_CHILD_SETTID: where the child writes its tid
	ClearChildTid uint64 // CLONE_CHILD_CLEARTID

	Cloexec []int32 // guest fds that are close-on-exec
	VforkFD int     // CLONE_VFORK: the pipe the parent reads EOF from at exec or exit, or -1
}

// fork makes a new guest process as a copy of t's.
func (t *Task) fork(r *forkReq) int64 {
	fl := r.flags
	switch {
	case fl&cloneSighand != 0, fl&cloneThread != 0:
		// Both need CLONE_VM, which is not this path.
		return -int64(unix.EINVAL)
	case fl&clonePidfd != 0 && fl&cloneDetached != 0:
		return -int64(unix.EINVAL)
	case fl&cloneFiles != 0:
		// A shared fd table cannot survive the host execve of guestrun.
		t.P.Log.Once(dbg.Unimp, "clone-files", "unimp: clone with CLONE_FILES and without CLONE_VM (EINVAL)")
		return -int64(unix.EINVAL)
	case fl&cloneIntoCgroup != 0 && t.badFD(r.cgroup):
		return fdBad
	}
	if fl&clonePidfd != 0 {
		if _, ok := t.out(r.pidfd, 4); !ok {
			return efault
		}
	}
	s, err := t.snapshot(r)
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
	sfd, err := writeSnapshot(s)
	if err != nil {
		if s.VforkFD >= 0 {
			unix.Close(s.VforkFD)
		}
		return errno(err)
	}
	keep = append(keep, int32(sfd))
	spec := &clone.Spec{
		Flags:      fl & cloneHost,
		ExitSignal: r.exitSignal,
		SetTid:     r.setTid,
		Cgroup:     r.cgroup,
		Path:       "/proc/self/exe",
		Argv:       []string{launch.Argv0, "--resume=" + strconv.Itoa(sfd)},
		Env:        os.Environ(),
		Keep:       keep,
	}
	res, err := clone.Spawn(spec, signal.Hide)
	unix.Close(sfd)
	if s.VforkFD >= 0 {
		unix.Close(s.VforkFD)
	}
	if err != nil {
		t.P.Log.Printf(dbg.Clone, "clone: new process: %v", err)
		return errno(err)
	}
	t.P.Log.Printf(dbg.Clone, "clone: new process %d, flags %#x, exit signal %d", res.Pid, fl, r.exitSignal)
	if fl&cloneParentSettid != 0 {
		t.writeU32(r.parentTid, uint32(res.Pid))
	}
	if fl&clonePidfd != 0 {
		t.writeU32(r.pidfd, uint32(res.Pidfd))
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
func (t *Task) snapshot(r *forkReq) (*snapshot, error) {
	c := t.CPU
	s := &snapshot{
		Launch: launch,
		Image:  *t.P.Image,
		Regs:   c.R,
		RIP:    c.RIP,
		Flags:  c.Flags(),
		FSBase: c.FSBase,
		GSBase: c.GSBase,
		Mask:   t.Sig.Blocked(),
		Alt:    t.Sig.Alt,
	}
	s.Regs[cpu.RAX] = 0
	if sp := r.stack; sp != 0 {
		s.Regs[cpu.RSP] = sp
	}
	if r.flags&cloneSettls != 0 {
		s.FSBase = r.tls
	}
	c.FXSave(&s.FX)
	for sig := 1; sig <= signal.NSig; sig++ {
		a := t.P.Sig.Action(sig)
		if r.flags&cloneClearSighand != 0 && a.Handler != signal.IGN {
			a = signal.Action{}
		}
		s.Actions[sig-1] = a
	}
	if r.flags&cloneChildSettid != 0 {
		s.ChildSetTid = r.childTid
	}
	if r.flags&cloneChildCleartid != 0 {
		s.ClearChildTid = r.childTid
	}
	var comm [16]byte
	unix.Prctl(unix.PR_GET_NAME, uintptr(unsafe.Pointer(&comm[0])), 0, 0, 0)
	s.Comm = unix.ByteSliceToString(comm[:])
	var err error
	if s.Cloexec, err = t.P.cloexecFDs(); err != nil {
		return nil, err
	}
	f, err := t.P.Mem.Fork()
	if err != nil {
		return nil, unix.ENOMEM
	}
	s.Mem = *f
	return s, nil
}

// cloexecFDs lists the guest's fds that are close-on-exec.
func (p *Process) cloexecFDs() ([]int32, error) {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	dfd := int(d.Fd())
	var fds []int32
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || fd == dfd || p.reserved(fd) {
			continue
		}
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && fl&unix.FD_CLOEXEC != 0 {
			fds = append(fds, int32(fd))
		}
	}
	d.Close()
	return fds, err
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

// writeSnapshot encodes s into a close-on-exec memfd among guestrun's fds.
func writeSnapshot(s *snapshot) (int, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(s); err != nil {
		return -1, unix.ENOMEM
	}
	fd, err := unix.MemfdCreate("guestrun-fork", unix.MFD_CLOEXEC)
	if err != nil {
		return -1, err
	}
	if h, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, reservedFloor()); err == nil {
		unix.Close(fd)
		fd = h
	}
	data := b.Bytes()
	for off := 0; off < len(data); {
		n, err := unix.Pwrite(fd, data[off:], int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return -1, err
		}
		off += n
	}
	return fd, nil
}
