package signal

import (
	"os"
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
// never go through the host. The Go runtime keeps the host signals it
// depends on (goHost), so these cannot come from outside.

// goHost are the host signals left to the Go runtime: its faults, its
// preemption, its profiler, and SIGSETXID-like SIGRTMIN+1 which it uses to
// run a syscall on all threads; and InterruptSignal.
const goHost = synchronous&^Set(1<<(unix.SIGSYS-1)) | Set(1<<(unix.SIGURG-1)|1<<(unix.SIGPROF-1)|
	1<<SigRTMin|1<<(NSig-1)) | Unblockable

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

var catching struct {
	once    sync.Once
	mu      sync.Mutex
	target  atomic.Pointer[Process]
	ignored Set // host signals guestrun inherited ignored
	active  bool
}

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
		for sig := 1; sig < NSig; sig++ {
			if goHost.Has(sig) {
				continue
			}
			if inheritedIgnored(sig) {
				catching.ignored |= Bit(sig)
			}
			catchSignal(sig, 0)
		}
		go routeHost()
		// Notify before the guest runs: a fault signal from outside that
		// came first would still get the runtime's stack dump.
		kept := make(chan os.Signal, 16)
		ossignal.Notify(kept, unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGTRAP, unix.SIGFPE)
		go routeGoKept(kept)
	})
	p.lock()
	for sig := 1; sig < NSig; sig++ {
		if catching.ignored.Has(sig) {
			p.h.act[sig-1] = Action{Handler: IGN}
		}
	}
	p.unlock()
	hostAction(int(unix.SIGCHLD), p.Action(int(unix.SIGCHLD)))
}

// routeGoKept routes the fault signals the Go runtime keeps when another
// process sends them (kill -SEGV, kill(0, SIGILL)): without Notify the
// runtime would exit with a stack dump. Faults raised by guestrun's own
// memory accesses still reach the runtime as faults. The sender is not known
// on this path, so the guest sees SI_USER from pid 0.
func routeGoKept(ch <-chan os.Signal) {
	for s := range ch {
		if p := catching.target.Load(); p != nil {
			p.fromHost(KillInfo(int(s.(unix.Signal)), SIUser, 0, 0), 0)
		}
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
func catchSignal(sig int, extra uintptr) {
	_, _, catch, restorer := asmAddrs()
	act := kernelSigaction{handler: catch, flags: SASigInfo | SAOnStack | SARestorer | SARestart | extra,
		restorer: restorer, mask: handlerMask}
	if err := sigaction(unix.Signal(sig), &act); err != nil {
		panic("signal: catching host signal: " + err.Error())
	}
}

// catchAgain puts catchHandler back on sig after Stop reset it.
func catchAgain(sig unix.Signal) {
	catching.mu.Lock()
	defer catching.mu.Unlock()
	if catching.active {
		catchSignal(int(sig), 0)
	}
}

// hostAction follows a guest disposition change on the host: SIGCHLD's
// host disposition mirrors the guest's, so that the kernel itself reaps the
// children of a guest that ignores SIGCHLD or sets SA_NOCLDWAIT, and sends
// no SIGCHLD for stops under SA_NOCLDSTOP.
func hostAction(sig int, act Action) {
	if sig != int(unix.SIGCHLD) {
		return
	}
	catching.mu.Lock()
	defer catching.mu.Unlock()
	if !catching.active {
		return
	}
	if act.Handler == IGN {
		ign := kernelSigaction{handler: IGN}
		sigaction(unix.SIGCHLD, &ign)
		return
	}
	catchSignal(sig, uintptr(act.Flags&(SANoCldStop|SANoCldWait)))
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
	for i := range hostRing.slots {
		s := &hostRing.slots[i]
		// The router and threads calling DrainHost may drain at once:
		// 3 marks a slot being taken.
		if atomic.CompareAndSwapUint32(&s.state, 2, 3) {
			batch = append(batch, *s)
			atomic.StoreUint32(&s.state, 0)
		}
	}
	sort.Slice(batch, func(i, j int) bool { return batch[i].seq < batch[j].seq })
	for i := range batch {
		if p := catching.target.Load(); p != nil {
			p.fromHost(GetInfo(batch[i].info[:]), int(batch[i].tid))
		}
	}
	return batch
}

// fromHost queues a signal caught on host thread tid. It is directed at the
// guest thread on tid when the host directed it at that thread: a tgkill
// from outside, a POSIX timer with SIGEV_THREAD_ID, or the SIGPIPE or
// SIGXFSZ the kernel sends a thread for its own write (SI_USER from
// guestrun itself, which never sends those signals by kill). The exit
// signal of a hidden helper process is dropped (DropChild).
func (p *Process) fromHost(info Info, tid int) {
	sig := int(info.Signo)
	if !Valid(sig) {
		return
	}
	p.lock()
	defer p.unlock()
	var t *Thread
	switch {
	case info.Code == SITKill:
		t = p.threadLocked(tid)
	case info.Code == SIUser && info.Pid() == unix.Getpid() &&
		(sig == int(unix.SIGPIPE) || sig == int(unix.SIGXFSZ)):
		t = p.threadLocked(tid)
	case info.Code == SITimer:
		target, ok := p.timers[int32(info.Fields[0])]
		if ok && target != 0 {
			if t = p.threadLocked(target); t == nil {
				return
			}
		}
	case sig == int(unix.SIGCHLD) && info.Code > 0 && DropChild(&info):
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

// SetTimer records where the signal of host POSIX timer id goes: thread tid
// for SIGEV_THREAD_ID, the process for 0.
func (p *Process) SetTimer(id int32, tid int) {
	p.lock()
	defer p.unlock()
	if p.timers == nil {
		p.timers = map[int32]int{}
	}
	p.timers[id] = tid
}

// DeleteTimer forgets timer id.
func (p *Process) DeleteTimer(id int32) {
	p.lock()
	defer p.unlock()
	delete(p.timers, id)
}

// Routed reports whether the host signal sig reaches the guest when it
// comes from outside guestrun (the Go runtime keeps the others).
func Routed(sig int) bool { return Valid(sig) && !goHost.Has(sig) }
