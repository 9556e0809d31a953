package syscall

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// File status: the stat family, access, readlink and extended attributes.
// The x86-64 structs are the host's, so only pointers are translated. Calls
// that follow symlinks see /proc/self/exe as the guest program.

const (
	statSize   = 144 // struct stat
	statxSize  = 256 // struct statx
	statfsSize = 120 // struct statfs
)

func init() {
	def(unix.SYS_STAT, "stat", sysStat, ArgStr, ArgStatOut)
	def(unix.SYS_LSTAT, "lstat", pass(unix.SYS_LSTAT, sPath, outN(statSize)), ArgStr, ArgStatOut)
	def(unix.SYS_FSTAT, "fstat", sysFstat, ArgFD, ArgStatOut)
	def(unix.SYS_NEWFSTATAT, "newfstatat", sysNewfstatat, ArgFD, ArgStr, ArgStatOut, ArgAtFlags)
	def(unix.SYS_STATX, "statx", sysStatx, ArgFD, ArgStr, ArgAtFlags, ArgHex, ArgStatxOut)
	def(unix.SYS_STATFS, "statfs", pass(unix.SYS_STATFS, sPath, outN(statfsSize)), ArgStr, ArgPtr)
	def(unix.SYS_FSTATFS, "fstatfs", pass(unix.SYS_FSTATFS, sFD, outN(statfsSize)), ArgFD, ArgPtr)
	def(unix.SYS_ACCESS, "access", sysAccess, ArgStr, ArgAccessMode)
	def(unix.SYS_FACCESSAT, "faccessat", sysFaccessat, ArgFD, ArgStr, ArgAccessMode)
	def(unix.SYS_FACCESSAT2, "faccessat2", sysFaccessat2, ArgFD, ArgStr, ArgAccessMode, ArgAtFlags)
	def(unix.SYS_READLINK, "readlink", sysReadlink, ArgStr, ArgOutBuf, ArgInt)
	def(unix.SYS_READLINKAT, "readlinkat", sysReadlinkat, ArgFD, ArgStr, ArgOutBuf, ArgInt)

	def(unix.SYS_GETXATTR, "getxattr", pass(unix.SYS_GETXATTR, sPath, sPath, outLen(3), sVal), ArgStr, ArgStr, ArgPtr, ArgUint)
	def(unix.SYS_LGETXATTR, "lgetxattr", pass(unix.SYS_LGETXATTR, sPath, sPath, outLen(3), sVal), ArgStr, ArgStr, ArgPtr, ArgUint)
	def(unix.SYS_FGETXATTR, "fgetxattr", pass(unix.SYS_FGETXATTR, sFD, sPath, outLen(3), sVal), ArgFD, ArgStr, ArgPtr, ArgUint)
	def(unix.SYS_SETXATTR, "setxattr", pass(unix.SYS_SETXATTR, sPath, sPath, inLen(3), sVal, sVal), ArgStr, ArgStr, ArgPtr, ArgUint, ArgHex)
	def(unix.SYS_LSETXATTR, "lsetxattr", pass(unix.SYS_LSETXATTR, sPath, sPath, inLen(3), sVal, sVal), ArgStr, ArgStr, ArgPtr, ArgUint, ArgHex)
	def(unix.SYS_FSETXATTR, "fsetxattr", pass(unix.SYS_FSETXATTR, sFD, sPath, inLen(3), sVal, sVal), ArgFD, ArgStr, ArgPtr, ArgUint, ArgHex)
	def(unix.SYS_LISTXATTR, "listxattr", pass(unix.SYS_LISTXATTR, sPath, outLen(2), sVal), ArgStr, ArgPtr, ArgUint)
	def(unix.SYS_LLISTXATTR, "llistxattr", pass(unix.SYS_LLISTXATTR, sPath, outLen(2), sVal), ArgStr, ArgPtr, ArgUint)
	def(unix.SYS_FLISTXATTR, "flistxattr", pass(unix.SYS_FLISTXATTR, sFD, outLen(2), sVal), ArgFD, ArgPtr, ArgUint)
	def(unix.SYS_REMOVEXATTR, "removexattr", pass(unix.SYS_REMOVEXATTR, sPath, sPath), ArgStr, ArgStr)
	def(unix.SYS_LREMOVEXATTR, "lremovexattr", pass(unix.SYS_LREMOVEXATTR, sPath, sPath), ArgStr, ArgStr)
	def(unix.SYS_FREMOVEXATTR, "fremovexattr", pass(unix.SYS_FREMOVEXATTR, sFD, sPath), ArgFD, ArgStr)
}

// followPath translates a path that the call resolves following symlinks:
// /proc/self/exe becomes the guest program's path, in Go memory that the
// caller keeps alive (keep) across the syscall.
func (t *Task) followPath(dirfd, addr uint64) (p uintptr, keep *byte, e int64) {
	p, s, e := t.cpath(addr)
	if e != 0 {
		return 0, nil, e
	}
	if t.procLookup(int32(dirfd), s) == procExe {
		keep = cstring(t.exePath())
		return uintptr(unsafe.Pointer(keep)), keep, 0
	}
	return p, nil, 0
}

