package syscall

import (
	"encoding/binary"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/signal"
)

// Signal syscalls. Dispositions, masks and pending signals are guestrun's
// (package signal); a signal between threads of this process is queued here
// and never goes through the host. A signal to another process is the host
// kernel's business.

func init() {
	def(unix.SYS_RT_SIGACTION, "rt_sigaction", sysRtSigaction, ArgSignal, ArgSigaction, ArgSigactionOut, ArgUint)
	def(unix.SYS_RT_SIGPROCMASK, "rt_sigprocmask", sysRtSigprocmask, ArgSigHow, ArgSigset, ArgSigsetOut, ArgUint)
	def(unix.SYS_RT_SIGPENDING, "rt_sigpending", sysRtSigpending, ArgSigsetOut, ArgUint)
	def(unix.SYS_RT_SIGRETURN, "rt_sigreturn", sysRtSigreturn)
	def(unix.SYS_RT_SIGSUSPEND, "rt_sigsuspend", sysRtSigsuspend, ArgSigset, ArgUint)
	def(unix.SYS_RT_SIGTIMEDWAIT, "rt_sigtimedwait", sysRtSigtimedwait, ArgPtr, ArgPtr, ArgPtr, ArgUint)
	def(unix.SYS_RT_SIGQUEUEINFO, "rt_sigqueueinfo", sysRtSigqueueinfo, ArgInt, ArgInt, ArgPtr)
	def(unix.SYS_RT_TGSIGQUEUEINFO, "rt_tgsigqueueinfo", sysRtTgsigqueueinfo, ArgInt, ArgInt, ArgInt, ArgPtr)
	def(unix.SYS_SIGALTSTACK, "sigaltstack", sysSigaltstack, ArgPtr, ArgPtr)
	def(unix.SYS_KILL, "kill", sysKill, ArgInt, ArgSignal)
	def(unix.SYS_TKILL, "tkill", sysTkill, ArgInt, ArgSignal)
	def(unix.SYS_TGKILL, "tgkill", sysTgkill, ArgInt, ArgInt, ArgSignal)
	def(unix.SYS_PAUSE, "pause", sysPause)
	def(unix.SYS_RESTART_SYSCALL, "restart_syscall", sysRestartSyscall)
	def(unix.SYS_ALARM, "alarm", sysAlarm, ArgUint)
	def(unix.SYS_SETITIMER, "setitimer", sysSetitimer, ArgInt, ArgPtr, ArgPtr)
	def(unix.SYS_GETITIMER, "getitimer", sysGetitimer, ArgInt, ArgPtr)
}

const (
	sigsetSize    = 8  // the kernel's sigset_t
	sigactionSize = 32 // handler, flags, restorer, mask
	stackTSize    = 24 // ss_sp, ss_flags (int, padded), ss_size
)

func sysRtSigaction(t *Task, a *Args) int64 {
	sig := int(int32(a[0]))
	if a[3] != sigsetSize {
		return -int64(unix.EINVAL)
	}
	var act *signal.Action
	if a[1] != 0 {
		b, ok := t.in(a[1], sigactionSize)
		if !ok {
			return efault
		}
		le := binary.LittleEndian
		act = &signal.Action{Handler: le.Uint64(b), Flags: le.Uint64(b[8:]),
			Restorer: le.Uint64(b[16:]), Mask: signal.Set(le.Uint64(b[24:]))}
	}
	if !signal.Valid(sig) || act != nil && signal.Unblockable.Has(sig) {
		return -int64(unix.EINVAL)
	}
	old := t.P.Sig.SetAction(sig, act)
	if h, ok := t.P.Sig.StubAction(sig); ok && act != nil && t.stub != nil {
		// The kernel acts on this one's disposition (hostAction): the
		// stub's follows the guest's, as guestrun's does.
		k := [4]uint64{uint64(h.Handler), uint64(h.Flags), uint64(h.Restorer), h.Mask}
		t.hraw6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&k)), 0, 8, 0, 0)
	}
	if a[2] != 0 {
		b, ok := t.out(a[2], sigactionSize)
		if !ok {
			return efault
		}
		le := binary.LittleEndian
		le.PutUint64(b, old.Handler)
		le.PutUint64(b[8:], old.Flags)
		le.PutUint64(b[16:], old.Restorer)
		le.PutUint64(b[24:], uint64(old.Mask))
	}
	return 0
}

