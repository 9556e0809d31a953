package syscall

import (
	"bytes"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Buffers that run into a hole (mtHole, after the read-only page): what
// the kernel has done when it faults depends on the file.
func TestPartialBuffers(t *testing.T) {
	mt := newMemTask(t)
	h8 := uint64(mtRO) - 8 // 8 writable bytes before the read-only page
	hole8 := uint64(mtHole) - 8
	null, _ := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	zero, _ := unix.Open("/dev/zero", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	var p [2]int
	unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK)
	for _, fd := range []int{null, zero, p[0], p[1]} {
		t.Cleanup(func() { unix.Close(fd) })
	}

	if r := mt.sys(unix.SYS_READ, uint64(zero), h8, 16); r != 8 {
		t.Errorf("read /dev/zero into 8 writable of 16: %d, want 8", r)
	}
	if r := mt.sys(unix.SYS_WRITE, uint64(null), hole8, 16); r != 16 {
		t.Errorf("write /dev/null from 8 readable of 16: %d, want 16", r)
	}
	mt.fail(unix.EFAULT, unix.SYS_READ, uint64(zero), mtScratch, 1<<47)

	// A pipe holding more than fits: EFAULT, the start copied, nothing
	// consumed.
	unix.Write(p[1], []byte("0123456789abcdef"))
	mt.put(h8, []byte("xxxxxxxx"))
	mt.fail(unix.EFAULT, unix.SYS_READ, uint64(p[0]), h8, 16)
	if got := string(mt.bytes(h8, 8)); got != "01234567" {
		t.Errorf("partial pipe read left %q", got)
	}
	// Writing a short tail into the pipe's last buffer faults at once.
	mt.fail(unix.EFAULT, unix.SYS_WRITE, uint64(p[1]), hole8, 16)
	b := make([]byte, 64)
	if n, _ := unix.Read(p[0], b); n != 16 {
		t.Errorf("pipe holds %d bytes, want the 16 written", n)
	}

	// readv: the bytes up to the fault.
	iov := uint64(mtScratch)
	mt.putU64(iov, h8)
	mt.putU64(iov+8, 16)
	mt.putU64(iov+16, mtScratch+64)
	mt.putU64(iov+24, 8)
	if r := mt.sys(unix.SYS_READV, uint64(zero), iov, 2); r != 8 {
		t.Errorf("readv /dev/zero with a hole in the first buffer: %d, want 8", r)
	}
	mt.putU64(iov, hole8)
	if r := mt.sys(unix.SYS_WRITEV, uint64(p[1]), iov, 1); r != -int64(unix.EFAULT) {
		t.Errorf("writev pipe, short buffer before a hole: %d, want EFAULT", r)
	}
}

func TestIovecPrefix(t *testing.T) {
	mt := newMemTask(t)
	iov := uint64(mtScratch)
	mt.putU64(iov, mtScratch+4096)
	mt.putU64(iov+8, 1<<47) // capped at MAX_RW_COUNT first, then access_ok
	v, acc, total, e := mt.iovecPrefix(iov, 1, unix.PROT_WRITE)
	if e != 0 || total != maxRW || acc != mtSize-4096 || len(v) != 1 {
		t.Errorf("iovecPrefix = %d iovecs, %d of %d, %d", len(v), acc, total, e)
	}
	mt.putU64(iov, mem.TaskSize-10)
	mt.putU64(iov+8, 20)
	if _, _, _, e := mt.iovecPrefix(iov, 1, unix.PROT_READ); e != efault {
		t.Errorf("buffer past the user half: %d, want EFAULT", e)
	}
	// With several buffers, each is checked whole before the total is
	// capped.
	mt.putU64(iov, mtScratch)
	mt.putU64(iov+8, 1<<47)
	mt.putU64(iov+16, mtScratch)
	mt.putU64(iov+24, 2)
	if _, _, _, e := mt.iovecPrefix(iov, 2, unix.PROT_WRITE); e != efault {
		t.Errorf("first of two buffers past the user half: %d, want EFAULT", e)
	}
	mt.putU64(iov+24, 1<<63)
	if _, _, _, e := mt.iovecPrefix(iov, 2, unix.PROT_WRITE); e != -int64(unix.EINVAL) {
		t.Errorf("negative length after a bad buffer: %d, want EINVAL", e)
	}
}

func TestCopyOutPrefix(t *testing.T) {
	mt := newMemTask(t)
	h8 := uint64(mtRO) - 8
	if mt.copyOut(h8, []byte("0123456789abcdef")) {
		t.Errorf("copy over the read-only page succeeded")
	}
	if got := string(mt.bytes(h8, 8)); got != "01234567" {
		t.Errorf("partial copy left %q", got)
	}
}

// The guest's /proc/self/mem reads its memory by guest address, EIO where
// nothing is mapped.
func TestProcSelfMem(t *testing.T) {
	mt := newMemTask(t)
	mt.Task.P.Image.Path = os.Args[0]
	mt.putString(mtScratch+256, "/proc/self/mem")
	fd := mt.must(unix.SYS_OPENAT, uint64(atFDCWD), mtScratch+256, unix.O_RDONLY|unix.O_CLOEXEC)
	t.Cleanup(func() { unix.Close(int(fd)) })
	mt.put(mtScratch+512, []byte("guest bytes"))
	buf := uint64(mtScratch + 1024)
	if r := mt.must(unix.SYS_PREAD64, uint64(fd), buf, 11, mtScratch+512); r != 11 ||
		!bytes.Equal(mt.bytes(buf, 11), []byte("guest bytes")) {
		t.Errorf("pread of the guest's memory: %d %q", r, mt.bytes(buf, 11))
	}
	// Read-only pages read too; the read stops at the hole after them.
	if r := mt.must(unix.SYS_PREAD64, uint64(fd), buf, 64, mtHole-16); r != 16 {
		t.Errorf("pread up to a hole: %d, want 16", r)
	}
	mt.fail(unix.EIO, unix.SYS_PREAD64, uint64(fd), buf, 8, mtHole)
	mt.fail(unix.EIO, unix.SYS_PREAD64, uint64(fd), buf, 8, 0xc000000000)
	mt.fail(unix.EIO, unix.SYS_PREAD64, uint64(fd), buf, 8, mem.WindowSize)
	mt.fail(unix.EBADF, unix.SYS_PWRITE64, uint64(fd), buf, 8, mtScratch)
	mt.must(unix.SYS_LSEEK, uint64(fd), mtScratch+512, unix.SEEK_SET)
	if r := mt.must(unix.SYS_READ, uint64(fd), buf, 5); r != 5 || string(mt.bytes(buf, 5)) != "guest" {
		t.Errorf("read at the file position: %d %q", r, mt.bytes(buf, 5))
	}
	if pos := mt.must(unix.SYS_LSEEK, uint64(fd), 0, unix.SEEK_CUR); pos != mtScratch+517 {
		t.Errorf("position after read: %#x", pos)
	}
}
