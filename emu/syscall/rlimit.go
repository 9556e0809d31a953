package syscall

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	gosyscall "syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// The guest's resource limits that would bind guestrun itself if the host
// enforced them are emulated: RLIMIT_AS and RLIMIT_DATA (guestrun's window
// is far larger than any guest), RLIMIT_FSIZE (the window's memfd is as
// large, and guestrun writes it at guest addresses), RLIMIT_NPROC (the host
// counts guestrun's Go threads, and the runtime dies when it cannot start
// one), RLIMIT_STACK (the guest's stack is the loader's), and RLIMIT_NOFILE
// (the Go runtime raises it at start, and guestrun's own fds live above the
// guest's). They are kept here, and enforced by package mem (AS, DATA), the
// loader (STACK), the file writes (FSIZE, fileSizeCheck), the fd-making
// calls (NOFILE, fdLimitCall) and fork and clone (NPROC, CheckNproc). On the
// host they are raised as far as guestrun may. Every other limit is the
// host process's own, which is the guest's.

// Limits are the guest's emulated limits. The guestrun that a fork or an
// execve starts inherits them: GuestLimits in the parent, SetGuestLimits in
// the child before the program loads.
type Limits struct {
	NOFILE, NPROC, AS, DATA, STACK, FSIZE unix.Rlimit
}

// emulated reports whether res is one of the Limits.
func emulated(res int) bool { return (&Limits{}).at(res) != nil }

func (l *Limits) at(res int) *unix.Rlimit {
	switch res {
	case unix.RLIMIT_NOFILE:
		return &l.NOFILE
	case unix.RLIMIT_NPROC:
		return &l.NPROC
	case unix.RLIMIT_AS:
		return &l.AS
	case unix.RLIMIT_DATA:
		return &l.DATA
	case unix.RLIMIT_STACK:
		return &l.STACK
	case unix.RLIMIT_FSIZE:
		return &l.FSIZE
	}
	return nil
}

// All lists the limits, in a fixed order, for a snapshot's codec.
func (l *Limits) All() []*unix.Rlimit {
	all := make([]*unix.Rlimit, len(limitNames))
	for i, n := range limitNames {
		all[i] = l.at(n.res)
	}
	return all
}

var limitNames = [...]struct {
	name string
	res  int
}{{"nofile", unix.RLIMIT_NOFILE}, {"nproc", unix.RLIMIT_NPROC}, {"as", unix.RLIMIT_AS},
	{"data", unix.RLIMIT_DATA}, {"stack", unix.RLIMIT_STACK}, {"fsize", unix.RLIMIT_FSIZE}}

// String encodes l for a command line: nofile=CUR:MAX,nproc=... in hex.
func (l Limits) String() string {
	var b strings.Builder
	for i, n := range limitNames {
		if i > 0 {
			b.WriteByte(',')
		}
		r := l.at(n.res)
		fmt.Fprintf(&b, "%s=%x:%x", n.name, r.Cur, r.Max)
	}
	return b.String()
}

// ParseLimits decodes Limits.String.
func ParseLimits(s string) (Limits, error) {
	var l Limits
	seen := 0
	for _, f := range strings.Split(s, ",") {
		name, v, _ := strings.Cut(f, "=")
		c, m, ok := strings.Cut(v, ":")
		var r *unix.Rlimit
		for _, n := range limitNames {
			if n.name == name {
				r = l.at(n.res)
			}
		}
		if r == nil || !ok {
			return Limits{}, fmt.Errorf("bad limit %q", f)
		}
		var err1, err2 error
		r.Cur, err1 = strconv.ParseUint(c, 16, 64)
		r.Max, err2 = strconv.ParseUint(m, 16, 64)
		if err1 != nil || err2 != nil {
			return Limits{}, fmt.Errorf("bad limit %q", f)
		}
		seen++
	}
	if seen != len(limitNames) {
		return Limits{}, fmt.Errorf("limits %q: want %d", s, len(limitNames))
	}
	return l, nil
}

var (
	limMu  sync.Mutex
	limits Limits
	// nofileLimit is the guest's soft RLIMIT_NOFILE while it is below the
	// host's, which then lets through fds that the guest must not get;
	// 0 when the host's own check is enough.
	nofileLimit atomic.Uint64
	// fsizeLimit is the guest's soft RLIMIT_FSIZE, 0 when unlimited.
	fsizeLimit atomic.Uint64
)