func sysRtSigprocmask(t *Task, a *Args) int64 {
	if a[3] != sigsetSize {
		return -int64(unix.EINVAL)
	}
	old := t.Sig.Blocked()
	if a[1] != 0 {
		v, ok := t.readU64(a[1])
		if !ok {
			return efault
		}
		s := signal.Set(v)
		switch int32(a[0]) {
		case unix.SIG_BLOCK:
			s |= old
		case unix.SIG_UNBLOCK:
			s = old &^ s
		case unix.SIG_SETMASK:
		default:
			return -int64(unix.EINVAL)
		}
		t.Sig.SetBlocked(s)
	}
	if a[2] != 0 && !t.writeU64(a[2], uint64(old)) {
		return efault
	}
	return 0
}

func sysRtSigpending(t *Task, a *Args) int64 {
	if a[1] > sigsetSize {
		return -int64(unix.EINVAL)
	}
	b, ok := t.out(a[0], a[1])
	if !ok {
		return efault
	}
	var v [8]byte
	binary.LittleEndian.PutUint64(v[:], uint64(t.Sig.Pending()&t.Sig.Blocked()))
	copy(b, v[:])
	return 0
}

func sysRtSigsuspend(t *Task, a *Args) int64 {
	if a[1] != sigsetSize {
		return -int64(unix.EINVAL)
	}
	v, ok := t.readU64(a[0])
	if !ok {
		return efault
	}
	t.Sig.Suspend(signal.Set(v))
	return -int64(errRestartNoHand)
}

func sysPause(t *Task, a *Args) int64 {
	t.Sig.Pause()
	return -int64(errRestartNoHand)
}

func sysRtSigtimedwait(t *Task, a *Args) int64 {
	if a[3] != sigsetSize {
		return -int64(unix.EINVAL)
	}
	set, ok := t.readU64(a[0])
	if !ok {
		return efault
	}
	timeout := time.Duration(-1)
	if a[2] != 0 {
		b, ok := t.in(a[2], 16)
		if !ok {
			return efault
		}
		sec := int64(binary.LittleEndian.Uint64(b))
		nsec := int64(binary.LittleEndian.Uint64(b[8:]))
		if sec < 0 || nsec < 0 || nsec >= 1e9 {
			return -int64(unix.EINVAL)
		}
		timeout = time.Duration(nsec)
		if sec > 0 {
			timeout = time.Duration(min(sec, int64(1<<62/time.Second))) * time.Second
			timeout += time.Duration(nsec)
		}
	}
	info, err := t.Sig.TimedWait(signal.Set(set), timeout)
	if err != nil {
		return errno(err)
	}
	if a[1] != 0 {
		b, ok := t.out(a[1], signal.InfoSize)
		if !ok {
			return efault
		}
		info.Put(b)
	}
	return int64(info.Signo)
}

// sysSigaltstack reports the old stack as it was before the change.
func sysSigaltstack(t *Task, a *Args) int64 {
	sp := t.CPU.R[cpu.RSP]
	le := binary.LittleEndian
	var n *signal.AltStack
	if a[0] != 0 {
		b, ok := t.in(a[0], stackTSize)
		if !ok {
			return efault
		}
		n = &signal.AltStack{SP: le.Uint64(b), Flags: le.Uint32(b[8:]), Size: le.Uint64(b[16:])}
	}
	old := t.Sig.Alt.State(sp)
	if n != nil {
		if e := t.Sig.Alt.Set(*n, sp); e != 0 {
			return -int64(e)
		}
	}
	if a[1] != 0 {
		b, ok := t.out(a[1], stackTSize)
		if !ok {
			return efault
		}
		clear(b)
		le.PutUint64(b, old.SP)
		le.PutUint32(b[8:], old.Flags)
		le.PutUint64(b[16:], old.Size)
	}
	return 0
}

// thread returns this process's thread tid, or nil.
func (p *Process) thread(tid int) *Task {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.threads[tid]
}

// sigArg checks a signal number argument; 0 only probes the target.
func sigArg(v uint64) (int, bool) {
	sig := int(int32(v))
	return sig, sig == 0 || signal.Valid(sig)
}

func sysKill(t *Task, a *Args) int64 {
	pid := int(int32(a[0]))
	sig, ok := sigArg(a[1])
	if !ok {
		return -int64(unix.EINVAL)
	}
	self := t.P.Pid
	if pid != self && (pid <= 0 || t.P.thread(pid) == nil) {
		r := t.hraw(unix.SYS_KILL, uintptr(pid), uintptr(sig), 0)
		// A process group or every process: guestrun may be among
		// them, and the kernel has then signalled it before returning.
		if pid <= 0 {
			signal.DrainHost()
		}
		return r
	}
	if sig == 0 {
		return 0
	}
	return errno(t.P.Sig.Send(nil, signal.KillInfo(sig, signal.SIUser, self, unix.Getuid())))
}

