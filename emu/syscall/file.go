package syscall

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// File I/O: open, close, read, write and friends, passed to the host with
// their buffers translated.

func init() {
	def(unix.SYS_OPEN, "open", sysOpen, ArgStr, ArgOpenFlags, ArgOpenMode)
	def(unix.SYS_CREAT, "creat", sysCreat, ArgStr, ArgOctal)
	def(unix.SYS_OPENAT, "openat", sysOpenat, ArgFD, ArgStr, ArgOpenFlags, ArgOpenMode)
	def(unix.SYS_OPENAT2, "openat2", sysOpenat2, ArgFD, ArgStr, ArgPtr, ArgUint)
	def(unix.SYS_CLOSE, "close", sysClose, ArgFD)
	def(unix.SYS_CLOSE_RANGE, "close_range", sysCloseRange, ArgUint, ArgUint, ArgHex)

	def(unix.SYS_READ, "read", sysRead, ArgFD, ArgOutBuf, ArgUint)
	def(unix.SYS_WRITE, "write", sysWrite, ArgFD, ArgBuf(2), ArgUint)
	def(unix.SYS_PREAD64, "pread64", sysPread, ArgFD, ArgOutBuf, ArgUint, ArgInt)
	def(unix.SYS_PWRITE64, "pwrite64", sysPwrite, ArgFD, ArgBuf(2), ArgUint, ArgInt)
	def(unix.SYS_READV, "readv", vec(unix.SYS_READV, unix.PROT_WRITE), ArgFD, ArgIovecOut(2), ArgUint)
	def(unix.SYS_WRITEV, "writev", vec(unix.SYS_WRITEV, unix.PROT_READ), ArgFD, ArgIovec(2), ArgUint)
	def(unix.SYS_PREADV, "preadv", vec(unix.SYS_PREADV, unix.PROT_WRITE), ArgFD, ArgIovecOut(2), ArgUint, ArgInt)
	def(unix.SYS_PWRITEV, "pwritev", vec(unix.SYS_PWRITEV, unix.PROT_READ), ArgFD, ArgIovec(2), ArgUint, ArgInt)
	def(unix.SYS_PREADV2, "preadv2", vec(unix.SYS_PREADV2, unix.PROT_WRITE), ArgFD, ArgPtr, ArgUint, ArgInt, ArgInt, ArgHex)
	def(unix.SYS_PWRITEV2, "pwritev2", vec(unix.SYS_PWRITEV2, unix.PROT_READ), ArgFD, ArgPtr, ArgUint, ArgInt, ArgInt, ArgHex)
	def(unix.SYS_LSEEK, "lseek", sysLseek, ArgFD, ArgInt, ArgWhence)

	def(unix.SYS_SENDFILE, "sendfile", pass(unix.SYS_SENDFILE, sFD, sFD, outN(8), sVal), ArgFD, ArgFD, ArgPtr, ArgUint)
	def(unix.SYS_COPY_FILE_RANGE, "copy_file_range",
		pass(unix.SYS_COPY_FILE_RANGE, sFD, outN(8), sFD, outN(8), sVal, sVal), ArgFD, ArgPtr, ArgFD, ArgPtr, ArgUint, ArgHex)
	def(unix.SYS_SPLICE, "splice", pass(unix.SYS_SPLICE, sFD, outN(8), sFD, outN(8), sVal, sVal), ArgFD, ArgPtr, ArgFD, ArgPtr, ArgUint, ArgHex)
	def(unix.SYS_TEE, "tee", pass(unix.SYS_TEE, sFD, sFD, sVal, sVal), ArgFD, ArgFD, ArgUint, ArgHex)

	def(unix.SYS_TRUNCATE, "truncate", pass(unix.SYS_TRUNCATE, sPath, sVal), ArgStr, ArgInt)
	def(unix.SYS_FTRUNCATE, "ftruncate", pass(unix.SYS_FTRUNCATE, sFD, sVal), ArgFD, ArgInt)
	def(unix.SYS_FSYNC, "fsync", pass(unix.SYS_FSYNC, sFD), ArgFD)
	def(unix.SYS_FDATASYNC, "fdatasync", pass(unix.SYS_FDATASYNC, sFD), ArgFD)
	def(unix.SYS_SYNCFS, "syncfs", pass(unix.SYS_SYNCFS, sFD), ArgFD)
	def(unix.SYS_SYNC, "sync", pass(unix.SYS_SYNC))
	def(unix.SYS_SYNC_FILE_RANGE, "sync_file_range", pass(unix.SYS_SYNC_FILE_RANGE, sFD, sVal, sVal, sVal), ArgFD, ArgInt, ArgInt, ArgHex)
	def(unix.SYS_FALLOCATE, "fallocate", pass(unix.SYS_FALLOCATE, sFD, sVal, sVal, sVal), ArgFD, ArgHex, ArgInt, ArgInt)
	def(unix.SYS_FADVISE64, "fadvise64", pass(unix.SYS_FADVISE64, sFD, sVal, sVal, sVal), ArgFD, ArgInt, ArgInt, ArgInt)
	def(unix.SYS_READAHEAD, "readahead", pass(unix.SYS_READAHEAD, sFD, sVal, sVal), ArgFD, ArgInt, ArgUint)
	def(unix.SYS_FLOCK, "flock", pass(unix.SYS_FLOCK, sFD, sVal), ArgFD, ArgHex)
}

