package signal

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Hidden processes are guestrun's own helper tasks among the guest's
// children (a fork helper whose exec failed): their exit signal must never
// reach the guest and wait must never return them. The clone code registers
// a pid before the task can exit; the wait and SIGCHLD code consults the
// registry. Reaping and the exit signal race: a wait may reap the process
// while its signal is on the way, and the signal code may reap it while a
// guest's wait (with WNOWAIT) is returning it, which must still find it
// hidden then. So a pid is forgotten only when the number is given to a
// new child (Unhide).
var hidden struct {
	mu   sync.Mutex
	pids map[int]hiddenProc
}

// hiddenProc is what the registry knows of a hidden process.
type hiddenProc struct {
	exitSignal int // the signal its end sends its parent
	parent     int // its parent process: only that one can reap it
}

// HideChild registers pid as hidden: its exit signal is exitSignal, and it
// is the child of process parent (guestrun, or a clone stub).
func HideChild(pid, exitSignal, parent int) {
	hidden.mu.Lock()
	defer hidden.mu.Unlock()
	if hidden.pids == nil {
		hidden.pids = map[int]hiddenProc{}
	}
	hidden.pids[pid] = hiddenProc{exitSignal: exitSignal, parent: parent}
}

// IsHidden reports whether pid is a hidden process.
func IsHidden(pid int) bool {
	hidden.mu.Lock()
	defer hidden.mu.Unlock()
	_, ok := hidden.pids[pid]
	return ok
}

// hiddenExit reports whether sig is the exit signal of hidden process pid.
func hiddenExit(pid, sig int) bool {
	hidden.mu.Lock()
	defer hidden.mu.Unlock()
	h, ok := hidden.pids[pid]
	return ok && h.exitSignal == sig
}

// ownHidden reports whether pid is a hidden child of guestrun itself.
func ownHidden(pid int) bool {
	hidden.mu.Lock()
	defer hidden.mu.Unlock()
	h, ok := hidden.pids[pid]
	return ok && h.parent == unix.Getpid()
}

// Unhide forgets pid: the number now belongs to a new child.
func Unhide(pid int) {
	hidden.mu.Lock()
	defer hidden.mu.Unlock()
	delete(hidden.pids, pid)
}

// waitid siginfo codes of a child's exit.
const (
	cldExited    = 1
	cldKilled    = 2
	cldDumped    = 3
	cldContinued = 6
)

// DropChild applies the hidden-process rule to an exit signal caught from
// the host: it reports whether the signal must not reach the guest. A
// signal naming a hidden process is dropped, and the event it reports is
// consumed, unless another child has an event waiting too: the host
// coalesces a standard signal sent while one is pending, so it also stands
// for that child, and info is rewritten to name it. Real-time signals are
// queued, never coalesced. A hidden process that is not guestrun's own
// child (a trampoline of a clone child's clone) is left for its parent's
// waits, which skip it.
func DropChild(info *Info) bool {
	pid := info.Pid()
	if !IsHidden(pid) {
		return false
	}
	if !ownHidden(pid) {
		return true
	}
	reapHidden(pid)
	sig := int(info.Signo)
	if sig >= SigRTMin {
		return true
	}
	opts := uintptr(unix.WEXITED | unix.WSTOPPED | unix.WCONTINUED | unix.WNOHANG | unix.WNOWAIT)
	if sig != int(unix.SIGCHLD) {
		opts |= unix.WCLONE
	}
	for {
		var si [InfoSize]byte
		_, _, e := unix.RawSyscall6(unix.SYS_WAITID, unix.P_ALL, 0, uintptr(unsafe.Pointer(&si)), opts, 0, 0)
		other := GetInfo(si[:])
		if e != 0 || other.Pid() == 0 {
			return true
		}
		if IsHidden(other.Pid()) {
			if !ownHidden(other.Pid()) {
				return true
			}
			reapHidden(other.Pid())
			continue
		}
		other.Signo = info.Signo
		*info = other
		return false
	}
}

// reapHidden consumes the waiting event of hidden process pid, whose exit
// signal was caught; a wait may have reaped it already.
func reapHidden(pid int) {
	var si [InfoSize]byte
	unix.RawSyscall6(unix.SYS_WAITID, unix.P_PID, uintptr(pid), uintptr(unsafe.Pointer(&si)),
		unix.WEXITED|unix.WSTOPPED|unix.WCONTINUED|unix.WNOHANG|unix.WALL, 0, 0)
}
