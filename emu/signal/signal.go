// Package signal holds guest signal state: dispositions, masks, pending
// queues and alternate stacks, the host handler that catches signals meant for
// the guest, and the rt_sigframe layout.
//
// The structures follow Linux's: Handlers is the sighand table (shared by a
// CLONE_SIGHAND group), Process the thread group's shared pending queue,
// Thread a task's mask, private queue and alternate stack. One lock, the
// Handlers' (Linux's siglock), guards all of them but the alternate stack and
// trap state, which only the thread's own goroutine touches.
package signal

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// NSig is the number of guest signals, numbered 1..NSig.
const NSig = 64

// SigRTMin is the first real-time signal: those from it on are queued, the
// standard ones below it are coalesced.
const SigRTMin = 32

// Set is a signal mask, the kernel's 64-bit sigset_t: bit sig-1 is sig.
type Set uint64

// Bit returns the set holding only sig.
func Bit(sig int) Set { return 1 << uint(sig-1) }

// Has reports whether sig is in s.
func (s Set) Has(sig int) bool { return s&Bit(sig) != 0 }

// Valid reports whether sig is a guest signal number (0 is not). SIGRTMAX is
// guestrun's own (InterruptSignal).
func Valid(sig int) bool { return sig >= 1 && sig < NSig }

// Unblockable holds the signals no mask can hold back or handler catch.
const Unblockable = Set(1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1))

// synchronous signals are dequeued before the others: they are most likely
// caused by the instruction that was just executed.
const synchronous = Set(1<<(unix.SIGSEGV-1) | 1<<(unix.SIGBUS-1) | 1<<(unix.SIGILL-1) |
	1<<(unix.SIGTRAP-1) | 1<<(unix.SIGFPE-1) | 1<<(unix.SIGSYS-1))

// Handler values with a meaning of their own.
const (
	DFL = 0 // SIG_DFL
	IGN = 1 // SIG_IGN
)

// sa_flags bits.
const (
	SANoCldStop  = 0x1
	SANoCldWait  = 0x2
	SASigInfo    = 0x4
	SARestorer   = 0x04000000
	SAOnStack    = 0x08000000
	SARestart    = 0x10000000
	SANoDefer    = 0x40000000
	SAResetHand  = 0x80000000
	saExposeTags = 0x800

	// uapiFlags are the flags the kernel keeps; it clears the others so
	// that programs can probe for support of a new flag.
	uapiFlags = SANoCldStop | SANoCldWait | SASigInfo | SARestorer | SAOnStack |
		SARestart | SANoDefer | SAResetHand | saExposeTags
)

// si_code values.
const (
	SIUser   = 0
	SIKernel = 0x80
	SIQueue  = -1
	SITimer  = -2
	SITKill  = -6
)

// Action is one disposition, the x86-64 kernel's struct sigaction.
type Action struct {
	Handler, Flags, Restorer uint64
	Mask                     Set
}

// DefaultAction is what SIG_DFL does for a signal.
type DefaultAction uint8

const (
	ActTerminate DefaultAction = iota
	ActCore                    // terminate with a core dump
	ActIgnore
	ActStop
	ActContinue
)

// Default returns sig's default action.
func Default(sig int) DefaultAction {
	switch unix.Signal(sig) {
	case unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP, unix.SIGABRT, unix.SIGBUS, unix.SIGFPE,
		unix.SIGSEGV, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGSYS:
		return ActCore
	case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH:
		return ActIgnore
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		return ActStop
	case unix.SIGCONT:
		return ActContinue
	}
	return ActTerminate
}

// stopSignals are cancelled by SIGCONT, and cancel it.
const stopSignals = Set(1<<(unix.SIGSTOP-1) | 1<<(unix.SIGTSTP-1) | 1<<(unix.SIGTTIN-1) | 1<<(unix.SIGTTOU-1))

// Handlers is the disposition table. Its lock guards the signal state of every
// process and thread that shares it.
type Handlers struct {
	mu  sync.Mutex
	act [NSig]Action
}

// queue is a pending set with the siginfo of each queued instance, in
// arrival order. A pending signal may lack an entry when the queue limit
// was hit: its siginfo is then lost, as in Linux.
type queue struct {
	set  Set
	list []Info
}

