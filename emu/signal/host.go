package signal

import (
	ossignal "os/signal"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Host signals sent to guestrun from outside (kill from a shell, the
// terminal's SIGINT, SIGCHLD of a child, the interval timers' SIGALRM, a
// broken pipe's SIGPIPE) are caught by catchHandler with their siginfo and
// queued to the guest by a router goroutine. Signals between guest threads
// never go through the host.
//
// The Go runtime needs some host signals for itself: its faults, its
// preemption (SIGURG) and its profiler (SIGPROF). Another process may send
// them for the guest too, so chainHandler tells them apart by their siginfo
// and passes the runtime's own to the runtime's handler. The runtime's
// SIGSETXID-like SIGRTMIN+1 (it runs a syscall on all threads with it) and
// InterruptSignal never reach the guest.

// goOnly are the host signals the Go runtime or guestrun keep entirely.
const goOnly = Set(1<<SigRTMin|1<<(NSig-1)) | Unblockable

// chained are the host signals shared with the Go runtime (chainHandler).
const chained = synchronous&^Set(1<<(unix.SIGSYS-1)) | Set(1<<(unix.SIGURG-1)|1<<(unix.SIGPROF-1))

// standIn is the host signal that carries the signal of a guest timer whose
// own signal would not come back to the guest (HostTimerSignal). A timer's
// signal is told apart from a kill by its si_code and timer id.
const standIn = NSig - 1

// futexWaitPrivate is FUTEX_WAIT|FUTEX_PRIVATE_FLAG.
const futexWaitPrivate = 0x80

// ringLen is how many caught signals can wait for the router.
const ringLen = 128

// hostSlot is one caught signal; catchHandler writes it. state is 0 (free),
// 1 (being written), 2 (full) or 3 (being read).
type hostSlot struct {
	state uint32
	tid   int32 // the thread that caught it
	seq   uint64
	info  [InfoSize]byte
}

type ring struct {
	seq   uint64 // next sequence number
	wake  uint32 // futex word, bumped for every signal
	_     uint32
	slots [ringLen]hostSlot
}

var hostRing ring

// draining is held while slots are taken from the ring and routed, so that
// DrainHost returns only once a signal the router took meanwhile is queued
// too.
var draining sync.Mutex

var catching struct {
	once    sync.Once
	mu      sync.Mutex
	target  atomic.Pointer[Process]
	ignored Set // host signals guestrun inherited ignored
	active  bool
}

// goHandlers are the Go runtime's handlers of the chained signals, which
// chainHandler calls; hostPid is guestrun's pid, for telling the runtime's
// own preemption signals. Both are set before chainHandler is installed.
var (
	goHandlers [NSig + 1]uintptr
	hostPid    int32
)

// CatchHost routes the host signals meant for the guest to p from now on.
// Signals guestrun inherited ignored (SIGHUP and SIGINT under nohup or in a
// background job, what a parent like make ignores) start ignored for the
// guest, as for a native program. They are caught on the host all the same:
// one the guest blocks must stay pending rather than be discarded, and
// sigwait must see it (package signal applies the ignoring).
func CatchHost(p *Process) {
	catching.target.Store(p)
	catching.once.Do(func() {
		catching.mu.Lock()
		defer catching.mu.Unlock()
		catching.active = true
		hostPid = int32(unix.Getpid())
		for sig := 1; sig < NSig; sig++ {
			switch {
			case goOnly.Has(sig):
			case chained.Has(sig):
				chain(sig)
			default:
				if inheritedIgnored(sig) {
					catching.ignored |= Bit(sig)
				}
				catchSignal(sig)
			}
		}
		go routeHost()
	})
	p.lock()
	for sig := 1; sig < NSig; sig++ {
		if catching.ignored.Has(sig) {
			p.h.act[sig-1] = Action{Handler: IGN}
		}
	}
	p.unlock()
	for sig := 1; sig < NSig; sig++ {
		if mirrored.Has(sig) {
			hostAction(p, sig, p.Action(sig))
		}
	}
}

// chain puts chainHandler in front of the Go runtime's handler of sig,
// keeping the runtime's flags, mask and restorer. Without it, a fault
// signal another process sends (kill -SEGV) would make the runtime exit with
// a stack dump, and SIGURG and SIGPROF would never reach the guest.
func chain(sig int) {
	var old kernelSigaction
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	if old.handler == DFL || old.handler == IGN {
		return
	}
	goHandlers[sig] = old.handler
	act := old
	act.handler = chainAddr()
	if err := sigaction(unix.Signal(sig), &act); err != nil {
		panic("signal: chaining host signal: " + err.Error())
	}
}

// inheritedIgnored reports whether guestrun started with sig ignored: the
// host disposition is still SIG_IGN, where the Go runtime left it alone, or
// the runtime says so (it keeps SIGHUP and SIGINT ignored).
func inheritedIgnored(sig int) bool {
	var old kernelSigaction
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	return old.handler == IGN || ossignal.Ignored(unix.Signal(sig))
}

// catchSignal installs catchHandler for sig. The handler only records the
// signal, so SA_RESTART keeps it from disturbing guestrun's own syscalls;
// interrupting a guest thread is the router's business.
func catchSignal(sig int) {
	if err := sigaction(unix.Signal(sig), hostActionOf(sig, Action{}).kernel()); err != nil {
		panic("signal: catching host signal: " + err.Error())
	}
}

// kernel is h as rt_sigaction takes it.
func (h HostAction) kernel() *kernelSigaction {
	return &kernelSigaction{handler: h.Handler, flags: h.Flags, restorer: h.Restorer, mask: h.Mask}
}

// catchAgain puts catchHandler back on sig after Stop reset it.
func catchAgain(sig unix.Signal) {
	catching.mu.Lock()
	defer catching.mu.Unlock()
	if catching.active {
		catchSignal(int(sig))
	}
}

// mirrored are the signals whose host disposition follows the guest's,
// because the kernel acts on the disposition itself: an ignored SIGCHLD
// (or SA_NOCLDWAIT) makes it reap the children, SA_NOCLDSTOP keeps it from
// reporting stops, and an ignored SIGTTOU or SIGTTIN lets a process outside
// the terminal's foreground group change its settings or read it (a
// shell's tcsetpgrp after fg) where a caught one stops it or fails EIO.
var mirrored = Bit(int(unix.SIGCHLD)) | Bit(int(unix.SIGTTOU)) | Bit(int(unix.SIGTTIN))

// hostAction follows a disposition change of the guest process guestrun
// itself runs on the host (a stub's is StubAction's).
func hostAction(p *Process, sig int, act Action) {
	if !mirrored.Has(sig) {
		return
	}
	catching.mu.Lock()
	defer catching.mu.Unlock()
	// Its own process, or one sharing its handlers (CLONE_SIGHAND).
	if t := catching.target.Load(); !catching.active || t == nil || t.h != p.h {
		return
	}
	sigaction(unix.Signal(sig), hostActionOf(sig, act).kernel())
}

// hostActionOf is the host disposition of sig when the guest's is act.
func hostActionOf(sig int, act Action) HostAction {
	if mirrored.Has(sig) && act.Handler == IGN {
		return HostAction{Handler: IGN}
	}
	_, _, catch, restorer := asmAddrs()
	h := HostAction{Handler: catch, Flags: SASigInfo | SAOnStack | SARestorer | SARestart,
		Restorer: restorer, Mask: handlerMask}
	if sig == int(unix.SIGCHLD) {
		h.Flags |= uintptr(act.Flags & (SANoCldStop | SANoCldWait))
	}
	return h
}

// routeHost takes the caught signals off the ring, in the order they were
// caught, and queues them to the guest.
func routeHost() {
	var batch []hostSlot
	for {
		seen := atomic.LoadUint32(&hostRing.wake)
		if batch = drain(batch[:0]); len(batch) == 0 {
			unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&hostRing.wake)),
				futexWaitPrivate, uintptr(seen), 0, 0, 0)
		}
	}
}

