package signal

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Interrupting a guest thread blocked in a host syscall.
//
// The Go runtime installs its handlers with SA_RESTART, so a signal it
// handles never makes a blocking syscall fail. guestrun keeps one host
// signal for itself, InterruptSignal, whose handler (interruptHandler, in
// assembly) has no SA_RESTART: sent to a thread blocked in a syscall, it makes
// the syscall fail with EINTR. Blocking syscalls go through SafeSyscall, which
// checks the thread's interrupt word just before the SYSCALL instruction, as
// QEMU's safe_syscall does; a signal that arrives between the check and the
// instruction is caught by the handler, which moves the thread to a return
// that reports the syscall as not started. So a thread that is to be
// interrupted sets the word, then signals the thread: either the check sees
// the word, or the signal finds the thread in the window or in the syscall.
// A syscall that the kernel restarts after one of guestrun's other handlers
// (they have SA_RESTART) goes back through the SYSCALL instruction: a signal
// there is an interruption of the call, not one before it.

// InterruptSignal is the host signal guestrun keeps: SIGRTMAX, taken from the
// guest, for which it is not a valid signal number (as under QEMU; the Go
// runtime expects this of SIGRTMAX). It is never used as a guest signal, so
// the Go runtime's handler, installed at start, is replaced once and never
// reinstalled (os/signal is never asked for it).
const InterruptSignal = unix.Signal(NSig)

// NotStarted is what SafeSyscall returns when it did not issue the syscall
// because the interrupt word was set (-ERESTARTNOINTR, which the kernel never
// returns to user space).
const NotStarted = -513

func safeWindow()
func interruptHandler()
func catchHandler()
func chainHandler()
func chainAddr() uintptr
func sigreturnTramp()
func asmAddrs() (window, intr, catch, restorer uintptr)
func windowBytes() (a, b, c uint64)
func rawSafeSyscall(word *uint32, nr, a0, a1, a2, a3, a4, a5 uintptr) uintptr

//go:linkname entersyscall runtime.entersyscall
func entersyscall()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

// SafeSyscall runs a host syscall that may block, unless *word is set, in
// which case it returns NotStarted without issuing it. It returns the raw
// result: a value or a negated errno. The Go scheduler runs other goroutines
// meanwhile, as for syscall.Syscall6. Pointer arguments must be kept alive
// and in place by the caller (go:uintptrescapes).
//
//go:nosplit
func SafeSyscall(word *uint32, nr, a0, a1, a2, a3, a4, a5 uintptr) int64 {
	entersyscall()
	r := rawSafeSyscall(word, nr, a0, a1, a2, a3, a4, a5)
	exitsyscall()
	return int64(r)
}

// windowCode is safeWindow's code (little-endian words), which
// interruptHandler assumes.
var windowCode = [3]uint64{0xc3_05_0f_03_75_00_3b_83, 0xc3_ff_ff_fd_ff_c0_c7_48, 0xc3_ff_ff_ff_fc_c0_c7_48}

// kernelSigaction is the x86-64 kernel's struct sigaction.
type kernelSigaction struct {
	handler, flags, restorer uintptr
	mask                     uint64
}

// handlerMask is blocked while guestrun's handlers run: everything but the
// synchronous signals, which would kill guestrun if they were blocked.
const handlerMask = ^uint64(0) &^ uint64(synchronous)

func sigaction(sig unix.Signal, act *kernelSigaction) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(act)), 0, 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

var interruptOnce sync.Once

// InstallInterrupt installs the handler of InterruptSignal. It is idempotent;
// NewProcess calls it.
func InstallInterrupt() {
	interruptOnce.Do(func() {
		_, intr, _, restorer := asmAddrs()
		if a, b, c := windowBytes(); [3]uint64{a, b, c} != windowCode {
			panic("signal: safeWindow is not laid out as interruptHandler expects")
		}
		act := kernelSigaction{handler: intr, flags: SASigInfo | SAOnStack | SARestorer,
			restorer: restorer, mask: handlerMask}
		if err := sigaction(InterruptSignal, &act); err != nil {
			panic("signal: installing the interrupt handler: " + err.Error())
		}
		// A thread created with the signal blocked would never be
		// interrupted; Go's threads start with the mask guestrun started
		// with.
		set := uint64(1) << (InterruptSignal - 1)
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	})
}

// UnblockInterrupt makes sure the calling thread can be interrupted; a guest
// thread calls it once on its locked OS thread.
func UnblockInterrupt() {
	set := uint64(1) << (InterruptSignal - 1)
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
}

// InterruptThread sends InterruptSignal to the host thread tid of guestrun.
func InterruptThread(tid int) {
	unix.RawSyscall(unix.SYS_TGKILL, uintptr(unix.Getpid()), uintptr(tid), uintptr(InterruptSignal))
}
