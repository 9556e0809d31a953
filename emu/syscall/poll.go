package syscall

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// Waiting for fds: poll, select and epoll. struct pollfd, fd_set and the
// packed 12-byte struct epoll_event are the host's, so the guest's arrays are
// handed over in place; epoll's data word passes through untouched.
//
// The signal masks of ppoll, pselect6 and epoll_pwait are guest masks: they
// replace the guest thread's mask for the duration of the call (masked),
// and the host thread's mask stays guestrun's.

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

// waitMask reads a wait call's signal mask argument; set is false without
// one.
func (t *Task) waitMask(addr, size uint64) (mask signal.Set, set bool, e int64) {
	if addr == 0 {
		return 0, false, 0
	}
	if size != 8 {
		return 0, false, -int64(unix.EINVAL)
	}
	v, ok := t.readU64(addr)
	if !ok {
		return 0, false, efault
	}
	return signal.Set(v), true, 0
}

// masked runs call, a wait, under the guest signal mask mask, as the kernel
// runs ppoll, pselect6 and epoll_pwait: intr is the call's result when a
// signal interrupts it, and then the old mask comes back only after the
// signal's handler (deliver.go), otherwise at once. A signal that the mask
// lets through and that is pending already, or arrives just before the
// call, interrupts it, unless probe (the call without waiting) finds
// something ready, which the kernel looks at first.
func (t *Task) masked(mask signal.Set, call, probe func() int64, intr int64) int64 {
	var r int64
	if t.Sig.SetTempMask(mask) {
		r = -int64(errRestartNoIntr)
	} else {
		r = call()
	}
	if r == -int64(errRestartNoIntr) {
		if r = probe(); r == 0 {
			return intr
		}
	}
	if r != intr {
		t.Sig.RestoreSavedMask()
	}
	return r
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
	mask, set, e := t.waitMask(a[3], a[4])
	if e != 0 {
		return e
	}
	call := func() int64 { return t.hcall6(unix.SYS_PPOLL, p, uintptr(a[1]), ts, 0, 0, 0) }
	if !set {
		return call()
	}
	probe := func() int64 {
		var zero timespec
		return t.hraw6(unix.SYS_PPOLL, p, uintptr(a[1]), uintptr(unsafe.Pointer(&zero)), 0, 0, 0)
	}
	return t.masked(mask, call, probe, -int64(errRestartNoHand))
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
	var mask signal.Set
	var set bool
	if a[5] != 0 {
		ss, ok := t.in(a[5], 16)
		if !ok {
			return efault
		}
		if mask, set, e = t.waitMask(leU64(ss), leU64(ss[8:])); e != 0 {
			return e
		}
	}
	call := func() int64 { return t.hcall6(unix.SYS_PSELECT6, uintptr(a[0]), h[0], h[1], h[2], ts, 0) }
	if !set {
		return call()
	}
	return t.masked(mask, call, func() int64 { return t.selectProbe(a[0], a[1:4]) }, -int64(errRestartNoHand))
}

// selectProbe is select without waiting, on copies of the fd sets at the
// guest addresses sets: the guest's are written only if some fd is ready,
// since an interrupted select leaves them alone.
func (t *Task) selectProbe(nfds uint64, sets []uint64) int64 {
	size := uint64(int64(int32(nfds))+63) / 64 * 8
	var copies [3][]byte
	var c [3]uintptr
	for i, addr := range sets {
		if addr == 0 {
			continue
		}
		copies[i] = make([]byte, size+1) // never empty
		if !t.copyIn(addr, copies[i][:size]) {
			return efault
		}
		c[i] = uintptr(unsafe.Pointer(&copies[i][0]))
	}
	var zero timespec
	r := t.hraw6(unix.SYS_PSELECT6, uintptr(nfds), c[0], c[1], c[2], uintptr(unsafe.Pointer(&zero)), 0)
	if r > 0 {
		for i, addr := range sets {
			if addr != 0 && !t.copyOut(addr, copies[i][:size]) {
				return efault
			}
		}
	}
	return r
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
	mask, set, e := t.waitMask(a[4], a[5])
	if e != 0 {
		return e
	}
	call := func() int64 { return t.hcall6(unix.SYS_EPOLL_WAIT, uintptr(a[0]), p, n, uintptr(a[3]), 0, 0) }
	if !set {
		return call()
	}
	probe := func() int64 { return t.hraw6(unix.SYS_EPOLL_WAIT, uintptr(a[0]), p, n, 0, 0, 0) }
	return t.masked(mask, call, probe, -int64(unix.EINTR))
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
	mask, set, e := t.waitMask(a[4], a[5])
	if e != 0 {
		return e
	}
	call := func() int64 { return t.hcall6(unix.SYS_EPOLL_PWAIT2, uintptr(a[0]), p, n, ts, 0, 0) }
	if !set {
		return call()
	}
	probe := func() int64 { return t.hraw6(unix.SYS_EPOLL_WAIT, uintptr(a[0]), p, n, 0, 0, 0) }
	return t.masked(mask, call, probe, -int64(unix.EINTR))
}