func init() {
	for _, n := range limitNames {
		var r unix.Rlimit
		unix.Prlimit(0, n.res, nil, &r)
		*limits.at(n.res) = r
		if n.res == unix.RLIMIT_NOFILE || n.res == unix.RLIMIT_STACK {
			continue // guestrun needs neither raised
		}
		// A limit on the host would bind guestrun: raise it as far as
		// guestrun may, past the hard limit if privileged.
		switch {
		case r.Cur == unix.RLIM_INFINITY:
		case r.Max != unix.RLIM_INFINITY && hasCap(capSysResource):
			unix.Prlimit(0, n.res, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}, nil)
		default:
			unix.Prlimit(0, n.res, &unix.Rlimit{Cur: r.Max, Max: r.Max}, nil)
		}
	}
	if !inheritsLimits() {
		if cur, ok := originalNofile(&limits.NOFILE); ok {
			limits.NOFILE.Cur = cur
		}
	}
	applyLimits()
}

// inheritsLimits reports whether this guestrun was started by another one
// for a fork or an execve (see cmd/guestrun), which hands it the limits.
func inheritsLimits() bool {
	return len(os.Args) > 1 && (os.Args[1] == "--exec" || strings.HasPrefix(os.Args[1], "--resume="))
}

// originalNofile finds the soft RLIMIT_NOFILE guestrun was started with when
// the Go runtime has raised it (to the hard limit less one), which it does
// before any of guestrun's code runs. The runtime gives the original back
// to the processes it starts: a child stopped at its execve, under
// ptrace, shows it.
func originalNofile(cur *unix.Rlimit) (uint64, bool) {
	if cur.Max == 0 || cur.Cur != cur.Max-1 {
		return 0, false
	}
	pid, err := gosyscall.ForkExec("/proc/self/exe", []string{"guestrun-rlimit-probe"},
		&gosyscall.ProcAttr{Sys: &gosyscall.SysProcAttr{Ptrace: true}})
	if err != nil {
		return 0, false
	}
	var ws unix.WaitStatus
	err = waitProbe(pid, &ws)
	var r unix.Rlimit
	ok := err == nil && ws.Stopped() && unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &r) == nil
	unix.Kill(pid, unix.SIGKILL)
	waitProbe(pid, &ws)
	return r.Cur, ok && r.Max == cur.Max
}

func waitProbe(pid int, ws *unix.WaitStatus) error {
	for {
		if _, err := unix.Wait4(pid, ws, unix.WALL, nil); err != unix.EINTR {
			return err
		}
	}
}

// GuestLimits returns the guest's emulated limits, for the guestrun of a
// fork or an execve.
func GuestLimits() Limits {
	limMu.Lock()
	defer limMu.Unlock()
	return limits
}

// SetGuestLimits sets the guest's emulated limits, inherited from the
// guestrun that started this one. Call it before loading the program.
func SetGuestLimits(l Limits) {
	limMu.Lock()
	limits = l
	applyLimits()
	limMu.Unlock()
}

// GuestLimit returns one of the guest's limits: its own for the emulated
// ones, the host's for the others.
func GuestLimit(res int) unix.Rlimit {
	limMu.Lock()
	defer limMu.Unlock()
	if r := limits.at(res); r != nil {
		return *r
	}
	var r unix.Rlimit
	unix.Prlimit(0, res, nil, &r)
	return r
}

// applyLimits hands the limits to those who enforce them; limMu is held
// (or not needed yet).
func applyLimits() {
	mem.SetLimits(limits.AS.Cur, limits.DATA.Cur, limits.STACK.Cur)
	if limits.FSIZE.Cur == unix.RLIM_INFINITY {
		fsizeLimit.Store(0)
	} else {
		fsizeLimit.Store(limits.FSIZE.Cur)
	}
	var host unix.Rlimit
	unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &host)
	if limits.NOFILE.Cur > host.Cur && limits.NOFILE.Cur <= host.Max {
		// The guest may have more fds than the host lets guestrun have.
		gosyscall.Setrlimit(unix.RLIMIT_NOFILE, &gosyscall.Rlimit{Cur: limits.NOFILE.Cur, Max: host.Max})
		host.Cur = limits.NOFILE.Cur
	}
	if limits.NOFILE.Cur < host.Cur {
		nofileLimit.Store(limits.NOFILE.Cur)
	} else {
		nofileLimit.Store(0)
	}
}

// swapLimit is prlimit on one of the emulated limits, with the kernel's
// checks: the soft limit at most the hard one, which only a privileged
// process raises; RLIMIT_NOFILE at most fs.nr_open.
func swapLimit(res int, newLim, oldLim *unix.Rlimit) error {
	limMu.Lock()
	defer limMu.Unlock()
	cur := limits.at(res)
	if newLim != nil {
		if newLim.Cur > newLim.Max {
			return unix.EINVAL
		}
		if res == unix.RLIMIT_NOFILE && newLim.Max > nrOpen() {
			return unix.EPERM
		}
		if newLim.Max > cur.Max && !hasCap(capSysResource) {
			return unix.EPERM
		}
	}
	if oldLim != nil {
		*oldLim = *cur
	}
	if newLim != nil {
		*cur = *newLim
		applyLimits()
	}
	return nil
}

