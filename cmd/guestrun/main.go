// Go would otherwise keep cgroup files open on low fds for its whole life.
//go:debug containermaxprocs=0

// Command guestrun runs an x86-64 Linux program by interpreting it, with the
// command-line conventions of qemu-x86_64.
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
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
	syscall.OpenHigh(func() {
		if m, err = mem.New(); err != nil {
			return
		}
		if opt.logFile != "" {
			if logw, err = os.OpenFile(opt.logFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND|unix.O_CLOEXEC, 0o644); err != nil {
				return
			}
		}
		time.AfterFunc(time.Hour, func() {}).Stop()
	})
	if err != nil {
		fatalf("%v", err)
	}
	log := dbg.New(opt.debug, logw)
	img, err := loader.Load(m, opt.prog, opt.argv, opt.env, loader.Options{
		Sysroot:     opt.sysroot,
		HWCap:       hwcap(),
		MinSigStkSz: 2048,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "guestrun: %v\n", err)
		return 127
	}
	log.Printf(dbg.Exec, "exec: %s entry %#x sp %#x interp %q", img.Path, img.Entry, img.SP, img.Interp)
	p := syscall.NewProcess(m, img, log)
	if opt.strace {
		p.Strace = syscall.NewStrace(log.Writer())
	}
	t := p.NewMainTask()
	defer reportStats(t)
	return t.Run()
}
