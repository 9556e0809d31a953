package main

import (
	"slices"
	"testing"

	"guestrun/emu/dbg"
	"guestrun/emu/signal"
)

// TestParseExec parses the command line emu/syscall's execve builds (its
// TestExecCommand has the same one).
func TestParseExec(t *testing.T) {
	args := []string{"--exec", "-strace", "--log-mask=6", "--log-fd=1001", "-L", "/sys root",
		"--sig-ignore=2", "--sig-mask=1", "--execfn=/dev/fd/3/prog", "--exec-fd=1002", "-0", "", "--", "/bin/prog", "a", "--", "-b"}
	env := []string{"A=1", "GUESTRUN_STRACE=", "GUESTRUN_ARGV0=x"}
	o, err := parseArgs(args, env)
	if err != nil {
		t.Fatal(err)
	}
	in := o.inh
	switch {
	case o.prog != "/bin/prog", !slices.Equal(o.argv, []string{"", "a", "--", "-b"}), !slices.Equal(o.env, env):
		t.Errorf("program %q argv %q env %q", o.prog, o.argv, o.env)
	case !o.strace, o.debug != dbg.Exec|dbg.Strace, o.sysroot != "/sys root":
		t.Errorf("options: strace %v debug %v sysroot %q", o.strace, o.debug, o.sysroot)
	case in.logFD != 1001, in.execFD != 1002, in.execfn != "/dev/fd/3/prog", in.resume != -1:
		t.Errorf("inherited %+v", in)
	case in.state.Ignored != signal.Bit(2), in.state.Mask != signal.Bit(1):
		t.Errorf("signal state %+v", in.state)
	}
}

func TestParseResume(t *testing.T) {
	o, err := parseArgs([]string{"--resume=1005"}, nil)
	if err != nil || o.inh == nil || o.inh.resume != 1005 {
		t.Fatalf("%+v %v", o, err)
	}
	if _, err := parseArgs([]string{"--exec", "--bogus", "--", "x"}, nil); err == nil {
		t.Error("unknown internal option accepted")
	}
	if o, err := parseArgs([]string{"prog", "--exec"}, nil); err != nil || o.inh != nil || o.prog != "prog" {
		t.Errorf("a user's command line taken as internal: %+v %v", o, err)
	}
}