// nrOpen is fs.nr_open, the most fds a process may have.
func nrOpen() uint64 {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		return 1 << 20
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 1 << 20
	}
	return n
}

// Capabilities the limits depend on.
const (
	capSysAdmin    = 21
	capSysResource = 24
)

// hasCap reports whether the host process has capability c in its
// effective set.
func hasCap(c uint) bool { return taskHasCap(0, c) }

// taskHasCap reports whether thread tid (0: the caller) has capability c.
func taskHasCap(tid int, c uint) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3, Pid: int32(tid)}
	var data [2]unix.CapUserData
	if unix.Capget(&hdr, &data[0]) != nil {
		return false
	}
	return data[c/32].Effective&(1<<(c%32)) != 0
}

// CheckNproc is RLIMIT_NPROC for fork and clone: EAGAIN if the guest's
// real user already has as many processes as its soft limit, unless
// the guest is root or has CAP_SYS_RESOURCE or CAP_SYS_ADMIN, which Linux
// exempts. It counts the host processes of the user that this process can
// see in /proc (all of them, or those of its pid namespace), one for each
// guestrun: Linux counts threads too.
func (t *Task) CheckNproc() int64 {
	limit := GuestLimit(unix.RLIMIT_NPROC).Cur
	if limit == unix.RLIM_INFINITY {
		return 0
	}
	// The credentials of the task's kernel task: a stub's may differ
	// from guestrun's.
	uid := int(t.hraw(unix.SYS_GETUID, 0, 0, 0))
	if uid == 0 || taskHasCap(t.Tid, capSysResource) || taskHasCap(t.Tid, capSysAdmin) {
		return 0
	}
	if countProcs(uid, limit) >= limit {
		return -int64(unix.EAGAIN)
	}
	return 0
}

// countProcs counts the processes of real user uid in /proc, stopping at
// limit.
func countProcs(uid int, limit uint64) uint64 {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	want := "Uid:\t" + strconv.Itoa(uid) + "\t"
	var n uint64
	var buf [1024]byte
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		fd, err := unix.Open("/proc/"+name+"/status", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		k, _ := unix.Read(fd, buf[:])
		unix.Close(fd)
		if k > 0 && strings.Contains(string(buf[:k]), want) {
			if n++; n >= limit {
				break
			}
		}
	}
	return n
}

// fdMaking marks the syscalls that make a new fd, for the guest's
// RLIMIT_NOFILE, by how: fdRet returns it; fdPipe and fdSocketpair write two
// to their first or fourth argument; fdDup2 and fdFcntl (F_DUPFD) take the
// number; fdSignalfd makes one only when its fd argument is -1.
const (
	fdRet = iota + 1
	fdPipe
	fdSocketpair
	fdDup2
	fdFcntl
	fdSignalfd
)

var fdMaking = func() (t [maxSyscall]uint8) {
	for _, nr := range []int{unix.SYS_OPEN, unix.SYS_CREAT, unix.SYS_OPENAT, unix.SYS_OPENAT2, unix.SYS_DUP,
		unix.SYS_SOCKET, unix.SYS_ACCEPT, unix.SYS_ACCEPT4, unix.SYS_EPOLL_CREATE, unix.SYS_EPOLL_CREATE1,
		unix.SYS_EVENTFD, unix.SYS_EVENTFD2, unix.SYS_TIMERFD_CREATE, unix.SYS_INOTIFY_INIT,
		unix.SYS_INOTIFY_INIT1, unix.SYS_FANOTIFY_INIT, unix.SYS_MEMFD_CREATE, unix.SYS_MEMFD_SECRET,
		unix.SYS_USERFAULTFD, unix.SYS_PERF_EVENT_OPEN, unix.SYS_PIDFD_OPEN, unix.SYS_PIDFD_GETFD,
		unix.SYS_OPEN_BY_HANDLE_AT, unix.SYS_OPEN_TREE, unix.SYS_FSOPEN, unix.SYS_FSMOUNT, unix.SYS_FSPICK,
		unix.SYS_IO_URING_SETUP, unix.SYS_MQ_OPEN, unix.SYS_LANDLOCK_CREATE_RULESET} {
		t[nr] = fdRet
	}
	t[unix.SYS_PIPE], t[unix.SYS_PIPE2] = fdPipe, fdPipe
	t[unix.SYS_SOCKETPAIR] = fdSocketpair
	t[unix.SYS_DUP2], t[unix.SYS_DUP3] = fdDup2, fdDup2
	t[unix.SYS_FCNTL] = fdFcntl
	t[unix.SYS_SIGNALFD], t[unix.SYS_SIGNALFD4] = fdSignalfd, fdSignalfd
	return t
}()

