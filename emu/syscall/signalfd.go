package syscall

import (
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// signalfd and signalfd4. Guest signals are guestrun's (package signal) and
// never pending on the host, so a host signalfd would never see them.
// Instead the guest's fd is the read end of a host pipe that guestrun keeps
// readable while a signal of the fd's set is pending (a signal.Watch), so
// that poll, select and epoll on it are the host's; a read of it dequeues
// guest signals here. guestrun holds the pipe open read-write (ctl, hidden
// with the reserved fds) to fill and drain it; the pipe's inode names the
// signalfd, which dup and fork keep.
//
// The guest's fd shows as a pipe in fstat and /proc, reads only through
// read(2), and a guestrun started by fork or execve does not know it as a
// signalfd.

func init() {
	def(unix.SYS_SIGNALFD, "signalfd", sysSignalfd, ArgFD, ArgSigset, ArgUint)
	def(unix.SYS_SIGNALFD4, "signalfd4", sysSignalfd4, ArgFD, ArgSigset, ArgUint, ArgHex)
}

// signalfdInfoSize is the size of struct signalfd_siginfo.
const signalfdInfoSize = 128

// signalfds maps each live watch to guestrun's end of its pipe. Like the
// reserved fds, it belongs to the host process's fd table.
var signalfds struct {
	mu  sync.Mutex
	ctl map[*signal.Watch]sfdCtl
}

type sfdCtl struct {
	fd  int
	dev uint64 // the pipe's device (pipefs), with the watch's key its inode
}

func sysSignalfd(t *Task, a *Args) int64 {
	return t.signalfd(a[0], a[1], a[2], 0)
}

func sysSignalfd4(t *Task, a *Args) int64 {
	return t.signalfd(a[0], a[1], a[2], a[3])
}

// signalfd makes a signalfd for fd -1, or changes the set of signalfd fd.
func (t *Task) signalfd(fdArg, maskAddr, size, flags uint64) int64 {
	if size != sigsetSize {
		return -int64(unix.EINVAL)
	}
	v, ok := t.readU64(maskAddr)
	if !ok {
		return efault
	}
	if int32(flags)&^(unix.SFD_CLOEXEC|unix.SFD_NONBLOCK) != 0 {
		return -int64(unix.EINVAL)
	}
	mask := signal.Set(v) &^ signal.Unblockable
	fd := int32(fdArg)
	if fd == -1 {
		return t.newSignalfd(mask, int(int32(flags)))
	}
	if t.badFD(fdArg) {
		return fdBad
	}
	w, e := t.signalfdOf(int(fd))
	if e != 0 {
		return e
	}
	if w == nil {
		return -int64(unix.EINVAL)
	}
	w.SetMask(mask)
	return int64(fd)
}

// signalfdOf returns the watch of guest fd fd, or nil if fd is not a
// signalfd; EBADF if fd is not open.
func (t *Task) signalfdOf(fd int) (*signal.Watch, int64) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, errno(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nil, 0
	}
	w := t.P.Sig.FindWatch(st.Ino)
	if w == nil {
		return nil, 0
	}
	signalfds.mu.Lock()
	c, ok := signalfds.ctl[w]
	signalfds.mu.Unlock()
	if !ok || c.dev != st.Dev {
		return nil, 0
	}
	return w, 0
}

// newSignalfd makes the pipe of a new signalfd and returns the guest's fd,
// at the lowest free number.
func (t *Task) newSignalfd(mask signal.Set, flags int) int64 {
	t.sweepSignalfds()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return errno(err)
	}
	ctl, err := unix.Open("/proc/self/fd/"+strconv.Itoa(p[0]), unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	unix.Close(p[0])
	unix.Close(p[1])
	if err != nil {
		return errno(err)
	}
	ctl = t.P.ReserveFD(ctl)
	var st unix.Stat_t
	if err := unix.Fstat(ctl, &st); err != nil {
		unix.Close(ctl)
		return errno(err)
	}
	// Read-only, so that poll never reports it writable.
	gfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(ctl), unix.O_RDONLY|flags&(unix.O_NONBLOCK|unix.O_CLOEXEC), 0)
	if err != nil {
		unix.Close(ctl)
		return errno(err)
	}
	signalfds.mu.Lock()
	defer signalfds.mu.Unlock()
	w := t.P.Sig.AddWatch(st.Ino, mask, func(ready bool) { signalfdNotify(ctl, ready) })
	if signalfds.ctl == nil {
		signalfds.ctl = map[*signal.Watch]sfdCtl{}
	}
	signalfds.ctl[w] = sfdCtl{fd: ctl, dev: st.Dev}
	return int64(gfd)
}

// signalfdNotify keeps a signalfd's pipe readable while a signal of its set
// is pending: a byte for every signal that arrives, so that an
// edge-triggered epoll sees each, and empty when none is left.
func signalfdNotify(ctl int, ready bool) {
	if ready {
		unix.Write(ctl, []byte{0})
		return
	}
	var buf [512]byte
	for {
		if n, err := unix.Read(ctl, buf[:]); err != nil || n < len(buf) {
			return
		}
	}
}