func sysStat(t *Task, a *Args) int64 {
	p, keep, e := t.followPath(uint64(atFDCWD), a[0])
	if e != 0 {
		return e
	}
	var st [statSize]byte
	r := t.hcall6(unix.SYS_NEWFSTATAT, atFDCWD, p, uintptr(unsafe.Pointer(&st)), 0, 0, 0)
	runtime.KeepAlive(keep)
	return t.statOut(r, a[1], st[:])
}

// statOut finishes a stat-like call that the host made into b: as the
// kernel, it resolves the path before it writes the buffer, and writes
// the buffer up to its first bad byte.
func (t *Task) statOut(r int64, addr uint64, b []byte) int64 {
	if r < 0 {
		return r
	}
	if addr == 0 || !t.copyOut(addr, b) {
		return efault
	}
	return r
}

func sysFstat(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	var st [statSize]byte
	r := t.hraw(unix.SYS_FSTAT, uintptr(a[0]), uintptr(unsafe.Pointer(&st)), 0)
	return t.statOut(r, a[1], st[:])
}

func sysNewfstatat(t *Task, a *Args) int64 {
	return t.statAt(unix.SYS_NEWFSTATAT, a[0], a[1], a[2], statSize, a[3], 0)
}

func sysStatx(t *Task, a *Args) int64 {
	// Since Linux 6.11 the path may be NULL with AT_EMPTY_PATH.
	if a[1] == 0 {
		if t.badFD(a[0]) {
			return fdBad
		}
		buf, ok := t.gp(a[4], statxSize, unix.PROT_WRITE)
		if !ok {
			return efault
		}
		return t.hcall6(unix.SYS_STATX, uintptr(a[0]), 0, uintptr(a[2]), uintptr(a[3]), buf, 0)
	}
	return t.statAt(unix.SYS_STATX, a[0], a[1], a[4], statxSize, a[2], a[3])
}

// statAt runs newfstatat(dirfd, path, buf, flags) or
// statx(dirfd, path, flags, mask, buf).
func (t *Task) statAt(nr uintptr, dirfd, path, buf, size, flags, mask uint64) int64 {
	if t.badFD(dirfd) {
		return fdBad
	}
	var p uintptr
	var keep *byte
	var e int64
	if flags&unix.AT_SYMLINK_NOFOLLOW != 0 {
		p, _, e = t.cpath(path)
	} else {
		p, keep, e = t.followPath(dirfd, path)
	}
	if e != 0 {
		return e
	}
	out := make([]byte, size)
	b := uintptr(unsafe.Pointer(&out[0]))
	var r int64
	if nr == unix.SYS_STATX {
		r = t.hcall6(nr, uintptr(dirfd), p, uintptr(flags), uintptr(mask), b, 0)
	} else {
		r = t.hcall6(nr, uintptr(dirfd), p, b, uintptr(flags), 0, 0)
	}
	runtime.KeepAlive(keep)
	runtime.KeepAlive(out)
	return t.statOut(r, buf, out)
}

func sysAccess(t *Task, a *Args) int64 {
	return t.accessAt(uint64(atFDCWD), a[0], a[1], 0, false)
}

func sysFaccessat(t *Task, a *Args) int64 {
	return t.accessAt(a[0], a[1], a[2], 0, false)
}

func sysFaccessat2(t *Task, a *Args) int64 {
	return t.accessAt(a[0], a[1], a[2], a[3], true)
}

func (t *Task) accessAt(dirfd, path, mode, flags uint64, v2 bool) int64 {
	if t.badFD(dirfd) {
		return fdBad
	}
	var p uintptr
	var keep *byte
	var e int64
	if flags&unix.AT_SYMLINK_NOFOLLOW != 0 {
		p, _, e = t.cpath(path)
	} else {
		p, keep, e = t.followPath(dirfd, path)
	}
	if e != 0 {
		return e
	}
	var r int64
	if v2 {
		r = t.hcall6(unix.SYS_FACCESSAT2, uintptr(dirfd), p, uintptr(mode), uintptr(flags), 0, 0)
	} else {
		r = t.hcall6(unix.SYS_FACCESSAT, uintptr(dirfd), p, uintptr(mode), 0, 0, 0)
	}
	runtime.KeepAlive(keep)
	return r
}

func sysReadlink(t *Task, a *Args) int64 {
	return t.readlinkAt(uint64(atFDCWD), a[0], a[1], a[2])
}

func sysReadlinkat(t *Task, a *Args) int64 {
	return t.readlinkAt(a[0], a[1], a[2], a[3])
}

// readlinkAt reads a link into the accessible start of the buffer, as the
// kernel copies no more than the link's length.
func (t *Task) readlinkAt(dirfd, path, buf, size uint64) int64 {
	if int32(size) <= 0 {
		return -int64(unix.EINVAL)
	}
	if t.badFD(dirfd) {
		return fdBad
	}
	p, s, e := t.cpath(path)
	if e != 0 {
		return e
	}
	if t.procLookup(int32(dirfd), s) == procExe {
		return t.readlinkExe(buf, size)
	}
	b, n, e := t.gbuf(buf, uint64(int32(size)), unix.PROT_WRITE)
	if e != 0 {
		return e
	}
	return t.hcall6(unix.SYS_READLINKAT, uintptr(dirfd), p, b, uintptr(n), 0, 0)
}