// fdLimitCall runs fn, syscall nr, one of fdMaking, under the guest's
// RLIMIT_NOFILE when the host's is higher. The kernel gives out the lowest
// free fd, so one at or above the limit means that every fd below is taken:
// it is closed again and the call fails with EMFILE, as it would have.
func (t *Task) fdLimitCall(nr uint64, a *Args, fn Handler) int64 {
	limit := nofileLimit.Load()
	if limit == 0 {
		return fn(t, a)
	}
	kind := fdMaking[nr]
	switch {
	case kind == fdDup2 && uint64(uint32(a[1])) >= limit:
		return fdBad
	case kind == fdFcntl && (a[1] == unix.F_DUPFD || a[1] == unix.F_DUPFD_CLOEXEC) && uint64(uint32(a[2])) >= limit:
		return -int64(unix.EINVAL)
	case kind == fdSignalfd && int32(a[0]) != -1:
		return fn(t, a) // changes an existing signalfd
	}
	r := fn(t, a)
	if r < 0 {
		return r
	}
	switch kind {
	case fdRet, fdSignalfd:
		if uint64(r) >= limit {
			unix.Close(int(r))
			return -int64(unix.EMFILE)
		}
	case fdFcntl:
		if (a[1] == unix.F_DUPFD || a[1] == unix.F_DUPFD_CLOEXEC) && uint64(r) >= limit {
			unix.Close(int(r))
			return -int64(unix.EMFILE)
		}
	case fdPipe, fdSocketpair:
		at := a[0]
		if kind == fdSocketpair {
			at = a[3]
		}
		var b [8]byte
		if !t.copyIn(at, b[:]) {
			return r
		}
		fds := [2]uint64{uint64(leU32(b[:])), uint64(leU32(b[4:]))}
		if fds[0] >= limit || fds[1] >= limit {
			unix.Close(int(fds[0]))
			unix.Close(int(fds[1]))
			return -int64(unix.EMFILE)
		}
	}
	return r
}

func leU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// fileSizeCheck applies the guest's RLIMIT_FSIZE to a write of n bytes to
// fd at pos (at the file position unless positioned), as the kernel does
// for regular files: a write that starts at or past the limit sends the
// thread SIGXFSZ and fails with EFBIG, one that crosses it is cut short.
// It returns the bytes to write, or the error.
func (t *Task) fileSizeCheck(fd int, pos int64, positioned bool, n uint64) (uint64, int64) {
	limit := fsizeLimit.Load()
	if limit == 0 || n == 0 {
		return n, 0
	}
	// On the task's own fd table: a child run here may have its own.
	var st unix.Stat_t
	if t.hraw(unix.SYS_FSTAT, uintptr(fd), uintptr(unsafe.Pointer(&st)), 0) != 0 || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return n, 0
	}
	if !positioned {
		fl := t.hraw(unix.SYS_FCNTL, uintptr(fd), unix.F_GETFL, 0)
		if fl >= 0 && fl&unix.O_APPEND != 0 {
			pos = st.Size
		} else if p := t.hraw(unix.SYS_LSEEK, uintptr(fd), 0, unix.SEEK_CUR); p >= 0 {
			pos = p
		}
	}
	if pos < 0 {
		return n, 0 // the kernel's own error
	}
	if uint64(pos) >= limit {
		t.sendXFSZ()
		return 0, -int64(unix.EFBIG)
	}
	return min(n, limit-uint64(pos)), 0
}

// fileGrowCheck is RLIMIT_FSIZE for calls that set a file's size (truncate,
// fallocate): growing it past the limit is EFBIG, with SIGXFSZ.
func (t *Task) fileGrowCheck(size, newSize int64) int64 {
	limit := fsizeLimit.Load()
	if limit == 0 || newSize <= size || newSize < 0 || uint64(newSize) <= limit {
		return 0
	}
	t.sendXFSZ()
	return -int64(unix.EFBIG)
}

// sendXFSZ sends the calling thread SIGXFSZ as the kernel does for a write
// past the limit (SI_USER from the process itself), which signal.fromHost
// directs at the guest thread.
func (t *Task) sendXFSZ() {
	var info [128]byte
	binary.LittleEndian.PutUint32(info[0:], uint32(unix.SIGXFSZ))
	binary.LittleEndian.PutUint32(info[16:], uint32(t.P.Pid))
	binary.LittleEndian.PutUint32(info[20:], uint32(unix.Getuid()))
	// The task's kernel task: its stub, for a child run here.
	pid, tid := t.P.Pid, t.Tid
	t.hraw6(unix.SYS_RT_TGSIGQUEUEINFO, uintptr(pid), uintptr(tid), uintptr(unix.SIGXFSZ),
		uintptr(unsafe.Pointer(&info[0])), 0, 0)
}
