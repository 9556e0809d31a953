package syscall

import (
	"golang.org/x/sys/unix"
)

// Waiting for fds: poll, select and epoll. struct pollfd, fd_set and the
// packed 12-byte struct epoll_event are the host's, so the guest's arrays are
// handed over in place; epoll's data word passes through untouched.
//
// The signal masks of ppoll, pselect6 and epoll_pwait are checked but not
// given to the host: guest signals are guestrun's (package signal), and the
// host thread's mask must stay guestrun's.

const (
	pollfdSize     = 8
	epollEventSize = 12
	timespecSize   = 16
)

func init() {
	def(unix.SYS_POLL, "poll", sysPoll, ArgPtr, ArgUint, ArgInt)
	def(unix.SYS_PPOLL, "ppoll", sysPpoll, ArgPtr, ArgUint, ArgPtr, ArgPtr, ArgUint)
	def(unix.SYS_SELECT, "select", sysSelect, ArgInt, ArgPtr, ArgPtr, ArgPtr, ArgPtr)
	def(unix.SYS_PSELECT6, "pselect6", sysPselect6, ArgInt, ArgPtr, ArgPtr, ArgPtr, ArgPtr, ArgPtr)
	def(unix.SYS_EPOLL_CREATE, "epoll_create", sysEpollCreate, ArgInt)
	def(unix.SYS_EPOLL_CREATE1, "epoll_create1", sysEpollCreate1, ArgHex)
	def(unix.SYS_EPOLL_CTL, "epoll_ctl", sysEpollCtl, ArgFD, ArgInt, ArgFD, ArgPtr)
	def(unix.SYS_EPOLL_WAIT, "epoll_wait", sysEpollWait, ArgFD, ArgPtr, ArgInt, ArgInt)
	def(unix.SYS_EPOLL_PWAIT, "epoll_pwait", sysEpollPwait, ArgFD, ArgPtr, ArgInt, ArgInt, ArgPtr, ArgUint)
	def(unix.SYS_EPOLL_PWAIT2, "epoll_pwait2", sysEpollPwait2, ArgFD, ArgPtr, ArgInt, ArgPtr, ArgPtr, ArgUint)
}

// waitMask checks a wait call's signal mask argument.
func (t *Task) waitMask(addr, size uint64) int64 {
	if addr == 0 {
		return 0
	}
	if size != 8 {
		return -int64(unix.EINVAL)
	}
	if _, ok := t.in(addr, 8); !ok {
		return efault
	}
	return 0
}

// pollfds translates poll's array, which the kernel reads and updates.
func (t *Task) pollfds(addr, n uint64) (uintptr, bool) {
	if n > 1<<20 { // far above any RLIMIT_NOFILE: the kernel says EINVAL
		return 0, true
	}
	return t.gp(addr, n*pollfdSize, unix.PROT_WRITE)
}

func sysPoll(t *Task, a *Args) int64 {
	p, ok := t.pollfds(a[0], a[1])
	if !ok {
		return efault
	}
	return t.hcall(unix.SYS_POLL, p, uintptr(a[1]), uintptr(a[2]))
}

// sysPpoll: the kernel writes the time left back into the timeout, and
// ignores a timeout it cannot write, so it need only be readable.
func sysPpoll(t *Task, a *Args) int64 {
	p, ok := t.pollfds(a[0], a[1])
	if !ok {
		return efault
	}
	ts, ok := t.gp(a[2], timespecSize, unix.PROT_READ)
	if !ok {
		return efault
	}
	if e := t.waitMask(a[3], a[4]); e != 0 {
		return e
	}
	return t.hcall6(unix.SYS_PPOLL, p, uintptr(a[1]), ts, 0, 0, 0)
}

