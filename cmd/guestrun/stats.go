package main

import (
	"fmt"
	"os"
	"time"

	"guestrun/emu/syscall"
)

// start is when guestrun started, for the wall time in the statistics.
var start = time.Now()

// reportStats prints what the interpreter did for the main thread when
// GUESTRUN_STATS is set: the benchmark script computes guest MIPS from it.
func reportStats(t *syscall.Task) {
	if os.Getenv("GUESTRUN_STATS") == "" {
		return
	}
	s := t.CPU.Stats
	sec := time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "guestrun: stats: insts %d blocks %d decoded %d seconds %.3f mips %.1f\n",
		s.Insts, s.Blocks, s.BlockMisses, sec, float64(s.Insts)/sec/1e6)
}
