package syscall

import (
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Guest fds are host fds, so guestrun's own fds (the guest memory memfd, the
// log file, the Go runtime's netpoll epoll fd and eventfd) share the table
// with the guest's. They are kept at high numbers, out of the way of the
// lowest-free-fd rule, and hidden: a guest call naming one fails with EBADF
// as if it were closed; dup2/dup3 onto one fails with EBADF rather than
// closing ours; close_range skips them. poll and select pass them through
// (watching an fd harms nothing; finding them would cost a scan), and
// /proc/self/fd still lists them.
//
// The set belongs to the host process's fd table, not to one guest Process,
// so it is package state.

var (
	reserveMu sync.Mutex
	reservedP atomic.Pointer[[]int] // sorted; replaced whole, read without locks
)

// reservedFloor is where reserved fds go: at 1000, or a little below the
// soft RLIMIT_NOFILE when that is lower.
func reservedFloor() int {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur < 1024 {
		return max(int(rl.Cur)-16, 3)
	}
	return 1000
}

// reserved reports whether fd is one of guestrun's own.
func (p *Process) reserved(fd int) bool {
	if fd < 0 {
		return false
	}
	if p.Mem != nil && (fd == p.Mem.FD() || p.Mem.Holds(fd)) {
		return true
	}
	if s := reservedP.Load(); s != nil {
		for _, r := range *s {
			if r == fd {
				return true
			}
		}
	}
	return false
}

// Reserve hides fds, guestrun's own, from the guest.
func Reserve(fds ...int) { addReserved(fds...) }

func addReserved(fds ...int) {
	reserveMu.Lock()
	defer reserveMu.Unlock()
	var s []int
	if old := reservedP.Load(); old != nil {
		s = slices.Clone(*old)
	}
	for _, fd := range fds {
		if !slices.Contains(s, fd) {
			s = append(s, fd)
		}
	}
	slices.Sort(s)
	reservedP.Store(&s)
}

// reservedList returns the reserved fds, sorted, including p's memfd.
func (p *Process) reservedList() []int {
	var s []int
	if old := reservedP.Load(); old != nil {
		s = slices.Clone(*old)
	}
	if p.Mem != nil {
		for _, fd := range append(p.Mem.Held(), p.Mem.FD()) {
			if !slices.Contains(s, fd) {
				s = append(s, fd)
			}
		}
		slices.Sort(s)
	}
	return s
}

// ReservedFloor is the lowest number of guestrun's own fds.
func ReservedFloor() int { return reservedFloor() }

// ReserveFD moves one of guestrun's fds to a high number, close-on-exec,
// hides it from the guest and returns the new number; the old one is closed.
// If no high fd is free it stays where it is, reserved there.
func (p *Process) ReserveFD(fd int) int {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, reservedFloor())
	if err != nil {
		addReserved(fd)
		return fd
	}
	unix.Close(fd)
	addReserved(nfd)
	return nfd
}

// OpenHigh runs f while every fd below the reserved floor is taken, so that
// the fds f opens and keeps open (the guest memory memfd, the log file, the
// Go netpoller's fds, started by arming a timer) land at high numbers, and
// reserves them. Call it at startup, before other goroutines open files.
func OpenHigh(f func()) {
	floor := reservedFloor()
	const scan = 64 // f opens a handful of fds at most
	before := openFDs(floor, scan)
	var fillers []int
	if null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		fillers = append(fillers, null)
		for {
			d, err := unix.FcntlInt(uintptr(null), unix.F_DUPFD_CLOEXEC, 0)
			if err != nil {
				break
			}
			if d >= floor {
				unix.Close(d)
				break
			}
			fillers = append(fillers, d)
		}
	}
	f()
	for _, d := range fillers {
		unix.Close(d)
	}
	after := openFDs(floor, scan)
	var fresh []int
	for i := range after {
		if after[i] && !before[i] {
			fresh = append(fresh, floor+i)
		}
	}
	addReserved(fresh...)
}

// openFDs reports which of the n fds from first are open.
func openFDs(first, n int) []bool {
	open := make([]bool, n)
	for i := range open {
		_, err := unix.FcntlInt(uintptr(first+i), unix.F_GETFD, 0)
		open[i] = err == nil
	}
	return open
}
