// Package syscall implements the guest's system calls: a table from syscall
// number to handler, one file per family. Most calls are passed to the host
// kernel with their pointers translated into the guest window and checked.
package syscall

import (
	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
)

// ArgKind tells -strace how to show an argument.
type ArgKind uint8

const (
	ArgInt   ArgKind = iota // signed decimal
	ArgUint                 // unsigned decimal
	ArgHex                  // hexadecimal
	ArgPtr                  // pointer: NULL or hex
	ArgFD                   // file descriptor (AT_FDCWD aware)
	ArgStr                  // NUL-terminated string in guest memory
	ArgOctal                // mode bits
	ArgFlags                // flags: shown in hex unless the entry formats them
)

// Handler runs a syscall. It returns the value for RAX: the result, or a
// negated errno.
type Handler func(t *Task, a *Args) int64

// Args are the six syscall argument registers.
type Args [6]uint64

// Entry describes one syscall.
type Entry struct {
	Name string
	Fn   Handler
	Args []ArgKind
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
	table[nr] = Entry{Name: name, Fn: fn, Args: args}
}

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
