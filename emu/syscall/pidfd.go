package syscall

import (
	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// pidfds: the host's, on the task's own kernel task (a CLONE_VM child's
// stub has an fd table of its own). A signal for guestrun's own process
// goes to the guest's signal state, as kill does.

const (
	pidfdSignalThread      = 1 << 0 // PIDFD_SIGNAL_THREAD
	pidfdSignalThreadGroup = 1 << 1 // PIDFD_SIGNAL_THREAD_GROUP
	pidfdSignalGroup       = 1 << 2 // PIDFD_SIGNAL_PROCESS_GROUP
)

func init() {
	def(unix.SYS_PIDFD_OPEN, "pidfd_open", sysPidfdOpen, ArgInt, ArgHex)
	def(unix.SYS_PIDFD_SEND_SIGNAL, "pidfd_send_signal", sysPidfdSendSignal, ArgFD, ArgSignal, ArgPtr, ArgHex)
	def(unix.SYS_PIDFD_GETFD, "pidfd_getfd", sysPidfdGetfd, ArgFD, ArgInt, ArgHex)
}

func sysPidfdOpen(t *Task, a *Args) int64 {
	return t.hraw(unix.SYS_PIDFD_OPEN, uintptr(int32(a[0])), uintptr(uint32(a[1])), 0)
}

func sysPidfdGetfd(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	// guestrun's own fds are not the guest's to take.
	if t.badFD(a[1]) && pidfdPid(int(int32(a[0]))) == t.P.Pid {
		return fdBad
	}
	return t.hraw(unix.SYS_PIDFD_GETFD, uintptr(int32(a[0])), uintptr(int32(a[1])), uintptr(uint32(a[2])))
}

func sysPidfdSendSignal(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	fd := uintptr(int32(a[0]))
	flags := uintptr(uint32(a[3]))
	// Signal 0 checks the fd, the flags and the target.
	if r := t.hraw6(unix.SYS_PIDFD_SEND_SIGNAL, fd, 0, 0, flags, 0, 0); r < 0 {
		return r
	}
	pid := pidfdPid(int(fd))
	var target *Task
	if pid != t.P.Pid {
		target = t.P.thread(pid)
	}
	if pid != t.P.Pid && target == nil || flags&pidfdSignalGroup != 0 {
		var info uintptr
		if a[2] != 0 {
			p, ok := t.gp(a[2], signal.InfoSize, unix.PROT_READ)
			if !ok {
				return efault
			}
			info = p
		}
		r := t.hraw6(unix.SYS_PIDFD_SEND_SIGNAL, fd, uintptr(int32(a[1])), info, flags, 0, 0)
		if flags&pidfdSignalGroup != 0 {
			// guestrun may be in the group, signalled before the return.
			signal.DrainHost()
		}
		return r
	}
	sig, ok := sigArg(a[1])
	if !ok {
		return -int64(unix.EINVAL)
	}
	if flags&pidfdSignalThreadGroup != 0 || flags&pidfdSignalThread == 0 && target == nil {
		target = nil // the whole process
	} else if target == nil {
		target = t.P.thread(pid)
	}
	var info signal.Info
	if a[2] != 0 {
		b, ok := t.in(a[2], signal.InfoSize)
		if !ok {
			return efault
		}
		info = signal.GetInfo(b)
		if int(info.Signo) != sig {
			return -int64(unix.EINVAL)
		}
		// Only a thread signalling itself may claim a kernel or kill
		// si_code.
		if (info.Code >= 0 || info.Code == signal.SITKill) && pid != t.Tid {
			return -int64(unix.EPERM)
		}
	} else {
		code := int32(signal.SIUser)
		if target != nil {
			code = signal.SITKill
		}
		info = signal.KillInfo(sig, code, t.P.Pid, unix.Getuid())
	}
	if sig == 0 {
		return 0
	}
	var dst *signal.Thread
	if target != nil {
		dst = target.Sig
	}
	return errno(t.P.Sig.Send(dst, info))
}
