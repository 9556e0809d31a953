package syscall

import (
	"encoding/binary"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// System information, resource limits and scheduling: the host's answers,
// since the guest runs on its kernel, with a few exceptions noted below.

func init() {
	def(unix.SYS_UNAME, "uname", sysUname, ArgUnameOut)
	def(unix.SYS_SYSINFO, "sysinfo", sysSysinfo, ArgPtr)
	def(unix.SYS_GETRANDOM, "getrandom", sysGetrandom, ArgOutHex, ArgUint, ArgGrndFlags)
	def(unix.SYS_PRLIMIT64, "prlimit64", sysPrlimit64, ArgInt, ArgRlimitRes, ArgRlimit, ArgRlimitOut)
	def(unix.SYS_GETRLIMIT, "getrlimit", sysGetrlimit, ArgRlimitRes, ArgRlimitOut)
	def(unix.SYS_SETRLIMIT, "setrlimit", sysSetrlimit, ArgRlimitRes, ArgRlimit)
	def(unix.SYS_GETCPU, "getcpu", sysGetcpu, ArgPtr, ArgPtr, ArgPtr)
	def(unix.SYS_SCHED_GETAFFINITY, "sched_getaffinity", sysSchedGetaffinity, ArgInt, ArgUint, ArgPtr)
	def(unix.SYS_SCHED_SETAFFINITY, "sched_setaffinity", sysSchedSetaffinity, ArgInt, ArgUint, ArgPtr)
	defRaw(unix.SYS_SCHED_YIELD, "sched_yield")
	def(unix.SYS_SCHED_GETPARAM, "sched_getparam", sysSchedGetparam, ArgInt, ArgPtr)
	def(unix.SYS_SCHED_SETPARAM, "sched_setparam", sysSchedSetparam, ArgInt, ArgPtr)
	defRaw(unix.SYS_SCHED_GETSCHEDULER, "sched_getscheduler", ArgInt)
	def(unix.SYS_SCHED_SETSCHEDULER, "sched_setscheduler", sysSchedSetscheduler, ArgInt, ArgInt, ArgPtr)
	defRaw(unix.SYS_SCHED_GET_PRIORITY_MAX, "sched_get_priority_max", ArgInt)
	defRaw(unix.SYS_SCHED_GET_PRIORITY_MIN, "sched_get_priority_min", ArgInt)
	def(unix.SYS_SCHED_RR_GET_INTERVAL, "sched_rr_get_interval", sysSchedRRGetInterval, ArgInt, ArgPtr)
	defRaw(unix.SYS_GETPRIORITY, "getpriority", ArgInt, ArgInt)
	defRaw(unix.SYS_SETPRIORITY, "setpriority", ArgInt, ArgInt, ArgInt)
	// The host's personality is the guest's: flags such as ADDR_NO_RANDOMIZE
	// only matter at the next execve, which runs guestrun again, and
	// PER_LINUX32 makes the host's uname say i686 as it would natively.
	defRaw(unix.SYS_PERSONALITY, "personality", ArgHex)
}

const (
	utsnameLen = 6 * 65
	sysinfoLen = 112
	rlimitLen  = 16
)

func sysUname(t *Task, a *Args) int64 {
	var u unix.Utsname
	if r := t.hraw(unix.SYS_UNAME, uintptr(unsafe.Pointer(&u)), 0, 0); r < 0 {
		return r
	}
	// guestrun runs x86-64 code whatever the host is.
	if m := string(u.Machine[:6]); m != "x86_64" && m != "i686\x00\x00" {
		clear(u.Machine[:])
		copy(u.Machine[:], "x86_64")
	}
	if !t.copyOut(a[0], unsafe.Slice((*byte)(unsafe.Pointer(&u)), utsnameLen)) || a[0] == 0 {
		return efault
	}
	return 0
}

func sysSysinfo(t *Task, a *Args) int64 {
	var b [sysinfoLen]byte
	if r := t.hraw(unix.SYS_SYSINFO, uintptr(unsafe.Pointer(&b)), 0, 0); r < 0 {
		return r
	}
	if a[0] == 0 || !t.copyOut(a[0], b[:]) {
		return efault
	}
	return 0
}

func sysGetrandom(t *Task, a *Args) int64 {
	const all = unix.GRND_NONBLOCK | unix.GRND_RANDOM | unix.GRND_INSECURE
	flags := uint32(a[2])
	if flags&^all != 0 || flags&(unix.GRND_INSECURE|unix.GRND_RANDOM) == unix.GRND_INSECURE|unix.GRND_RANDOM {
		return -int64(unix.EINVAL)
	}
	p, n, e := t.gbuf(a[0], a[1], unix.PROT_WRITE)
	if e != 0 {
		return e
	}
	return t.hcall(unix.SYS_GETRANDOM, p, uintptr(n), uintptr(flags))
}

// prlimit implements prlimit64 for the guest: its own emulated limits
// (rlimit.go) here, every other limit on the host.
func (t *Task) prlimit(pid, res int, newLim, oldLim *unix.Rlimit) int64 {
	self := pid == 0 || int64(pid) == t.hraw(unix.SYS_GETPID, 0, 0, 0)
	if !self || !emulated(res) {
		return t.hraw6(unix.SYS_PRLIMIT64, uintptr(pid), uintptr(res),
			uintptr(unsafe.Pointer(newLim)), uintptr(unsafe.Pointer(oldLim)), 0, 0)
	}
	if newLim != nil {
		// The emulated limits are this guestrun's, also a forked
		// child's that runs here.
		t.moveOut()
	}
	return errno(swapLimit(res, newLim, oldLim))
}

func (t *Task) readRlimit(addr uint64) (*unix.Rlimit, bool) {
	if addr == 0 {
		return nil, true
	}
	var b [rlimitLen]byte
	if !t.copyIn(addr, b[:]) {
		return nil, false
	}
	le := binary.LittleEndian
	return &unix.Rlimit{Cur: le.Uint64(b[:]), Max: le.Uint64(b[8:])}, true
}

func (t *Task) writeRlimit(addr uint64, l *unix.Rlimit) bool {
	var b [rlimitLen]byte
	binary.LittleEndian.PutUint64(b[:], l.Cur)
	binary.LittleEndian.PutUint64(b[8:], l.Max)
	return t.copyOut(addr, b[:])
}

func sysPrlimit64(t *Task, a *Args) int64 {
	newLim, ok := t.readRlimit(a[2])
	if !ok {
		return efault
	}
	var old unix.Rlimit
	var oldp *unix.Rlimit
	if a[3] != 0 {
		oldp = &old
	}
	if r := t.prlimit(int(int32(a[0])), int(uint32(a[1])), newLim, oldp); r < 0 {
		return r
	}
	if oldp != nil && !t.writeRlimit(a[3], oldp) {
		return efault
	}
	return 0
}

func sysGetrlimit(t *Task, a *Args) int64 {
	var l unix.Rlimit
	if r := t.prlimit(0, int(uint32(a[0])), nil, &l); r < 0 {
		return r
	}
	if a[1] == 0 || !t.writeRlimit(a[1], &l) {
		return efault
	}
	return 0
}

func sysSetrlimit(t *Task, a *Args) int64 {
	if a[1] == 0 {
		return efault
	}
	l, ok := t.readRlimit(a[1])
	if !ok {
		return efault
	}
	return t.prlimit(0, int(uint32(a[0])), l, nil)
}

func sysGetcpu(t *Task, a *Args) int64 {
	var cpu, node uint32
	if r := t.hraw(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), uintptr(unsafe.Pointer(&node)), 0); r < 0 {
		return r
	}
	if (a[0] != 0 && !t.writeU32(a[0], cpu)) || (a[1] != 0 && !t.writeU32(a[1], node)) {
		return efault
	}
	return 0
}

