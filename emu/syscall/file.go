package syscall

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
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

	def(unix.SYS_TRUNCATE, "truncate", sizeChecked(unix.SYS_TRUNCATE, sPath), ArgStr, ArgInt)
	def(unix.SYS_FTRUNCATE, "ftruncate", sizeChecked(unix.SYS_FTRUNCATE, sFD), ArgFD, ArgInt)
	def(unix.SYS_FSYNC, "fsync", pass(unix.SYS_FSYNC, sFD), ArgFD)
	def(unix.SYS_FDATASYNC, "fdatasync", pass(unix.SYS_FDATASYNC, sFD), ArgFD)
	def(unix.SYS_SYNCFS, "syncfs", pass(unix.SYS_SYNCFS, sFD), ArgFD)
	def(unix.SYS_SYNC, "sync", pass(unix.SYS_SYNC))
	def(unix.SYS_SYNC_FILE_RANGE, "sync_file_range", pass(unix.SYS_SYNC_FILE_RANGE, sFD, sVal, sVal, sVal), ArgFD, ArgInt, ArgInt, ArgHex)
	def(unix.SYS_FALLOCATE, "fallocate", sysFallocate, ArgFD, ArgHex, ArgInt, ArgInt)
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
	if !accessOK(a[1], a[2]) {
		return efault // vfs_read and vfs_write check the whole buffer
	}
	if r, ok := t.signalfdRead(a); ok {
		return r
	}
	if r, ok := t.procMemIO(a, false, false); ok {
		return r
	}
	p, n, e := t.gbuf(a[1], a[2], unix.PROT_WRITE)
	if e != 0 {
		return e
	}
	if n < min(a[2], maxRW) && a[1] != 0 {
		if r, ok := t.partialRead(int(int32(a[0])), a[1], n); ok {
			return r
		}
	}
	return t.hcall(unix.SYS_READ, uintptr(a[0]), p, uintptr(n))
}

func sysWrite(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	if !accessOK(a[1], a[2]) {
		return efault // vfs_read and vfs_write check the whole buffer
	}
	if r, ok := t.procMemIO(a, false, true); ok {
		return r
	}
	p, n, e := t.gbuf(a[1], a[2], unix.PROT_READ)
	if e != 0 {
		return e
	}
	var limited uint64
	if limited, e = t.fileSizeCheck(int(int32(a[0])), 0, false, n); e != 0 {
		return e
	}
	if full := min(a[2], maxRW); n < full && a[1] != 0 {
		switch kind, dev := fdKind(int(int32(a[0]))); {
		case kind == unix.S_IFCHR && dev == devNull:
			return int64(full) // write_null never reads the buffer
		case kind == unix.S_IFIFO:
			if n = pipeWritable(int(int32(a[0])), n, full); n == 0 {
				return efault
			}
		}
	}
	return t.hcall(unix.SYS_WRITE, uintptr(a[0]), p, uintptr(min(n, limited)))
}