func (q *queue) flush(s Set) int {
	q.set &^= s
	n := len(q.list)
	q.list = slices.DeleteFunc(q.list, func(in Info) bool { return s.Has(int(in.Signo)) })
	return n - len(q.list)
}

// next picks the signal to dequeue from the pending signals not in mask:
// synchronous ones first, then the lowest number.
func (q *queue) next(mask Set) int {
	x := q.set &^ mask
	if x == 0 {
		return 0
	}
	if x&synchronous != 0 {
		x &= synchronous
	}
	sig := 1
	for x&1 == 0 {
		x >>= 1
		sig++
	}
	return sig
}

// take removes the first instance of sig; found is false when its siginfo
// was lost to the queue limit.
func (q *queue) take(sig int) (info Info, found bool) {
	info = Info{Signo: int32(sig), Code: SIUser}
	same := func(in Info) bool { return int(in.Signo) == sig }
	if i := slices.IndexFunc(q.list, same); i >= 0 {
		info, found = q.list[i], true
		q.list = slices.Delete(q.list, i, i+1)
	}
	if !slices.ContainsFunc(q.list, same) {
		q.set &^= Bit(sig)
	}
	return info, found
}

// Process is the signal state of a thread group: the handlers it uses, its
// shared pending queue and its threads.
type Process struct {
	// Pid is the guest process's pid: guestrun's, or its stub's (a
	// CLONE_VM child).
	Pid     int
	h       *Handlers
	shared  queue
	hint    atomic.Bool // shared.set != 0
	threads []*Thread   // live threads
	leader  *Thread     // the first thread, even once it has exited
	queued  int         // entries in all queues, against limit
	limit   int         // RLIMIT_SIGPENDING
	timers  map[int32]hostTimer

	watches  []*Watch    // signalfds (watch.go)
	watching atomic.Bool // len(watches) != 0
}

// NewProcess returns default dispositions and nothing pending.
func NewProcess() *Process {
	limit := 1 << 20
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_SIGPENDING, &rl) == nil && rl.Cur < uint64(limit) {
		limit = int(rl.Cur)
	}
	return &Process{Pid: unix.Getpid(), h: &Handlers{}, limit: limit}
}

// Thread is the signal state of one guest thread.
type Thread struct {
	p            *Process
	exited       bool
	blocked      Set
	realBlocked  Set // blocked before rt_sigtimedwait unblocked its set
	saved        Set // mask to restore after rt_sigsuspend
	restoreSaved bool
	pending      queue
	hint         atomic.Bool // pending.set != 0
	wake         chan struct{}
	interrupt    func()
	cancelled    atomic.Bool // Cancel: the task is over, its waits end

	// Tid is the host thread that runs the thread, for the host signals
	// directed at it.
	Tid int

	// Alt is the alternate signal stack and Trap the last fault's
	// machine details; only the thread itself touches them.
	Alt  AltStack
	Trap Trap
}

// Trap is what the kernel keeps of a thread's last fault and shows in every
// signal frame's sigcontext (trapno, err, cr2).
type Trap struct {
	Trapno, Err, CR2 uint64
}

// NewThread adds a thread to p. interrupt is called from other goroutines
// when a signal the thread should take arrives, to stop its CPU between
// instructions. The main thread's alternate stack flags start at 0 as in
// Linux; threads created later get SS_DISABLE from their creator.
func (p *Process) NewThread(interrupt func()) *Thread {
	InstallInterrupt()
	t := &Thread{p: p, wake: make(chan struct{}, 1), interrupt: interrupt}
	p.h.mu.Lock()
	p.threads = append(p.threads, t)
	if p.leader == nil {
		p.leader = t
	}
	p.h.mu.Unlock()
	return t
}

// NewSibling adds a thread created by t (clone with CLONE_THREAD): it
// starts with t's mask, nothing pending and the alternate stack disabled,
// unless vfork is set (CLONE_VFORK), when the stack is t's as in Linux.
func (t *Thread) NewSibling(interrupt func(), tid int, vfork bool) *Thread {
	p := t.p
	n := &Thread{p: p, wake: make(chan struct{}, 1), interrupt: interrupt, Tid: tid,
		Alt: AltStack{Flags: SSDisable}}
	if vfork {
		n.Alt = t.Alt
	}
	p.lock()
	defer p.unlock()
	n.blocked = t.blocked
	p.threads = append(p.threads, n)
	return n
}