// DrainHost queues the signals caught so far at once. A guest thread calls
// it after a syscall that makes the kernel signal the thread itself (the
// SIGPIPE of a write to a broken pipe, a kill of its own process group): the
// handler ran on the thread before the syscall returned, and the guest must
// see the signal before its next instruction, as in Linux.
func DrainHost() {
	var buf [8]hostSlot
	drain(buf[:0])
}

// drain takes the full slots of the ring, in their order, and routes them;
// it returns them in batch.
func drain(batch []hostSlot) []hostSlot {
	draining.Lock()
	defer draining.Unlock()
	for i := range hostRing.slots {
		s := &hostRing.slots[i]
		// Catching threads write slots while they are taken: 3 marks
		// a slot being taken.
		if atomic.CompareAndSwapUint32(&s.state, 2, 3) {
			batch = append(batch, hostSlot{tid: s.tid, seq: s.seq, info: s.info})
			atomic.StoreUint32(&s.state, 0)
		}
	}
	sort.Slice(batch, func(i, j int) bool { return batch[i].seq < batch[j].seq })
	for i := range batch {
		if p := processOf(int(batch[i].tid)); p != nil {
			p.fromHost(GetInfo(batch[i].info[:]), int(batch[i].tid))
		}
	}
	return batch
}

// fromHost queues a signal caught on host thread tid. It is directed at the
// guest thread on tid when the host directed it at that thread: a tgkill
// from outside, a POSIX timer with SIGEV_THREAD_ID, or the SIGPIPE or
// SIGXFSZ the kernel sends a thread for its own write (SI_USER from
// guestrun itself, which never sends those signals by kill). A timer's
// signal becomes the guest's (HostTimerSignal, ITIMER_PROF). The exit signal
// of a hidden helper process is dropped (DropChild), a clone child's
// becomes its own (childSignals).
func (p *Process) fromHost(info Info, tid int) {
	sig := int(info.Signo)
	if !Valid(sig) {
		return
	}
	defer noteExit(&info)
	p.lock()
	defer p.unlock()
	var t *Thread
	switch {
	case info.Code == SITKill:
		t = p.threadLocked(tid)
	case info.Code == SIUser && info.Pid() == p.Pid &&
		(sig == int(unix.SIGPIPE) || sig == int(unix.SIGXFSZ)):
		t = p.threadLocked(tid)
	case info.Code == SITimer:
		ht, ok := p.timers[int32(info.Fields[0])]
		switch {
		case !ok && sig == standIn:
			return // a deleted timer's
		case !ok:
		case ht.itimer:
			info = Info{Signo: int32(unix.SIGPROF), Code: SIKernel}
		default:
			info.Signo = int32(ht.sig)
			if ht.tid != 0 {
				if t = p.threadLocked(ht.tid); t == nil {
					return
				}
			}
		}
	case sig != int(unix.SIGCHLD) && info.Code > 0 && info.Code <= cldContinued && hiddenExit(info.Pid(), sig):
		// A trampoline's exit signal other than SIGCHLD.
		if DropChild(&info) {
			return
		}
	case sig == int(unix.SIGCHLD) && info.Code > 0:
		if DropChild(&info) {
			return
		}
		for _, in := range childSignals(info) {
			p.sendLocked(nil, in)
		}
		return
	}
	p.sendLocked(t, info)
}

