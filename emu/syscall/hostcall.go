package syscall

import (
	"bytes"
	hostsys "syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Host calls for the passed-through families (files, sockets, poll). They are
// Task methods so that a task whose syscalls must run on another kernel task
// (a CLONE_VM child's stub) has one place to redirect them.
//
// Arguments are host addresses: guest pointers already translated with gp,
// gbuf or cpath (guest memory is outside the Go heap), or Go memory converted
// with uintptr(unsafe.Pointer(...)) inside the call expression, which
// go:uintptrescapes moves to the heap and keeps alive for the call.

// hcall runs a host syscall that may block; the Go scheduler runs other
// goroutines meanwhile. A call that can block indefinitely (blockKind) is
// interrupted by a guest signal, and returns what the kernel would have
// returned to the signal delivery code: a restart request or EINTR.
//
//go:uintptrescapes
func (t *Task) hcall(nr, a0, a1, a2 uintptr) int64 {
	return t.hcall6(nr, a0, a1, a2, 0, 0, 0)
}

//go:uintptrescapes
func (t *Task) hcall6(nr, a0, a1, a2, a3, a4, a5 uintptr) int64 {
	if nr < maxSyscall && blockKind[nr] != blockNone {
		return t.blockingCall(blockKind[nr], nr, [6]uintptr{a0, a1, a2, a3, a4, a5})
	}
	if t.stub != nil {
		return t.stubCall(nr, [6]uintptr{a0, a1, a2, a3, a4, a5})
	}
	r, _, e := unix.Syscall6(nr, a0, a1, a2, a3, a4, a5)
	return rawResult(r, e)
}

// hraw runs a host syscall that never blocks (dup, lseek, socket, ...).
//
// The raw calls go to the standard library's RawSyscall6 directly:
// unix.RawSyscall and unix.RawSyscall6 reach it through an assembly jump and
// an ABI wrapper, and RawSyscall through one more function, frames that a
// host syscall's return goes back through, each a mispredicted return (see
// cpu.CPU.HostCalls).
//
//go:uintptrescapes
func (t *Task) hraw(nr, a0, a1, a2 uintptr) int64 {
	if t.stub != nil {
		return t.stubCall(nr, [6]uintptr{a0, a1, a2})
	}
	r, _, e := hostsys.RawSyscall6(nr, a0, a1, a2, 0, 0, 0)
	return rawResult(r, e)
}

//go:uintptrescapes
func (t *Task) hraw6(nr, a0, a1, a2, a3, a4, a5 uintptr) int64 {
	if t.stub != nil {
		return t.stubCall(nr, [6]uintptr{a0, a1, a2, a3, a4, a5})
	}
	r, _, e := hostsys.RawSyscall6(nr, a0, a1, a2, a3, a4, a5)
	return rawResult(r, e)
}

// atFDCWD is AT_FDCWD (-100) as a syscall argument.
const atFDCWD = ^uintptr(99)

// fdBad is the result for a bad (or guestrun-reserved) file descriptor.
const fdBad = -int64(unix.EBADF)

// maxRW is MAX_RW_COUNT: the kernel caps every read and write at it.
const maxRW = 0x7ffff000

// badFD reports whether a guest fd argument names one of guestrun's own fds.
// The kernel takes fds as 32-bit ints, so only the low half counts.
func (t *Task) badFD(v uint64) bool { return t.P.reserved(int(int32(v))) }

// gp translates a guest buffer of n bytes that the kernel accesses with prot.
// NULL stays NULL (the kernel fails it itself); so does an empty buffer
// outside the window, which the kernel never touches.
func (t *Task) gp(addr, n uint64, prot int) (uintptr, bool) {
	if addr == 0 {
		return 0, true
	}
	if n == 0 {
		if !mem.InWindow(addr, 0) {
			return 0, true
		}
		return uintptr(t.P.Mem.Base()) + uintptr(addr), true
	}
	p, ok := t.ptr(addr, n, prot)
	return uintptr(p), ok
}

// gbuf translates a bulk data buffer (read, write, recv, ...). Like Linux,
// which transfers up to the first bad page, it keeps the accessible start of
// the buffer; only a buffer whose first byte is bad is EFAULT. It returns
// the host address and the usable length. (Calls whose kernel code checks
// the whole buffer against the user half first check accessOK.)
func (t *Task) gbuf(addr, n uint64, prot int) (uintptr, uint64, int64) {
	n = min(n, maxRW)
	if n == 0 {
		p, _ := t.gp(addr, 0, prot)
		return p, 0, 0
	}
	if addr == 0 {
		return 0, n, 0
	}
	if !t.P.Mem.Accessible(addr, n, prot) {
		n = t.span(addr, n, prot)
		if n == 0 {
			return 0, 0, efault
		}
	}
	return uintptr(t.P.Mem.Base()) + uintptr(addr), n, 0
}

// accessOK is the kernel's access_ok: the range ends within the user half.
func accessOK(addr, n uint64) bool { return n <= mem.TaskSize && addr <= mem.TaskSize-n }

// span returns how many bytes from addr, at most n, are mapped with prot
// without a hole.
func (t *Task) span(addr, n uint64, prot int) uint64 {
	var got uint64
	for got < n {
		v, ok := t.P.Mem.Lookup(addr + got)
		if !ok || !protAllows(v.Prot, prot) {
			break
		}
		got = v.End - addr
	}
	return min(got, n)
}

// protAllows is the x86 rule: any access right implies read.
func protAllows(have, want int) bool {
	if have != 0 {
		have |= unix.PROT_READ
	}
	return have&want == want
}

// cpath checks a NUL-terminated path (or name) argument. It returns the host
// address the kernel reads it at and its bytes in guest memory, without the
// NUL. A path starting in the window's last PATH_MAX bytes is refused, so that
// a guest thread racing to remove the NUL can never make the kernel read
// past the window.
func (t *Task) cpath(addr uint64) (uintptr, []byte, int64) {
	if addr > mem.WindowSize-maxPath {
		return 0, nil, efault
	}
	m := t.P.Mem
	for a := addr; a-addr < maxPath; {
		n := mem.PageSize - a%mem.PageSize
		b, err := m.Slice(a, n, unix.PROT_READ)
		if err != nil {
			return 0, nil, efault
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			l := a - addr + uint64(i)
			if l >= maxPath {
				break
			}
			p := unsafe.Add(m.Base(), addr)
			return uintptr(p), unsafe.Slice((*byte)(p), l), 0
		}
		a += n
	}
	return 0, nil, -int64(unix.ENAMETOOLONG)
}

// cpathOpt is cpath for arguments where NULL is allowed.
func (t *Task) cpathOpt(addr uint64) (uintptr, []byte, int64) {
	if addr == 0 {
		return 0, nil, 0
	}
	return t.cpath(addr)
}

// cstring returns s NUL-terminated on the Go heap (not inlined, so it cannot
// end up on a movable stack); the caller keeps it alive across the syscall.
//
//go:noinline
func cstring(s string) *byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return &b[0]
}