// Exit removes an exiting thread: its private pending signals are dropped,
// and the process's pending signals it might have taken go to another
// thread.
func (t *Thread) Exit() {
	p := t.p
	p.lock()
	defer p.unlock()
	if t.exited {
		return
	}
	t.exited = true
	p.queued -= t.pending.flush(^Set(0))
	t.hint.Store(false)
	p.threads = slices.DeleteFunc(p.threads, func(u *Thread) bool { return u == t })
	p.removedLocked()
	p.retargetLocked(p.shared.set)
}

// retargetLocked wakes a thread for each signal of s pending for the
// process, after the thread it would have gone to blocked it or exited (the
// kernel's retarget_shared_pending).
func (p *Process) retargetLocked(s Set) {
	s &= p.shared.set
	for sig := 1; s != 0; sig++ {
		if s.Has(sig) {
			s &^= Bit(sig)
			p.wakeLocked(nil, sig)
		}
	}
}

func (p *Process) lock()   { p.h.mu.Lock() }
func (p *Process) unlock() { p.h.mu.Unlock() }

// Action returns sig's disposition.
func (p *Process) Action(sig int) Action {
	p.lock()
	defer p.unlock()
	return p.h.act[sig-1]
}

// SetAction installs act for sig and returns the previous disposition, both
// with unknown flags cleared. Making a signal ignored discards its pending
// instances, blocked or not (POSIX).
func (p *Process) SetAction(sig int, act *Action) Action {
	p.lock()
	defer p.unlock()
	old := p.h.act[sig-1]
	old.Flags &= uapiFlags
	if act != nil {
		a := *act
		a.Flags &= uapiFlags
		a.Mask &^= Unblockable
		p.h.act[sig-1] = a
		if p.ignoredLocked(sig) {
			p.flushLocked(Bit(sig))
		}
		hostAction(p, sig, a)
	}
	return old
}

// ignoredLocked reports whether sig's disposition discards it.
func (p *Process) ignoredLocked(sig int) bool {
	switch p.h.act[sig-1].Handler {
	case IGN:
		return true
	case DFL:
		return Default(sig) == ActIgnore
	}
	return false
}

// flushLocked removes the signals of s from every queue.
func (p *Process) flushLocked(s Set) {
	p.queued -= p.shared.flush(s)
	p.hint.Store(p.shared.set != 0)
	for _, t := range p.threads {
		p.queued -= t.pending.flush(s)
		t.hint.Store(t.pending.set != 0)
	}
	p.removedLocked()
}

// Send queues a signal: to thread t, or to the process when t is nil. It
// returns EAGAIN when a real-time signal queued with a user si_code would
// exceed RLIMIT_SIGPENDING. A signal that the target ignores, or a standard
// signal already pending, is dropped.
func (p *Process) Send(t *Thread, info Info) error {
	p.lock()
	defer p.unlock()
	return p.sendLocked(t, info)
}

func (p *Process) sendLocked(t *Thread, info Info) error {
	sig := int(info.Signo)
	target := t
	if target == nil {
		target = p.leader
	}
	// A blocked signal is kept even if ignored: the disposition may change
	// before it is unblocked.
	if p.ignoredLocked(sig) && (target == nil || !(target.blocked | target.realBlocked).Has(sig)) {
		return nil
	}
	switch {
	case stopSignals.Has(sig):
		p.flushLocked(Bit(int(unix.SIGCONT)))
	case sig == int(unix.SIGCONT):
		p.flushLocked(stopSignals)
	}
	q := &p.shared
	if t != nil {
		q = &t.pending
	}
	if sig < SigRTMin && q.set.Has(sig) {
		return nil
	}
	switch {
	case p.queued < p.limit || sig < SigRTMin && info.Code >= 0:
		q.list = append(q.list, info)
		p.queued++
	case sig >= SigRTMin && info.Code != SIUser:
		return unix.EAGAIN
	}
	q.set |= Bit(sig)
	if t != nil {
		t.hint.Store(true)
	} else {
		p.hint.Store(true)
	}
	p.arrivedLocked(sig)
	p.wakeLocked(t, sig)
	return nil
}

