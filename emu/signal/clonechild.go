package signal

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Clone children are the guest's children whose exit signal is not SIGCHLD
// (clone without CLONE_VM, with another signal or none). The host cannot
// keep that signal: every guest child execs guestrun, and execve makes the
// exit signal SIGCHLD. So guestrun keeps it: the clone code registers the
// child, the host SIGCHLD of its end becomes its own signal (or none), and
// wait tells clone children from the others for __WCLONE, as Linux does by
// the exit signal.
//
// The host coalesces a SIGCHLD sent while one is pending, and one SIGCHLD
// may then stand for the end of a clone child and for another child's
// event, which need different guest signals: so each SIGCHLD routed also
// looks for clone children that ended unsignalled, and a clone child's end
// for other children with an event waiting.
var cloneKids struct {
	mu     sync.Mutex
	kids   map[int]*cloneKid // by pid, live or reaped but not signalled
	making []*NewChild       // being made, not in kids yet
	n      atomic.Int32      // live entries in kids, and making
	all    atomic.Int32      // entries in kids and making
}

type cloneKid struct {
	sig       int  // guest exit signal, 0 for none
	signalled bool // its end was routed
	reaped    bool // a wait took its end
	flag      ExecFlag
}

// ExecFlag is a word the child sets once it has exec'd: Linux makes its
// exit signal SIGCHLD then, and it is no clone child any more. Release
// frees the word.
type ExecFlag struct {
	Word    *uint32
	Release func()
}

func (k *cloneKid) execd() bool { return k.flag.Word != nil && atomic.LoadUint32(k.flag.Word) != 0 }

// deleteLocked drops the record of pid.
func deleteLocked(pid int) {
	if k := cloneKids.kids[pid]; k != nil {
		if k.flag.Release != nil {
			k.flag.Release()
		}
		delete(cloneKids.kids, pid)
	}
}

// countLocked updates the counts after a change.
func countLocked() {
	live := len(cloneKids.making)
	for _, k := range cloneKids.kids {
		if !k.reaped {
			live++
		}
	}
	cloneKids.n.Store(int32(live))
	cloneKids.all.Store(int32(len(cloneKids.kids) + len(cloneKids.making)))
}

// NewChild is a clone child being made. The kernel writes its pid to Pid
// (CLONE_PARENT_SETTID) before the child can run, so that its end is told
// right even if it comes before Made.
type NewChild struct {
	Pid   int32
	sig   int
	flag  ExecFlag
	taken bool // its record was made before Made
}

// MakeChild announces a clone child with exit signal sig, about to be made,
// which sets flag when it execs; the record owns flag from now on.
func MakeChild(sig int, flag ExecFlag) *NewChild {
	c := &NewChild{sig: sig, flag: flag}
	cloneKids.mu.Lock()
	defer cloneKids.mu.Unlock()
	cloneKids.making = append(cloneKids.making, c)
	countLocked()
	return c
}

// Made records the child once its clone returned, as SetExitSignal does;
// pid is 0 if no child was made.
func (c *NewChild) Made(pid int) {
	cloneKids.mu.Lock()
	defer cloneKids.mu.Unlock()
	cloneKids.making = slices.DeleteFunc(cloneKids.making, func(m *NewChild) bool { return m == c })
	switch {
	case c.taken:
	case pid > 0:
		setLocked(pid, c.sig, c.flag)
	case c.flag.Release != nil:
		c.flag.Release()
	}
	countLocked()
}

// SetExitSignal records the exit signal of the guest's new child pid. A pid
// a new child got is free of any earlier child's record.
func SetExitSignal(pid, sig int) {
	cloneKids.mu.Lock()
	defer cloneKids.mu.Unlock()
	setLocked(pid, sig, ExecFlag{})
	countLocked()
}

func setLocked(pid, sig int, flag ExecFlag) {
	deleteLocked(pid)
	if sig != int(unix.SIGCHLD) {
		if cloneKids.kids == nil {
			cloneKids.kids = map[int]*cloneKid{}
		}
		cloneKids.kids[pid] = &cloneKid{sig: sig, flag: flag}
	}
}

// kidLocked finds the record of clone child pid, making it from a
// NewChild if the clone has not returned yet. A child that has exec'd is
// a clone child no more: its record goes.
func kidLocked(pid int) *cloneKid {
	k := cloneKids.kids[pid]
	if k == nil {
		for _, c := range cloneKids.making {
			if int(atomic.LoadInt32(&c.Pid)) == pid {
				setLocked(pid, c.sig, c.flag)
				c.taken = true
				k = cloneKids.kids[pid]
				break
			}
		}
	}
	if k != nil && k.execd() {
		deleteLocked(pid)
		return nil
	}
	return k
}

