package syscall

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Thread bookkeeping and futexes. Guest memory is host memory and guest tids
// are host tids, so futexes go to the host futex on the translated address:
// private futexes key on it within guestrun's address space, shared ones on
// the memfd page, which another guestrun process mapping the same memory
// shares. Host page protection mirrors the guest's, so the kernel's own
// access checks give the guest's EFAULTs.

func init() {
	def(unix.SYS_SET_TID_ADDRESS, "set_tid_address", sysSetTidAddress, ArgPtr)
	def(unix.SYS_SET_ROBUST_LIST, "set_robust_list", sysSetRobustList, ArgPtr, ArgUint)
	def(unix.SYS_GET_ROBUST_LIST, "get_robust_list", sysGetRobustList, ArgInt, ArgPtr, ArgPtr)
	def(unix.SYS_RSEQ, "rseq", sysRseq, ArgPtr, ArgHex, ArgInt, ArgHex)
	def(unix.SYS_FUTEX, "futex", sysFutex, ArgPtr, ArgFutexOp, ArgUint, ArgFutexArg, ArgFutexArg, ArgFutexArg)
	def(unix.SYS_FUTEX_WAITV, "futex_waitv", sysFutexWaitv, ArgPtr, ArgUint, ArgFlags, ArgPtr, ArgInt)
	def(unix.SYS_FUTEX_WAKE, "futex_wake", sysFutexWake, ArgPtr, ArgHex, ArgInt, ArgFlags)
	def(unix.SYS_FUTEX_WAIT, "futex_wait", sysFutexWait, ArgPtr, ArgUint, ArgHex, ArgFlags, ArgPtr, ArgInt)
	def(unix.SYS_FUTEX_REQUEUE, "futex_requeue", sysFutexRequeue, ArgPtr, ArgFlags, ArgInt, ArgInt)
	defRaw(unix.SYS_MEMBARRIER, "membarrier", ArgInt, ArgFlags, ArgInt)
}

// robustListHeadLen is sizeof(struct robust_list_head).
const robustListHeadLen = 24

func sysSetTidAddress(t *Task, a *Args) int64 {
	t.ClearChildTID = a[0]
	return int64(t.Tid)
}

// The robust list holds guest pointers, so the host kernel must never walk
// it: it is only stored, for get_robust_list and for thread exit.
func sysSetRobustList(t *Task, a *Args) int64 {
	if a[1] != robustListHeadLen {
		return -int64(unix.EINVAL)
	}
	t.RobustList, t.RobustLen = a[0], a[1]
	return 0
}

func sysGetRobustList(t *Task, a *Args) int64 {
	target := t
	if pid := int(int32(a[0])); pid != 0 && pid != t.Tid {
		if target = t.P.thread(pid); target == nil {
			return -int64(unix.ESRCH)
		}
	}
	if !t.writeU64(a[2], robustListHeadLen) || !t.writeU64(a[1], target.RobustList) {
		return efault
	}
	return 0
}

// sysRseq answers as a kernel without restartable sequences: the guest's
// instructions are not preempted the way rseq critical sections assume,
// and glibc and musl manage without it.
func sysRseq(t *Task, a *Args) int64 { return -int64(unix.ENOSYS) }

// futex(2) commands and flags.
const (
	futexWait          = 0
	futexWake          = 1
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexLockPI        = 6
	futexUnlockPI      = 7
	futexTrylockPI     = 8
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexWaitRequeuePI = 11
	futexCmpRequeuePI  = 12
	futexLockPI2       = 13
	futexCmdMask       = 0x7f
	futexBitsetAny     = 0xffffffff
	futexClockRealtime = 256
	futexWaitvMax      = 128
	futexWaitvLen      = 24 // struct futex_waitv
)

// futexAddr translates a futex word's address. Only the window is checked:
// the host kernel checks alignment and the page's protection itself.
func (t *Task) futexAddr(addr uint64) (uintptr, bool) {
	if !mem.InWindow(addr, 8) {
		return 0, false
	}
	return uintptr(t.P.Mem.Base()) + uintptr(addr), true
}

