package syscall

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestStat(t *testing.T) {
	tt := newTestTask(t)
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, make([]byte, 1234), 0o640); err != nil {
		t.Fatal(err)
	}
	path := tt.str(name)
	sb := tt.alloc(statSize)
	const stSize, stMode = 48, 24 // offsets in struct stat

	tt.ok(unix.SYS_STAT, path, sb)
	if tt.u64(sb+stSize) != 1234 || tt.u32(sb+stMode) != unix.S_IFREG|0o640 {
		t.Fatalf("stat: size %d mode %o", tt.u64(sb+stSize), tt.u32(sb+stMode))
	}
	tt.ok(unix.SYS_LSTAT, path, sb)
	fd := tt.ok(unix.SYS_OPEN, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	closeFD(t, fd)
	tt.ok(unix.SYS_NEWFSTATAT, uint64(fd), tt.str(""), sb, unix.AT_EMPTY_PATH)
	if tt.u64(sb+stSize) != 1234 {
		t.Fatal("newfstatat AT_EMPTY_PATH")
	}

	sx := tt.alloc(statxSize)
	tt.ok(unix.SYS_STATX, at, path, 0, unix.STATX_SIZE, sx)
	if tt.u64(sx+40) != 1234 {
		t.Fatalf("statx size %d", tt.u64(sx+40))
	}

	// The kernel writes the result: a read-only or unmapped buffer is EFAULT.
	tt.fails(unix.EFAULT, unix.SYS_STAT, path, testRO)
	tt.fails(unix.EFAULT, unix.SYS_FSTAT, uint64(fd), testHole-8)
	tt.fails(unix.EFAULT, unix.SYS_STATX, at, path, 0, unix.STATX_SIZE, testRO)
	tt.fails(unix.EFAULT, unix.SYS_STATFS, path, testHole)
	tt.fails(unix.ENOENT, unix.SYS_STAT, tt.str(name+".missing"), sb)

	tt.ok(unix.SYS_STATFS, path, tt.alloc(statfsSize))
	tt.ok(unix.SYS_FSTATFS, uint64(fd), tt.alloc(statfsSize))

	tt.ok(unix.SYS_ACCESS, path, unix.R_OK)
	tt.fails(unix.EACCES, unix.SYS_FACCESSAT2, at, path, unix.X_OK, unix.AT_EACCESS)
	tt.ok(unix.SYS_FACCESSAT, at, path, unix.F_OK)

	link := filepath.Join(t.TempDir(), "l")
	if err := os.Symlink("target-of-link", link); err != nil {
		t.Fatal(err)
	}
	buf := tt.alloc(64)
	if n := tt.ok(unix.SYS_READLINK, tt.str(link), buf, 64); string(tt.mem(buf, uint64(n))) != "target-of-link" {
		t.Fatalf("readlink %q", tt.mem(buf, uint64(n)))
	}
	// A buffer running into unmapped memory gets what fits, from its start.
	if n := tt.ok(unix.SYS_READLINKAT, at, tt.str(link), testRO-6, 64); n != 6 {
		t.Fatalf("readlinkat near a hole = %d", n)
	}
	tt.fails(unix.EFAULT, unix.SYS_READLINK, tt.str(link), testHole, 64)

	// Extended attributes: listing may be empty or unsupported, never a fault.
	if r := tt.call(unix.SYS_LLISTXATTR, path, buf, 64); r < 0 && r != -int64(unix.ENOTSUP) {
		t.Fatalf("llistxattr: %v", unix.Errno(-r))
	}
	tt.fails(unix.EFAULT, unix.SYS_LGETXATTR, path, testHole, buf, 64)
}
