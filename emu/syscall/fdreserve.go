package syscall

import (
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
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
// soft RLIMIT_NOFILE when that is lower. cmd/guestrun/entry_amd64.s works
// it out the same way before the Go runtime starts; keep the two alike (a
// difference costs OpenHighFilled a few more dups or closes, no more).
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
	// The other address spaces' fds: guestrun's table has them, and so
	// has the copy of it a forked child run here started with.
	if ms := spaceMems.Load(); ms != nil {
		for _, m := range *ms {
			if fd == m.FD() || m.Holds(fd) {
				return true
			}
		}
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
	mems := []*mem.Mem{p.Mem}
	if ms := spaceMems.Load(); ms != nil {
		mems = append(mems, *ms...)
	}
	for _, m := range mems {
		if m == nil {
			continue
		}
		for _, fd := range append(m.Held(), m.FD()) {
			if !slices.Contains(s, fd) {
				s = append(s, fd)
			}
		}
	}
	slices.Sort(s)
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
func OpenHigh(f func()) { OpenHighFilled(nil, f) }

// OpenHighFilled is OpenHigh for a caller that has already taken most of the
// free fds below the floor with copies of /dev/null, pre (cmd/guestrun's
// entry point does, on a thread of its own while the Go runtime starts): it
// takes the few left and closes them all after f.
func OpenHighFilled(pre []int, f func()) {
	floor := reservedFloor()
	var fillers []int
	var before []bool // from the floor up
	if len(pre) > 0 {
		before = openFDs(floor, openHighScan)
		fillers = append(pre, fillHoles(pre[0], floor)...)
		slices.Sort(fillers)
	} else {
		// One look at the table tells what is free below the floor
		// and what is open above it.
		all := openFDs(0, floor+openHighScan)
		free := 0
		for _, o := range all[:floor] {
			if !o {
				free++
			}
		}
		fillers = fillBelow(floor, free)
		before = all[floor:]
	}
	f()
	closeFDs(fillers)
	after := openFDs(floor, openHighScan)
	var fresh []int
	for i := range after {
		if after[i] && !before[i] {
			fresh = append(fresh, floor+i)
		}
	}
	addReserved(fresh...)
}

// fillHoles takes the free fds below floor with copies of null, one at a
// time: there are few.
func fillHoles(null, floor int) []int {
	var fds []int
	for {
		d, err := unix.FcntlInt(uintptr(null), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return fds
		}
		if d >= floor {
			unix.Close(d)
			return fds
		}
		fds = append(fds, d)
	}
}

// openHighScan is how many fds from the floor OpenHigh looks at: f opens a
// handful of fds at most.
const openHighScan = 64

// openHighGrow is how many fds above the floor the table gets room for.
const openHighGrow = 16

// fillBelow takes every free fd below floor, need of them, with fds of
// /dev/null, and returns them sorted. Every guestrun a fork or an execve
// starts does this, so the fds come by the hundred: a socket message
// carrying one fd many times (SCM_RIGHTS) installs its copies at the lowest
// free numbers.
func fillBelow(floor, need int) []int {
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	fds := []int{null}
	// Grow the fd table at once to hold the few fds OpenHigh's caller
	// opens: each growth of a table that threads share waits for an RCU
	// grace period. (A table that already reaches there, as that of a
	// guestrun started by another, stays as it is.)
	if d, err := unix.FcntlInt(uintptr(null), unix.F_DUPFD_CLOEXEC, floor+openHighGrow); err == nil {
		unix.Close(d)
	}
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		const batch = 253 // SCM_MAX_FD
		// No more than the free fds below floor: the others would land
		// above it, and past the end of the table they would grow it.
		oob := make([]byte, unix.CmsgSpace(batch*4))
		for done := false; !done && need > 0; {
			rights := unix.UnixRights(slices.Repeat([]int{null}, min(need, batch))...)
			if unix.Sendmsg(sp[0], nil, rights, nil, 0) != nil {
				break
			}
			_, oobn, fl, _, err := unix.Recvmsg(sp[1], nil, oob, unix.MSG_CMSG_CLOEXEC)
			if err != nil {
				break
			}
			got := receivedFDs(oob[:oobn])
			done = len(got) < batch || fl&unix.MSG_CTRUNC != 0
			for _, d := range got {
				if d < floor {
					need--
					fds = append(fds, d)
				} else {
					unix.Close(d)
					done = true
				}
			}
		}
		unix.Close(sp[0])
		unix.Close(sp[1])
	}
	// What the batches could not take (a low RLIMIT_NOFILE), one by one.
	for {
		d, err := unix.FcntlInt(uintptr(null), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			break
		}
		if d >= floor {
			unix.Close(d)
			break
		}
		fds = append(fds, d)
	}
	slices.Sort(fds)
	return fds
}

func receivedFDs(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if r, err := unix.ParseUnixRights(&msgs[i]); err == nil {
			fds = append(fds, r...)
		}
	}
	return fds
}

// closeFDs closes sorted fds, a run of consecutive numbers at a time.
func closeFDs(fds []int) {
	forRuns(fds, func(first, last int) {
		if _, _, e := unix.RawSyscall(unix.SYS_CLOSE_RANGE, uintptr(first), uintptr(last), 0); e != 0 {
			for d := first; d <= last; d++ {
				unix.Close(d)
			}
		}
	})
}

// forRuns calls f with the first and last fd of each run of consecutive
// numbers in fds, which is sorted.
func forRuns(fds []int, f func(first, last int)) {
	for i := 0; i < len(fds); {
		j := i + 1
		for j < len(fds) && fds[j] == fds[j-1]+1 {
			j++
		}
		f(fds[i], fds[j-1])
		i = j
	}
}

// openFDs reports which of the n fds from first are open, with one poll:
// it reports a closed fd as POLLNVAL. Fds at or past the soft
// RLIMIT_NOFILE, which poll refuses, count as closed.
func openFDs(first, n int) []bool {
	open := make([]bool, n)
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && uint64(first+n) > rl.Cur {
		n = max(int(rl.Cur)-first, 0)
	}
	pfds := make([]unix.PollFd, n)
	for i := range pfds {
		pfds[i].Fd = int32(first + i)
	}
	if _, err := unix.Poll(pfds, 0); err != nil {
		for i := range pfds {
			_, err := unix.FcntlInt(uintptr(first+i), unix.F_GETFD, 0)
			open[i] = err == nil
		}
		return open
	}
	for i := range pfds {
		open[i] = pfds[i].Revents&unix.POLLNVAL == 0
	}
	return open
}