// wakeLocked wakes the thread that should take sig: t, or for a
// process-directed signal the first thread that does not block it.
func (p *Process) wakeLocked(t *Thread, sig int) {
	if t == nil {
		for _, u := range p.threads {
			if !u.blocked.Has(sig) {
				t = u
				break
			}
		}
	}
	if t == nil || t.blocked.Has(sig) {
		return
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
	if t.interrupt != nil {
		t.interrupt()
	}
}

// Force queues a synchronous signal raised by the thread's own instruction,
// the way the kernel's force_sig does: if the signal is blocked or ignored,
// it is unblocked and its disposition reset to the default, so that it
// kills the process rather than being lost or looping.
func (t *Thread) Force(info Info) {
	sig := int(info.Signo)
	p := t.p
	p.lock()
	defer p.unlock()
	a := &p.h.act[sig-1]
	if t.blocked.Has(sig) || a.Handler == IGN {
		a.Handler = DFL
		t.blocked &^= Bit(sig)
	}
	p.sendLocked(t, info)
}

// MaybePending reports without locking whether anything is pending for the
// thread, blocked or not: when false there is nothing to deliver.
func (t *Thread) MaybePending() bool { return t.hint.Load() || t.p.hint.Load() }

// Blocked returns the signal mask.
func (t *Thread) Blocked() Set {
	t.p.lock()
	defer t.p.unlock()
	return t.blocked
}

// SetBlocked replaces the signal mask; SIGKILL and SIGSTOP stay unblocked.
func (t *Thread) SetBlocked(s Set) {
	t.p.lock()
	defer t.p.unlock()
	t.setBlockedLocked(s)
}

func (t *Thread) setBlockedLocked(s Set) {
	old := t.blocked
	t.blocked = s &^ Unblockable
	t.p.retargetLocked(t.blocked &^ old)
}

// SetTempMask replaces the mask for the duration of a syscall that takes
// one (ppoll, pselect6, epoll_pwait), as rt_sigsuspend does: the old mask
// comes back with RestoreSavedMask, or when the handler of a signal that
// interrupts the call returns. It reports whether a signal can now be
// delivered.
func (t *Thread) SetTempMask(mask Set) bool {
	t.p.lock()
	defer t.p.unlock()
	if !t.restoreSaved {
		t.saved = t.blocked
		t.restoreSaved = true
	}
	t.setBlockedLocked(mask)
	return t.deliverableLocked()
}

// Deliverable reports whether a signal the thread does not block is pending.
func (t *Thread) Deliverable() bool {
	t.p.lock()
	defer t.p.unlock()
	return t.deliverableLocked()
}

// Pending returns the signals pending for the thread or its process.
func (t *Thread) Pending() Set {
	t.p.lock()
	defer t.p.unlock()
	return t.pending.set | t.p.shared.set
}

// Private returns the signals pending for the thread itself, and Shared
// those pending for its process (/proc's SigPnd and ShdPnd).
func (t *Thread) Private() Set {
	t.p.lock()
	defer t.p.unlock()
	return t.pending.set
}

// Shared returns the signals pending for the process.
func (p *Process) Shared() Set {
	p.lock()
	defer p.unlock()
	return p.shared.set
}

func (t *Thread) deliverableLocked() bool {
	return (t.pending.set|t.p.shared.set)&^t.blocked != 0
}

// dequeueLocked takes the next pending signal not in mask: the thread's own
// first, then the process's.
func (t *Thread) dequeueLocked(mask Set) (Info, bool) {
	p := t.p
	q, hint := &t.pending, &t.hint
	sig := q.next(mask)
	if sig == 0 {
		q, hint = &p.shared, &p.hint
		if sig = q.next(mask); sig == 0 {
			return Info{}, false
		}
	}
	info, had := q.take(sig)
	if had {
		p.queued--
	}
	hint.Store(q.set != 0)
	p.removedLocked()
	return info, true
}

// Take dequeues the next signal the thread must act on and the disposition
// it gets, as the kernel's get_signal does: ignored signals are dropped, and
// SA_RESETHAND resets the handler as the signal is taken. A returned Action
// with Handler DFL means the default action (never Ignore) applies.
func (t *Thread) Take() (Info, Action, bool) {
	p := t.p
	p.lock()
	defer p.unlock()
	for {
		info, ok := t.dequeueLocked(t.blocked)
		if !ok {
			return Info{}, Action{}, false
		}
		sig := int(info.Signo)
		a := &p.h.act[sig-1]
		switch a.Handler {
		case IGN:
			continue
		case DFL:
			// SIGCONT's continuing happened when it was sent.
			if d := Default(sig); d == ActIgnore || d == ActContinue {
				continue
			}
			return info, *a, true
		}
		act := *a
		if a.Flags&SAResetHand != 0 {
			a.Handler = DFL
		}
		return info, act, true
	}
}

// MaskToSave is the mask a signal frame saves: the one rt_sigsuspend will
// restore if it is the call being interrupted, else the current mask.
func (t *Thread) MaskToSave() Set {
	t.p.lock()
	defer t.p.unlock()
	if t.restoreSaved {
		return t.saved
	}
	return t.blocked
}

// Delivered sets the mask for a handler that is about to run.
func (t *Thread) Delivered(sig int, act *Action) {
	t.p.lock()
	defer t.p.unlock()
	t.restoreSaved = false
	s := t.blocked | act.Mask
	if act.Flags&SANoDefer == 0 {
		s |= Bit(sig)
	}
	t.setBlockedLocked(s)
}

// RestoreSavedMask puts back the mask rt_sigsuspend replaced, once no
// handler is going to run.
func (t *Thread) RestoreSavedMask() {
	t.p.lock()
	defer t.p.unlock()
	if t.restoreSaved {
		t.restoreSaved = false
		t.setBlockedLocked(t.saved)
	}
}

// wait blocks until a signal the thread does not block is pending, or until
// the deadline (zero: none). It reports false on timeout.
func (t *Thread) wait(deadline time.Time) bool {
	var timer *time.Timer
	var expired <-chan time.Time
	if !deadline.IsZero() {
		timer = time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		expired = timer.C
	}
	for {
		t.p.lock()
		ok := t.deliverableLocked()
		t.p.unlock()
		if ok || t.cancelled.Load() {
			return true
		}
		select {
		case <-t.wake:
		case <-expired:
			return false
		}
	}
}

// Suspend is rt_sigsuspend: it replaces the mask with mask until a signal
// arrives. The old mask comes back when the handler returns (it is the one
// the frame saves) or at once if no handler runs.
func (t *Thread) Suspend(mask Set) {
	t.p.lock()
	t.saved = t.blocked
	t.restoreSaved = true
	t.setBlockedLocked(mask)
	t.p.unlock()
	t.wait(time.Time{})
}

// Pause waits for a signal the thread does not block.
func (t *Thread) Pause() { t.wait(time.Time{}) }

// TimedWait is rt_sigtimedwait: it takes a pending signal of set, waiting up
// to timeout for one (forever if timeout is negative). It returns EAGAIN on
// timeout and EINTR when another signal arrived first.
func (t *Thread) TimedWait(set Set, timeout time.Duration) (Info, error) {
	p := t.p
	mask := ^(set &^ Unblockable)
	p.lock()
	info, ok := t.dequeueLocked(mask)
	if ok || timeout == 0 {
		p.unlock()
		if ok {
			return info, nil
		}
		return Info{}, unix.EAGAIN
	}
	// Unblock the set while sleeping so that its signals wake us.
	t.realBlocked = t.blocked
	t.blocked &= mask
	p.unlock()
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	woken := t.wait(deadline)
	p.lock()
	t.setBlockedLocked(t.realBlocked)
	t.realBlocked = 0
	info, ok = t.dequeueLocked(mask)
	p.unlock()
	switch {
	case ok:
		return info, nil
	case woken:
		return Info{}, unix.EINTR
	}
	return Info{}, unix.EAGAIN
}