func sysTkill(t *Task, a *Args) int64 {
	tid := int(int32(a[0]))
	if tid <= 0 {
		return -int64(unix.EINVAL)
	}
	return t.tkill(0, tid, a[1])
}

func sysTgkill(t *Task, a *Args) int64 {
	tgid, tid := int(int32(a[0])), int(int32(a[1]))
	if tgid <= 0 || tid <= 0 {
		return -int64(unix.EINVAL)
	}
	return t.tkill(tgid, tid, a[2])
}

// tkill sends a thread-directed signal; tgid 0 means any thread group.
func (t *Task) tkill(tgid, tid int, sigv uint64) int64 {
	self := t.P.Pid
	target := t.P.thread(tid)
	if target == nil || tgid != 0 && tgid != self {
		if tgid == self {
			return -int64(unix.ESRCH)
		}
		if tgid == 0 {
			return t.hraw(unix.SYS_TKILL, uintptr(tid), uintptr(int32(sigv)), 0)
		}
		return t.hraw(unix.SYS_TGKILL, uintptr(tgid), uintptr(tid), uintptr(int32(sigv)))
	}
	sig, ok := sigArg(sigv)
	if !ok {
		return -int64(unix.EINVAL)
	}
	if sig == 0 {
		return 0
	}
	return errno(t.P.Sig.Send(target.Sig, signal.KillInfo(sig, signal.SITKill, self, unix.Getuid())))
}

// queueInfo reads a user siginfo for rt_sigqueueinfo and rt_tgsigqueueinfo.
// Only a thread signalling itself may claim a kernel or kill si_code.
func (t *Task) queueInfo(addr uint64, sig, target int) (signal.Info, int64) {
	b, ok := t.in(addr, signal.InfoSize)
	if !ok {
		return signal.Info{}, efault
	}
	info := signal.GetInfo(b)
	info.Signo = int32(sig)
	if (info.Code >= 0 || info.Code == signal.SITKill) && target != t.Tid {
		return info, -int64(unix.EPERM)
	}
	return info, 0
}

func sysRtSigqueueinfo(t *Task, a *Args) int64 {
	pid, sig := int(int32(a[0])), int(int32(a[1]))
	info, e := t.queueInfo(a[2], sig, pid)
	if e != 0 {
		return e
	}
	if pid != t.P.Pid && (pid <= 0 || t.P.thread(pid) == nil) {
		var b [signal.InfoSize]byte
		info.Put(b[:])
		return t.hraw(unix.SYS_RT_SIGQUEUEINFO, uintptr(pid), uintptr(sig), uintptr(unsafe.Pointer(&b)))
	}
	if _, ok := sigArg(a[1]); !ok {
		return -int64(unix.EINVAL)
	}
	if sig == 0 {
		return 0
	}
	return errno(t.P.Sig.Send(nil, info))
}

func sysRtTgsigqueueinfo(t *Task, a *Args) int64 {
	tgid, tid, sig := int(int32(a[0])), int(int32(a[1])), int(int32(a[2]))
	info, e := t.queueInfo(a[3], sig, tid)
	if e == efault {
		return e
	}
	if tgid <= 0 || tid <= 0 {
		return -int64(unix.EINVAL)
	}
	if e != 0 {
		return e
	}
	target := t.P.thread(tid)
	if tgid != t.P.Pid || target == nil {
		if tgid == t.P.Pid {
			return -int64(unix.ESRCH)
		}
		var b [signal.InfoSize]byte
		info.Put(b[:])
		return t.hraw6(unix.SYS_RT_TGSIGQUEUEINFO, uintptr(tgid), uintptr(tid), uintptr(sig), uintptr(unsafe.Pointer(&b)), 0, 0)
	}
	if _, ok := sigArg(a[2]); !ok {
		return -int64(unix.EINVAL)
	}
	if sig == 0 {
		return 0
	}
	return errno(t.P.Sig.Send(target.Sig, info))
}

// sysRestartSyscall continues a call that returned errRestartBlock and was
// interrupted by a signal without a handler.
func sysRestartSyscall(t *Task, a *Args) int64 {
	fn := t.sigs.restart
	t.sigs.restart = nil
	if fn == nil {
		return -int64(unix.EINTR)
	}
	return fn(t)
}