// threadLocked returns the live thread with host tid tid, or nil.
func (p *Process) threadLocked(tid int) *Thread {
	for _, t := range p.threads {
		if t.Tid == tid {
			return t
		}
	}
	return nil
}

// hostTimer is where the signal of a host POSIX timer goes.
type hostTimer struct {
	tid    int  // the thread of SIGEV_THREAD_ID, or 0 for the process
	sig    int  // the guest signal
	itimer bool // guestrun's ITIMER_PROF
}

// HostTimerSignal is the host signal for a guest timer that signals sig:
// sig itself, or a stand-in for SIGPROF (the Go runtime takes the timer
// signals of SIGPROF for its profiler) and the runtime's own signals.
func HostTimerSignal(sig int) int {
	if sig == int(unix.SIGPROF) || goOnly.Has(sig) && !Unblockable.Has(sig) {
		return standIn
	}
	return sig
}

// SetTimer records where the signal of host POSIX timer id goes: signal
// sig, to thread tid for SIGEV_THREAD_ID or to the process for 0.
func (p *Process) SetTimer(id int32, tid, sig int) {
	p.lock()
	defer p.unlock()
	p.setTimerLocked(id, hostTimer{tid: tid, sig: sig})
}

func (p *Process) setTimerLocked(id int32, ht hostTimer) {
	if p.timers == nil {
		p.timers = map[int32]hostTimer{}
	}
	p.timers[id] = ht
}

// DeleteTimer forgets timer id.
func (p *Process) DeleteTimer(id int32) {
	p.lock()
	defer p.unlock()
	delete(p.timers, id)
}

// ProfTimer returns the host timer that emulates ITIMER_PROF, made by
// create (with HostTimerSignal(SIGPROF)) the first time. Its expiries
// become the kernel's SIGPROF for the process.
func (p *Process) ProfTimer(create func() (int32, error)) (int32, error) {
	p.lock()
	defer p.unlock()
	for id, ht := range p.timers {
		if ht.itimer {
			return id, nil
		}
	}
	id, err := create()
	if err == nil {
		p.setTimerLocked(id, hostTimer{sig: int(unix.SIGPROF), itimer: true})
	}
	return id, err
}

// IsProfTimer reports whether host timer id is ITIMER_PROF's, which the
// guest must not touch as a POSIX timer.
func (p *Process) IsProfTimer(id int32) bool {
	p.lock()
	defer p.unlock()
	return p.timers[id].itimer
}

// HasProfTimer reports whether ITIMER_PROF's timer exists, and its id.
func (p *Process) HasProfTimer() (int32, bool) {
	p.lock()
	defer p.unlock()
	for id, ht := range p.timers {
		if ht.itimer {
			return id, true
		}
	}
	return 0, false
}
