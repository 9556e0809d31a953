// Package syscall implements the guest's system calls: a table from syscall
// number to handler, one file per family. Most calls are passed to the host
// kernel with their pointers translated into the guest window and checked.
package syscall

import (
	"sync/atomic"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
)

// ArgKind tells -strace how to show an argument (strace.go formats them).
// Kinds named ...Out are what the call writes: they are shown after it, and
// as a bare pointer when it fails. The others are read before the call.
type ArgKind uint16

const (
	ArgInt           ArgKind = iota // signed decimal
	ArgUint                         // unsigned decimal
	ArgHex                          // hexadecimal
	ArgPtr                          // pointer: NULL or hex
	ArgFD                           // file descriptor (AT_FDCWD aware)
	ArgStr                          // NUL-terminated string in guest memory
	ArgOctal                        // mode bits
	ArgFlags                        // flags without names: hex
	ArgOpenFlags                    // O_RDONLY|O_CLOEXEC...
	ArgOpenMode                     // open's mode: shown only with O_CREAT or O_TMPFILE in the previous argument
	ArgProt                         // PROT_READ|PROT_WRITE...
	ArgMmapFlags                    // MAP_PRIVATE|MAP_ANONYMOUS...
	ArgMremapFlags                  // MREMAP_MAYMOVE...
	ArgAtFlags                      // AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH...
	ArgAccessMode                   // F_OK or R_OK|W_OK|X_OK
	ArgSignal                       // SIGINT...
	ArgSigHow                       // SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK
	ArgSigset                       // sigset_t: [INT TERM]
	ArgSigsetOut                    // sigset_t the call wrote
	ArgSigaction                    // struct sigaction
	ArgSigactionOut                 // struct sigaction the call wrote
	ArgStatOut                      // struct stat: {st_mode=S_IFREG|0644, st_size=..., ...}
	ArgStatxOut                     // struct statx
	ArgOutBuf                       // data the call wrote; the result is its length
	ArgOutHex                       // the same, shown in hex escapes (getrandom)
	ArgOutStr                       // NUL-terminated string the call wrote (getcwd)
	ArgDirentsOut                   // getdents buffer: the number of entries
	ArgTimespec                     // struct timespec: {tv_sec=1, tv_nsec=0}
	ArgTimespecOut                  // struct timespec the call wrote
	ArgClock                        // CLOCK_MONOTONIC...
	ArgWhence                       // SEEK_SET...
	ArgFcntlCmd                     // F_GETFD...
	ArgFcntlArg                     // fcntl's third argument, as the previous command wants it
	ArgIoctl                        // ioctl request: TCGETS...
	ArgFutexOp                      // FUTEX_WAIT_PRIVATE...
	ArgFutexArg                     // futex's arguments after the value, shown as the operation uses them
	ArgArchPrctl                    // ARCH_SET_FS...
	ArgPrctl                        // PR_SET_NAME...
	ArgRlimitRes                    // RLIMIT_STACK...
	ArgRlimit                       // struct rlimit: {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}
	ArgRlimitOut                    // struct rlimit the call wrote
	ArgMadvise                      // MADV_DONTNEED...
	ArgUnameOut                     // struct utsname
	ArgFDPairOut                    // int[2] written by pipe and socketpair: [3, 4]
	ArgArgv                         // NULL-terminated array of strings: ["ls", "-l"]
	ArgEnvp                         // the same, shown as its address and count
	ArgCloneFlags                   // CLONE_VM|CLONE_FS|...|SIGCHLD
	ArgWaitStatusOut                // wait status: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}]
	ArgSockDomain                   // AF_INET...
	ArgSockType                     // SOCK_STREAM|SOCK_CLOEXEC...
	ArgGrndFlags                    // GRND_NONBLOCK...

	// Kinds with a parameter, made by the functions below: the kind in the
	// low byte, an argument index above.
	argBuf      ArgKind = 0x40 // data read by the call, length in another argument
	argIovec    ArgKind = 0x41 // iovec array read by the call, count in another argument
	argIovecOut ArgKind = 0x42 // iovec array the call filled, count in another argument
)

// ArgBuf is a buffer the call reads (write's data), whose length is
// argument lenArg.
func ArgBuf(lenArg int) ArgKind { return argBuf | ArgKind(lenArg)<<8 }

