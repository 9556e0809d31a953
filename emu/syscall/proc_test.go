package syscall

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// TestFormatMaps renders this test process's own mappings and compares them
// with the kernel's text, byte for byte.
func TestFormatMaps(t *testing.T) {
	text, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.SplitAfter(string(text), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		var v mem.VMA
		se := strings.Split(f[0], "-")
		v.Start, _ = strconv.ParseUint(se[0], 16, 64)
		v.End, _ = strconv.ParseUint(se[1], 16, 64)
		for i, c := range []int{unix.PROT_READ, unix.PROT_WRITE, unix.PROT_EXEC} {
			if f[1][i] != '-' {
				v.Prot |= c
			}
		}
		v.Flags = unix.MAP_PRIVATE
		if f[1][3] == 's' {
			v.Flags = unix.MAP_SHARED
		}
		v.Offset, _ = strconv.ParseUint(f[2], 16, 64)
		d := strings.Split(f[3], ":")
		maj, _ := strconv.ParseUint(d[0], 16, 32)
		mnr, _ := strconv.ParseUint(d[1], 16, 32)
		v.Dev = unix.Mkdev(uint32(maj), uint32(mnr))
		v.Inode, _ = strconv.ParseUint(f[4], 10, 64)
		if v.Inode == 0 {
			v.Flags |= unix.MAP_ANONYMOUS
		}
		if len(f) > 5 {
			v.Name = strings.Join(f[5:], " ")
		}
		if got := string(formatMaps([]mem.VMA{v})); got != line {
			t.Errorf("got  %q\nwant %q", got, line)
		}
	}
}

// readAll reads an fd to its end through the read handler.
func (tt *testTask) readAll(fd int64) []byte {
	buf := tt.alloc(256)
	var out []byte
	for {
		n := tt.ok(unix.SYS_READ, uint64(fd), buf, 256)
		if n == 0 {
			return out
		}
		out = append(out, tt.mem(buf, uint64(n))...)
	}
}

func TestProcFiles(t *testing.T) {
	tt := newTestTask(t)
	pid := strconv.Itoa(os.Getpid())

	fd := tt.ok(unix.SYS_OPENAT, at, tt.str("/proc/self/maps"), unix.O_RDONLY, 0)
	maps := tt.readAll(fd)
	if want := formatMaps(tt.P.Mem.VMAs()); !bytes.Equal(maps, want) {
		t.Errorf("maps:\n%s\nwant:\n%s", maps, want)
	}
	if !bytes.HasPrefix(maps, []byte("10000000-10100000 rw-p 00000000 00:00 0 \n10100000-10101000 r--p ")) {
		t.Errorf("maps:\n%s", maps)
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_ACCMODE != unix.O_RDONLY {
		t.Errorf("maps fd flags %#x", fl)
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC != 0 {
		t.Errorf("maps fd is close-on-exec")
	}
	// The fd was the lowest free one, as for any open.
	tt.ok(unix.SYS_CLOSE, uint64(fd))
	n := tt.ok(unix.SYS_OPEN, tt.str("/dev/null"), unix.O_RDONLY, 0)
	tt.ok(unix.SYS_CLOSE, uint64(n))
	if n != fd {
		t.Errorf("maps opened as fd %d, then /dev/null as %d", fd, n)
	}

	fd = tt.ok(unix.SYS_OPEN, tt.str("/proc/"+pid+"/auxv"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	closeFD(t, fd)
	var want []byte
	for _, v := range tt.P.Image.Auxv {
		want = binary.LittleEndian.AppendUint64(want, v)
	}
	if got := tt.readAll(fd); !bytes.Equal(got, want) {
		t.Errorf("auxv %x, want %x", got, want)
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("O_CLOEXEC lost")
	}

	// Relative to a dirfd in /proc, and through a thread's directory.
	dir, err := unix.Open("/proc/self", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dir)
	for _, c := range []struct {
		dirfd uint64
		path  string
	}{
		{uint64(dir), "cmdline"},
		{at, "/proc/thread-self/cmdline"},
		{at, "/proc//self/task/" + strconv.Itoa(tt.Tid) + "/../../cmdline"},
		{at, "/proc/self/task/" + pid + "/cmdline"},
	} {
		fd = tt.ok(unix.SYS_OPENAT, c.dirfd, tt.str(c.path), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if got := string(tt.readAll(fd)); got != "sh\x00-c\x00true\x00" {
			t.Errorf("%s: %q", c.path, got)
		}
		tt.ok(unix.SYS_CLOSE, uint64(fd))
	}

	tt.fails(unix.EACCES, unix.SYS_OPEN, tt.str("/proc/self/maps"), unix.O_RDWR, 0)

	// Other /proc files are the host's.
	fd = tt.ok(unix.SYS_OPEN, tt.str("/proc/self/status"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if got := tt.readAll(fd); !bytes.HasPrefix(got, []byte("Name:")) {
		t.Errorf("status: %q", got)
	}
	tt.ok(unix.SYS_CLOSE, uint64(fd))
}

func TestProcExe(t *testing.T) {
	tt := newTestTask(t)
	want, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	buf := tt.alloc(256)
	n := tt.ok(unix.SYS_READLINK, tt.str("/proc/self/exe"), buf, 256)
	if got := string(tt.mem(buf, uint64(n))); got != want {
		t.Errorf("readlink /proc/self/exe = %q, want %q", got, want)
	}
	n = tt.ok(unix.SYS_READLINKAT, at, tt.str("/proc/"+strconv.Itoa(os.Getpid())+"/exe"), buf, 3)
	if got := string(tt.mem(buf, uint64(n))); got != want[:3] {
		t.Errorf("readlinkat, 3 bytes = %q", got)
	}
	tt.fails(unix.EINVAL, unix.SYS_READLINK, tt.str("/proc/self/exe"), buf, 0)

	var st unix.Stat_t
	if err := unix.Stat(want, &st); err != nil {
		t.Fatal(err)
	}
	sb := tt.alloc(statSize)
	tt.ok(unix.SYS_STAT, tt.str("/proc/self/exe"), sb)
	if ino := tt.u64(sb + 8); ino != st.Ino {
		t.Errorf("stat /proc/self/exe: ino %d, want %d", ino, st.Ino)
	}
	tt.ok(unix.SYS_NEWFSTATAT, at, tt.str("/proc/self/exe"), sb, unix.AT_SYMLINK_NOFOLLOW)
	if mode := tt.u32(sb + 24); mode&unix.S_IFMT != unix.S_IFLNK {
		t.Errorf("lstat-like newfstatat of /proc/self/exe: mode %o", mode)
	}
	fd := tt.ok(unix.SYS_OPEN, tt.str("/proc/self/exe"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	closeFD(t, fd)
	tt.ok(unix.SYS_FSTAT, uint64(fd), sb)
	if ino := tt.u64(sb + 8); ino != st.Ino {
		t.Errorf("open /proc/self/exe: ino %d, want %d", ino, st.Ino)
	}
	tt.ok(unix.SYS_ACCESS, tt.str("/proc/self/exe"), unix.X_OK)
	if d := cmp.Diff(want, tt.exePath()); d != "" {
		t.Error(d)
	}
}