func sysOpen(t *Task, a *Args) int64 {
	return t.openat(uint64(atFDCWD), a[0], a[1], a[2])
}

func sysCreat(t *Task, a *Args) int64 {
	return t.openat(uint64(atFDCWD), a[0], unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, a[1])
}

func sysOpenat(t *Task, a *Args) int64 {
	return t.openat(a[0], a[1], a[2], a[3])
}

// openat opens a path, or one of the /proc files shown as the guest's.
func (t *Task) openat(dirfd, path, flags, mode uint64) int64 {
	if t.badFD(dirfd) {
		return fdBad
	}
	p, s, e := t.cpath(path)
	if e != 0 {
		return e
	}
	if f := t.procLookup(int32(dirfd), s); f != procNone {
		return t.openProc(f, flags, mode)
	}
	return t.hcall6(unix.SYS_OPENAT, uintptr(dirfd), p, uintptr(flags), uintptr(mode), 0, 0)
}

// sysOpenat2 is openat with a struct open_how (flags, mode, resolve).
func sysOpenat2(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, s, e := t.cpath(a[1])
	if e != 0 {
		return e
	}
	how, ok := t.gp(a[2], a[3], unix.PROT_READ)
	if !ok {
		return efault
	}
	if a[3] >= 16 {
		if f := t.procLookup(int32(a[0]), s); f != procNone {
			b, _ := t.in(a[2], 16)
			return t.openProc(f, leU64(b), leU64(b[8:]))
		}
	}
	return t.hcall6(unix.SYS_OPENAT2, uintptr(a[0]), p, how, uintptr(a[3]), 0, 0)
}

func leU64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// sysClose refuses guestrun's own fds with EBADF, as if they were not open.
func sysClose(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	return t.hcall(unix.SYS_CLOSE, uintptr(a[0]), 0, 0)
}

// sysCloseRange closes the range around guestrun's own fds.
func sysCloseRange(t *Task, a *Args) int64 {
	first, last, flags := uint32(a[0]), uint32(a[1]), uintptr(a[2])
	if flags&^(unix.CLOSE_RANGE_UNSHARE|unix.CLOSE_RANGE_CLOEXEC) != 0 || first > last {
		return -int64(unix.EINVAL)
	}
	if flags&unix.CLOSE_RANGE_CLOEXEC != 0 {
		// Ours are close-on-exec already.
		return t.hcall(unix.SYS_CLOSE_RANGE, uintptr(first), uintptr(last), flags)
	}
	lo := uint64(first)
	for _, r := range t.P.reservedList() {
		if uint64(r) < lo || uint64(r) > uint64(last) {
			continue
		}
		if uint64(r) > lo {
			if e := t.hcall(unix.SYS_CLOSE_RANGE, uintptr(lo), uintptr(r-1), flags); e < 0 {
				return e
			}
			flags &^= unix.CLOSE_RANGE_UNSHARE
		}
		lo = uint64(r) + 1
	}
	if lo <= uint64(last) {
		return t.hcall(unix.SYS_CLOSE_RANGE, uintptr(lo), uintptr(last), flags)
	}
	return 0
}

func sysRead(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, n, e := t.gbuf(a[1], a[2], unix.PROT_WRITE)
	if e != 0 {
		return e
	}
	return t.hcall(unix.SYS_READ, uintptr(a[0]), p, uintptr(n))
}

func sysWrite(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, n, e := t.gbuf(a[1], a[2], unix.PROT_READ)
	if e != 0 {
		return e
	}
	return t.hcall(unix.SYS_WRITE, uintptr(a[0]), p, uintptr(n))
}

func sysPread(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, n, e := t.gbuf(a[1], a[2], unix.PROT_WRITE)
	if e != 0 {
		return e
	}
	return t.hcall6(unix.SYS_PREAD64, uintptr(a[0]), p, uintptr(n), uintptr(a[3]), 0, 0)
}

func sysPwrite(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, n, e := t.gbuf(a[1], a[2], unix.PROT_READ)
	if e != 0 {
		return e
	}
	return t.hcall6(unix.SYS_PWRITE64, uintptr(a[0]), p, uintptr(n), uintptr(a[3]), 0, 0)
}

// vec returns the handler of a vectored read (prot PROT_WRITE: the kernel
// writes the buffers) or write: readv, preadv, preadv2 and the writes. The
// arguments after the iovec array (offset halves, flags) pass unchanged.
func vec(nr uintptr, prot int) Handler {
	return func(t *Task, a *Args) int64 { return t.vecIO(nr, a, prot) }
}

func (t *Task) vecIO(nr uintptr, a *Args, prot int) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	iov, e := t.iovecs(a[1], a[2], prot)
	if e != 0 {
		return e
	}
	if len(iov) == 0 {
		return t.hcall6(nr, uintptr(a[0]), 0, 0, uintptr(a[3]), uintptr(a[4]), uintptr(a[5]))
	}
	return t.hcall6(nr, uintptr(a[0]), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)), uintptr(a[3]), uintptr(a[4]), uintptr(a[5]))
}

func sysLseek(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	return t.hraw(unix.SYS_LSEEK, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]))
}
