package clone

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The main thread cannot end while the process runs on: keep other
// goroutines off it, as guestrun does, so that a locked goroutine that ends
// ends its thread.
func init() { runtime.LockOSThread() }

// startStub makes a CLONE_VM child of the calling (locked) thread, which
// interprets it, with exit signal SIGCHLD.
func startStub(t *testing.T, flags uint64) *Stub {
	t.Helper()
	in, err := NewInterpreter()
	if err != nil {
		t.Fatal(err)
	}
	spec := &VMSpec{Flags: flags, ExitSignal: uint64(unix.SIGCHLD)}
	if err := in.StartVM(spec, RunOnThread); err != nil {
		t.Fatal(err)
	}
	return in.Stub()
}

func reap(t *testing.T, pid int) unix.WaitStatus {
	t.Helper()
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("wait4(%d): %v", pid, err)
		}
		return ws
	}
}

func TestStubSyscallsAndExit(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := startStub(t, 0)
	if s.Pid == unix.Getpid() || s.Pid == 0 || s.Tid != s.Pid {
		t.Fatalf("stub pid %d tid %d, guestrun %d", s.Pid, s.Tid, unix.Getpid())
	}
	if r, ok := s.Syscall(unix.SYS_GETPID, [6]uintptr{}); !ok || int(r) != s.Pid {
		t.Errorf("getpid on the stub = %d, %v; want %d", r, ok, s.Pid)
	}
	if r, ok := s.Syscall(unix.SYS_GETPPID, [6]uintptr{}); !ok || int(r) != unix.Getpid() {
		t.Errorf("getppid on the stub = %d, %v; want %d", r, ok, unix.Getpid())
	}
	// A bad syscall comes back as -errno.
	if r, ok := s.Syscall(unix.SYS_CLOSE, [6]uintptr{1 << 20}); !ok || r != -int64(unix.EBADF) {
		t.Errorf("close(bad) on the stub = %d, %v", r, ok)
	}
	if _, ok := s.Syscall(unix.SYS_EXIT_GROUP, [6]uintptr{7}); ok {
		t.Error("exit_group answered")
	}
	select {
	case <-s.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("stub not gone after exit_group")
	}
	if ws := reap(t, s.Pid); !ws.Exited() || ws.ExitStatus() != 7 {
		t.Errorf("stub status %v, want exit 7", ws)
	}
	s.Release()
}

func TestStubDiesWithItsInterpreter(t *testing.T) {
	done := make(chan *Stub)
	go func() {
		// The thread ends with this goroutine, never unlocked.
		runtime.LockOSThread()
		in, err := NewInterpreter()
		if err != nil {
			t.Error(err)
			done <- nil
			return
		}
		spec := &VMSpec{ExitSignal: uint64(unix.SIGCHLD)}
		if err := in.StartVM(spec, RunOnThread); err != nil {
			t.Error(err)
			done <- nil
			return
		}
		done <- in.Stub()
	}()
	s := <-done
	if s == nil {
		return
	}
	select {
	case <-s.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("stub still there after its interpreter's thread ended")
	}
	if ws := reap(t, s.Pid); !ws.Signaled() || ws.Signal() != unix.SIGKILL {
		t.Errorf("stub status %v, want killed by SIGKILL", ws)
	}
	close(s.released)
}

// A creator that is itself a stub may be killed during its clone: it
// returns no pid, though clone3 made the stub. StartVM then fails, and the
// stub it did not know of must go rather than wait for ever.
func TestStubOfFailedStartGoes(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	in, err := NewInterpreter()
	if err != nil {
		t.Fatal(err)
	}
	pid := 0
	lost := func(fn, arg uintptr) int64 {
		pid = int(RunOnThread(fn, arg))
		return -int64(unix.ESRCH)
	}
	spec := &VMSpec{ExitSignal: uint64(unix.SIGCHLD)}
	if err := in.StartVM(spec, lost); err != unix.ESRCH {
		t.Fatalf("StartVM: %v, want ESRCH", err)
	}
	if pid <= 0 {
		t.Fatalf("no stub made: %d", pid)
	}
	if ws := reap(t, pid); !ws.Signaled() || ws.Signal() != unix.SIGKILL {
		t.Errorf("stub status %v, want killed by SIGKILL", ws)
	}
	in.Abandon()
}
