package main

import (
	"fmt"
	"io"
	"time"

	"guestrun/emu/syscall"
)

// start is when guestrun started, for the wall time in the statistics.
var start = time.Now()

// reportStats prints what the process did, for -stats (GUESTRUN_STATS): guest
// instructions and MIPS over the wall time, how often a block was found
// already decoded, and the syscalls by name. scripts/bench.sh reads the
// first line. It also ends the CPU profile (profile.go).
func reportStats(w io.Writer, p *syscall.Process) {
	stopProfile()
	s := p.Stats()
	sec := time.Since(start).Seconds()
	c := s.CPU
	fmt.Fprintf(w, "guestrun: stats: insts %d blocks %d decoded %d seconds %.3f mips %.1f\n",
		c.Insts, c.Blocks, c.BlockMisses, sec, float64(c.Insts)/sec/1e6)
	hit := 0.0
	if c.Blocks > 0 {
		hit = 100 * float64(c.Blocks-min(c.BlockMisses, c.Blocks)) / float64(c.Blocks)
	}
	fmt.Fprintf(w, "guestrun: stats: decoded-cache hit rate %.2f%% (%d blocks run, %d decoded)\n", hit, c.Blocks, c.BlockMisses)
	var total uint64
	for _, n := range s.Calls {
		total += n.Count
	}
	fmt.Fprintf(w, "guestrun: stats: syscalls %d\n", total)
	for _, n := range s.Calls {
		fmt.Fprintf(w, "guestrun: stats: %10d %s\n", n.Count, n.Name)
	}
}