// fdsets translates select's three fd_sets of nfds bits.
func (t *Task) fdsets(nfds uint64, sets []uint64) (h [3]uintptr, e int64) {
	n := int64(int32(nfds))
	if n < 0 {
		return h, -int64(unix.EINVAL)
	}
	size := uint64(n+63) / 64 * 8
	for i, s := range sets {
		p, ok := t.gp(s, size, unix.PROT_WRITE)
		if !ok {
			return h, efault
		}
		h[i] = p
	}
	return h, 0
}

func sysSelect(t *Task, a *Args) int64 {
	h, e := t.fdsets(a[0], a[1:4])
	if e != 0 {
		return e
	}
	tv, ok := t.gp(a[4], 16, unix.PROT_READ)
	if !ok {
		return efault
	}
	return t.hcall6(unix.SYS_SELECT, uintptr(a[0]), h[0], h[1], h[2], tv, 0)
}

// sysPselect6: the sixth argument points to { const sigset_t *ss; size_t len; }.
func sysPselect6(t *Task, a *Args) int64 {
	h, e := t.fdsets(a[0], a[1:4])
	if e != 0 {
		return e
	}
	ts, ok := t.gp(a[4], timespecSize, unix.PROT_READ)
	if !ok {
		return efault
	}
	if a[5] != 0 {
		ss, ok := t.in(a[5], 16)
		if !ok {
			return efault
		}
		if e := t.waitMask(leU64(ss), leU64(ss[8:])); e != 0 {
			return e
		}
	}
	return t.hcall6(unix.SYS_PSELECT6, uintptr(a[0]), h[0], h[1], h[2], ts, 0)
}

func sysEpollCreate(t *Task, a *Args) int64 {
	if int32(a[0]) <= 0 {
		return -int64(unix.EINVAL)
	}
	return t.hraw(unix.SYS_EPOLL_CREATE1, 0, 0, 0)
}

func sysEpollCreate1(t *Task, a *Args) int64 {
	return t.hraw(unix.SYS_EPOLL_CREATE1, uintptr(a[0]), 0, 0)
}

func sysEpollCtl(t *Task, a *Args) int64 {
	if t.badFD(a[0]) || t.badFD(a[2]) {
		return fdBad
	}
	ev, ok := t.gp(a[3], epollEventSize, unix.PROT_READ)
	if !ok {
		return efault
	}
	return t.hraw6(unix.SYS_EPOLL_CTL, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]), ev, 0, 0)
}

// epollEvents translates epoll_wait's output array, keeping the whole events
// of its accessible start as the kernel writes only the ready ones.
func (t *Task) epollEvents(addr, maxevents uint64) (uintptr, uintptr, int64) {
	n := int64(int32(maxevents))
	if n <= 0 {
		return 0, uintptr(n), 0 // EINVAL from the kernel
	}
	p, size, e := t.gbuf(addr, uint64(n)*epollEventSize, unix.PROT_WRITE)
	if e == 0 && size < epollEventSize {
		e = efault
	}
	return p, uintptr(size / epollEventSize), e
}

func sysEpollWait(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, n, e := t.epollEvents(a[1], a[2])
	if e != 0 {
		return e
	}
	return t.hcall6(unix.SYS_EPOLL_WAIT, uintptr(a[0]), p, n, uintptr(a[3]), 0, 0)
}

func sysEpollPwait(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, n, e := t.epollEvents(a[1], a[2])
	if e != 0 {
		return e
	}
	if e := t.waitMask(a[4], a[5]); e != 0 {
		return e
	}
	return t.hcall6(unix.SYS_EPOLL_WAIT, uintptr(a[0]), p, n, uintptr(a[3]), 0, 0)
}

func sysEpollPwait2(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, n, e := t.epollEvents(a[1], a[2])
	if e != 0 {
		return e
	}
	ts, ok := t.gp(a[3], timespecSize, unix.PROT_READ)
	if !ok {
		return efault
	}
	if e := t.waitMask(a[4], a[5]); e != 0 {
		return e
	}
	return t.hcall6(unix.SYS_EPOLL_PWAIT2, uintptr(a[0]), p, n, ts, 0, 0)
}
