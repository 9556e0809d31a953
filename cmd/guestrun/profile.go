//go:build profile

package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
)

// Built with -tags profile, GUESTRUN_CPUPROFILE=FILE together with -stats
// writes a pprof CPU profile of guestrun itself to FILE, for work on the
// interpreter's speed. The guestruns that the guest's fork and execve start
// write FILE.PID, so that they do not overwrite it. It is read here rather
// than with the options so that the profile covers parsing and loading too.
// It is not in the default build: runtime/pprof and the compression and
// hashing packages it brings cost every guestrun's start about 0.05 ms.

// profile is the Go CPU profile being written, or nil.
var profile *os.File

func init() {
	name := os.Getenv("GUESTRUN_CPUPROFILE")
	if name == "" {
		return
	}
	if len(os.Args) > 1 && (os.Args[1] == "--exec" || strings.HasPrefix(os.Args[1], "--resume=")) {
		name += "." + strconv.Itoa(os.Getpid())
	}
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "guestrun: GUESTRUN_CPUPROFILE: %v\n", err)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "guestrun: GUESTRUN_CPUPROFILE: %v\n", err)
		f.Close()
		return
	}
	profile = f
}

// stopProfile ends the CPU profile.
func stopProfile() {
	if profile != nil {
		pprof.StopCPUProfile()
		profile.Close()
		profile = nil
	}
}
