package syscall

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// Interrupting a task for a guest signal. A signal queued for a task calls
// its interrupt method: the CPU stops at the next block boundary, and a task
// blocked in a host syscall is woken by signal.InterruptThread. Syscalls that
// can block go through signal.SafeSyscall; what the kernel would have made of
// the interrupted call (a restart, EINTR) comes from blockKind, and the
// delivery code (deliver.go) settles it once it knows whether a handler runs.

// intrState is a task's side of the protocol.
type intrState struct {
	// word is set by whoever queues a signal the task may have to act on,
	// before it signals the task; SafeSyscall does not start a syscall
	// while it is set. The task clears it when it looks for signals to
	// deliver.
	word uint32
	// inSys is set while the task is in SafeSyscall, so that only then
	// it is sent the host signal.
	inSys uint32
}

// interrupt asks the task to look at its pending signals; any goroutine may
// call it.
func (t *Task) interrupt() {
	if t.CPU != nil {
		t.CPU.Interrupt()
	}
	atomic.StoreUint32(&t.intr.word, 1)
	if atomic.LoadUint32(&t.intr.inSys) != 0 {
		if t.stub != nil {
			signal.InterruptTask(t.stub.Pid, t.stub.Tid)
		} else {
			signal.InterruptThread(t.Tid)
		}
	}
}

// interrupted reports whether a signal interrupted the task's last syscall,
// rather than one of guestrun's own or the Go runtime's host signals.
func (t *Task) interrupted() bool { return atomic.LoadUint32(&t.intr.word) != 0 }

// clearInterrupt is called before the task looks for signals to deliver.
func (t *Task) clearInterrupt() { atomic.StoreUint32(&t.intr.word, 0) }

// safe runs a blocking host syscall that a guest signal can interrupt. It
// returns -EINTR when interrupted, signal.NotStarted (-ERESTARTNOINTR) when
// a signal was already pending: the call never ran and is restarted after
// the signal, which is then as if it arrived just before the SYSCALL
// instruction. But retry is set when the call is being issued again after a
// host EINTR that was not for the guest: it was waiting already, so a guest
// signal now interrupts it.
//
//go:uintptrescapes
func (t *Task) safe(retry bool, nr, a0, a1, a2, a3, a4, a5 uintptr) int64 {
	atomic.StoreUint32(&t.intr.inSys, 1)
	var r int64
	if t.stub != nil {
		r = t.stubSafe(nr, [6]uintptr{a0, a1, a2, a3, a4, a5})
	} else {
		r = signal.SafeSyscall(&t.intr.word, nr, a0, a1, a2, a3, a4, a5)
	}
	atomic.StoreUint32(&t.intr.inSys, 0)
	if r == signal.NotStarted && retry {
		r = -int64(unix.EINTR)
	}
	return r
}

// How the kernel ends a blocking syscall that a signal interrupts.
const (
	blockNone      = iota // does not block (interruptibly)
	blockSys              // -ERESTARTSYS: restarted after a SA_RESTART handler
	blockNoHand           // -ERESTARTNOHAND: restarted only if no handler runs
	blockEINTR            // -EINTR: never restarted
	blockTimeoutMs        // poll, epoll_wait: a timeout in milliseconds in argument blockTimeoutArg
)

// blockKind holds, per syscall number, how an interruption ends it; 0 for
// calls that never block interruptibly, which use a plain host syscall.
// Calls with their own handling (nanosleep, futex waits) use safe directly.
var blockKind [maxSyscall]uint8

func init() {
	for _, nr := range []int{unix.SYS_READ, unix.SYS_WRITE, unix.SYS_READV, unix.SYS_WRITEV,
		unix.SYS_PREAD64, unix.SYS_PWRITE64, unix.SYS_PREADV, unix.SYS_PWRITEV, unix.SYS_PREADV2,
		unix.SYS_PWRITEV2, unix.SYS_OPEN, unix.SYS_OPENAT, unix.SYS_OPENAT2, unix.SYS_CREAT,
		unix.SYS_IOCTL, unix.SYS_FCNTL, unix.SYS_FLOCK, unix.SYS_WAIT4, unix.SYS_WAITID,
		unix.SYS_ACCEPT, unix.SYS_ACCEPT4, unix.SYS_CONNECT, unix.SYS_RECVFROM, unix.SYS_RECVMSG,
		unix.SYS_RECVMMSG, unix.SYS_SENDTO, unix.SYS_SENDMSG, unix.SYS_SENDMMSG, unix.SYS_SENDFILE,
		unix.SYS_SPLICE, unix.SYS_TEE, unix.SYS_VMSPLICE, unix.SYS_COPY_FILE_RANGE, unix.SYS_GETRANDOM,
		unix.SYS_MQ_TIMEDSEND, unix.SYS_MQ_TIMEDRECEIVE, unix.SYS_FUTEX_WAITV, unix.SYS_FUTEX_WAIT} {
		blockKind[nr] = blockSys
	}
	for _, nr := range []int{unix.SYS_PPOLL, unix.SYS_SELECT, unix.SYS_PSELECT6,
		unix.SYS_MSGRCV, unix.SYS_MSGSND, unix.SYS_SEMOP, unix.SYS_SEMTIMEDOP} {
		blockKind[nr] = blockNoHand
	}
	for _, nr := range []int{unix.SYS_EPOLL_PWAIT2, unix.SYS_IO_GETEVENTS, unix.SYS_IO_PGETEVENTS} {
		blockKind[nr] = blockEINTR
	}
	blockKind[unix.SYS_POLL] = blockTimeoutMs
	blockKind[unix.SYS_EPOLL_WAIT] = blockTimeoutMs
}

// blockTimeoutArg is the argument holding the timeout of a blockTimeoutMs call.
func blockTimeoutArg(nr uintptr) int {
	if nr == unix.SYS_POLL {
		return 2
	}
	return 3
}

// blockingCall runs syscall nr, which blocks as kind says, interruptibly.
// A host EINTR that no guest signal explains (the Go runtime's or
// guestrun's own signals) is retried, with the time left for a relative
// timeout, as Linux restarts a call no handler interrupted.
func (t *Task) blockingCall(kind uint8, nr uintptr, a [6]uintptr) int64 {
	var deadline time.Time
	ms := -1
	if kind == blockTimeoutMs {
		ms = int(int32(a[blockTimeoutArg(nr)]))
		if ms > 0 {
			deadline = time.Now().Add(time.Duration(ms) * time.Millisecond)
		}
	}
	for retry := false; ; retry = true {
		r := t.safe(retry, nr, a[0], a[1], a[2], a[3], a[4], a[5])
		if r != -int64(unix.EINTR) {
			return r
		}
		if t.interrupted() {
			switch kind {
			case blockSys:
				return -int64(errRestartSys)
			case blockNoHand:
				return -int64(errRestartNoHand)
			case blockTimeoutMs:
				// epoll_wait: EINTR. poll: ERESTARTNOHAND, or with a
				// timeout the restart block, for the time left.
				if nr != unix.SYS_POLL {
					break
				}
				if ms > 0 {
					t.sigs.restart = func(t *Task) int64 {
						left := max(0, (time.Until(deadline)+time.Millisecond-1)/time.Millisecond)
						return t.hcall6(nr, a[0], a[1], uintptr(left), 0, 0, 0)
					}
					return -int64(errRestartBlock)
				}
				return -int64(errRestartNoHand)
			}
			return r
		}
		if ms > 0 {
			left := time.Until(deadline)
			a[blockTimeoutArg(nr)] = uintptr(max(0, (left+time.Millisecond-1)/time.Millisecond))
		}
	}
}
