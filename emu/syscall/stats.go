package syscall

import (
	"sort"
	"strconv"
	"sync/atomic"

	"guestrun/emu/cpu"
)

// Debugger runs a task's CPU in place of cpu.Run while a debugger is
// attached (-g): it may stop for breakpoints and single steps, and returns
// when the task has a syscall, a fault or an interrupt to handle.
type Debugger interface {
	Run(c *cpu.CPU) cpu.StopKind
}

// Stats is what a process did, for -stats.
type Stats struct {
	CPU   cpu.Stats
	Calls []CallCount // most frequent first
}

// CallCount is how many times one syscall was made.
type CallCount struct {
	Name  string
	Count uint64
}

// Stats sums the counters of the process's threads, exited or running (the
// figures of a running thread are a snapshot), and its syscall counts.
func (p *Process) Stats() Stats {
	p.mu.Lock()
	s := Stats{CPU: p.retired}
	for _, t := range p.threads {
		addStats(&s.CPU, &t.CPU.Stats)
	}
	p.mu.Unlock()
	for nr := range p.Calls {
		n := atomic.LoadUint64(&p.Calls[nr])
		if n == 0 {
			continue
		}
		name := "syscall_" + strconv.Itoa(nr)
		if e := Lookup(uint64(nr)); e != nil {
			name = e.Name
		}
		s.Calls = append(s.Calls, CallCount{name, n})
	}
	sort.Slice(s.Calls, func(i, j int) bool {
		a, b := s.Calls[i], s.Calls[j]
		return a.Count > b.Count || a.Count == b.Count && a.Name < b.Name
	})
	return s
}

// retireStats keeps an exiting thread's counters in its process's totals;
// the thread's exit calls it before the task leaves p.threads.
func (t *Task) retireStats() {
	t.P.mu.Lock()
	addStats(&t.P.retired, &t.CPU.Stats)
	t.CPU.Stats = cpu.Stats{}
	t.P.mu.Unlock()
}

func addStats(sum, s *cpu.Stats) {
	sum.Insts += s.Insts
	sum.Blocks += s.Blocks
	sum.BlockMisses += s.BlockMisses
}
