package syscall

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// Waits while the guest has clone children (signal.IsCloneChild): children
// whose exit signal is not SIGCHLD. Linux waits for them only with __WCLONE
// or __WALL, and __WCLONE for them only; the host cannot tell them apart
// (execve made every child's exit signal SIGCHLD), so guestrun picks the
// eligible children itself and asks the host about each one. Without clone
// children, or with __WALL, a wait goes to the host as it is.

// Wait options as the int32 the guest passes.
const (
	wNoThread int32 = 0x20000000
	wAll      int32 = 0x40000000
	wClone    int32 = -0x80000000

	// waitOptsMask are the options wait4 and waitid know; others are left
	// to the host, for its EINVAL.
	// futexPrivate is FUTEX_PRIVATE_FLAG.
	futexPrivate = 0x80

	waitOptsMask = unix.WNOHANG | unix.WUNTRACED | unix.WEXITED | unix.WCONTINUED | unix.WNOWAIT |
		wNoThread | wAll | wClone
)

// sortsClones reports whether a wait with opts must pick among the children.
func sortsClones(opts int32) bool {
	return signal.HasCloneChildren() && opts&wAll == 0 && opts&^waitOptsMask == 0
}

// waitEligible reports whether a wait with opts may return child pid.
func waitEligible(pid int, opts int32) bool {
	return opts&wAll != 0 || signal.IsCloneChild(pid) == (opts&wClone != 0)
}

// waitChildren waits as wait4 or waitid (which, id: P_ALL, P_PID, P_PGID;
// a pidfd is given as its pid) for the eligible children only. try asks the
// host about one child, with WNOHANG among opts: it returns the child's pid
// if it reported an event, 0 if none, or a negative errno.
func (t *Task) waitChildren(which, id int, opts int32, try func(pid int, opts int32) int64) int64 {
	word := signal.ChildEvents()
	for {
		seen := atomic.LoadUint32(word)
		kids := t.waitCandidates(which, id, opts)
		if len(kids) == 0 {
			return -int64(unix.ECHILD)
		}
		for _, pid := range kids {
			r := try(pid, (opts|unix.WNOHANG|wAll)&^wClone)
			switch {
			case r == -int64(unix.ECHILD):
				continue // reaped meanwhile by another thread
			case r != 0:
				return r
			}
		}
		if opts&unix.WNOHANG != 0 {
			return 0
		}
		// Sleep until a child changes state; the timeout covers changes
		// that bring no host SIGCHLD (stops under SA_NOCLDSTOP).
		ts := unix.Timespec{Nsec: 10_000_000}
		r := t.safe(false, unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWait|futexPrivate, uintptr(seen),
			uintptr(unsafe.Pointer(&ts)), 0, 0)
		switch {
		case r == signal.NotStarted:
			return r
		case r == -int64(unix.EINTR) && t.interrupted():
			return -int64(errRestartSys)
		}
	}
}

// waitCandidates lists the children a wait for (which, id) with opts may
// return: those of the calling thread with __WNOTHREAD, else of every
// thread, in the process group asked, eligible, and not guestrun's own.
func (t *Task) waitCandidates(which, id int, opts int32) []int {
	dir := "/proc/self/task/"
	tasks := []string{strconv.Itoa(t.Tid)}
	if opts&wNoThread == 0 {
		d, err := os.Open(dir)
		if err != nil {
			return nil
		}
		tasks, _ = d.Readdirnames(-1)
		d.Close()
	}
	pgrp := id
	if which == unix.P_PGID && id == 0 {
		pgrp = unix.Getpgrp()
	}
	var kids []int
	for _, task := range tasks {
		b, err := os.ReadFile(dir + task + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil || signal.IsHidden(pid) || !waitEligible(pid, opts) {
				continue
			}
			switch which {
			case unix.P_PID:
				if pid != id {
					continue
				}
			case unix.P_PGID:
				if g, err := unix.Getpgid(pid); err != nil || g != pgrp {
					continue
				}
			}
			kids = append(kids, pid)
		}
	}
	return kids
}

// wait4Target is wait4's pid as waitid's idtype and id.
func wait4Target(pid int32) (int, int) {
	switch {
	case pid > 0:
		return unix.P_PID, int(pid)
	case pid == -1:
		return unix.P_ALL, 0
	case pid == 0:
		return unix.P_PGID, 0
	}
	return unix.P_PGID, int(-pid)
}

// pidfdPid is the pid of the process a pidfd refers to, or -1.
func pidfdPid(fd int) int {
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Pid:"); ok {
			if pid, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return pid
			}
		}
	}
	return -1
}

// forgetReaped drops the record of a child whose end a wait consumed.
func forgetReaped(pid int, code int32, opts int32) {
	if opts&unix.WNOWAIT == 0 && (code == cldExited || code == cldKilled || code == cldDumped) {
		signal.ForgetChild(pid)
	}
}
