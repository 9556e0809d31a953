// Command lockstep runs an x86-64 program natively under ptrace and in
// guestrun's interpreter side by side, compares the two at the end of every
// run of instructions (or after every instruction with -step; a difference
// is narrowed down to its instruction either way), and reports the first
// instruction whose results differ. See package emu/lockstep.
//
// Exit status: 0 when both runs ended alike (same exit status, or the same
// fault at the same instruction), 1 at a difference, 2 on a usage or setup
// error, 3 when the comparison stopped early (-n, or a syscall it does not
// follow such as fork or execve).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"

	"guestrun/emu/dbg"
	"guestrun/emu/lockstep"
)

func init() {
	// Keep the checker's goroutine off the main thread, which Go cannot
	// end when a goroutine locked to it returns.
	runtime.LockOSThread()
}

func main() {
	fs := flag.NewFlagSet("lockstep", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: lockstep [options] program [arguments...]\n\n"+
			"Runs program natively under ptrace and in guestrun's interpreter side by side and\n"+
			"reports the first instruction whose results differ. Exit status: 0 both ended alike,\n"+
			"1 difference, 2 error, 3 stopped early (-n, fork, execve...).\n\nOptions:\n")
		fs.PrintDefaults()
	}
	step := fs.Bool("step", false, "compare after every instruction, not at the end of runs (slower, "+
		"but also sees wrong values that are dead by the end of a run)")
	noStores := fs.Bool("nostores", false, "do not compare the memory each instruction writes")
	memcheck := fs.Bool("memcheck", false, "compare all writable memory before every syscall")
	looseFP := fs.Bool("loosefp", false, "ignore x87 and SSE exception flags and x87 C1")
	maxInsts := fs.Uint64("n", 0, "stop after this many instructions (0: no limit)")
	history := fs.Int("history", 8, "previous instructions shown with a difference")
	strace := fs.Bool("strace", false, "log the guest's syscalls to stderr")
	nopin := fs.Bool("nopin", false, "do not pin the tracer and the child to one CPU")
	fs.Parse(os.Args[1:])
	if fs.NArg() == 0 {
		fs.Usage()
		os.Exit(2)
	}
	var mask dbg.Category
	if *strace {
		mask = dbg.Strace
	}
	res, err := lockstep.Run(lockstep.Config{
		Path:            fs.Arg(0),
		Args:            fs.Args(),
		Env:             os.Environ(),
		Step:            *step,
		NoStoreCheck:    *noStores,
		SyscallMemCheck: *memcheck,
		LooseFP:         *looseFP,
		MaxInsts:        *maxInsts,
		History:         *history,
		NoPin:           *nopin,
		Log:             dbg.New(mask, os.Stderr),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "lockstep: %v\n", err)
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "lockstep: %s\n", res)
	switch res.End {
	case lockstep.EndDiff:
		os.Exit(1)
	case lockstep.EndStop:
		os.Exit(3)
	}
}
