package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/signal"
	"guestrun/emu/syscall"
)

// guestrun starts guestrun for the guest's new processes (emu/syscall's
// fork.go and exec.go) with internal command lines, never typed by users:
//
//	guestrun --resume=FD
//		a forked guest: FD is the snapshot to rebuild it from
//	guestrun --exec [options] -0 ARGV0 -- PATH ARGS...
//		an execve: the environment is the guest's, unchanged, and the
//		options are those in force plus what the kernel keeps across
//		execve (--sig-ignore, --sig-mask, --sig-pending) and how the
//		program was named (--execfn, --exec-fd)

// inherited is what a guestrun started by another one gets from it.
type inherited struct {
	resume int // --resume: the snapshot's fd, or -1
	logFD  int // --log-fd: the log, already open, or -1
	execFD int // --exec-fd: an fd of the program to load and close, or -1
	execfn string
	state  syscall.ExecState
}

// parseInternal parses the internal command lines; ok is false for a user's.
func parseInternal(args, environ []string) (o *options, ok bool, err error) {
	if len(args) == 0 {
		return nil, false, nil
	}
	in := &inherited{resume: -1, logFD: -1, execFD: -1}
	o = &options{gdbPort: -1, inh: in}
	if v, found := strings.CutPrefix(args[0], "--resume="); found {
		if in.resume, err = strconv.Atoi(v); err != nil {
			return o, true, err
		}
		// A guest handed over brings the signals pending for it.
		for _, a := range args[1:] {
			v, ok := strings.CutPrefix(a, "--sig-pending=")
			if !ok {
				return o, true, fmt.Errorf("--resume: unknown option %s", a)
			}
			if in.state.Pending, err = readPending(v); err != nil {
				return o, true, fmt.Errorf("--resume: %s: %v", a, err)
			}
		}
		return o, true, nil
	}
	if args[0] != "--exec" {
		return nil, false, nil
	}
	o.env = environ
	hex := func(v string) (uint64, error) { return strconv.ParseUint(v, 16, 64) }
	var argv0 string
	i := 1
	for ; i < len(args) && args[i] != "--"; i++ {
		a := args[i]
		name, v, _ := strings.Cut(a, "=")
		var n uint64
		switch name {
		case "-strace":
			o.strace = true
		case "-stats":
			o.stats = true
		case "-L", "-0":
			if i+1 >= len(args) {
				return nil, true, fmt.Errorf("%s needs an argument", a)
			}
			i++
			if name == "-L" {
				o.sysroot = args[i]
			} else {
				argv0 = args[i]
			}
		case "--log-mask":
			n, err = hex(v)
			o.debug = dbg.Category(n)
		case "--log-fd":
			in.logFD, err = strconv.Atoi(v)
		case "--sig-ignore":
			n, err = hex(v)
			in.state.Ignored = signal.Set(n)
		case "--sig-mask":
			n, err = hex(v)
			in.state.Mask = signal.Set(n)
		case "--rlimits":
			var l syscall.Limits
			if l, err = syscall.ParseLimits(v); err == nil {
				syscall.SetGuestLimits(l)
			}
		case "--execfn":
			in.execfn = v
		case "--exec-fd":
			in.execFD, err = strconv.Atoi(v)
		case "--sig-pending":
			in.state.Pending, err = readPending(v)
		default:
			err = fmt.Errorf("unknown option %s", a)
		}
		if err != nil {
			return nil, true, fmt.Errorf("--exec: %s: %v", a, err)
		}
	}
	if i+1 >= len(args) {
		return nil, true, fmt.Errorf("--exec: no program")
	}
	o.prog = args[i+1]
	o.argv = append([]string{argv0}, args[i+2:]...)
	if o.strace {
		o.debug |= dbg.Strace
	}
	return o, true, nil
}

// readPending reads the pending signals of --sig-pending=FD.
func readPending(fd string) ([]syscall.PendingSignal, error) {
	n, err := strconv.Atoi(fd)
	if err != nil {
		return nil, err
	}
	return syscall.ReadPendingSignals(n)
}

// inheritedLog is the log a guestrun started by another one writes to.
func inheritedLog(fd int) *os.File {
	unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
	syscall.Reserve(fd)
	return os.NewFile(uintptr(fd), "log")
}

// resume runs a forked guest.
func resume(opt *options) int {
	sn, err := syscall.ReadSnapshot(opt.inh.resume)
	if err != nil {
		fatalf("%v", err)
	}
	l := sn.Launch()
	logw := os.Stderr
	if l.LogFD >= 0 {
		logw = inheritedLog(l.LogFD)
	}
	// The Go netpoller's fds go high (see run).
	syscall.OpenHighFilled(rt0Fillers(), func() { time.AfterFunc(time.Hour, func() {}).Stop() })
	syscall.SetLaunch(l)
	log := dbg.New(l.Debug, logw)
	t, err := sn.Resume(log)
	if err != nil {
		fatalf("%v", err)
	}
	t.AddPending(opt.inh.state.Pending)
	if l.Strace {
		t.P.Strace = syscall.NewStrace(log.Writer())
	}
	finish := func(status int) int {
		if l.Stats {
			reportStats(logw, t.P)
		}
		return status
	}
	t.P.Exit = func(status int) { os.Exit(finish(status)) }
	signal.CatchHost(t.P.Sig)
	return finish(t.Run())
}

// execFn is AT_EXECFN for an execve that names the program otherwise than
// by the path loaded, or "".
func (in *inherited) execFn() string {
	if in == nil {
		return ""
	}
	return in.execfn
}

// loaded finishes the load of a program that was given as an fd: the
// image is the file the fd names, and the fd, guestrun's, goes.
func (in *inherited) loaded(img *loader.Image) {
	if in == nil || in.execFD < 0 {
		return
	}
	if p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(in.execFD)); err == nil {
		img.Path = p
	}
	unix.Close(in.execFD)
}
