package syscall

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestDupFcntl(t *testing.T) {
	tt := newTestTask(t)
	fds := tt.alloc(8)
	tt.ok(unix.SYS_PIPE, fds)
	r, w := uint64(tt.u32(fds)), uint64(tt.u32(fds+4))
	closeFD(t, int64(r))
	closeFD(t, int64(w))
	tt.fails(unix.EFAULT, unix.SYS_PIPE2, testRO, 0)

	d := tt.ok(unix.SYS_DUP, w)
	closeFD(t, d)
	d2 := tt.ok(unix.SYS_FCNTL, w, unix.F_DUPFD_CLOEXEC, 200)
	closeFD(t, d2)
	if d2 < 200 {
		t.Fatalf("F_DUPFD_CLOEXEC gave %d", d2)
	}
	if fl := tt.ok(unix.SYS_FCNTL, uint64(d2), unix.F_GETFD); fl != unix.FD_CLOEXEC {
		t.Fatalf("F_GETFD = %d", fl)
	}
	tt.ok(unix.SYS_DUP3, w, uint64(d), unix.O_CLOEXEC)
	tt.fails(unix.EINVAL, unix.SYS_DUP3, w, w, 0)
	if r := tt.ok(unix.SYS_DUP2, w, w); r != int64(w) {
		t.Fatalf("dup2(fd, fd) = %d", r)
	}

	tt.ok(unix.SYS_FCNTL, r, unix.F_SETFL, unix.O_NONBLOCK)
	if fl := tt.ok(unix.SYS_FCNTL, r, unix.F_GETFL); fl&unix.O_NONBLOCK == 0 {
		t.Fatalf("F_GETFL = %#x", fl)
	}
	tt.fails(unix.EAGAIN, unix.SYS_READ, r, tt.alloc(8), 8)
	if sz := tt.ok(unix.SYS_FCNTL, r, unix.F_GETPIPE_SZ); sz < 4096 {
		t.Fatalf("F_GETPIPE_SZ = %d", sz)
	}
	tt.fails(unix.EINVAL, unix.SYS_FCNTL, r, 9999, testBase)

	// Locks: struct flock in guest memory.
	f := tt.ok(unix.SYS_OPEN, tt.str(filepath.Join(t.TempDir(), "lock")), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	closeFD(t, f)
	fl := tt.alloc(32)
	binary.LittleEndian.PutUint16(tt.mem(fl, 2), unix.F_WRLCK)
	binary.LittleEndian.PutUint64(tt.mem(fl+16, 8), 10) // l_len
	tt.ok(unix.SYS_FCNTL, uint64(f), unix.F_SETLK, fl)
	binary.LittleEndian.PutUint16(tt.mem(fl, 2), unix.F_RDLCK)
	tt.ok(unix.SYS_FCNTL, uint64(f), unix.F_OFD_GETLK, fl)
	if typ := binary.LittleEndian.Uint16(tt.mem(fl, 2)); typ != unix.F_WRLCK {
		t.Fatalf("F_OFD_GETLK sees lock type %d", typ)
	}
	tt.fails(unix.EFAULT, unix.SYS_FCNTL, uint64(f), unix.F_GETLK, testRO)
	tt.fails(unix.EFAULT, unix.SYS_FCNTL, uint64(f), unix.F_SETLKW, testHole)
	tt.ok(unix.SYS_FLOCK, uint64(f), unix.LOCK_EX|unix.LOCK_NB)
}

func TestNewFDs(t *testing.T) {
	tt := newTestTask(t)
	e := tt.ok(unix.SYS_EVENTFD2, 5, unix.EFD_CLOEXEC)
	closeFD(t, e)
	buf := tt.alloc(8)
	tt.ok(unix.SYS_READ, uint64(e), buf, 8)
	if tt.u64(buf) != 5 {
		t.Fatalf("eventfd read %d", tt.u64(buf))
	}
	m := tt.ok(unix.SYS_MEMFD_CREATE, tt.str("guest"), unix.MFD_CLOEXEC)
	closeFD(t, m)
	tt.fails(unix.EFAULT, unix.SYS_MEMFD_CREATE, testHole, 0)
	in := tt.ok(unix.SYS_INOTIFY_INIT1, unix.IN_CLOEXEC)
	closeFD(t, in)
	wd := tt.ok(unix.SYS_INOTIFY_ADD_WATCH, uint64(in), tt.str(t.TempDir()), unix.IN_CREATE)
	tt.ok(unix.SYS_INOTIFY_RM_WATCH, uint64(in), uint64(wd))
}
