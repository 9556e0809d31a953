package syscall

import (
	"os"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/mem"
)

// Memory syscalls: the address space is package mem's; these are thin
// wrappers that adapt arguments and log under -d mmap.

func init() {
	def(unix.SYS_MMAP, "mmap", sysMmap, ArgPtr, ArgUint, ArgProt, ArgMmapFlags, ArgFD, ArgHex)
	def(unix.SYS_MUNMAP, "munmap", sysMunmap, ArgPtr, ArgUint)
	def(unix.SYS_MPROTECT, "mprotect", sysMprotect, ArgPtr, ArgUint, ArgProt)
	def(unix.SYS_PKEY_MPROTECT, "pkey_mprotect", sysPkeyMprotect, ArgPtr, ArgUint, ArgProt, ArgInt)
	def(unix.SYS_PKEY_ALLOC, "pkey_alloc", sysPkeyAlloc, ArgFlags, ArgFlags)
	def(unix.SYS_PKEY_FREE, "pkey_free", sysPkeyFree, ArgInt)
	def(unix.SYS_MREMAP, "mremap", sysMremap, ArgPtr, ArgUint, ArgUint, ArgMremapFlags, ArgPtr)
	def(unix.SYS_MADVISE, "madvise", sysMadvise, ArgPtr, ArgUint, ArgMadvise)
	def(unix.SYS_BRK, "brk", sysBrk, ArgPtr)
	def(unix.SYS_MSYNC, "msync", sysMsync, ArgPtr, ArgUint, ArgFlags)
	def(unix.SYS_MINCORE, "mincore", sysMincore, ArgPtr, ArgUint, ArgPtr)
	def(unix.SYS_MLOCK, "mlock", sysMlock, ArgPtr, ArgUint)
	def(unix.SYS_MLOCK2, "mlock2", sysMlock2, ArgPtr, ArgUint, ArgFlags)
	def(unix.SYS_MUNLOCK, "munlock", sysMunlock, ArgPtr, ArgUint)
	def(unix.SYS_MLOCKALL, "mlockall", sysMlockall, ArgFlags)
	def(unix.SYS_MUNLOCKALL, "munlockall", sysMunlockall)
}

func (t *Task) logMmap(format string, args ...any) {
	t.P.Log.Printf(dbg.Mmap, format, args...)
}

func sysMmap(t *Task, a *Args) int64 {
	flags := int(a[3])
	fd := int(int32(a[4]))
	if flags&unix.MAP_ANONYMOUS == 0 && t.badFD(a[4]) {
		return fdBad
	}
	if flags&unix.MAP_ANONYMOUS == 0 && !t.P.sharedFiles {
		h, e := t.importFD(fd)
		if e != 0 {
			return e
		}
		defer unix.Close(h)
		fd = h
	}
	addr, err := t.P.Mem.Map(a[0], a[1], int(a[2]), flags, fd, a[5], "")
	if t.P.Log.On(dbg.Mmap) {
		t.logMmap("mmap(%#x, %#x, %#x, %#x, %d, %#x) = %#x %v", a[0], a[1], a[2], a[3], fd, a[5], addr, err)
	}
	if err != nil {
		return errno(err)
	}
	return int64(addr)
}

func sysMunmap(t *Task, a *Args) int64 {
	err := t.P.Mem.Unmap(a[0], a[1])
	if t.P.Log.On(dbg.Mmap) {
		t.logMmap("munmap(%#x, %#x) = %v", a[0], a[1], err)
	}
	return errno(err)
}

func sysMprotect(t *Task, a *Args) int64 {
	err := t.P.Mem.Protect(a[0], a[1], int(a[2]))
	if t.P.Log.On(dbg.Mmap) {
		t.logMmap("mprotect(%#x, %#x, %#x) = %v", a[0], a[1], a[2], err)
	}
	return errno(err)
}

// Protection keys: the guest CPU has none, so only the default key -1 works,
// and there are none to allocate.
func sysPkeyMprotect(t *Task, a *Args) int64 {
	if int32(a[3]) != -1 {
		return -int64(unix.EINVAL)
	}
	return sysMprotect(t, a)
}