// ArgIovec is an iovec array the call reads (writev), with argument cntArg
// elements.
func ArgIovec(cntArg int) ArgKind { return argIovec | ArgKind(cntArg)<<8 }

// ArgIovecOut is an iovec array the call fills (readv), with argument cntArg
// elements; the result is how many bytes it filled.
func ArgIovecOut(cntArg int) ArgKind { return argIovecOut | ArgKind(cntArg)<<8 }

// Handler runs a syscall. It returns the value for RAX: the result, or a
// negated errno.
type Handler func(t *Task, a *Args) int64

// Args are the six syscall argument registers.
type Args [6]uint64

// Entry describes one syscall.
type Entry struct {
	Name string
	Fn   Handler
	// The kinds of the arguments, in an array: slices would be an
	// allocation each at start.
	args  [6]ArgKind
	nargs uint8
	// NoReturn marks calls after which the task does not come back to the
	// guest code (exit, exit_group) or whose result strace shows as "?".
	NoReturn bool
}

// maxSyscall bounds the table; x86-64 numbers are below it.
const maxSyscall = 512

var table [maxSyscall]Entry

// def registers a syscall handler.
func def(nr int, name string, fn Handler, args ...ArgKind) {
	if table[nr].Fn != nil {
		panic("syscall " + name + " defined twice")
	}
	e := Entry{Name: name, Fn: fn, nargs: uint8(len(args))}
	copy(e.args[:], args)
	table[nr] = e
}

// Args returns the kinds of the call's arguments.
func (e *Entry) Args() []ArgKind { return e.args[:e.nargs] }

// defRaw registers a call that takes only plain values and that the host
// kernel answers for the guest as it is: the six argument registers go to it
// unchanged, on the task's stub when it has one. Unless a stub, -strace,
// -stats or a debugger is in the way, the CPU makes these calls itself
// (cpu.CPU.HostCalls), without leaving its run loop: most of a getppid's
// cost in guestrun was the way from the loop to the host syscall and back.
func defRaw(nr int, name string, args ...ArgKind) {
	def(nr, name, func(t *Task, a *Args) int64 {
		return t.hraw6(uintptr(nr), uintptr(a[0]), uintptr(a[1]), uintptr(a[2]), uintptr(a[3]), uintptr(a[4]), uintptr(a[5]))
	}, args...)
	rawCalls.Add(nr)
}

// rawCalls are the calls made with defRaw.
var rawCalls cpu.SyscallSet

// Lookup returns the entry for nr, for -strace and -stats.
func Lookup(nr uint64) *Entry {
	if nr < maxSyscall && table[nr].Fn != nil {
		return &table[nr]
	}
	return nil
}

// errno converts an error from x/sys/unix into a negated errno result.
func errno(err error) int64 {
	if err == nil {
		return 0
	}
	if e, ok := err.(unix.Errno); ok {
		return -int64(e)
	}
	return -int64(unix.EIO)
}

// result converts a (value, error) pair into a syscall result.
func result(v int, err error) int64 {
	if err != nil {
		return errno(err)
	}
	return int64(v)
}

// rawResult converts a raw syscall's returns into a syscall result.
func rawResult(r uintptr, e unix.Errno) int64 {
	if e != 0 {
		return -int64(e)
	}
	return int64(r)
}

// dispatch runs syscall nr with the task's argument registers.
func (t *Task) dispatch(nr uint64, a *Args) (ret int64) {
	if nr < maxSyscall {
		if launch.Stats {
			atomic.AddUint64(&t.P.Calls[nr], 1)
		}
		if e := &table[nr]; e.Fn != nil {
			// Pointers are checked before use, but another guest thread
			// may unmap the memory while a handler copies to or from it;
			// the host fault becomes EFAULT as in the kernel.
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(interface{ Addr() uintptr }); !ok {
						panic(r)
					}
					ret = -int64(unix.EFAULT)
				}
			}()
			if fdMaking[nr] != 0 {
				return t.fdLimitCall(nr, a, e.Fn) // the guest's RLIMIT_NOFILE
			}
			return e.Fn(t, a)
		}
	}
	t.P.Log.Once(dbg.Unimp, "syscall"+itoa(nr), "unimp: syscall %d is not implemented (ENOSYS)", nr)
	return -int64(unix.ENOSYS)
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