// cpumaskSize is the kernel's cpumask_size(): how much of an affinity mask
// it reads or writes.
var cpumaskSize = sync.OnceValue(func() uint64 {
	var b [8192]byte
	r, _, e := unix.RawSyscall(unix.SYS_SCHED_GETAFFINITY, 0, uintptr(len(b)), uintptr(unsafe.Pointer(&b[0])))
	if e != 0 {
		return 8
	}
	return uint64(r)
})

func sysSchedGetaffinity(t *Task, a *Args) int64 {
	n := a[1]
	if n%8 != 0 || n*8 < n {
		return -int64(unix.EINVAL)
	}
	var b [8192]byte
	hn := min(n, uint64(len(b)))
	r := t.hraw(unix.SYS_SCHED_GETAFFINITY, uintptr(int32(a[0])), uintptr(hn), uintptr(unsafe.Pointer(&b[0])))
	if r < 0 {
		return r
	}
	if !t.copyOut(a[2], b[:r]) || a[2] == 0 {
		return efault
	}
	return r
}

func sysSchedSetaffinity(t *Task, a *Args) int64 {
	var b [8192]byte
	n := min(a[1], cpumaskSize(), uint64(len(b)))
	if !t.copyIn(a[2], b[:n]) || (n > 0 && a[2] == 0) {
		return efault
	}
	return t.hraw(unix.SYS_SCHED_SETAFFINITY, uintptr(int32(a[0])), uintptr(n), uintptr(unsafe.Pointer(&b[0])))
}

func sysSchedGetparam(t *Task, a *Args) int64 {
	var p uint32
	if a[1] == 0 {
		return -int64(unix.EINVAL)
	}
	if r := t.hraw(unix.SYS_SCHED_GETPARAM, uintptr(int32(a[0])), uintptr(unsafe.Pointer(&p)), 0); r < 0 {
		return r
	}
	if !t.writeU32(a[1], p) {
		return efault
	}
	return 0
}

// readParam reads a struct sched_param (one int); NULL is EINVAL.
func (t *Task) readParam(addr uint64) (*[4]byte, int64) {
	if addr == 0 {
		return nil, -int64(unix.EINVAL)
	}
	var p [4]byte
	if !t.copyIn(addr, p[:]) {
		return nil, efault
	}
	return &p, 0
}

func sysSchedSetparam(t *Task, a *Args) int64 {
	p, e := t.readParam(a[1])
	if e != 0 {
		return e
	}
	return t.hraw(unix.SYS_SCHED_SETPARAM, uintptr(int32(a[0])), uintptr(unsafe.Pointer(p)), 0)
}

func sysSchedSetscheduler(t *Task, a *Args) int64 {
	p, e := t.readParam(a[2])
	if e != 0 {
		return e
	}
	return t.hraw(unix.SYS_SCHED_SETSCHEDULER, uintptr(int32(a[0])), uintptr(int32(a[1])), uintptr(unsafe.Pointer(p)))
}

func sysSchedRRGetInterval(t *Task, a *Args) int64 {
	var ts [tspecLen]byte
	if r := t.hraw(unix.SYS_SCHED_RR_GET_INTERVAL, uintptr(int32(a[0])), uintptr(unsafe.Pointer(&ts)), 0); r < 0 {
		return r
	}
	if a[1] == 0 || !t.copyOut(a[1], ts[:]) {
		return efault
	}
	return 0
}
