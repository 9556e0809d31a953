package syscall

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func TestDirOps(t *testing.T) {
	tt := newTestTask(t)
	root := t.TempDir()
	rootfd := tt.ok(unix.SYS_OPEN, tt.str(root), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	closeFD(t, rootfd)
	dfd := uint64(rootfd)

	tt.ok(unix.SYS_MKDIRAT, dfd, tt.str("d"), 0o755)
	tt.ok(unix.SYS_MKDIR, tt.str(filepath.Join(root, "e")), 0o700)
	tt.fails(unix.EEXIST, unix.SYS_MKDIRAT, dfd, tt.str("d"), 0o755)
	fd := tt.ok(unix.SYS_OPENAT, dfd, tt.str("d/f"), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	tt.ok(unix.SYS_CLOSE, uint64(fd))
	tt.ok(unix.SYS_RENAMEAT2, dfd, tt.str("d/f"), dfd, tt.str("d/g"), 0)
	tt.ok(unix.SYS_LINKAT, dfd, tt.str("d/g"), dfd, tt.str("d/h"), 0)
	tt.ok(unix.SYS_SYMLINKAT, tt.str("g"), dfd, tt.str("d/s"))
	tt.ok(unix.SYS_FCHMODAT, dfd, tt.str("d/g"), 0o644)
	tt.ok(unix.SYS_FCHOWNAT, dfd, tt.str("d/g"), uint64(os.Getuid()), uint64(os.Getgid()), 0)

	// utimensat with times, then with a NULL path on an fd.
	ts := tt.alloc(32)
	binary.LittleEndian.PutUint64(tt.mem(ts, 8), 1000000000)
	binary.LittleEndian.PutUint64(tt.mem(ts+16, 8), 1000000000)
	tt.ok(unix.SYS_UTIMENSAT, dfd, tt.str("d/g"), ts, 0)
	if st, err := os.Stat(filepath.Join(root, "d/g")); err != nil || st.ModTime().Unix() != 1000000000 {
		t.Fatalf("utimensat: %v %v", st.ModTime(), err)
	}
	gfd := tt.ok(unix.SYS_OPENAT, dfd, tt.str("d/g"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	closeFD(t, gfd)
	tt.ok(unix.SYS_UTIMENSAT, uint64(gfd), 0, 0, 0)
	tt.fails(unix.EFAULT, unix.SYS_UTIMENSAT, dfd, tt.str("d/g"), testHole, 0)

	// getdents64 lists the directory.
	d := tt.ok(unix.SYS_OPENAT, dfd, tt.str("d"), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	closeFD(t, d)
	buf := tt.alloc(4096)
	n := tt.ok(unix.SYS_GETDENTS64, uint64(d), buf, 4096)
	var names []string
	for b := tt.mem(buf, uint64(n)); len(b) > 0; {
		reclen := binary.LittleEndian.Uint16(b[16:])
		name := b[19:reclen]
		names = append(names, string(name[:slices.Index(name, 0)]))
		b = b[reclen:]
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{".", "..", "g", "h", "s"}) {
		t.Fatalf("getdents64: %q", names)
	}
	tt.fails(unix.EFAULT, unix.SYS_GETDENTS64, uint64(d), testRO, 4096)

	tt.ok(unix.SYS_UNLINKAT, dfd, tt.str("d/s"), 0)
	tt.ok(unix.SYS_UNLINK, tt.str(filepath.Join(root, "d/h")))
	tt.ok(unix.SYS_RENAME, tt.str(filepath.Join(root, "d/g")), tt.str(filepath.Join(root, "g")))
	tt.ok(unix.SYS_UNLINKAT, dfd, tt.str("d"), unix.AT_REMOVEDIR)
	tt.ok(unix.SYS_RMDIR, tt.str(filepath.Join(root, "e")))
	tt.fails(unix.EFAULT, unix.SYS_UNLINK, testHole)
	tt.fails(unix.EBADF, unix.SYS_MKDIRAT, uint64(tt.P.Mem.FD()), tt.str("x"), 0o755)
}

func TestCwdUmask(t *testing.T) {
	tt := newTestTask(t)
	wd, _ := os.Getwd()
	buf := tt.alloc(4096)
	n := tt.ok(unix.SYS_GETCWD, buf, 4096)
	if got := string(tt.mem(buf, uint64(n-1))); got != wd {
		t.Fatalf("getcwd %q, want %q", got, wd)
	}
	// A size larger than the writable buffer works when the path fits.
	near := testRO - uint64(len(wd)) - 1
	if n := tt.ok(unix.SYS_GETCWD, near, 1<<20); string(tt.mem(near, uint64(n-1))) != wd {
		t.Fatalf("getcwd near a hole")
	}
	tt.fails(unix.ERANGE, unix.SYS_GETCWD, buf, 2)
	tt.fails(unix.EFAULT, unix.SYS_GETCWD, testHole, 4096)

	old := tt.ok(unix.SYS_UMASK, 0o27)
	if r := tt.ok(unix.SYS_UMASK, uint64(old)); r != 0o27 {
		t.Fatalf("umask returned %o", r)
	}
}
