package signal

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestCloneChildSignal(t *testing.T) {
	exit := func(pid int, code int32) Info {
		return KillInfo(int(unix.SIGCHLD), code, pid, 0)
	}
	SetExitSignal(101, int(unix.SIGUSR1))
	SetExitSignal(102, 0)
	SetExitSignal(103, int(unix.SIGCHLD))
	kid := MakeChild(40, ExecFlag{})
	kid.Pid = 104 // as the kernel writes it before the child runs
	defer func() {
		kid.Made(0)
		for _, pid := range []int{101, 102, 103, 104} {
			SetExitSignal(pid, int(unix.SIGCHLD))
		}
		if HasCloneChildren() {
			t.Errorf("records left")
		}
	}()
	for pid, want := range map[int]bool{101: true, 102: true, 103: false, 104: true, 999: false} {
		if IsCloneChild(pid) != want {
			t.Errorf("IsCloneChild(%d) = %v", pid, !want)
		}
		// AwaitExit waits for no signal from 102 alone.
		if got := sendsNoSignal(pid); got != (pid == 102) {
			t.Errorf("sendsNoSignal(%d) = %v", pid, got)
		}
	}

	// The pids are not children of the test: no end is found by waitid,
	// and only the routed SIGCHLD counts.
	for _, c := range []struct {
		pid   int
		code  int32
		signo int32 // 0: none
	}{
		{101, 5 /* CLD_STOPPED */, int32(unix.SIGCHLD)}, // stops are SIGCHLD's
		{101, cldExited, int32(unix.SIGUSR1)},
		{101, cldExited, 0}, // signalled already
		{102, cldKilled, 0},
		{103, cldExited, int32(unix.SIGCHLD)},
		{104, cldDumped, 40},
		{999, cldExited, int32(unix.SIGCHLD)},
	} {
		out := childSignals(exit(c.pid, c.code))
		switch {
		case c.signo == 0 && len(out) != 0:
			t.Errorf("pid %d code %d: %d signals, want none", c.pid, c.code, len(out))
		case c.signo != 0 && (len(out) != 1 || out[0].Signo != c.signo || out[0].Pid() != c.pid):
			t.Errorf("pid %d code %d: %+v, want signal %d", c.pid, c.code, out, c.signo)
		}
	}

	// A wait may reap the child before its host SIGCHLD is routed.
	SetExitSignal(105, int(unix.SIGUSR2))
	ForgetChild(105)
	if IsCloneChild(105) {
		t.Errorf("a reaped child is still a child")
	}
	if out := childSignals(exit(105, cldExited)); len(out) != 1 || out[0].Signo != int32(unix.SIGUSR2) {
		t.Errorf("reaped child: %+v, want SIGUSR2", out)
	}
	if cloneKids.kids[105] != nil {
		t.Errorf("the reaped child's record outlived its SIGCHLD")
	}
	SetExitSignal(101, int(unix.SIGCHLD)) // the pid of a new fork child
	if IsCloneChild(101) {
		t.Errorf("a reused pid keeps its old exit signal")
	}
}
