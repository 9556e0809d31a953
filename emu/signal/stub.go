package signal

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Guest processes made by clone with CLONE_VM and without CLONE_THREAD run
// in this guestrun process, but each guest task has a kernel task of its own
// in another process: a stub (emu/clone). Host signals sent to a stub are
// caught there by the same handlers as in guestrun (the memory, hence the
// ring, is shared) and routed to the guest process the stub stands for.

// stubTasks maps the host tid of a stub to its guest process.
var stubTasks sync.Map

// AddStub routes the host signals caught on stub task tid to p.
func AddStub(tid int, p *Process) { stubTasks.Store(tid, p) }

// RemoveStub forgets stub task tid.
func RemoveStub(tid int) { stubTasks.Delete(tid) }

// processOf returns the guest process that host signals caught on tid go to.
func processOf(tid int) *Process {
	if p, ok := stubTasks.Load(tid); ok {
		return p.(*Process)
	}
	return catching.target.Load()
}

// Child returns the signal state of a new guest process made by clone
// without CLONE_THREAD whose kernel process is pid: it shares p's handlers
// with CLONE_SIGHAND (share), else starts with a copy of them, reset to the
// default unless ignored with CLONE_CLEAR_SIGHAND (clear).
func (p *Process) Child(pid int, share, clear bool) *Process {
	c := NewProcess()
	c.Pid = pid
	if share {
		c.h = p.h
		return c
	}
	p.lock()
	c.h.act = p.h.act
	p.unlock()
	if clear {
		for i := range c.h.act {
			if c.h.act[i].Handler != IGN {
				c.h.act[i] = Action{}
			}
		}
	}
	return c
}

// HostAction is the kernel's struct sigaction, as a stub installs it.
type HostAction struct {
	Handler, Flags, Restorer uintptr
	Mask                     uint64
}

// StubActions are the host handlers of a stub standing for a task of p:
// every signal that can be caught is, as guestrun catches them, and
// InterruptSignal interrupts the stub's syscalls. SIGCHLD, SIGTTOU and
// SIGTTIN follow the guest's disposition, as in guestrun (hostAction).
func (p *Process) StubActions() [NSig]HostAction {
	_, intr, _, restorer := asmAddrs()
	var a [NSig]HostAction
	for sig := 1; sig < NSig; sig++ {
		if !Unblockable.Has(sig) {
			a[sig-1] = hostActionOf(sig, p.Action(sig))
		}
	}
	a[InterruptSignal-1] = HostAction{Handler: intr, Flags: SASigInfo | SAOnStack | SARestorer,
		Restorer: restorer, Mask: handlerMask}
	return a
}

// StubAction is the host disposition of sig for a stub of p, which follows
// a change of the guest's disposition (hostAction).
func (p *Process) StubAction(sig int) (HostAction, bool) {
	if !mirrored.Has(sig) {
		return HostAction{}, false
	}
	return hostActionOf(sig, p.Action(sig)), true
}

// SafeWindowAddr is the address of the code SafeSyscall runs, which a stub
// runs too for its interruptible syscalls.
func SafeWindowAddr() uintptr {
	w, _, _, _ := asmAddrs()
	return w
}

// InterruptTask sends InterruptSignal to host thread tid of process pid.
func InterruptTask(pid, tid int) {
	unix.RawSyscall(unix.SYS_TGKILL, uintptr(pid), uintptr(tid), uintptr(InterruptSignal))
}

// exitsRouted holds the pids whose exit signal the router has queued to the
// guest and no wait has taken yet.
var exitsRouted sync.Map

// noteExit records that the exit signal of pid has been routed.
func noteExit(info *Info) {
	if info.Code >= cldExited && info.Code <= cldDumped {
		exitsRouted.Store(info.Pid(), struct{}{})
	}
}

// AwaitExit is called when a wait has taken the end (CLD_* code) of child
// pid. Linux queues the exit signal before the child can be waited for, so
// a handler has run by the time wait returns; guestrun routes the host's
// signal from the thread that caught it, which may not have run yet on a
// busy machine, so it waits for that, up to awaitExitBound. A child known to
// send no signal (exit signal 0) is not waited for; one that sends none
// without guestrun knowing costs the wait its bound.
func AwaitExit(pid int, code int32) {
	if code < cldExited || code > cldDumped || sendsNoSignal(pid) {
		return
	}
	deadline := time.Now().Add(awaitExitBound)
	for i := 0; ; i++ {
		if _, ok := exitsRouted.LoadAndDelete(pid); ok {
			return
		}
		DrainHost()
		if i > 0 {
			if time.Now().After(deadline) {
				return
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
}

// awaitExitBound is how long AwaitExit waits. 2 ms was too short for tests
// running in parallel on 2 cores: an exit signal came after the guest had
// looked for it.
const awaitExitBound = 20 * time.Millisecond

// Cancel ends the waits for signals of a thread whose task is over (its
// stub is gone), now and for good.
func (t *Thread) Cancel() {
	t.cancelled.Store(true)
	select {
	case t.wake <- struct{}{}:
	default:
	}
}
