package lockstep

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// What common syscalls write into the caller's memory, so that after one the
// child gets just those bytes instead of a comparison of all writable
// memory. Calls not listed here get the full comparison.

// span is a guest memory range.
type span struct{ addr, n uint64 }

// noOutput lists calls that write no user memory (or only memory mapped
// anew, which the layout mirroring copies).
var noOutput = map[uint64]bool{
	unix.SYS_WRITE: true, unix.SYS_OPEN: true, unix.SYS_CLOSE: true, unix.SYS_LSEEK: true, unix.SYS_MMAP: true,
	unix.SYS_MPROTECT: true, unix.SYS_MUNMAP: true, unix.SYS_BRK: true, unix.SYS_MREMAP: true,
	unix.SYS_PWRITE64: true, unix.SYS_WRITEV: true, unix.SYS_PWRITEV: true, unix.SYS_ACCESS: true,
	unix.SYS_SCHED_YIELD: true, unix.SYS_DUP: true, unix.SYS_DUP2: true, unix.SYS_DUP3: true,
	unix.SYS_GETPID: true, unix.SYS_GETPPID: true, unix.SYS_GETTID: true, unix.SYS_GETUID: true,
	unix.SYS_GETGID: true, unix.SYS_GETEUID: true, unix.SYS_GETEGID: true, unix.SYS_GETPGRP: true,
	unix.SYS_GETPGID: true, unix.SYS_GETSID: true, unix.SYS_SETPGID: true, unix.SYS_SETSID: true,
	unix.SYS_KILL: true, unix.SYS_TKILL: true, unix.SYS_TGKILL: true, unix.SYS_OPENAT: true,
	unix.SYS_UNLINK: true, unix.SYS_UNLINKAT: true, unix.SYS_MKDIR: true, unix.SYS_MKDIRAT: true,
	unix.SYS_RMDIR: true, unix.SYS_RENAME: true, unix.SYS_RENAMEAT: true, unix.SYS_RENAMEAT2: true,
	unix.SYS_CHDIR: true, unix.SYS_FCHDIR: true, unix.SYS_FSYNC: true, unix.SYS_FDATASYNC: true,
	unix.SYS_FTRUNCATE: true, unix.SYS_TRUNCATE: true, unix.SYS_UMASK: true, unix.SYS_FACCESSAT: true,
	unix.SYS_FACCESSAT2: true, unix.SYS_FCHMOD: true, unix.SYS_FCHMODAT: true, unix.SYS_CHMOD: true,
	unix.SYS_SET_TID_ADDRESS: true, unix.SYS_SET_ROBUST_LIST: true, unix.SYS_EXIT: true,
	unix.SYS_EXIT_GROUP: true, unix.SYS_FUTEX: true, unix.SYS_MADVISE: true, unix.SYS_ALARM: true,
	unix.SYS_SHUTDOWN: true, unix.SYS_SOCKET: true, unix.SYS_CONNECT: true, unix.SYS_BIND: true,
	unix.SYS_LISTEN: true, unix.SYS_SENDTO: true, unix.SYS_SETSOCKOPT: true, unix.SYS_EVENTFD2: true,
	unix.SYS_EPOLL_CREATE1: true, unix.SYS_EPOLL_CTL: true, unix.SYS_SYMLINK: true, unix.SYS_SYMLINKAT: true,
	unix.SYS_LINK: true, unix.SYS_LINKAT: true, unix.SYS_FCHOWN: true, unix.SYS_FCHOWNAT: true,
	unix.SYS_SETUID: true, unix.SYS_SETGID: true, unix.SYS_PRCTL: true, unix.SYS_SCHED_SETAFFINITY: true,
	unix.SYS_MEMBARRIER: true, unix.SYS_RSEQ: true, unix.SYS_TIMERFD_CREATE: true,
	unix.SYS_SIGNALFD4: true, unix.SYS_FADVISE64: true, unix.SYS_FALLOCATE: true, unix.SYS_SYNC: true,
	unix.SYS_FLOCK: true, unix.SYS_MSYNC: true, unix.SYS_MLOCK: true, unix.SYS_MUNLOCK: true,
	unix.SYS_TIMER_DELETE: true, unix.SYS_UTIMENSAT: true,
}

