package syscall

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// clone and clone3: the arguments are read and checked as the kernel does,
// in its order, then a thread (CLONE_THREAD) is created here (threads.go), a
// process that does not share memory by the fork code (cloneProcess), and
// one that shares it without being a thread by clonevm.go.

func init() {
	def(unix.SYS_CLONE, "clone", sysClone, ArgCloneFlags, ArgPtr, ArgPtr, ArgPtr, ArgHex)
	def(unix.SYS_CLONE3, "clone3", sysClone3, ArgPtr, ArgUint)
}

// CloneArgs is a clone request as the kernel's struct kernel_clone_args
// holds it, after clone or clone3 read and checked it. Addresses are guest
// addresses.
type CloneArgs struct {
	Flags      uint64 // CLONE_* flags, without the exit signal
	Pidfd      uint64 // CLONE_PIDFD: where the pidfd goes (an int)
	ChildTID   uint64 // CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID
	ParentTID  uint64 // CLONE_PARENT_SETTID
	ExitSignal uint64
	// Stack is the child's initial stack pointer, or 0 to keep the
	// parent's. For clone3, whose clone_args give the lowest address and
	// the size, it is already their sum, as in the kernel.
	Stack     uint64
	StackSize uint64
	TLS       uint64 // CLONE_SETTLS: the child's FS base
	SetTID    []int32
	Cgroup    uint64 // CLONE_INTO_CGROUP: a cgroup directory fd
}

const (
	cloneSignalMask = 0xff       // CSIGNAL
	cloneLegacy     = 0xffffffff // CLONE_LEGACY_FLAGS
	maxPidNSLevel   = 32
	// taskSizeMax is the end of the user address range (TASK_SIZE_MAX).
	taskSizeMax = 1<<47 - 4096
	pidfdThread = unix.O_EXCL // PIDFD_THREAD
)

func sysClone(t *Task, a *Args) int64 {
	flags := a[0] & 0xffffffff
	args := CloneArgs{
		Flags:      flags &^ cloneSignalMask,
		Pidfd:      a[2],
		ChildTID:   a[3],
		ParentTID:  a[2],
		ExitSignal: flags & cloneSignalMask,
		Stack:      a[1],
		TLS:        a[4],
	}
	return t.clone(&args)
}

func sysClone3(t *Task, a *Args) int64 {
	args, e := t.cloneArgs(a[0], a[1])
	if e != 0 {
		return e
	}
	if !clone3Valid(args) {
		return -int64(unix.EINVAL)
	}
	return t.clone(args)
}

// cloneArgs reads clone3's struct clone_args of size bytes.
func (t *Task) cloneArgs(addr, size uint64) (*CloneArgs, int64) {
	const known = unix.CLONE_ARGS_SIZE_VER2
	if size > 4096 {
		return nil, -int64(unix.E2BIG)
	}
	if size < unix.CLONE_ARGS_SIZE_VER0 {
		return nil, -int64(unix.EINVAL)
	}
	b, ok := t.in(addr, size)
	if !ok {
		return nil, efault
	}
	// A larger struct from a newer program is fine if what this kernel
	// does not know is zero.
	for _, c := range b[min(size, known):] {
		if c != 0 {
			return nil, -int64(unix.E2BIG)
		}
	}
	var w [known / 8]uint64
	for i := range w {
		if uint64(8*i) < size {
			w[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
	}
	const (
		iFlags = iota
		iPidfd
		iChildTID
		iParentTID
		iExitSignal
		iStack
		iStackSize
		iTLS
		iSetTID
		iSetTIDSize
		iCgroup
	)
	setTID, n := w[iSetTID], w[iSetTIDSize]
	switch {
	case n > maxPidNSLevel, setTID == 0 && n > 0, setTID != 0 && n == 0:
		return nil, -int64(unix.EINVAL)
	case w[iExitSignal]&^cloneSignalMask != 0 || w[iExitSignal] > signal.NSig:
		return nil, -int64(unix.EINVAL)
	case w[iFlags]&unix.CLONE_INTO_CGROUP != 0 && (w[iCgroup] > 1<<31-1 || size < unix.CLONE_ARGS_SIZE_VER2):
		return nil, -int64(unix.EINVAL)
	}
	args := &CloneArgs{
		Flags:      w[iFlags],
		Pidfd:      w[iPidfd],
		ChildTID:   w[iChildTID],
		ParentTID:  w[iParentTID],
		ExitSignal: w[iExitSignal],
		Stack:      w[iStack],
		StackSize:  w[iStackSize],
		TLS:        w[iTLS],
		Cgroup:     w[iCgroup],
	}
	if n > 0 {
		tb, ok := t.in(setTID, 4*n)
		if !ok {
			return nil, efault
		}
		for i := uint64(0); i < n; i++ {
			args.SetTID = append(args.SetTID, int32(binary.LittleEndian.Uint32(tb[4*i:])))
		}
	}
	return args, 0
}

// clone3Valid is the kernel's clone3_args_valid; it also turns the stack
// range into the initial stack pointer.
func clone3Valid(a *CloneArgs) bool {
	fl := a.Flags
	switch {
	case fl&^(cloneLegacy|unix.CLONE_CLEAR_SIGHAND|unix.CLONE_INTO_CGROUP) != 0,
		fl&(unix.CLONE_DETACHED|cloneSignalMask&^unix.CLONE_NEWTIME) != 0,
		fl&unix.CLONE_SIGHAND != 0 && fl&unix.CLONE_CLEAR_SIGHAND != 0,
		fl&(unix.CLONE_THREAD|unix.CLONE_PARENT) != 0 && a.ExitSignal != 0:
		return false
	}
	if a.Stack == 0 {
		return a.StackSize == 0
	}
	if a.StackSize == 0 || a.StackSize > taskSizeMax || a.Stack > taskSizeMax-a.StackSize {
		return false
	}
	a.Stack += a.StackSize
	return true
}

// clone applies the checks common to clone and clone3 (the kernel's
// kernel_clone and copy_process) and creates the thread or process.
func (t *Task) clone(a *CloneArgs) int64 {
	fl := a.Flags
	switch {
	case fl&unix.CLONE_PIDFD != 0 && fl&unix.CLONE_PARENT_SETTID != 0 && a.Pidfd == a.ParentTID,
		fl&unix.CLONE_NEWNS != 0 && fl&unix.CLONE_FS != 0,
		fl&unix.CLONE_NEWUSER != 0 && fl&unix.CLONE_FS != 0,
		fl&unix.CLONE_THREAD != 0 && fl&unix.CLONE_SIGHAND == 0,
		fl&unix.CLONE_SIGHAND != 0 && fl&unix.CLONE_VM == 0,
		fl&unix.CLONE_PARENT != 0 && t.P.Pid == 1,
		fl&unix.CLONE_THREAD != 0 && fl&(unix.CLONE_NEWUSER|unix.CLONE_NEWPID) != 0,
		fl&unix.CLONE_PIDFD != 0 && fl&unix.CLONE_DETACHED != 0:
		return -int64(unix.EINVAL)
	}
	switch {
	case fl&unix.CLONE_THREAD != 0:
		return t.cloneThread(a)
	case fl&unix.CLONE_VM == 0:
		return t.cloneProcess(a)
	}
	return t.cloneVM(a)
}
