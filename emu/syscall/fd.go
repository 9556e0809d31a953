package syscall

import (
	"strconv"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
)

// File descriptors: dup, fcntl, and the calls that make new fds (pipes,
// eventfd, memfd, inotify).

func init() {
	def(unix.SYS_DUP, "dup", sysDup, ArgFD)
	def(unix.SYS_DUP2, "dup2", sysDup2, ArgFD, ArgFD)
	def(unix.SYS_DUP3, "dup3", sysDup3, ArgFD, ArgFD, ArgHex)
	def(unix.SYS_FCNTL, "fcntl", sysFcntl, ArgFD, ArgFcntlCmd, ArgFcntlArg)

	def(unix.SYS_PIPE, "pipe", sysPipe, ArgFDPairOut)
	def(unix.SYS_PIPE2, "pipe2", sysPipe2, ArgFDPairOut, ArgHex)
	def(unix.SYS_EVENTFD, "eventfd", sysEventfd, ArgUint)
	def(unix.SYS_EVENTFD2, "eventfd2", sysEventfd2, ArgUint, ArgHex)
	def(unix.SYS_MEMFD_CREATE, "memfd_create", sysMemfdCreate, ArgStr, ArgHex)
	def(unix.SYS_INOTIFY_INIT, "inotify_init", sysInotifyInit)
	def(unix.SYS_INOTIFY_INIT1, "inotify_init1", sysInotifyInit1, ArgHex)
	def(unix.SYS_INOTIFY_ADD_WATCH, "inotify_add_watch", pass(unix.SYS_INOTIFY_ADD_WATCH, sFD, sPath, sVal), ArgFD, ArgStr, ArgHex)
	def(unix.SYS_INOTIFY_RM_WATCH, "inotify_rm_watch", pass(unix.SYS_INOTIFY_RM_WATCH, sFD, sVal), ArgFD, ArgInt)
}

func sysDup(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	return t.hraw(unix.SYS_DUP, uintptr(a[0]), 0, 0)
}

// sysDup2 and sysDup3 refuse a reserved newfd with EBADF (as for an fd
// beyond RLIMIT_NOFILE) rather than closing guestrun's fd under it.
func sysDup2(t *Task, a *Args) int64 {
	if t.badFD(a[0]) || t.badFD(a[1]) {
		return fdBad
	}
	// dup2 closes newfd, which may flush to a slow device.
	return t.hcall(unix.SYS_DUP2, uintptr(a[0]), uintptr(a[1]), 0)
}

func sysDup3(t *Task, a *Args) int64 {
	if t.badFD(a[0]) || t.badFD(a[1]) {
		return fdBad
	}
	return t.hcall(unix.SYS_DUP3, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]))
}

// fcntl commands missing from x/sys/unix.
const (
	fGetRWHint     = 1035
	fSetRWHint     = 1036
	fGetFileRWHint = 1037
	fSetFileRWHint = 1038
	fDupfdQuery    = 1027
	fCreatedQuery  = 1028
)

// fcntlArg says what fcntl's third argument is for cmd: -1 a plain value,
// otherwise the size of the struct it points to (read and written), or
// ok false for a command guestrun does not know, whose argument might be a
// pointer the kernel must not see untranslated.
func fcntlArg(cmd int) (size int, ok bool) {
	switch cmd {
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC, unix.F_GETFD, unix.F_SETFD, unix.F_GETFL, unix.F_SETFL,
		unix.F_GETOWN, unix.F_SETOWN, unix.F_GETSIG, unix.F_SETSIG, unix.F_GETLEASE, unix.F_SETLEASE,
		unix.F_NOTIFY, unix.F_GETPIPE_SZ, unix.F_SETPIPE_SZ, unix.F_ADD_SEALS, unix.F_GET_SEALS,
		fDupfdQuery, fCreatedQuery:
		return -1, true
	case unix.F_GETLK, unix.F_SETLK, unix.F_SETLKW, unix.F_OFD_GETLK, unix.F_OFD_SETLK, unix.F_OFD_SETLKW:
		return 32, true // struct flock
	case unix.F_GETOWN_EX, unix.F_SETOWN_EX:
		return 8, true // struct f_owner_ex
	case fGetRWHint, fSetRWHint, fGetFileRWHint, fSetFileRWHint:
		return 8, true // u64
	}
	return 0, false
}

func sysFcntl(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	cmd := int(int32(a[1]))
	size, ok := fcntlArg(cmd)
	if !ok {
		t.P.Log.Once(dbg.Unimp, "fcntl"+strconv.Itoa(cmd), "unimp: fcntl command %d (EINVAL)", cmd)
		return -int64(unix.EINVAL)
	}
	arg := uintptr(a[2])
	if size > 0 {
		p, ok := t.gp(a[2], uint64(size), unix.PROT_WRITE)
		if !ok {
			return efault
		}
		arg = p
	}
	switch cmd {
	case unix.F_SETLKW, unix.F_OFD_SETLKW:
		return t.hcall(unix.SYS_FCNTL, uintptr(a[0]), uintptr(cmd), arg)
	}
	return t.hraw(unix.SYS_FCNTL, uintptr(a[0]), uintptr(cmd), arg)
}

func sysPipe(t *Task, a *Args) int64 {
	return t.pipe2(a[0], 0)
}

func sysPipe2(t *Task, a *Args) int64 {
	return t.pipe2(a[0], a[1])
}

func (t *Task) pipe2(fds, flags uint64) int64 {
	p, ok := t.gp(fds, 8, unix.PROT_WRITE)
	if !ok {
		return efault
	}
	return t.hraw(unix.SYS_PIPE2, p, uintptr(flags), 0)
}

func sysEventfd(t *Task, a *Args) int64 {
	return t.hraw(unix.SYS_EVENTFD2, uintptr(a[0]), 0, 0)
}

func sysEventfd2(t *Task, a *Args) int64 {
	return t.hraw(unix.SYS_EVENTFD2, uintptr(a[0]), uintptr(a[1]), 0)
}

func sysMemfdCreate(t *Task, a *Args) int64 {
	p, _, e := t.cpath(a[0])
	if e != 0 {
		return e
	}
	return t.hraw(unix.SYS_MEMFD_CREATE, p, uintptr(a[1]), 0)
}

func sysInotifyInit(t *Task, a *Args) int64 {
	return t.hraw(unix.SYS_INOTIFY_INIT1, 0, 0, 0)
}

func sysInotifyInit1(t *Task, a *Args) int64 {
	return t.hraw(unix.SYS_INOTIFY_INIT1, uintptr(a[0]), 0, 0)
}