// outputs returns the memory syscall nr wrote, given its arguments and
// result; ok is false when the checker does not know.
func (l *checker) outputs(nr uint64, a *[6]uint64, ret uint64) (out []span, ok bool) {
	if noOutput[nr] {
		return nil, true
	}
	failed := int64(ret) < 0 && int64(ret) > -4096
	put := func(addr, n uint64) {
		if addr != 0 && n != 0 && !failed {
			out = append(out, span{addr, n})
		}
	}
	switch nr {
	case unix.SYS_READ, unix.SYS_PREAD64, unix.SYS_GETRANDOM, unix.SYS_GETDENTS64, unix.SYS_GETCWD:
		buf := a[1]
		if nr == unix.SYS_GETRANDOM || nr == unix.SYS_GETCWD {
			buf = a[0]
		}
		put(buf, ret)
	case unix.SYS_READLINK:
		put(a[1], ret)
	case unix.SYS_READLINKAT:
		put(a[2], ret)
	case unix.SYS_READV, unix.SYS_PREADV, unix.SYS_PREADV2:
		if failed {
			return nil, true
		}
		if a[2] > 1024 {
			return nil, false
		}
		iov := l.g.bytes(a[1], a[2]*16)
		if iov == nil {
			return nil, false
		}
		left := ret
		for i := uint64(0); i < a[2] && left > 0; i++ {
			base := binary.LittleEndian.Uint64(iov[i*16:])
			n := min(binary.LittleEndian.Uint64(iov[i*16+8:]), left)
			put(base, n)
			left -= n
		}
	case unix.SYS_FSTAT, unix.SYS_STAT, unix.SYS_LSTAT:
		put(a[1], 144)
	case unix.SYS_NEWFSTATAT:
		put(a[2], 144)
	case unix.SYS_STATX:
		put(a[4], 256)
	case unix.SYS_STATFS, unix.SYS_FSTATFS:
		put(a[1], 120)
	case unix.SYS_CLOCK_GETTIME, unix.SYS_CLOCK_GETRES:
		put(a[1], 16)
	case unix.SYS_GETTIMEOFDAY:
		put(a[0], 16)
		put(a[1], 8)
	case unix.SYS_TIME:
		put(a[0], 8)
	case unix.SYS_NANOSLEEP:
		put(a[1], 16)
	case unix.SYS_CLOCK_NANOSLEEP:
		put(a[3], 16)
	case unix.SYS_UNAME:
		put(a[0], 390)
	case unix.SYS_SYSINFO:
		put(a[0], 112)
	case unix.SYS_TIMES:
		put(a[0], 32)
	case unix.SYS_GETRUSAGE:
		put(a[1], 144)
	case unix.SYS_RT_SIGACTION:
		put(a[2], 24+a[3])
	case unix.SYS_RT_SIGPROCMASK:
		put(a[2], a[3])
	case unix.SYS_RT_SIGPENDING:
		put(a[0], a[1])
	case unix.SYS_RT_SIGTIMEDWAIT:
		put(a[1], 128)
	case unix.SYS_SIGALTSTACK:
		put(a[1], 24)
	case unix.SYS_GETRLIMIT:
		put(a[1], 16)
	case unix.SYS_PRLIMIT64:
		put(a[3], 16)
	case unix.SYS_PIPE, unix.SYS_PIPE2:
		put(a[0], 8)
	case unix.SYS_SOCKETPAIR:
		put(a[3], 8)
	case unix.SYS_WAIT4:
		put(a[1], 4)
		put(a[3], 144)
	case unix.SYS_POLL, unix.SYS_PPOLL:
		put(a[0], a[1]*8)
	case unix.SYS_EPOLL_WAIT, unix.SYS_EPOLL_PWAIT:
		put(a[1], ret*12)
	case unix.SYS_SCHED_GETAFFINITY:
		put(a[2], ret)
	case unix.SYS_GETRESUID, unix.SYS_GETRESGID:
		put(a[0], 4)
		put(a[1], 4)
		put(a[2], 4)
	case unix.SYS_GETITIMER:
		put(a[1], 32)
	case unix.SYS_SETITIMER:
		put(a[2], 32)
	case unix.SYS_TIMER_CREATE:
		put(a[2], 4)
	case unix.SYS_TIMER_GETTIME, unix.SYS_TIMERFD_GETTIME:
		put(a[1], 32)
	case unix.SYS_TIMER_SETTIME, unix.SYS_TIMERFD_SETTIME:
		put(a[3], 32)
	case unix.SYS_ARCH_PRCTL:
		if a[0] == 0x1003 || a[0] == 0x1004 { // ARCH_GET_FS, ARCH_GET_GS
			put(a[1], 8)
		}
	case unix.SYS_IOCTL:
		switch a[1] {
		case unix.TCGETS:
			put(a[2], 60)
		case unix.TIOCGWINSZ:
			put(a[2], 8)
		case unix.TIOCINQ, unix.TIOCGPGRP:
			put(a[2], 4)
		default:
			return nil, failed
		}
	case unix.SYS_FCNTL:
		switch a[1] {
		case unix.F_GETLK, unix.F_OFD_GETLK:
			put(a[2], 32)
		}
	default:
		return nil, false
	}
	return out, true
}
