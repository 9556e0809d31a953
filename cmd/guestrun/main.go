// Go would otherwise keep cgroup files open on low fds for its whole life.
//go:debug containermaxprocs=0

// Command guestrun runs an x86-64 Linux program by interpreting it, with the
// command-line conventions of qemu-x86_64.
package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/gdbstub"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
	"guestrun/emu/syscall"
)

func init() {
	// The guest's main thread runs on the process's main OS thread, so
	// that its tid is the pid, as in a native process.
	runtime.LockOSThread()
}

func main() {
	opt, err := parseArgs(os.Args[1:], os.Environ())
	if err != nil {
		fatalf("%v", err)
	}
	if opt.done {
		return
	}
	if opt.inh != nil && opt.inh.resume >= 0 {
		os.Exit(resume(opt))
	}
	os.Exit(run(opt))
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "guestrun: "+format+"\n", args...)
	os.Exit(1)
}

// run loads and runs the guest and returns its exit status.
func run(opt *options) int {
	// guestrun's own long-lived fds go high, out of the guest's way: the
	// guest memory memfd, the log file, and the Go netpoller's fds, which
	// the runtime opens with the first timer.
	logw := os.Stderr
	var m *mem.Mem
	var err error
	syscall.OpenHighFilled(rt0Fillers(), func() {
		if m, err = mem.New(); err != nil {
			return
		}
		m.FDFloor = syscall.ReservedFloor()
		if opt.inh != nil && opt.inh.logFD >= 0 {
			logw = inheritedLog(opt.inh.logFD)
		} else if opt.logFile != "" {
			if logw, err = os.OpenFile(opt.logFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND|unix.O_CLOEXEC, 0o644); err != nil {
				return
			}
		} else if fd, derr := unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 0); derr == nil {
			// Logs, -strace and -stats go on after the guest closes its
			// stderr, as strace's do.
			logw = os.NewFile(uintptr(fd), "stderr")
		}
		time.AfterFunc(time.Hour, func() {}).Stop()
	})
	if err != nil {
		fatalf("%v", err)
	}
	log := dbg.New(opt.debug, logw)
	syscall.SetLaunch(syscall.Launch{Argv0: os.Args[0], Sysroot: opt.sysroot, Strace: opt.strace,
		Stats: opt.stats, Debug: opt.debug, LogFD: int(logw.Fd())})
	img, err := loader.Load(m, opt.prog, opt.argv, opt.env, loader.Options{
		Sysroot:     opt.sysroot,
		HWCap:       hwcap(),
		MinSigStkSz: 2048,
		ExecFn:      opt.inh.execFn(),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "guestrun: %v\n", err)
		return 127
	}
	opt.inh.loaded(img)
	log.Printf(dbg.Exec, "exec: %s entry %#x sp %#x interp %q", img.Path, img.Entry, img.SP, img.Interp)
	p := syscall.NewProcess(m, img, log)
	t := p.NewMainTask()
	if opt.inh != nil {
		t.ApplyExecState(opt.inh.state)
	}
	if opt.strace {
		st := syscall.NewStrace(log.Writer())
		st.Execve(t, opt.prog, opt.argv, len(opt.env))
		p.Strace = st
	}
	var stub *gdbstub.Stub
	if opt.gdbPort >= 0 {
		if stub, err = waitGDB(opt.gdbPort, t, logw); err != nil {
			fmt.Fprintf(os.Stderr, "guestrun: gdb: %v\n", err)
			return 1
		}
		p.Debugger = stub
	}
	finish := func(status int) int {
		if stub != nil {
			stub.Exited(status)
		}
		if opt.stats {
			reportStats(logw, p)
		}
		return status
	}
	// Another thread may be the one to end the process.
	p.Exit = func(status int) { os.Exit(finish(status)) }
	signal.CatchHost(p.Sig)
	return finish(t.Run())
}

// waitGDB listens on port (-g) and waits for gdb to connect before the
// guest's first instruction.
func waitGDB(port int, t *syscall.Task, w io.Writer) (*gdbstub.Stub, error) {
	stub, err := gdbstub.Listen(port)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "guestrun: waiting for gdb on 127.0.0.1:%d\n", stub.Port())
	img := t.P.Image
	var auxv []byte
	for _, v := range img.Auxv {
		auxv = binary.LittleEndian.AppendUint64(auxv, v)
	}
	exe, _ := filepath.Abs(img.Path)
	return stub, stub.Accept(gdbstub.Info{Pid: t.Tid, Exe: exe, Auxv: auxv})
}
