package syscall

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// POSIX timers are the host's: its clocks, overrun counts and expiry
// semantics are exact, guest tids are host tids for SIGEV_THREAD_ID, and
// timer ids are the host's. Their signals reach the guest through package
// signal's host handler, which routes a timer's signal to the thread or
// process the guest asked for (recorded here by timer id). A signal the Go
// runtime takes for itself (SIGPROF) travels as a stand-in host signal.

func init() {
	def(unix.SYS_TIMER_CREATE, "timer_create", sysTimerCreate, ArgClock, ArgPtr, ArgPtr)
	def(unix.SYS_TIMER_SETTIME, "timer_settime",
		guestTimer(pass(unix.SYS_TIMER_SETTIME, sVal, sVal, inN(itimerspecSize), outN(itimerspecSize))), ArgInt, ArgFlags, ArgPtr, ArgPtr)
	def(unix.SYS_TIMER_GETTIME, "timer_gettime", guestTimer(pass(unix.SYS_TIMER_GETTIME, sVal, outN(itimerspecSize))), ArgInt, ArgPtr)
	def(unix.SYS_TIMER_GETOVERRUN, "timer_getoverrun", guestTimer(pass(unix.SYS_TIMER_GETOVERRUN, sVal)), ArgInt)
	def(unix.SYS_TIMER_DELETE, "timer_delete", guestTimer(sysTimerDelete), ArgInt)
}

// guestTimer refuses the host timer that emulates ITIMER_PROF, which is not
// one of the guest's timers.
func guestTimer(h Handler) Handler {
	return func(t *Task, a *Args) int64 {
		if t.P.Sig.IsProfTimer(int32(a[0])) {
			return -int64(unix.EINVAL)
		}
		return h(t, a)
	}
}

const (
	itimerspecSize = 32
	sigeventSize   = 64 // struct sigevent
	sigevSignal    = 0
	sigevNone      = 1
	sigevThreadID  = 4
)

func sysTimerCreate(t *Task, a *Args) int64 {
	var sev [sigeventSize]byte
	var hsev uintptr
	tid, sig := 0, int(unix.SIGALRM)
	if a[1] != 0 {
		if !t.copyIn(a[1], sev[:]) {
			return efault
		}
		sig = int(int32(binary.LittleEndian.Uint32(sev[8:])))
		notify := int32(binary.LittleEndian.Uint32(sev[12:]))
		if notify != sigevNone && !signal.Valid(sig) {
			return -int64(unix.EINVAL)
		}
		if notify&sigevThreadID != 0 {
			tid = int(int32(binary.LittleEndian.Uint32(sev[16:])))
		}
		if notify != sigevNone {
			binary.LittleEndian.PutUint32(sev[8:], uint32(signal.HostTimerSignal(sig)))
		}
		hsev = uintptr(unsafe.Pointer(&sev))
	}
	var id int32
	if r := t.hraw(unix.SYS_TIMER_CREATE, uintptr(a[0]), hsev, uintptr(unsafe.Pointer(&id))); r < 0 {
		return r
	}
	if !t.writeU32(a[2], uint32(id)) {
		t.hraw(unix.SYS_TIMER_DELETE, uintptr(id), 0, 0)
		return efault
	}
	t.P.Sig.SetTimer(id, tid, sig)
	return 0
}

func sysTimerDelete(t *Task, a *Args) int64 {
	r := t.hraw(unix.SYS_TIMER_DELETE, uintptr(a[0]), 0, 0)
	if r == 0 {
		t.P.Sig.DeleteTimer(int32(a[0]))
	}
	return r
}