// sweepSignalfds forgets the signalfds no guest fd refers to any more: their
// pipes appear nowhere in the fd table but at guestrun's own ends.
func (t *Task) sweepSignalfds() {
	watches := t.P.Sig.Watches()
	if len(watches) == 0 {
		return
	}
	open := map[string]bool{}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || t.P.reserved(fd) {
			continue
		}
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "pipe:[") {
			open[l] = true
		}
	}
	signalfds.mu.Lock()
	defer signalfds.mu.Unlock()
	for _, w := range watches {
		if open["pipe:["+strconv.FormatUint(w.Key(), 10)+"]"] {
			continue
		}
		w.Remove()
		if c, ok := signalfds.ctl[w]; ok {
			unix.Close(c.fd)
			delete(signalfds.ctl, w)
		}
	}
}

// signalfdRead is read(2) of a signalfd; ok is false when fd is not one.
// Like Linux, it returns as many whole signalfd_siginfo as fit and are
// pending, waiting for the first unless the fd is non-blocking. A signal
// that interrupts the wait restarts the read (ERESTARTSYS).
func (t *Task) signalfdRead(a *Args) (r int64, ok bool) {
	if !t.P.Sig.Watching() {
		return 0, false
	}
	fd := int(int32(a[0]))
	w, _ := t.signalfdOf(fd)
	if w == nil {
		return 0, false
	}
	count := a[2] / signalfdInfoSize
	if count == 0 {
		return -int64(unix.EINVAL), true
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return errno(err), true
	}
	block := fl&unix.O_NONBLOCK == 0
	set := w.Mask()
	var total int64
	for i := uint64(0); i < count; i++ {
		b, ok := t.out(a[1]+i*signalfdInfoSize, signalfdInfoSize)
		if !ok {
			if total == 0 {
				return efault, true
			}
			break
		}
		var info signal.Info
		if block && total == 0 {
			var err error
			if info, err = t.Sig.TimedWait(set, -1); err != nil {
				return -int64(errRestartSys), true
			}
		} else if info, ok = t.Sig.TakeSet(set); !ok {
			if total == 0 {
				return -int64(unix.EAGAIN), true
			}
			break
		}
		putSignalfdInfo(b, &info)
		total += signalfdInfoSize
	}
	return total, true
}

// siginfo layouts (the kernel's siginfo_layout): which union members a
// siginfo holds.
const (
	silKill = iota
	silTimer
	silPoll
	silFault
	silFaultMCE
	silChld
	silRT
	silSys
)

// siginfoLayout tells the union members of a siginfo from its signal and
// si_code, as the kernel does.
func siginfoLayout(sig int, code int32) int {
	if code > signal.SIUser && code < signal.SIKernel {
		// Each of these signals has codes of its own up to a limit.
		layout, limit := silFault, int32(0)
		switch unix.Signal(sig) {
		case unix.SIGILL:
			limit = 11
		case unix.SIGFPE:
			limit = 15
		case unix.SIGSEGV:
			limit = 10
		case unix.SIGBUS:
			limit = 5
			if code >= 4 { // BUS_MCEERR_AR, BUS_MCEERR_AO
				layout = silFaultMCE
			}
		case unix.SIGTRAP:
			limit = 6
		case unix.SIGCHLD:
			layout, limit = silChld, 6
		case unix.SIGPOLL:
			layout, limit = silPoll, 6
		case unix.SIGSYS:
			layout, limit = silSys, 2
		}
		switch {
		case code <= limit:
			return layout
		case code <= 6: // NSIGPOLL
			return silPoll
		}
		return silKill
	}
	switch {
	case code == signal.SITimer:
		return silTimer
	case code == -5: // SI_SIGIO
		return silPoll
	case code < 0:
		return silRT
	}
	return silKill
}

// putSignalfdInfo writes the struct signalfd_siginfo of info to b: the
// members its layout has, the others zero.
func putSignalfdInfo(b []byte, info *signal.Info) {
	var si [signal.InfoSize]byte
	info.Put(si[:])
	u := si[16:] // the union
	clear(b[:signalfdInfoSize])
	copy(b, si[:12]) // ssi_signo, ssi_errno, ssi_code
	switch siginfoLayout(int(info.Signo), info.Code) {
	case silKill:
		copy(b[12:20], u[:8]) // ssi_pid, ssi_uid
	case silTimer:
		copy(b[24:28], u[:4])   // ssi_tid (the timer id)
		copy(b[32:36], u[4:8])  // ssi_overrun
		copy(b[44:48], u[8:12]) // ssi_int
		copy(b[48:56], u[8:16]) // ssi_ptr
	case silPoll:
		copy(b[28:32], u[:4])   // ssi_band
		copy(b[20:24], u[8:12]) // ssi_fd
	case silFault:
		copy(b[72:80], u[:8]) // ssi_addr
	case silFaultMCE:
		copy(b[72:80], u[:8])   // ssi_addr
		copy(b[80:82], u[8:10]) // ssi_addr_lsb
	case silChld:
		copy(b[12:20], u[:8])    // ssi_pid, ssi_uid
		copy(b[40:44], u[8:12])  // ssi_status
		copy(b[56:64], u[16:24]) // ssi_utime
		copy(b[64:72], u[24:32]) // ssi_stime
	case silRT:
		copy(b[12:20], u[:8])   // ssi_pid, ssi_uid
		copy(b[44:48], u[8:12]) // ssi_int
		copy(b[48:56], u[8:16]) // ssi_ptr
	case silSys:
		copy(b[88:96], u[:8])     // ssi_call_addr
		copy(b[84:88], u[8:12])   // ssi_syscall
		copy(b[96:100], u[12:16]) // ssi_arch
	}
}
