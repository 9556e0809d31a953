package signal

import (
	"os/exec"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hide registers pid, a child of this process with exit signal SIGCHLD,
// as hidden.
func hide(pid int) { HideChild(pid, int(unix.SIGCHLD), unix.Getpid()) }

// exited starts a child that exits with code and waits until it is a
// zombie, without reaping it.
func exited(t *testing.T, code string) int {
	t.Helper()
	c := exec.Command("/bin/sh", "-c", "exit "+code)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pid := c.Process.Pid
	var si [InfoSize]byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		unix.Syscall6(unix.SYS_WAITID, unix.P_PID, uintptr(pid), uintptr(unsafe.Pointer(&si)),
			unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, 0, 0)
		if in := GetInfo(si[:]); in.Pid() == pid {
			return pid
		}
	}
	t.Fatalf("child %d did not exit", pid)
	return 0
}

func TestDropChild(t *testing.T) {
	hidden := exited(t, "1")
	hide(hidden)
	real := exited(t, "2")
	info := Info{Signo: int32(unix.SIGCHLD), Code: cldExited}
	info.SetSender(hidden, 0)
	// The signal may stand for the real child too: it is kept, for it.
	if DropChild(&info) {
		t.Fatal("SIGCHLD dropped while another child had exited")
	}
	if info.Pid() != real || info.Code != cldExited || info.Fields[1] != 2 {
		t.Errorf("rewritten siginfo: pid %d (want %d) code %d status %d", info.Pid(), real, info.Code, info.Fields[1])
	}
	if _, err := unix.Wait4(hidden, nil, unix.WNOHANG, nil); err != unix.ECHILD {
		t.Errorf("hidden process not reaped: %v", err)
	}
	var ws unix.WaitStatus
	if pid, err := unix.Wait4(real, &ws, 0, nil); pid != real || ws.ExitStatus() != 2 {
		t.Fatalf("the real child was not left to wait for: %d %v %v", pid, ws, err)
	}
	// A hidden process's SIGCHLD alone is dropped.
	hidden = exited(t, "3")
	hide(hidden)
	info.SetSender(hidden, 0)
	if !DropChild(&info) {
		t.Error("hidden process's SIGCHLD delivered")
	}
	if _, err := unix.Wait4(hidden, nil, unix.WNOHANG, nil); err != unix.ECHILD {
		t.Errorf("hidden process not reaped: %v", err)
	}
	// Another child's SIGCHLD is left alone.
	info.SetSender(12345, 0)
	if DropChild(&info) {
		t.Error("a real child's SIGCHLD dropped")
	}
}

// TestHiddenStays: a hidden process stays hidden, reaped or not, its
// signal caught or not (a guest's WNOWAIT wait may be returning it while
// the signal code reaps it), until its pid is given to a new child.
func TestHiddenStays(t *testing.T) {
	info := Info{Signo: int32(unix.SIGCHLD), Code: cldExited}
	pid := exited(t, "1")
	hide(pid)
	if _, err := unix.Wait4(pid, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	info.SetSender(pid, 0)
	if !DropChild(&info) {
		t.Error("the late exit signal of a reaped hidden process delivered")
	}
	if !IsHidden(pid) {
		t.Error("forgotten once reaped and signalled")
	}
	Unhide(pid)
	if IsHidden(pid) {
		t.Error("still hidden after Unhide")
	}
}
