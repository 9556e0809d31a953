// Command guestrun runs an x86-64 Linux program by interpreting it, with the
// command-line conventions of qemu-x86_64.
package main

import (
	"fmt"
	"os"
	"runtime"

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
	logw := os.Stderr
	if opt.logFile != "" {
		f, err := os.OpenFile(opt.logFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
		if err != nil {
			fatalf("%v", err)
		}
		logw = f
	}
	log := dbg.New(opt.debug, logw)
	m, err := mem.New()
	if err != nil {
		fatalf("%v", err)
	}
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