// A spec says how pass translates one syscall argument.
type spec uint32

const (
	sVal     spec = iota // passed unchanged
	sFD                  // a file descriptor: guestrun's own are EBADF
	sPath                // NUL-terminated string the kernel reads
	sPathOpt             // the same, or NULL
	sIn                  // with size<<8: a buffer the kernel reads, or NULL
	sOut                 // with size<<8: a buffer the kernel writes, or NULL
	sInLen               // with index<<8: a buffer the kernel reads, its length in that argument
	sOutLen              // with index<<8: a buffer the kernel writes, its length in that argument
)

func inN(size int) spec   { return sIn | spec(size)<<8 }
func outN(size int) spec  { return sOut | spec(size)<<8 }
func inLen(arg int) spec  { return sInLen | spec(arg)<<8 }
func outLen(arg int) spec { return sOutLen | spec(arg)<<8 }

// pass returns a handler that hands syscall nr to the host with its
// arguments translated as specs say.
func pass(nr uintptr, specs ...spec) Handler {
	return func(t *Task, a *Args) int64 {
		var h [6]uintptr
		for i, s := range specs {
			v := a[i]
			switch k := s & 0xff; k {
			case sVal:
				h[i] = uintptr(v)
			case sFD:
				if t.badFD(v) {
					return fdBad
				}
				h[i] = uintptr(v)
			case sPath, sPathOpt:
				if v == 0 && k == sPathOpt {
					continue
				}
				p, _, e := t.cpath(v)
				if e != 0 {
					return e
				}
				h[i] = p
			default:
				n := uint64(s >> 8)
				if k == sInLen || k == sOutLen {
					n = a[n]
				}
				prot := unix.PROT_READ
				if k == sOut || k == sOutLen {
					prot = unix.PROT_WRITE
				}
				p, ok := t.gp(v, n, prot)
				if !ok {
					return efault
				}
				h[i] = p
			}
		}
		return t.hcall6(nr, h[0], h[1], h[2], h[3], h[4], h[5])
	}
}
