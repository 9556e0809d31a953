package syscall

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Time syscalls pass through to the host. Results land in Go memory first
// and are then copied to the guest, so that errors come in the kernel's
// order (EINVAL for a bad clock before EFAULT for a bad pointer).

func init() {
	def(unix.SYS_CLOCK_GETTIME, "clock_gettime", sysClockGettime, ArgClock, ArgTimespecOut)
	def(unix.SYS_CLOCK_GETRES, "clock_getres", sysClockGetres, ArgClock, ArgTimespecOut)
	def(unix.SYS_GETTIMEOFDAY, "gettimeofday", sysGettimeofday, ArgPtr, ArgPtr)
	def(unix.SYS_TIME, "time", sysTime, ArgPtr)
	def(unix.SYS_NANOSLEEP, "nanosleep", sysNanosleep, ArgTimespec, ArgTimespecOut)
	def(unix.SYS_CLOCK_NANOSLEEP, "clock_nanosleep", sysClockNanosleep, ArgClock, ArgFlags, ArgTimespec, ArgTimespecOut)
	def(unix.SYS_TIMES, "times", sysTimes, ArgPtr)
	def(unix.SYS_GETRUSAGE, "getrusage", sysGetrusage, ArgInt, ArgPtr)
}

const (
	tspecLen  = 16
	tvalLen   = 16
	tzLen     = 8
	tmsLen    = 32
	rusageLen = 144
)

// copyOut writes b to guest memory at addr; a NULL addr is skipped.
func (t *Task) copyOut(addr uint64, b []byte) bool {
	if addr == 0 {
		return true
	}
	if g, ok := t.out(addr, uint64(len(b))); ok {
		copy(g, b)
		return true
	}
	// As the kernel's copy_to_user: the bytes up to the first one that
	// is not writable are written, then the call fails with EFAULT.
	if n := t.span(addr, uint64(len(b)), unix.PROT_WRITE); n > 0 {
		if g, ok := t.out(addr, n); ok {
			copy(g, b[:n])
		}
	}
	return false
}

// copyIn reads len(b) bytes of guest memory at addr.
func (t *Task) copyIn(addr uint64, b []byte) bool {
	g, ok := t.in(addr, uint64(len(b)))
	if ok {
		copy(b, g)
	}
	return ok
}

// sysClockGettime is frequent (there is no vDSO), so the kernel writes
// straight into guest memory.
func sysClockGettime(t *Task, a *Args) int64 {
	var ts [tspecLen]byte
	if r := t.hraw(unix.SYS_CLOCK_GETTIME, uintptr(a[0]), uintptr(unsafe.Pointer(&ts)), 0); r < 0 {
		return r
	}
	if a[1] == 0 || !t.copyOut(a[1], ts[:]) {
		return efault
	}
	return 0
}

func sysClockGetres(t *Task, a *Args) int64 {
	var ts [tspecLen]byte
	if r := t.hraw(unix.SYS_CLOCK_GETRES, uintptr(a[0]), uintptr(unsafe.Pointer(&ts)), 0); r < 0 {
		return r
	}
	if !t.copyOut(a[1], ts[:]) {
		return efault
	}
	return 0
}

func sysGettimeofday(t *Task, a *Args) int64 {
	var tv [tvalLen]byte
	var tz [tzLen]byte
	if r := t.hraw(unix.SYS_GETTIMEOFDAY, uintptr(unsafe.Pointer(&tv)), uintptr(unsafe.Pointer(&tz)), 0); r < 0 {
		return r
	}
	if !t.copyOut(a[0], tv[:]) || !t.copyOut(a[1], tz[:]) {
		return efault
	}
	return 0
}

func sysTime(t *Task, a *Args) int64 {
	r := t.hraw(unix.SYS_TIME, 0, 0, 0)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(r))
	if !t.copyOut(a[0], b[:]) {
		return efault
	}
	return r
}

func sysNanosleep(t *Task, a *Args) int64 {
	return t.sleep(-1, 0, a[0], a[1])
}

func sysClockNanosleep(t *Task, a *Args) int64 {
	return t.sleep(int(int32(a[0])), int(int32(a[1])), a[2], a[3])
}

// sleep runs clock_nanosleep, or nanosleep for clock -1.
func (t *Task) sleep(clock, flags int, req, rem uint64) int64 {
	var ts [tspecLen]byte
	if !t.copyIn(req, ts[:]) {
		return efault
	}
	return t.sleepFor(clock, flags, ts, rem)
}

// sleepFor sleeps for (or until, with TIMER_ABSTIME) ts. Interrupted by a
// guest signal, a relative sleep writes the time left to rem and, if no
// handler runs, goes on for that time (the kernel's restart block); an
// absolute one is restarted only if no handler runs. A host EINTR that no
// guest signal explains is slept through.
func (t *Task) sleepFor(clock, flags int, ts [tspecLen]byte, rem uint64) int64 {
	abs := clock >= 0 && flags&unix.TIMER_ABSTIME != 0
	for retry := false; ; retry = true {
		var left [tspecLen]byte
		var r int64
		if clock >= 0 {
			r = t.safe(retry, unix.SYS_CLOCK_NANOSLEEP, uintptr(clock), uintptr(flags),
				uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(&left)), 0, 0)
		} else {
			r = t.safe(retry, unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(&left)), 0, 0, 0, 0)
		}
		switch {
		case r != -int64(unix.EINTR):
			return r
		case !t.interrupted():
			if !abs {
				ts = left
			}
			continue
		case abs:
			return -int64(errRestartNoHand)
		}
		if !t.copyOut(rem, left[:]) {
			return efault
		}
		t.sigs.restart = func(t *Task) int64 { return t.sleepFor(clock, flags, left, rem) }
		return -int64(errRestartBlock)
	}
}

func sysTimes(t *Task, a *Args) int64 {
	var b [tmsLen]byte
	r := t.hraw(unix.SYS_TIMES, uintptr(unsafe.Pointer(&b)), 0, 0)
	if !t.copyOut(a[0], b[:]) {
		return efault
	}
	return r
}

func sysGetrusage(t *Task, a *Args) int64 {
	var b [rusageLen]byte
	if r := t.hraw(unix.SYS_GETRUSAGE, uintptr(a[0]), uintptr(unsafe.Pointer(&b)), 0); r < 0 {
		return r
	}
	if !t.copyOut(a[1], b[:]) {
		return efault
	}
	return 0
}