func sysPkeyAlloc(t *Task, a *Args) int64 {
	if a[0] != 0 || a[1]&^3 != 0 {
		return -int64(unix.EINVAL)
	}
	return -int64(unix.ENOSPC)
}

func sysPkeyFree(t *Task, a *Args) int64 { return -int64(unix.EINVAL) }

func sysMremap(t *Task, a *Args) int64 {
	addr, err := t.P.Mem.Remap(a[0], a[1], a[2], int(a[3]), a[4])
	if t.P.Log.On(dbg.Mmap) {
		t.logMmap("mremap(%#x, %#x, %#x, %#x, %#x) = %#x %v", a[0], a[1], a[2], a[3], a[4], addr, err)
	}
	if err != nil {
		return errno(err)
	}
	return int64(addr)
}

func sysMadvise(t *Task, a *Args) int64 {
	return errno(t.P.Mem.Advise(a[0], a[1], int(int32(a[2]))))
}

func sysBrk(t *Task, a *Args) int64 {
	brk := t.P.Mem.SetBrk(a[0])
	if t.P.Log.On(dbg.Mmap) {
		t.logMmap("brk(%#x) = %#x", a[0], brk)
	}
	return int64(brk)
}

func sysMsync(t *Task, a *Args) int64 {
	return errno(t.P.Mem.Sync(a[0], a[1], int(int32(a[2]))))
}

func sysMincore(t *Task, a *Args) int64 {
	vec, err := t.P.Mem.Mincore(a[0], a[1])
	if len(vec) > 0 {
		b, ok := t.out(a[2], uint64(len(vec)))
		if !ok {
			return efault
		}
		copy(b, vec)
	}
	return errno(err)
}

// Locking pages is accepted without pinning anything: the limits are
// checked as Linux does (RLIMIT_MEMLOCK unless privileged) and the range
// must be mapped.

func canLock() (limit uint64, ok bool) {
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl)
	if os.Geteuid() == 0 {
		return ^uint64(0), true
	}
	return rl.Cur, rl.Cur != 0
}

func (t *Task) lockRange(addr, length uint64, lock bool) int64 {
	limit, ok := canLock()
	if lock && !ok {
		return -int64(unix.EPERM)
	}
	off := addr % mem.PageSize
	start := addr - off
	n := (length + off + mem.PageSize - 1) &^ (mem.PageSize - 1) // wraps as PAGE_ALIGN does
	if lock && n > limit {
		return -int64(unix.ENOMEM)
	}
	if start+n < start {
		return -int64(unix.EINVAL)
	}
	if n == 0 {
		return 0
	}
	if !t.P.Mem.Covered(start, n) {
		return -int64(unix.ENOMEM)
	}
	return 0
}

func sysMlock(t *Task, a *Args) int64 { return t.lockRange(a[0], a[1], true) }

func sysMlock2(t *Task, a *Args) int64 {
	if a[2]&^unix.MLOCK_ONFAULT != 0 {
		return -int64(unix.EINVAL)
	}
	return t.lockRange(a[0], a[1], true)
}

func sysMunlock(t *Task, a *Args) int64 { return t.lockRange(a[0], a[1], false) }

func sysMlockall(t *Task, a *Args) int64 {
	f := a[0]
	if f == 0 || f&^(unix.MCL_CURRENT|unix.MCL_FUTURE|unix.MCL_ONFAULT) != 0 || f == unix.MCL_ONFAULT {
		return -int64(unix.EINVAL)
	}
	limit, ok := canLock()
	if !ok {
		return -int64(unix.EPERM)
	}
	if f&unix.MCL_CURRENT != 0 {
		var total uint64
		for _, v := range t.P.Mem.VMAs() {
			total += v.Len()
		}
		if total > limit {
			return -int64(unix.ENOMEM)
		}
	}
	return 0
}

func sysMunlockall(t *Task, a *Args) int64 { return 0 }
