package syscall

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

func TestFileReadWrite(t *testing.T) {
	tt := newTestTask(t)
	name := filepath.Join(t.TempDir(), "f")
	path := tt.str(name)
	fd := tt.ok(unix.SYS_OPENAT, at, path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	closeFD(t, fd)

	msg := tt.data([]byte("hello, world"))
	if r := tt.ok(unix.SYS_WRITE, uint64(fd), msg, 12); r != 12 {
		t.Fatalf("write = %d", r)
	}
	if r := tt.ok(unix.SYS_LSEEK, uint64(fd), 7, unix.SEEK_SET); r != 7 {
		t.Fatalf("lseek = %d", r)
	}
	buf := tt.alloc(64)
	if r := tt.ok(unix.SYS_READ, uint64(fd), buf, 64); r != 5 || string(tt.mem(buf, 5)) != "world" {
		t.Fatalf("read = %d %q", r, tt.mem(buf, 5))
	}
	if r := tt.ok(unix.SYS_PREAD64, uint64(fd), buf, 5, 0); r != 5 || string(tt.mem(buf, 5)) != "hello" {
		t.Fatalf("pread = %d %q", r, tt.mem(buf, 5))
	}
	tt.ok(unix.SYS_PWRITE64, uint64(fd), tt.data([]byte("J")), 1, 0)

	// Vectored: "Jel" + "lo" from two buffers.
	b1, b2 := tt.alloc(3), tt.alloc(2)
	iov := tt.iovec([2]uint64{b1, 3}, [2]uint64{b2, 2})
	if r := tt.ok(unix.SYS_PREADV, uint64(fd), iov, 2, 0); r != 5 ||
		string(tt.mem(b1, 3))+string(tt.mem(b2, 2)) != "Jello" {
		t.Fatalf("preadv = %d", r)
	}
	tt.ok(unix.SYS_LSEEK, uint64(fd), 0, unix.SEEK_END)
	if r := tt.ok(unix.SYS_WRITEV, uint64(fd), iov, 2); r != 5 {
		t.Fatalf("writev = %d", r)
	}
	tt.ok(unix.SYS_FTRUNCATE, uint64(fd), 3)
	tt.ok(unix.SYS_FSYNC, uint64(fd))
	got, _ := os.ReadFile(name)
	if string(got) != "Jel" {
		t.Fatalf("file holds %q", got)
	}
}

func TestFileBadPointers(t *testing.T) {
	tt := newTestTask(t)
	fds := tt.alloc(8)
	tt.ok(unix.SYS_PIPE2, fds, unix.O_CLOEXEC|unix.O_NONBLOCK)
	r, w := uint64(tt.u32(fds)), uint64(tt.u32(fds+4))
	closeFD(t, int64(r))
	closeFD(t, int64(w))

	// Unmapped, outside the window, read-only: EFAULT, never a crash.
	tt.fails(unix.EFAULT, unix.SYS_WRITE, w, testHole, 10)
	tt.fails(unix.EFAULT, unix.SYS_WRITE, w, mem.WindowSize+0x1000, 10)
	tt.fails(unix.EFAULT, unix.SYS_WRITE, w, ^uint64(0)-4, 10)
	tt.ok(unix.SYS_WRITE, w, tt.data([]byte("abc")), 3)
	tt.fails(unix.EFAULT, unix.SYS_READ, r, testRO, 3)
	tt.fails(unix.EFAULT, unix.SYS_READ, r, testHole, 3)
	tt.fails(unix.EFAULT, unix.SYS_OPENAT, at, testHole, unix.O_RDONLY, 0)
	tt.fails(unix.EFAULT, unix.SYS_READV, r, testHole, 1)
	tt.fails(unix.EFAULT, unix.SYS_READV, r, tt.iovec([2]uint64{testRO, 3}), 1)

	// A huge write whose start is readable: a file takes that start, as
	// Linux writes up to the first bad page; a pipe, which copies whole
	// pages, fails with EFAULT.
	start := uint64(testHole - 2)
	tt.fails(unix.EFAULT, unix.SYS_WRITE, w, start, 1<<40)
	f, err := os.CreateTemp(t.TempDir(), "w")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := tt.ok(unix.SYS_WRITE, uint64(f.Fd()), start, 1<<40); n != 2 {
		t.Fatalf("straddling write = %d, want 2", n)
	}
	buf := tt.alloc(16)
	if n := tt.ok(unix.SYS_READ, r, buf, 16); n != 3 {
		t.Fatalf("read back %d bytes", n)
	}

	// Zero-length I/O never looks at the buffer.
	tt.ok(unix.SYS_WRITE, w, testHole, 0)

	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'a'
	}
	tt.fails(unix.ENAMETOOLONG, unix.SYS_OPEN, tt.data(append(long, 0)), unix.O_RDONLY, 0)
	// A path running into unmapped memory without its NUL.
	edge := uint64(testRO + mem.PageSize - 3)
	tt.P.Mem.Protect(testRO, mem.PageSize, unix.PROT_READ|unix.PROT_WRITE)
	copy(tt.mem(edge, 3), "abc")
	tt.P.Mem.Protect(testRO, mem.PageSize, unix.PROT_READ)
	tt.fails(unix.EFAULT, unix.SYS_OPEN, edge, unix.O_RDONLY, 0)
}

