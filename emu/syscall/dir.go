package syscall

import (
	"golang.org/x/sys/unix"
	"unsafe"
)

// Directories and names: getdents, mkdir, unlink, rename, link, permissions,
// ownership, times, and the working directory (shared by the whole process,
// as the guest's cwd is the host's).

func init() {
	def(unix.SYS_GETDENTS64, "getdents64", sysGetdents64, ArgFD, ArgDirentsOut, ArgUint)
	def(unix.SYS_GETDENTS, "getdents", sysGetdents, ArgFD, ArgDirentsOut, ArgUint)

	def(unix.SYS_MKDIR, "mkdir", pass(unix.SYS_MKDIR, sPath, sVal), ArgStr, ArgOctal)
	def(unix.SYS_MKDIRAT, "mkdirat", pass(unix.SYS_MKDIRAT, sFD, sPath, sVal), ArgFD, ArgStr, ArgOctal)
	def(unix.SYS_RMDIR, "rmdir", pass(unix.SYS_RMDIR, sPath), ArgStr)
	def(unix.SYS_UNLINK, "unlink", pass(unix.SYS_UNLINK, sPath), ArgStr)
	def(unix.SYS_UNLINKAT, "unlinkat", pass(unix.SYS_UNLINKAT, sFD, sPath, sVal), ArgFD, ArgStr, ArgAtFlags)
	def(unix.SYS_RENAME, "rename", pass(unix.SYS_RENAME, sPath, sPath), ArgStr, ArgStr)
	def(unix.SYS_RENAMEAT, "renameat", pass(unix.SYS_RENAMEAT, sFD, sPath, sFD, sPath), ArgFD, ArgStr, ArgFD, ArgStr)
	def(unix.SYS_RENAMEAT2, "renameat2", pass(unix.SYS_RENAMEAT2, sFD, sPath, sFD, sPath, sVal), ArgFD, ArgStr, ArgFD, ArgStr, ArgHex)
	def(unix.SYS_LINK, "link", pass(unix.SYS_LINK, sPath, sPath), ArgStr, ArgStr)
	def(unix.SYS_LINKAT, "linkat", pass(unix.SYS_LINKAT, sFD, sPath, sFD, sPath, sVal), ArgFD, ArgStr, ArgFD, ArgStr, ArgAtFlags)
	def(unix.SYS_SYMLINK, "symlink", pass(unix.SYS_SYMLINK, sPath, sPath), ArgStr, ArgStr)
	def(unix.SYS_SYMLINKAT, "symlinkat", pass(unix.SYS_SYMLINKAT, sPath, sFD, sPath), ArgStr, ArgFD, ArgStr)
	def(unix.SYS_MKNOD, "mknod", pass(unix.SYS_MKNOD, sPath, sVal, sVal), ArgStr, ArgOctal, ArgHex)
	def(unix.SYS_MKNODAT, "mknodat", pass(unix.SYS_MKNODAT, sFD, sPath, sVal, sVal), ArgFD, ArgStr, ArgOctal, ArgHex)

	def(unix.SYS_CHMOD, "chmod", pass(unix.SYS_CHMOD, sPath, sVal), ArgStr, ArgOctal)
	def(unix.SYS_FCHMOD, "fchmod", pass(unix.SYS_FCHMOD, sFD, sVal), ArgFD, ArgOctal)
	def(unix.SYS_FCHMODAT, "fchmodat", pass(unix.SYS_FCHMODAT, sFD, sPath, sVal), ArgFD, ArgStr, ArgOctal)
	def(unix.SYS_FCHMODAT2, "fchmodat2", pass(unix.SYS_FCHMODAT2, sFD, sPath, sVal, sVal), ArgFD, ArgStr, ArgOctal, ArgHex)
	def(unix.SYS_CHOWN, "chown", pass(unix.SYS_CHOWN, sPath, sVal, sVal), ArgStr, ArgInt, ArgInt)
	def(unix.SYS_FCHOWN, "fchown", pass(unix.SYS_FCHOWN, sFD, sVal, sVal), ArgFD, ArgInt, ArgInt)
	def(unix.SYS_LCHOWN, "lchown", pass(unix.SYS_LCHOWN, sPath, sVal, sVal), ArgStr, ArgInt, ArgInt)
	def(unix.SYS_FCHOWNAT, "fchownat", pass(unix.SYS_FCHOWNAT, sFD, sPath, sVal, sVal, sVal), ArgFD, ArgStr, ArgInt, ArgInt, ArgAtFlags)

	// The path of utimensat and futimesat may be NULL: the call then
	// applies to the fd.
	def(unix.SYS_UTIMENSAT, "utimensat", pass(unix.SYS_UTIMENSAT, sFD, sPathOpt, inN(32), sVal), ArgFD, ArgStr, ArgPtr, ArgAtFlags)
	def(unix.SYS_FUTIMESAT, "futimesat", pass(unix.SYS_FUTIMESAT, sFD, sPathOpt, inN(32)), ArgFD, ArgStr, ArgPtr)
	def(unix.SYS_UTIMES, "utimes", pass(unix.SYS_UTIMES, sPath, inN(32)), ArgStr, ArgPtr)
	def(unix.SYS_UTIME, "utime", pass(unix.SYS_UTIME, sPath, inN(16)), ArgStr, ArgPtr)

	def(unix.SYS_GETCWD, "getcwd", sysGetcwd, ArgOutStr, ArgUint)
	def(unix.SYS_CHDIR, "chdir", pass(unix.SYS_CHDIR, sPath), ArgStr)
	def(unix.SYS_FCHDIR, "fchdir", pass(unix.SYS_FCHDIR, sFD), ArgFD)
	def(unix.SYS_CHROOT, "chroot", pass(unix.SYS_CHROOT, sPath), ArgStr)
	def(unix.SYS_UMASK, "umask", sysUmask, ArgOctal)
}

// sysGetcwd fills the accessible start of the buffer: the kernel writes only
// the path's length, and says ERANGE if that does not fit.
// sysGetcwd gets the path into guestrun's memory first: the kernel gives
// ERANGE only for a size too small, and a buffer that is not all writable
// gets the bytes before its hole, then EFAULT.
func sysGetcwd(t *Task, a *Args) int64 {
	buf := make([]byte, min(a[1], unix.PathMax+1))
	if len(buf) == 0 {
		return -int64(unix.ERANGE)
	}
	r := t.hraw(unix.SYS_GETCWD, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0)
	if r < 0 {
		return r
	}
	if a[0] == 0 || !t.copyOut(a[0], buf[:r]) {
		return efault
	}
	return r
}

func sysUmask(t *Task, a *Args) int64 {
	return t.hraw(unix.SYS_UMASK, uintptr(a[0]), 0, 0)
}
