package signal

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Die ends guestrun by sig, so that the guest's parent sees the wait status of
// a process killed by that signal. Core dumps are disabled first: a core of
// guestrun (with its guest window) is not the guest's core.
func Die(sig unix.Signal) {
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	// Go's runtime has handlers for most signals; put back the default
	// action behind its back, then unblock and raise the signal.
	var act [4]uint64 // struct kernel_sigaction: handler SIG_DFL, no flags, no mask
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	var set uint64 = 1 << (uint(sig) - 1)
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
	// A signal whose default action is to ignore, or that could not be
	// delivered, still ends the process as the guest expected.
	os.Exit(128 + int(sig))
}

// Stop stops guestrun by the stop signal sig, so that the guest's parent
// sees it stopped by that signal; the kernel stops every thread of guestrun
// at once, and they go on when the process is continued. The signal is
// raised on the calling thread with the default disposition, so that the
// stop has happened when tgkill returns; then guestrun catches it again.
func Stop(sig unix.Signal) {
	if sig != unix.SIGSTOP {
		var act [4]uint64 // SIG_DFL
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	}
	unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
	if sig != unix.SIGSTOP {
		catchAgain(sig)
	}
}