// Interval timers are the host's, which keeps them across execve as Linux
// does; their signals reach the guest through package signal's host
// handler, with the kernel's siginfo. ITIMER_PROF's SIGPROF belongs to the
// Go runtime's profiler on the host, so ITIMER_PROF is a host POSIX timer on
// the process's CPU-time clock whose stand-in signal package signal turns
// into the kernel's SIGPROF. The process's CPU time is guestrun's, which
// runs the guest.
const (
	itimerReal    = 0
	itimerVirtual = 1
	itimerProf    = 2
	itimervalSize = 32
)

func sysAlarm(t *Task, a *Args) int64 {
	signal.CatchHost(t.P.Sig)
	return t.hraw(unix.SYS_ALARM, uintptr(uint32(a[0])), 0, 0)
}

func sysSetitimer(t *Task, a *Args) int64 {
	which := int(int32(a[0]))
	if which == itimerProf {
		return t.setProfTimer(a[1], a[2])
	}
	nv, ok := t.ptr(a[1], itimervalSize, unix.PROT_READ)
	if !ok {
		return efault
	}
	ov, ok := t.ptr(a[2], itimervalSize, unix.PROT_WRITE)
	if !ok {
		return efault
	}
	signal.CatchHost(t.P.Sig)
	return t.hraw(unix.SYS_SETITIMER, uintptr(which), uintptr(nv), uintptr(ov))
}

func sysGetitimer(t *Task, a *Args) int64 {
	if int32(a[0]) == itimerProf {
		var cur [itimerspecSize]byte
		if id, ok := t.P.Sig.HasProfTimer(); ok {
			if r := t.hraw(unix.SYS_TIMER_GETTIME, uintptr(id), uintptr(unsafe.Pointer(&cur)), 0); r < 0 {
				return r
			}
		}
		if !t.copyOut(a[1], specToItimerval(cur)) {
			return efault
		}
		return 0
	}
	cur, ok := t.ptr(a[1], itimervalSize, unix.PROT_WRITE)
	if !ok {
		return efault
	}
	return t.hraw(unix.SYS_GETITIMER, uintptr(int32(a[0])), uintptr(cur), 0)
}

// setProfTimer is setitimer(ITIMER_PROF). A NULL new value disarms, as
// Linux still allows.
func (t *Task) setProfTimer(nv, ov uint64) int64 {
	var val [itimervalSize]byte
	if nv != 0 && !t.copyIn(nv, val[:]) {
		return efault
	}
	le := binary.LittleEndian
	var spec [itimerspecSize]byte
	for i := 0; i < 32; i += 16 {
		sec, usec := int64(le.Uint64(val[i:])), int64(le.Uint64(val[i+8:]))
		if sec < 0 || uint64(usec) >= 1e6 {
			return -int64(unix.EINVAL)
		}
		le.PutUint64(spec[i:], uint64(sec))
		le.PutUint64(spec[i+8:], uint64(usec*1000))
	}
	var old [itimerspecSize]byte
	id, exists := t.P.Sig.HasProfTimer()
	if !exists && spec != [itimerspecSize]byte{} {
		signal.CatchHost(t.P.Sig)
		var err error
		if id, err = t.P.Sig.ProfTimer(t.newProfTimer); err != nil {
			return errno(err)
		}
		exists = true
	}
	if exists {
		if r := t.hraw6(unix.SYS_TIMER_SETTIME, uintptr(id), 0, uintptr(unsafe.Pointer(&spec)), uintptr(unsafe.Pointer(&old)), 0, 0); r < 0 {
			return r
		}
	}
	if !t.copyOut(ov, specToItimerval(old)) {
		return efault
	}
	return 0
}

// newProfTimer creates ITIMER_PROF's host timer.
func (t *Task) newProfTimer() (int32, error) {
	var sev [sigeventSize]byte
	binary.LittleEndian.PutUint32(sev[8:], uint32(signal.HostTimerSignal(int(unix.SIGPROF))))
	binary.LittleEndian.PutUint32(sev[12:], sigevSignal)
	var id int32
	if r := t.hraw(unix.SYS_TIMER_CREATE, unix.CLOCK_PROCESS_CPUTIME_ID, uintptr(unsafe.Pointer(&sev)), uintptr(unsafe.Pointer(&id))); r < 0 {
		return 0, unix.Errno(-r)
	}
	return id, nil
}

// specToItimerval converts a struct itimerspec to a struct itimerval,
// truncating to microseconds as Linux does.
func specToItimerval(spec [itimerspecSize]byte) []byte {
	le := binary.LittleEndian
	v := make([]byte, itimervalSize)
	for i := 0; i < 32; i += 16 {
		le.PutUint64(v[i:], le.Uint64(spec[i:]))
		le.PutUint64(v[i+8:], le.Uint64(spec[i+8:])/1000)
	}
	return v
}
