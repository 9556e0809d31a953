package syscall

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// traced runs syscalls through the dispatcher with a tracer and returns its
// lines without the tid.
type traced struct {
	*testTask
	out bytes.Buffer
	st  *Strace
}

func newTraced(t *testing.T) *traced {
	tr := &traced{testTask: newTestTask(t)}
	tr.st = NewStrace(&tr.out)
	return tr
}

func (tr *traced) trace(nr uint64, args ...uint64) string {
	tr.t.Helper()
	var a Args
	copy(a[:], args)
	tr.out.Reset()
	tr.st.Enter(tr.Task, nr, &a)
	if e := Lookup(nr); e != nil && e.NoReturn {
		return tr.lines()
	}
	ret := tr.dispatch(nr, &a)
	tr.st.Exit(tr.Task, nr, &a, ret)
	return tr.lines()
}

// lines strips the tid prefix of every line.
func (tr *traced) lines() string {
	prefix := strconv.Itoa(tr.Tid) + " "
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(tr.out.String(), "\n"), "\n") {
		if !strings.HasPrefix(l, prefix) {
			tr.t.Fatalf("line without the tid %q: %q", prefix, l)
		}
		out = append(out, strings.TrimPrefix(l, prefix))
	}
	return strings.Join(out, "\n")
}

var spaces = regexp.MustCompile(` +=`)