func sysPread(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	if !accessOK(a[1], a[2]) {
		return efault // vfs_read and vfs_write check the whole buffer
	}
	if r, ok := t.procMemIO(a, true, false); ok {
		return r
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
	if !accessOK(a[1], a[2]) {
		return efault // vfs_read and vfs_write check the whole buffer
	}
	if r, ok := t.procMemIO(a, true, true); ok {
		return r
	}
	p, n, e := t.gbuf(a[1], a[2], unix.PROT_READ)
	if e != 0 {
		return e
	}
	if n, e = t.fileSizeCheck(int(int32(a[0])), int64(a[3]), true, n); e != 0 {
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
	iov, acc, total, e := t.iovecPrefix(a[1], a[2], prot)
	if e != 0 {
		return e
	}
	if acc < total {
		// The transfer would fault after acc bytes.
		fd := int(int32(a[0]))
		kind, dev := fdKind(fd)
		switch {
		case kind == unix.S_IFCHR && dev == devNull && prot == unix.PROT_READ:
			return int64(total)
		case acc == 0:
			return efault
		case kind == unix.S_IFIFO && prot == unix.PROT_WRITE:
			if n, err := unix.IoctlGetInt(fd, unix.TIOCINQ); err == nil && uint64(n) > acc {
				return efault
			}
		case kind == unix.S_IFIFO:
			if iov = cutIovecs(iov, pipeWritable(fd, acc, total)); len(iov) == 0 {
				return efault
			}
		}
	}
	if prot == unix.PROT_READ {
		// pwritev and pwritev2 with an offset of -1 write at the file position.
		positioned := nr == unix.SYS_PWRITEV || nr == unix.SYS_PWRITEV2 && int64(a[3]) != -1
		n, e := t.fileSizeCheck(int(int32(a[0])), int64(a[3]), positioned, acc)
		if e != 0 {
			return e
		}
		iov = cutIovecs(iov, n)
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

// memFileOpened is set once the guest opens its /proc/self/mem (openProc):
// from then on, reads and writes look for it.
var memFileOpened atomic.Bool

// procMemIO carries out read, write, pread or pwrite on the guest's
// /proc/self/mem, if a[0] is it: the window's memfd, whose holes read as
// zeros, stands for it, but as in Linux the transfer stops at the first
// unmapped page, with EIO if that is the first.
func (t *Task) procMemIO(a *Args, positioned, write bool) (int64, bool) {
	if !memFileOpened.Load() {
		return 0, false
	}
	fd := int(int32(a[0]))
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || !t.P.Mem.IsWindowFile(st.Dev, st.Ino) {
		return 0, false
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return errno(err), true
	}
	if acc := fl & unix.O_ACCMODE; acc == unix.O_RDONLY && write || acc == unix.O_WRONLY && !write {
		return fdBad, true
	}
	pos := int64(a[3])
	if !positioned {
		if pos, err = unix.Seek(fd, 0, unix.SEEK_CUR); err != nil {
			return errno(err), true
		}
	}
	if pos < 0 {
		return -int64(unix.EINVAL), true
	}
	prot := unix.PROT_WRITE
	if write {
		prot = unix.PROT_READ
	}
	n := min(a[2], maxRW)
	if n > mem.TaskSize || a[1] > mem.TaskSize-n {
		return efault, true
	}
	// The kernel moves a page at a time through a buffer of its own, and
	// fails the whole call if the guest's buffer faults.
	var page [mem.PageSize]byte
	var done uint64
	for done < n {
		c := page[:min(n-done, mem.PageSize-(uint64(pos)+done)%mem.PageSize)]
		g, err := t.P.Mem.Slice(a[1]+done, uint64(len(c)), prot)
		if err != nil {
			return efault, true
		}
		var got int
		if write {
			copy(c, g)
			got = t.P.Mem.ForceWrite(uint64(pos)+done, c)
		} else {
			got = t.P.Mem.ForceRead(uint64(pos)+done, c)
			copy(g, c[:got])
		}
		done += uint64(got)
		if got < len(c) {
			break
		}
	}
	if done == 0 && n > 0 {
		return -int64(unix.EIO), true
	}
	if !positioned {
		unix.Seek(fd, pos+int64(done), unix.SEEK_SET)
	}
	return int64(done), true
}

// Buffers that are only partly accessible. The kernel checks the whole
// buffer against the end of the user half, then transfers until it faults:
// what it has done by then depends on the file. Regular files and most
// devices return the bytes done, the accessible start of the buffer, which
// is what gbuf and iovecPrefix keep; /dev/null never touches the buffer;
// pipes move whole buffers of their own and fail with EFAULT at the first
// that faults.

// devNull is /dev/null's device number, makedev(1, 3).
const devNull = 1<<8 | 3

// fdKind returns the file type bits and the device number of an fd.
func fdKind(fd int) (uint32, uint64) {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return 0, 0
	}
	return st.Mode & unix.S_IFMT, st.Rdev
}

// partialRead reads from a pipe into a buffer of which only acc bytes at
// addr are accessible, if that makes a difference: when the pipe holds
// more, the kernel copies what fits of its first buffer, faults, and fails
// with EFAULT leaving the data unread. The pipe's buffer boundaries are
// not known here: the data is taken as one buffer.
func (t *Task) partialRead(fd int, addr, acc uint64) (int64, bool) {
	if kind, _ := fdKind(fd); kind != unix.S_IFIFO {
		return 0, false
	}
	avail, err := unix.IoctlGetInt(fd, unix.TIOCINQ)
	if err != nil || uint64(avail) <= acc {
		return 0, false
	}
	// Copy the data without reading it: tee it into a pipe of ours.
	var sp [2]int
	if unix.Pipe2(sp[:], unix.O_CLOEXEC) == nil {
		if n, err := unix.Tee(fd, sp[1], int(acc), unix.SPLICE_F_NONBLOCK); err == nil && n > 0 {
			if b, ok := t.out(addr, uint64(n)); ok {
				unix.Read(sp[0], b)
			}
		}
		unix.Close(sp[0])
		unix.Close(sp[1])
	}
	return efault, true
}

// pipeWritable is how much of a write of total bytes, of which the first
// acc are accessible, a pipe takes before the kernel faults: a short tail
// (total modulo the page size) goes first into the pipe's last buffer when
// it has room, then whole pages; a copy that faults fails the rest. 0 means
// EFAULT.
func pipeWritable(fd int, acc, total uint64) uint64 {
	var n uint64
	if tail := total % mem.PageSize; tail != 0 {
		avail, err := unix.IoctlGetInt(fd, unix.TIOCINQ)
		if last := uint64(avail) % mem.PageSize; err == nil && last != 0 && last+tail <= mem.PageSize {
			if acc < tail {
				return 0
			}
			n = tail
		}
	}
	return n + (acc-n)&^(mem.PageSize-1)
}

// cutIovecs keeps the first n bytes of iov.
func cutIovecs(iov []unix.Iovec, n uint64) []unix.Iovec {
	for i := range iov {
		if iov[i].Len >= n {
			iov[i].Len = n
			if n == 0 {
				return iov[:i]
			}
			return iov[:i+1]
		}
		n -= iov[i].Len
	}
	return iov
}

// sizeChecked is truncate or ftruncate (file is sPath or sFD) under the
// guest's RLIMIT_FSIZE.
func sizeChecked(nr uintptr, file spec) Handler {
	call := pass(nr, file, sVal)
	return func(t *Task, a *Args) int64 {
		if fsizeLimit.Load() != 0 {
			var st unix.Stat_t
			var err error
			if file == sFD {
				err = unix.Fstat(int(int32(a[0])), &st)
			} else if _, path, e := t.cpath(a[0]); e == 0 {
				err = unix.Stat(string(path), &st)
			}
			if err == nil {
				if e := t.fileGrowCheck(st.Size, int64(a[1])); e != 0 {
					return e
				}
			}
		}
		return call(t, a)
	}
}

var fallocate = pass(unix.SYS_FALLOCATE, sFD, sVal, sVal, sVal)

// sysFallocate is fallocate under the guest's RLIMIT_FSIZE: growing the
// file past it fails.
func sysFallocate(t *Task, a *Args) int64 {
	if fsizeLimit.Load() != 0 && a[1]&unix.FALLOC_FL_KEEP_SIZE == 0 {
		var st unix.Stat_t
		if unix.Fstat(int(int32(a[0])), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
			if e := t.fileGrowCheck(st.Size, int64(a[2]+a[3])); e != 0 {
				return e
			}
		}
	}
	return fallocate(t, a)
}
