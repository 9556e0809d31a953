package clone

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestProgLayout(t *testing.T) {
	var p prog
	for _, c := range []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"fds", unsafe.Offsetof(p.fds), 0},
		{"nfds", unsafe.Offsetof(p.nfds), 8},
		{"mask", unsafe.Offsetof(p.mask), 16},
		{"path", unsafe.Offsetof(p.path), 24},
		{"argv", unsafe.Offsetof(p.argv), 32},
		{"envp", unsafe.Offsetof(p.envp), 40},
		{"err", unsafe.Offsetof(p.err), 48},
	} {
		if c.got != c.want {
			t.Errorf("offset of %s = %d, the assembly uses %d", c.name, c.got, c.want)
		}
	}
	if n := unsafe.Sizeof(cloneArgs{}); n != 88 {
		t.Errorf("sizeof(clone_args) = %d, want 88", n)
	}
}

func wait(t *testing.T, pid int) unix.WaitStatus {
	t.Helper()
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("wait4(%d): %v", pid, err)
		}
		return ws
	}
}

func sh(script string) *Spec {
	return &Spec{
		ExitSignal: uint64(unix.SIGCHLD),
		Path:       "/bin/sh",
		Argv:       []string{"sh", "-c", script},
		Env:        []string{"PATH=/usr/bin:/bin"},
	}
}

func TestSpawnStatus(t *testing.T) {
	r, err := Spawn(sh("exit 7"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ws := wait(t, r.Pid); !ws.Exited() || ws.ExitStatus() != 7 {
		t.Errorf("status %#x, want exit 7", uint32(ws))
	}
	if r.Pidfd != -1 {
		t.Errorf("pidfd %d without CLONE_PIDFD", r.Pidfd)
	}
}

// TestSpawnKeep checks that a close-on-exec fd listed in Keep reaches the
// program, and that others do not.
func TestSpawnKeep(t *testing.T) {
	var kept, dropped [2]int
	if err := unix.Pipe2(kept[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	if err := unix.Pipe2(dropped[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(kept[0])
	defer unix.Close(dropped[0])
	s := sh("echo kept >&" + strconv.Itoa(kept[1]) + " && { echo dropped >&" + strconv.Itoa(dropped[1]) + "; } 2>/dev/null")
	s.Keep = []int32{int32(kept[1])}
	r, err := Spawn(s, nil)
	unix.Close(kept[1])
	unix.Close(dropped[1])
	if err != nil {
		t.Fatal(err)
	}
	wait(t, r.Pid)
	buf := make([]byte, 64)
	n, _ := unix.Read(kept[0], buf)
	if got := string(buf[:max(n, 0)]); got != "kept\n" {
		t.Errorf("kept fd: read %q", got)
	}
	if n, _ := unix.Read(dropped[0], buf); n != 0 {
		t.Errorf("close-on-exec fd not in Keep reached the program: %q", buf[:n])
	}
	// The parent's flag is untouched.
	if fl, err := unix.FcntlInt(uintptr(kept[0]), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("parent's FD_CLOEXEC changed: %v %v", fl, err)
	}
}

func TestSpawnExecFails(t *testing.T) {
	var hidden int
	s := sh("")
	s.Path = "/nonexistent/program"
	_, err := Spawn(s, func(pid int) { hidden = pid })
	if err != unix.ENOENT {
		t.Fatalf("err %v, want ENOENT", err)
	}
	if hidden == 0 {
		t.Fatal("hide not called")
	}
	if _, err := unix.Wait4(hidden, nil, unix.WNOHANG|unix.WALL, nil); err != unix.ECHILD {
		t.Errorf("failed child not reaped: wait4 %v", err)
	}
}

// TestSpawnMask checks that the program gets the calling thread's signal
// mask, not the all-blocked one of the clone, and default handlers.
func TestSpawnMask(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	set.Val[0] = 1 << (unix.SIGUSR2 - 1)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		t.Fatal(err)
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	// grep writes to its stdout: lend it the pipe for the spawn. (A shell
	// would clear the mask it inherited.)
	stdout, err := unix.FcntlInt(1, unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Dup2(p[1], 1)
	r, err := Spawn(&Spec{ExitSignal: uint64(unix.SIGCHLD), Path: "/bin/grep",
		Argv: []string{"grep", "^SigBlk", "/proc/self/status"}}, nil)
	unix.Dup2(stdout, 1)
	unix.Close(stdout)
	unix.Close(p[1])
	if err != nil {
		t.Fatal(err)
	}
	wait(t, r.Pid)
	buf := make([]byte, 256)
	n, _ := unix.Read(p[0], buf)
	out := string(buf[:max(n, 0)])
	want := fmt.Sprintf("SigBlk:\t%016x", old.Val[0]|1<<(unix.SIGUSR2-1))
	if !strings.Contains(out, want) {
		t.Errorf("child's mask: %q, want %q", out, want)
	}
}

func TestSpawnPidfd(t *testing.T) {
	s := sh("exit 3")
	s.Flags = clonePidfd
	r, err := Spawn(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pidfd < 0 {
		t.Fatalf("no pidfd")
	}
	defer unix.Close(r.Pidfd)
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PIDFD, r.Pidfd, &info, unix.WEXITED, nil); err != nil {
		t.Fatal(err)
	}
	if got := *(*int32)(unsafe.Pointer(uintptr(unsafe.Pointer(&info)) + 24)); got != 3 {
		t.Errorf("si_status %d, want 3", got)
	}
}

// TestSpawnUnderGC spawns while other goroutines allocate, so that the
// runtime stops the world and preempts around the clone.
func TestSpawnUnderGC(t *testing.T) {
	if _, err := os.Stat("/bin/true"); err != nil {
		t.Skip(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keep [][]byte
			for {
				select {
				case <-stop:
					return
				default:
				}
				keep = append(keep, make([]byte, 4096))
				if len(keep) > 1000 {
					keep = nil
					runtime.GC()
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	for i := 0; i < 50; i++ {
		r, err := Spawn(&Spec{ExitSignal: uint64(unix.SIGCHLD), Path: "/bin/true", Argv: []string{"true"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ws := wait(t, r.Pid); ws != 0 {
			t.Fatalf("status %#x", uint32(ws))
		}
	}
}