func TestStraceCalls(t *testing.T) {
	tr := newTraced(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	check := func(got, want string) {
		t.Helper()
		if g := spaces.ReplaceAllString(got, " ="); g != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}

	check(tr.trace(unix.SYS_OPENAT, at, tr.str("/nonexistent"), unix.O_RDONLY|unix.O_CLOEXEC, 0o777),
		`openat(AT_FDCWD, "/nonexistent", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)`)
	line := tr.trace(unix.SYS_OPENAT, at, tr.str(file), unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o640)
	fd, err := strconv.Atoi(line[strings.LastIndex(line, " ")+1:])
	if err != nil {
		t.Fatalf("openat: %s", line)
	}
	closeFD(t, int64(fd))
	check(line, `openat(AT_FDCWD, "`+file+`", O_WRONLY|O_CREAT|O_TRUNC, 0640) = `+strconv.Itoa(fd))
	data := []byte("hello\tworld\n\x00\x01\x7f\xff1 and a long tail past thirty-two bytes")
	check(tr.trace(unix.SYS_WRITE, uint64(fd), tr.data(data), uint64(len(data))),
		`write(`+strconv.Itoa(fd)+`, "hello\tworld\n\0\1\177\3771 and a long tai"..., 55) = 55`)
	check(tr.trace(unix.SYS_FSTAT, uint64(fd), tr.alloc(statSize)),
		`fstat(`+strconv.Itoa(fd)+`, {st_mode=S_IFREG|0640, st_size=55, ...}) = 0`)
	check(tr.trace(unix.SYS_NEWFSTATAT, at, tr.str("/dev/null"), tr.alloc(statSize), unix.AT_SYMLINK_NOFOLLOW),
		`newfstatat(AT_FDCWD, "/dev/null", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_SYMLINK_NOFOLLOW) = 0`)
	check(tr.trace(unix.SYS_READ, 12345, tr.alloc(16), 16),
		`read(12345, 0x`+strconv.FormatUint(tr.next-16, 16)+`, 16) = -1 EBADF (Bad file descriptor)`)

	rfd := tr.ok(unix.SYS_OPENAT, at, tr.str(file), unix.O_RDONLY, 0)
	closeFD(t, rfd)
	check(tr.trace(unix.SYS_READ, uint64(rfd), tr.alloc(64), 5),
		`read(`+strconv.Itoa(int(rfd))+`, "hello", 5) = 5`)
	check(tr.trace(unix.SYS_LSEEK, uint64(rfd), 0, 2), `lseek(`+strconv.Itoa(int(rfd))+`, 0, SEEK_END) = 55`)
	check(tr.trace(unix.SYS_FCNTL, uint64(rfd), unix.F_GETFL), `fcntl(`+strconv.Itoa(int(rfd))+`, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)`)
	check(tr.trace(unix.SYS_FCNTL, uint64(rfd), unix.F_SETFD, unix.FD_CLOEXEC), `fcntl(`+strconv.Itoa(int(rfd))+`, F_SETFD, FD_CLOEXEC) = 0`)

	tr.trace(unix.SYS_MMAP, 0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
	m := tr.out.String()
	if !regexp.MustCompile(`^\d+ mmap\(NULL, 8192, PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS, -1, 0\) += 0x[0-9a-f]+\n$`).MatchString(m) {
		t.Errorf("mmap: %q", m)
	}
	check(tr.trace(unix.SYS_MPROTECT, testBase, 4096, 0), `mprotect(0x10000000, 4096, PROT_NONE) = 0`)
	check(tr.trace(unix.SYS_MPROTECT, testBase, 4096, unix.PROT_READ|unix.PROT_WRITE), `mprotect(0x10000000, 4096, PROT_READ|PROT_WRITE) = 0`)

	set := tr.alloc(8)
	binary.LittleEndian.PutUint64(tr.mem(set, 8), 1<<(unix.SIGINT-1)|1<<(unix.SIGTERM-1))
	old := tr.alloc(8)
	check(tr.trace(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, set, old, 8), `rt_sigprocmask(SIG_BLOCK, [INT TERM], [], 8) = 0`)
	check(tr.trace(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, old, 0, 8), `rt_sigprocmask(SIG_SETMASK, [], NULL, 8) = 0`)
	check(tr.trace(unix.SYS_ACCESS, tr.str("/nonexistent"), unix.R_OK|unix.W_OK),
		`access("/nonexistent", R_OK|W_OK) = -1 ENOENT (No such file or directory)`)
	check(tr.trace(unix.SYS_ACCESS, tr.str("/"), unix.F_OK), `access("/", F_OK) = 0`)
	fds := tr.alloc(8)
	line = tr.trace(unix.SYS_PIPE2, fds, unix.O_CLOEXEC)
	p0, p1 := int32(tr.u32(fds)), int32(tr.u32(fds+4))
	closeFD(t, int64(p0))
	closeFD(t, int64(p1))
	check(line, `pipe2([`+strconv.Itoa(int(p0))+`, `+strconv.Itoa(int(p1))+`], 0x80000) = 0`)
	check(tr.trace(unix.SYS_CLOCK_GETRES, unix.CLOCK_MONOTONIC, tr.alloc(16)), `clock_getres(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=1}) = 0`)
	rl := tr.alloc(16)
	check(tr.trace(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_NOFILE, 0, rl), func() string {
		var r unix.Rlimit
		unix.Getrlimit(unix.RLIMIT_NOFILE, &r)
		return `prlimit64(0, RLIMIT_NOFILE, NULL, {rlim_cur=` + rlimValue(r.Cur) + `, rlim_max=` + rlimValue(r.Max) + `}) = 0`
	}())
	check(tr.trace(500, 1, 2), `syscall_500(0x1, 0x2, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)`)

	check(tr.trace(unix.SYS_EXIT_GROUP, 7), "exit_group(7) = ?\n+++ exited with 7 +++")
	os.Remove(file)
}

func TestStraceAlignment(t *testing.T) {
	tr := newTraced(t)
	tr.trace(unix.SYS_CLOSE, 12345)
	want := strconv.Itoa(tr.Tid) + " close(12345)"
	want += strings.Repeat(" ", column-len(want)-1) + " = -1 EBADF (Bad file descriptor)\n"
	if got := tr.out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestStraceQuote(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		hex  bool
		want string
	}{
		{"plain", 32, false, `"plain"`},
		{"\x00\x01x", 32, false, `"\0\1x"`},
		{"\x001", 32, false, `"\0001"`}, // a digit follows: three octal digits
		{"\x0a\x0b\x0c\x0d\x09\x1b", 32, false, `"\n\v\f\r\t\33"`},
		{"\"\\", 32, false, `"\"\\"`},
		{"\x80\xff", 32, false, `"\200\377"`},
		{"abcdef", 3, false, `"abc"...`},
		{"\x01\xab", 32, true, `"\x01\xab"`},
	} {
		if got := quote([]byte(c.in), c.n, c.hex); got != c.want {
			t.Errorf("quote(%q, %d, %v) = %s, want %s", c.in, c.n, c.hex, got, c.want)
		}
	}
}

func TestStraceFlags(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{openFlags(unix.O_RDONLY), "O_RDONLY"},
		{openFlags(unix.O_RDWR | unix.O_CREAT | unix.O_EXCL | unix.O_CLOEXEC), "O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC"},
		{openFlags(unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_DIRECTORY), "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY"},
		{flagNames(unix.MAP_FIXED|unix.MAP_DENYWRITE, mmapNames), "MAP_FIXED|MAP_DENYWRITE"},
		{flagNames(0x1|0x80000000, accessNames), "X_OK|0x80000000"},
		{sigsetString(^uint64(0)), "~[]"},
		{sigsetString(^uint64(1<<31 | 1<<32)), "~[RTMIN RT_1]"},
		{signalName(9), "SIGKILL"},
		{futexOp(futexWait | 128), "FUTEX_WAIT_PRIVATE"},
		{futexOp(futexWaitBitset | 128 | 256), "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME"},
		{cloneFlags(unix.CLONE_CHILD_CLEARTID | unix.CLONE_CHILD_SETTID | uint64(unix.SIGCHLD)), "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"},
		{waitStatus(unix.WaitStatus(3 << 8)), "{WIFEXITED(s) && WEXITSTATUS(s) == 3}"},
		{waitStatus(unix.WaitStatus(9)), "{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}"},
		{fileMode(unix.S_IFREG | unix.S_ISUID | 0o755), "S_IFREG|S_ISUID|0755"},
		{rlimValue(8 << 20), "8192*1024"},
		{formatResult(unix.SYS_READ, &Args{}, -512), "? ERESTARTSYS (To be restarted if SA_RESTART is set)"},
		{formatResult(unix.SYS_BRK, &Args{}, 0x1000), "0x1000"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

// TestStraceIntArgs checks that C int arguments show as signed 32-bit
// numbers whatever the upper half of the register holds, as strace shows
// them, and that 64-bit offsets keep their width.
func TestStraceIntArgs(t *testing.T) {
	tr := newTraced(t)
	check := func(got, want string) {
		t.Helper()
		if g := spaces.ReplaceAllString(got, " ="); g != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
	check(tr.trace(unix.SYS_EPOLL_CREATE, 0xffffffff), `epoll_create(-1) = -1 EINVAL (Invalid argument)`)
	check(tr.trace(unix.SYS_EPOLL_CREATE, ^uint64(0)), `epoll_create(-1) = -1 EINVAL (Invalid argument)`)
	check(tr.trace(unix.SYS_READLINK, tr.str("/nonexistent"), tr.alloc(16), 0xffffffff),
		`readlink("/nonexistent", 0x`+strconv.FormatUint(tr.next-16, 16)+`, -1) = -1 EINVAL (Invalid argument)`)
	check(tr.trace(unix.SYS_KILL, 0x100000000|uint64(os.Getpid()), 0), `kill(`+strconv.Itoa(os.Getpid())+`, 0) = 0`)

	file := filepath.Join(t.TempDir(), "f")
	fd := tr.ok(unix.SYS_OPENAT, at, tr.str(file), unix.O_RDWR|unix.O_CREAT, 0o600)
	defer closeFD(t, fd)
	f := strconv.Itoa(int(fd))
	check(tr.trace(unix.SYS_LSEEK, uint64(fd), ^uint64(0), 0), `lseek(`+f+`, -1, SEEK_SET) = -1 EINVAL (Invalid argument)`)
	check(tr.trace(unix.SYS_LSEEK, uint64(fd), 0xffffffff, 0), `lseek(`+f+`, 4294967295, SEEK_SET) = 4294967295`)
	check(tr.trace(unix.SYS_PREAD64, uint64(fd), tr.alloc(8), 8, 1<<33), `pread64(`+f+`, "", 8, 8589934592) = 0`)
}