// IsCloneChild reports whether pid is a live child whose exit signal is not
// SIGCHLD.
func IsCloneChild(pid int) bool {
	return cloneKids.n.Load() != 0 && kidIs(pid, func(k *cloneKid) bool { return !k.reaped })
}

// sendsNoSignal reports whether the end of child pid sends its parent no
// signal: a clone child with exit signal 0 that has not exec'd.
func sendsNoSignal(pid int) bool {
	return cloneKids.all.Load() != 0 && kidIs(pid, func(k *cloneKid) bool { return k.sig == 0 })
}

// kidIs reports whether there is a record of clone child pid and is holds
// for it.
func kidIs(pid int, is func(*cloneKid) bool) bool {
	cloneKids.mu.Lock()
	defer cloneKids.mu.Unlock()
	k := kidLocked(pid)
	return k != nil && is(k)
}

// HasCloneChildren reports whether any child has an exit signal other than
// SIGCHLD: only then must wait tell children apart.
func HasCloneChildren() bool { return cloneKids.n.Load() != 0 }

// ForgetChild drops the record of a child that has been reaped. Its host
// SIGCHLD may not have been routed yet: until it is, the record stays.
func ForgetChild(pid int) {
	if cloneKids.all.Load() == 0 {
		return
	}
	cloneKids.mu.Lock()
	defer cloneKids.mu.Unlock()
	if k := kidLocked(pid); k != nil {
		if k.signalled {
			deleteLocked(pid)
		} else {
			k.reaped = true
		}
	}
	countLocked()
}

// futexWakePrivate is FUTEX_WAKE|FUTEX_PRIVATE_FLAG.
const futexWakePrivate = 0x81

// childEvents counts the host SIGCHLDs caught: a wait that cannot block in
// the host sleeps on it (ChildEvents).
var childEvents uint32

// ChildEvents returns the futex word counting host SIGCHLDs, for a wait to
// sleep on until a child changes state.
func ChildEvents() *uint32 { return &childEvents }

// ended reports whether a CLD_* code is a child's end.
func ended(code int32) bool { return code == cldExited || code == cldKilled || code == cldDumped }

// childSignals turns a host SIGCHLD into the signals the guest gets. Linux
// sends a child's exit signal at its end and SIGCHLD for its stops and
// continues.
func childSignals(info Info) []Info {
	atomic.AddUint32(&childEvents, 1)
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&childEvents)), futexWakePrivate, 1<<30, 0, 0, 0)
	if cloneKids.all.Load() == 0 {
		return []Info{info}
	}
	cloneKids.mu.Lock()
	defer cloneKids.mu.Unlock()
	var out []Info
	if k := kidLocked(info.Pid()); k != nil && ended(info.Code) {
		out = append(out, k.routeLocked(info.Pid(), info)...)
		// It may stand for another child's event too.
		if other, ok := otherChildEvent(info.Pid()); ok {
			out = append(out, other)
		}
	} else {
		out = append(out, info)
	}
	// And for clone children's ends.
	for pid, k := range cloneKids.kids {
		if k.signalled || k.reaped || kidLocked(pid) == nil {
			continue
		}
		var si [InfoSize]byte
		_, _, e := unix.RawSyscall6(unix.SYS_WAITID, unix.P_PID, uintptr(pid), uintptr(unsafe.Pointer(&si)),
			unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, 0, 0)
		if in := GetInfo(si[:]); e == 0 && in.Pid() == pid {
			out = append(out, k.routeLocked(pid, in)...)
		}
	}
	countLocked()
	return out
}

// routeLocked is the signal for the end of clone child pid, reported by
// info (a SIGCHLD siginfo), if it has not been signalled yet.
func (k *cloneKid) routeLocked(pid int, info Info) []Info {
	if k.signalled {
		return nil
	}
	k.signalled = true
	if k.reaped {
		deleteLocked(pid)
	}
	if k.sig == 0 {
		return nil
	}
	info.Signo = int32(k.sig)
	return []Info{info}
}

// otherChildEvent finds a child other than skip, and not a clone child,
// with an event waiting, and returns the SIGCHLD that reports it.
func otherChildEvent(skip int) (Info, bool) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return Info{}, false
	}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil || pid == skip || cloneKids.kids[pid] != nil || IsHidden(pid) {
				continue
			}
			var si [InfoSize]byte
			_, _, e := unix.RawSyscall6(unix.SYS_WAITID, unix.P_PID, uintptr(pid), uintptr(unsafe.Pointer(&si)),
				unix.WEXITED|unix.WSTOPPED|unix.WCONTINUED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, 0, 0)
			if in := GetInfo(si[:]); e == 0 && in.Pid() == pid {
				return in, true
			}
		}
	}
	return Info{}, false
}
