package syscall

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

const pg = mem.PageSize

func TestMemSyscalls(t *testing.T) {
	mt := newMemTask(t)
	rw := uint64(unix.PROT_READ | unix.PROT_WRITE)
	anon := uint64(unix.MAP_PRIVATE | unix.MAP_ANONYMOUS)

	a := uint64(mt.must(unix.SYS_MMAP, 0, 3*pg, rw, anon, ^uint64(0), 0))
	mt.put(a+pg, []byte("hi"))
	mt.must(unix.SYS_MPROTECT, a, pg, unix.PROT_READ)
	if v, _ := mt.P.Mem.Lookup(a); v.Prot != unix.PROT_READ || v.End != a+pg {
		t.Errorf("after mprotect %+v", v)
	}
	mt.fail(unix.ENOMEM, unix.SYS_MPROTECT, mtHole, pg, unix.PROT_READ)
	mt.fail(unix.EINVAL, unix.SYS_MMAP, 0, 0, rw, anon, ^uint64(0), 0)
	mt.fail(unix.EEXIST, unix.SYS_MMAP, a, pg, rw, anon|unix.MAP_FIXED_NOREPLACE, ^uint64(0), 0)
	mt.fail(unix.ENOMEM, unix.SYS_MMAP, mem.WindowSize, pg, rw, anon|unix.MAP_FIXED, ^uint64(0), 0)
	mt.fail(unix.EBADF, unix.SYS_MMAP, 0, pg, rw, unix.MAP_PRIVATE, uint64(mt.P.Mem.FD()), 0)

	// mincore reports the page written above as resident.
	mt.must(unix.SYS_MINCORE, a, 3*pg, mtScratch)
	if v := mt.bytes(mtScratch, 3); v[1]&1 != 1 || v[2]&1 != 0 {
		t.Errorf("mincore vector %v", v)
	}
	mt.fail(unix.EFAULT, unix.SYS_MINCORE, a, 3*pg, mtRO)

	// madvise(MADV_DONTNEED) zeroes private anonymous memory.
	mt.must(unix.SYS_MADVISE, a+pg, pg, unix.MADV_DONTNEED)
	if b := mt.bytes(a+pg, 2); b[0] != 0 || b[1] != 0 {
		t.Errorf("after MADV_DONTNEED %q", b)
	}
	mt.fail(unix.EINVAL, unix.SYS_MADVISE, a, pg, 12345)

	b := uint64(mt.must(unix.SYS_MREMAP, a+pg, 2*pg, 8*pg, unix.MREMAP_MAYMOVE))
	if !mt.P.Mem.Accessible(b, 8*pg, unix.PROT_READ|unix.PROT_WRITE) {
		t.Errorf("mremap result %#x not mapped", b)
	}
	mt.must(unix.SYS_MSYNC, b, pg, unix.MS_SYNC)
	mt.fail(unix.EINVAL, unix.SYS_MSYNC, b, pg, unix.MS_SYNC|unix.MS_ASYNC)

	mt.must(unix.SYS_MLOCK, b+1, pg)
	mt.must(unix.SYS_MUNLOCK, b, pg)
	mt.fail(unix.ENOMEM, unix.SYS_MLOCK, mtHole, pg)
	mt.fail(unix.EINVAL, unix.SYS_MLOCK2, b, pg, 2)
	mt.fail(unix.EINVAL, unix.SYS_MLOCKALL, 0)
	mt.fail(unix.EINVAL, unix.SYS_MLOCKALL, unix.MCL_ONFAULT)
	mt.must(unix.SYS_MUNLOCKALL)

	mt.must(unix.SYS_PKEY_MPROTECT, b, pg, unix.PROT_READ, ^uint64(0))
	mt.fail(unix.EINVAL, unix.SYS_PKEY_MPROTECT, b, pg, unix.PROT_READ, 1)
	mt.fail(unix.ENOSPC, unix.SYS_PKEY_ALLOC, 0, 0)

	mt.must(unix.SYS_MUNMAP, b, 8*pg)
	mt.fail(unix.EINVAL, unix.SYS_MUNMAP, b+1, pg)
	if mt.P.Mem.Accessible(b, 1, unix.PROT_READ) {
		t.Error("munmap left memory mapped")
	}
}

func TestMemSyscallFile(t *testing.T) {
	mt := newMemTask(t)
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, []byte("file contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := uint64(f.Fd())
	a := uint64(mt.must(unix.SYS_MMAP, 0, pg, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE, fd, 0))
	if got := string(mt.bytes(a, 4)); got != "file" {
		t.Errorf("private file mapping reads %q", got)
	}
	s := uint64(mt.must(unix.SYS_MMAP, 0, pg, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, fd, 0))
	mt.put(s, []byte("FILE"))
	if b, _ := os.ReadFile(path); string(b[:4]) != "FILE" {
		t.Errorf("file after shared write: %q", b)
	}
	v, _ := mt.P.Mem.Lookup(s)
	if v.Name != path {
		t.Errorf("mapping named %q, want %q", v.Name, path)
	}
	mt.fail(unix.EBADF, unix.SYS_MMAP, 0, pg, unix.PROT_READ, unix.MAP_PRIVATE, 1<<20, 0)
}

func TestMemSyscallBrk(t *testing.T) {
	mt := newMemTask(t)
	m := mt.P.Mem
	m.BrkStart, m.Brk = 0x3000_0000, 0x3000_0000
	if got := mt.sys(unix.SYS_BRK, 0); got != 0x3000_0000 {
		t.Errorf("brk(0) = %#x", got)
	}
	if got := mt.sys(unix.SYS_BRK, 0x3000_0000+5*pg+7); got != 0x3000_0000+5*pg+7 {
		t.Errorf("brk grow = %#x", got)
	}
	mt.put(0x3000_0000+5*pg, []byte{1})
	if got := mt.sys(unix.SYS_BRK, 1<<50); got != 0x3000_0000+5*pg+7 {
		t.Errorf("failed brk = %#x, want the old break", got)
	}
}