type timespec struct{ sec, nsec int64 }

func (ts *timespec) valid() bool { return ts.sec >= 0 && ts.nsec >= 0 && ts.nsec < 1e9 }

func (t *Task) readTimespec(addr uint64) (timespec, bool) {
	var b [tspecLen]byte
	if !t.copyIn(addr, b[:]) {
		return timespec{}, false
	}
	le := binary.LittleEndian
	return timespec{int64(le.Uint64(b[:])), int64(le.Uint64(b[8:]))}, true
}

func now(clock int) timespec {
	var ts unix.Timespec
	unix.ClockGettime(int32(clock), &ts)
	return timespec{ts.Sec, ts.Nsec}
}

// sub returns a-b, or false if a is not after b.
func (a timespec) sub(b timespec) (timespec, bool) {
	d := timespec{a.sec - b.sec, a.nsec - b.nsec}
	if d.nsec < 0 {
		d.sec--
		d.nsec += 1e9
	}
	return d, d.sec > 0 || d.sec == 0 && d.nsec > 0
}

func (a timespec) add(b timespec) timespec {
	s := timespec{a.sec + b.sec, a.nsec + b.nsec}
	if s.nsec >= 1e9 {
		s.sec++
		s.nsec -= 1e9
	}
	return s
}

func sysFutex(t *Task, a *Args) int64 {
	op := int(int32(a[1]))
	uaddr, ok := t.futexAddr(a[0])
	if !ok {
		return efault
	}
	switch op & futexCmdMask {
	case futexWake, futexWakeBitset, futexUnlockPI, futexTrylockPI:
		return t.hraw6(unix.SYS_FUTEX, uaddr, uintptr(op), uintptr(a[2]), 0, 0, uintptr(a[5]))
	case futexRequeue, futexCmpRequeue, futexWakeOp, futexCmpRequeuePI:
		// The fourth argument is a count here, not a timeout.
		uaddr2, ok := t.futexAddr(a[4])
		if !ok {
			return efault
		}
		return t.hraw6(unix.SYS_FUTEX, uaddr, uintptr(op), uintptr(a[2]), uintptr(a[3]), uaddr2, uintptr(a[5]))
	case futexWait, futexWaitBitset, futexLockPI, futexLockPI2, futexWaitRequeuePI:
		return t.futexWait(uaddr, op, a)
	}
	return -int64(unix.ENOSYS)
}

// futexWait runs the blocking commands.
func (t *Task) futexWait(uaddr uintptr, op int, a *Args) int64 {
	var uaddr2 uintptr
	if op&futexCmdMask == futexWaitRequeuePI {
		var ok bool
		if uaddr2, ok = t.futexAddr(a[4]); !ok {
			return efault
		}
	}
	var ts *timespec
	if a[3] != 0 {
		v, ok := t.readTimespec(a[3])
		if !ok {
			return efault
		}
		ts = &v
	}
	return t.futexBlock(uaddr, op, a[2], ts, uaddr2, a[5])
}

// futexBlock waits on a futex. Interrupted by a guest signal, a wait without
// timeout is restarted after a SA_RESTART handler (ERESTARTSYS), one with a
// timeout only if no handler runs, and then until the same expiry (the
// kernel's restart block); the PI lock operations are always restarted. A
// host EINTR that no guest signal explains is waited out, with the time
// left.
func (t *Task) futexBlock(uaddr uintptr, op int, val uint64, ts *timespec, uaddr2 uintptr, val3 uint64) int64 {
	cmd := op & futexCmdMask
	relative := cmd == futexWait && ts != nil && ts.valid()
	clock := unix.CLOCK_MONOTONIC
	if op&futexClockRealtime != 0 {
		clock = unix.CLOCK_REALTIME
	}
	var deadline timespec
	if relative {
		deadline = now(clock).add(*ts)
	}
	for retry := false; ; retry = true {
		r := t.safe(retry, unix.SYS_FUTEX, uaddr, uintptr(op), uintptr(val), uintptr(unsafe.Pointer(ts)), uaddr2, uintptr(val3))
		if r != -int64(unix.EINTR) {
			return r
		}
		if t.interrupted() {
			switch {
			case cmd == futexWaitRequeuePI, cmd == futexLockPI, cmd == futexLockPI2:
				return -int64(errRestartNoIntr)
			case ts == nil:
				return -int64(errRestartSys)
			case relative:
				// FUTEX_WAIT_BITSET takes the expiry as absolute.
				bop := op&^futexCmdMask | futexWaitBitset
				t.sigs.restart = func(t *Task) int64 {
					dl := deadline
					return t.futexBlock(uaddr, bop, val, &dl, 0, futexBitsetAny)
				}
				return -int64(errRestartBlock)
			}
			// An absolute timeout: the same call again.
			return -int64(errRestartNoHand)
		}
		if relative {
			left, ok := deadline.sub(now(clock))
			if !ok {
				return -int64(unix.ETIMEDOUT)
			}
			*ts = left
		}
	}
}