func TestReservedFDs(t *testing.T) {
	tt := newTestTask(t)
	memfd := uint64(tt.P.Mem.FD())
	tt.fails(unix.EBADF, unix.SYS_CLOSE, memfd)
	tt.fails(unix.EBADF, unix.SYS_FTRUNCATE, memfd, 0)
	tt.fails(unix.EBADF, unix.SYS_WRITE, memfd, tt.data([]byte("x")), 1)
	tt.fails(unix.EBADF, unix.SYS_FCNTL, memfd, unix.F_SETFD, 0)
	tt.fails(unix.EBADF, unix.SYS_DUP2, 1, memfd)
	tt.fails(unix.EBADF, unix.SYS_DUP3, 1, memfd, 0)
	tt.fails(unix.EBADF, unix.SYS_DUP, memfd)
	// The high bits of an fd argument are not part of it.
	tt.fails(unix.EBADF, unix.SYS_CLOSE, 1<<32|memfd)
	if _, err := unix.FcntlInt(uintptr(memfd), unix.F_GETFD, 0); err != nil {
		t.Fatal("guest closed the memfd")
	}

	// ReserveFD moves an fd high and hides it; close_range goes around it.
	p, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	res := tt.P.ReserveFD(p)
	if res < reservedFloor() {
		t.Fatalf("ReserveFD = %d", res)
	}
	if _, err := unix.FcntlInt(uintptr(p), unix.F_GETFD, 0); err == nil {
		t.Fatal("ReserveFD left the old fd open")
	}
	tt.fails(unix.EBADF, unix.SYS_CLOSE, uint64(res))
	// Below res are guestrun's other reserved fds (the fd-passing
	// sockets), which dup3 must not replace.
	for _, n := range []int{res + 1, res + 2, res + 3} {
		if err := unix.Dup3(0, n, unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
	}
	tt.ok(unix.SYS_CLOSE_RANGE, uint64(res), uint64(res+3), 0)
	for _, n := range []int{res + 1, res + 2, res + 3} {
		if _, err := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0); err == nil {
			t.Errorf("close_range left %d open", n)
		}
	}
	if _, err := unix.FcntlInt(uintptr(res), unix.F_GETFD, 0); err != nil {
		t.Fatal("close_range closed a reserved fd")
	}
	tt.fails(unix.EINVAL, unix.SYS_CLOSE_RANGE, 5, 4, 0)
}

func TestOpenHigh(t *testing.T) {
	var fd int
	OpenHigh(func() {
		var err error
		fd, err = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Error(err)
		}
	})
	defer unix.Close(fd)
	tt := newTestTask(t)
	if fd < reservedFloor() || !tt.P.reserved(fd) {
		t.Fatalf("OpenHigh gave fd %d (reserved %v)", fd, tt.P.reserved(fd))
	}
	// The fillers are gone: a new fd is low again.
	n, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(n)
	if n >= 100 {
		t.Fatalf("fd after OpenHigh is %d", n)
	}
}

func TestOpenat2(t *testing.T) {
	tt := newTestTask(t)
	how := tt.alloc(24)                                  // struct open_how: flags, mode, resolve
	copy(tt.mem(how, 8), []byte{0, 0, 8, 0, 0, 0, 0, 0}) // O_CLOEXEC
	fd := tt.ok(unix.SYS_OPENAT2, at, tt.str("/dev/null"), how, 24)
	closeFD(t, fd)
	fd = tt.ok(unix.SYS_OPENAT2, at, tt.str("/proc/self/cmdline"), how, 24)
	closeFD(t, fd)
	if got := string(tt.readAll(fd)); got != "sh\x00-c\x00true\x00" {
		t.Fatalf("cmdline through openat2: %q", got)
	}
	tt.fails(unix.EFAULT, unix.SYS_OPENAT2, at, tt.str("/dev/null"), testHole, 24)
}
