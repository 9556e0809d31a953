package syscall

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// wait4 and waitid. The guest's children are guestrun's host children, so
// the host waits, into guestrun's memory: a wait must never show the guest a
// hidden process (signal.IsHidden, guestrun's own helpers), which is reaped
// and waited past, with the guest's options (WNOHANG included). A guest
// signal interrupts a blocking wait as in Linux (hcall6 and deliver.go).

func init() {
	def(unix.SYS_WAIT4, "wait4", sysWait4, ArgInt, ArgWaitStatusOut, ArgHex, ArgPtr)
	def(unix.SYS_WAITID, "waitid", sysWaitid, ArgInt, ArgInt, ArgPtr, ArgHex, ArgPtr)
}

// rusageSize is sizeof(struct rusage).
const rusageSize = 144

// si_code values of SIGCHLD and waitid.
const (
	cldExited    = 1
	cldKilled    = 2
	cldDumped    = 3
	cldStopped   = 5
	cldContinued = 6
)

// waitCode is the waitid si_code (CLD_*) of a wait4 status.
func waitCode(ws unix.WaitStatus) int32 {
	switch {
	case ws.Exited():
		return cldExited
	case ws.Signaled() && ws.CoreDump():
		return cldDumped
	case ws.Signaled():
		return cldKilled
	case ws.Continued():
		return cldContinued
	}
	return cldStopped
}

func sysWait4(t *Task, a *Args) int64 {
	pid, opts := int32(a[0]), int32(a[2])
	var status int32
	var ru [rusageSize]byte
	for {
		var r int64
		if sortsClones(opts) {
			which, id := wait4Target(pid)
			r = t.waitChildren(which, id, opts, func(p int, o int32) int64 {
				return t.hraw6(unix.SYS_WAIT4, uintptr(p), uintptr(unsafe.Pointer(&status)), uintptr(o),
					uintptr(unsafe.Pointer(&ru)), 0, 0)
			})
		} else {
			r = t.hcall6(unix.SYS_WAIT4, uintptr(pid), uintptr(unsafe.Pointer(&status)), uintptr(opts),
				uintptr(unsafe.Pointer(&ru)), 0, 0)
		}
		if r > 0 && signal.IsHidden(int(r)) {
			continue
		}
		if r > 0 {
			forgetReaped(int(r), waitCode(unix.WaitStatus(status)), opts)
			signal.AwaitExit(int(r), waitCode(unix.WaitStatus(status)))
			awaitVMChild(int(r), waitCode(unix.WaitStatus(status)))
			if a[1] != 0 && !t.writeU32(a[1], uint32(status)) {
				return efault
			}
			if a[3] != 0 {
				b, ok := t.out(a[3], rusageSize)
				if !ok {
					return efault
				}
				copy(b, ru[:])
			}
		}
		return r
	}
}

func sysWaitid(t *Task, a *Args) int64 {
	which, id, opts := int32(a[0]), int32(a[1]), int32(a[3])
	if which == unix.P_PIDFD && t.badFD(uint64(uint32(id))) {
		return fdBad
	}
	var info [signal.InfoSize]byte
	var ru [rusageSize]byte
	le := binary.LittleEndian
	for {
		var r int64
		target := int(id)
		if which == unix.P_PIDFD {
			target = pidfdPid(int(id))
		}
		if sortsClones(opts) && target >= 0 && which >= unix.P_ALL && which <= unix.P_PIDFD {
			w := int(which)
			if w == unix.P_PIDFD {
				w = unix.P_PID
			}
			r = t.waitChildren(w, target, opts, func(p int, o int32) int64 {
				r := t.hraw6(unix.SYS_WAITID, unix.P_PID, uintptr(p), uintptr(unsafe.Pointer(&info)), uintptr(o),
					uintptr(unsafe.Pointer(&ru)), 0)
				if r < 0 {
					return r
				}
				si := signal.GetInfo(info[:])
				return int64(si.Pid())
			})
			r = min(r, 0)
		} else {
			r = t.hcall6(unix.SYS_WAITID, uintptr(which), uintptr(id), uintptr(unsafe.Pointer(&info)), uintptr(opts),
				uintptr(unsafe.Pointer(&ru)), 0)
		}
		if r < 0 {
			return r
		}
		si := signal.GetInfo(info[:])
		pid := si.Pid()
		forgetReaped(pid, si.Code, opts)
		if pid != 0 && signal.IsHidden(pid) {
			if opts&unix.WNOWAIT != 0 {
				// Consume the event the guest was only shown.
				var ignore [signal.InfoSize]byte
				t.hraw6(unix.SYS_WAITID, unix.P_PID, uintptr(pid), uintptr(unsafe.Pointer(&ignore)),
					uintptr(opts&^unix.WNOWAIT|unix.WNOHANG|unix.WALL), 0, 0)
			}
			continue
		}
		if pid != 0 {
			signal.AwaitExit(pid, si.Code)
			awaitVMChild(pid, si.Code)
		}
		// The kernel writes these fields only, and the rusage only for
		// a child found.
		if a[2] != 0 {
			b, ok := t.out(a[2], 28)
			if !ok {
				return efault
			}
			for _, off := range []int{0, 4, 8, 16, 20, 24} {
				le.PutUint32(b[off:], le.Uint32(info[off:]))
			}
		}
		if pid != 0 && a[4] != 0 {
			b, ok := t.out(a[4], rusageSize)
			if !ok {
				return efault
			}
			copy(b, ru[:])
		}
		return 0
	}
}