// futexWaitv translates a futex_waitv array into host addresses.
func (t *Task) futexWaitv(addr, n uint64) ([]byte, int64) {
	if addr == 0 || n == 0 || n > futexWaitvMax {
		return nil, -int64(unix.EINVAL)
	}
	w := make([]byte, n*futexWaitvLen)
	if !t.copyIn(addr, w) {
		return nil, efault
	}
	for i := uint64(0); i < n; i++ {
		e := w[i*futexWaitvLen:]
		p, ok := t.futexAddr(binary.LittleEndian.Uint64(e[8:]))
		if !ok {
			return nil, efault
		}
		binary.LittleEndian.PutUint64(e[8:], uint64(p))
	}
	return w, 0
}

func sysFutexWaitv(t *Task, a *Args) int64 {
	if a[2] != 0 {
		return -int64(unix.EINVAL)
	}
	w, e := t.futexWaitv(a[0], a[1])
	if e != 0 {
		return e
	}
	var ts *timespec
	if a[3] != 0 {
		v, ok := t.readTimespec(a[3])
		if !ok {
			return efault
		}
		ts = &v
	}
	return t.hcall6(unix.SYS_FUTEX_WAITV, uintptr(unsafe.Pointer(&w[0])), uintptr(a[1]), 0,
		uintptr(unsafe.Pointer(ts)), uintptr(a[4]), 0)
}

func sysFutexWake(t *Task, a *Args) int64 {
	uaddr, ok := t.futexAddr(a[0])
	if !ok {
		return efault
	}
	return t.hraw6(unix.SYS_FUTEX_WAKE, uaddr, uintptr(a[1]), uintptr(a[2]), uintptr(a[3]), 0, 0)
}

func sysFutexWait(t *Task, a *Args) int64 {
	uaddr, ok := t.futexAddr(a[0])
	if !ok {
		return efault
	}
	var ts *timespec
	if a[4] != 0 {
		v, ok := t.readTimespec(a[4])
		if !ok {
			return efault
		}
		ts = &v
	}
	return t.hcall6(unix.SYS_FUTEX_WAIT, uaddr, uintptr(a[1]), uintptr(a[2]), uintptr(a[3]),
		uintptr(unsafe.Pointer(ts)), uintptr(a[5]))
}

func sysFutexRequeue(t *Task, a *Args) int64 {
	if a[0] == 0 {
		return efault
	}
	w := make([]byte, 2*futexWaitvLen)
	if !t.copyIn(a[0], w) {
		return efault
	}
	for i := 0; i < 2; i++ {
		e := w[i*futexWaitvLen:]
		p, ok := t.futexAddr(binary.LittleEndian.Uint64(e[8:]))
		if !ok {
			return efault
		}
		binary.LittleEndian.PutUint64(e[8:], uint64(p))
	}
	return t.hraw6(unix.SYS_FUTEX_REQUEUE, uintptr(unsafe.Pointer(&w[0])), uintptr(a[1]), uintptr(a[2]), uintptr(a[3]), 0, 0)
}
