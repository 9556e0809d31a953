package lockstep

import (
	"bytes"
	"fmt"
	"slices"

	"guestrun/emu/cpu"
	"guestrun/emu/mem"
)

// Runs. A ptrace stop costs the same (about 20µs on a VM) whether it ends
// one instruction or thousands, so the checker compares whole runs: the
// interpreter executes ahead, across branches, keeping an undo log of the
// memory it overwrites, and the child is then let run to a breakpoint on the
// address where the interpreter stopped. That address must not have been
// executed earlier in the run, or the child would stop there too soon, so a
// run ends just before it would come back to an instruction it already
// executed (one loop iteration), before an instruction the child cannot run
// freely (syscalls, CPUID...), or after maxRun instructions.
//
// If the two differ at the end of a run, both are rewound to its start (the
// interpreter with its snapshot and undo log, the child by taking the
// guest's registers and writable memory) and the run is replayed in basic
// blocks, each also ending at its other successor if it ends with a
// conditional branch; a basic block that differs is rewound and
// single-stepped. A child that leaves the interpreter's path never reaches
// the breakpoint: it is stopped by the seccomp trap on its next syscall, a
// fault, or the watchdog.

const (
	maxRun  = 10000 // instructions in a run
	maxPlan = 64    // instructions in a basic block
)

// plan is the straight-line code at an address: instructions that fall
// through, ended by a control transfer, or cut before an instruction that
// runs on its own.
type plan struct {
	insts []*insn
	code  []byte // their bytes, to notice changed code
}

func (l *checker) getPlan(start uint64) *plan {
	if p := l.plans[start]; p != nil {
		if len(p.code) == 0 {
			return p
		}
		if b := l.g.bytes(start, uint64(len(p.code))); b != nil && bytes.Equal(b, p.code) {
			return p
		}
	}
	p := &plan{}
	a := start
	for len(p.insts) < maxPlan {
		in := l.decode(a)
		if !in.ok || in.cls >= clsSingle {
			break
		}
		p.insts = append(p.insts, in)
		a = in.next
		if in.cls != clsNormal {
			break
		}
	}
	if len(p.insts) > 0 {
		if b := l.g.bytes(start, a-start); b != nil {
			p.code = append([]byte(nil), b...)
		}
	}
	l.plans[start] = p
	return p
}

// runMark is what the checker saves before each instruction of a run, to
// take back the last one.
type runMark struct {
	cpu     cpu.CPU
	undo    int
	mask    uint64
	ccUndef bool
}

// block compares one run of at most budget instructions (one basic block
// when narrow). It returns false when no run starts at RIP: the next
// instruction needs single-stepping.
func (l *checker) block(narrow bool, budget uint64) bool {
	c := l.g.c
	start := *c
	l.g.save(&l.before)
	hist := slices.Clone(l.hist)
	hpos, ccUndef := l.hpos, l.ccUndef
	l.undo.reset()
	l.runID++
	limit := uint64(maxRun)
	if narrow {
		limit = maxPlan
	}
	limit = min(limit, budget)

	var prev runMark
	var last *insn
	executed := uint64(0)
	fp := false
run:
	for {
		p := l.getPlan(c.RIP)
		if len(p.insts) == 0 {
			break
		}
		for _, in := range p.insts {
			if c.RIP != in.addr {
				continue run
			}
			if in.seen == l.runID {
				// Back at an executed instruction: end before the
				// last one, whose address is new.
				*c = prev.cpu
				l.undo.undo(l.g, prev.undo)
				l.mask, l.ccUndef = prev.mask, prev.ccUndef
				l.hpos--
				executed--
				last = nil
				break run
			}
			if executed >= limit {
				break run
			}
			in.seen = l.runID
			prev = runMark{cpu: *c, undo: len(l.undo.ents), mask: l.mask, ccUndef: l.ccUndef}
			if in.store != stNone {
				var flags uint64
				if in.store == stString {
					flags = c.Flags()
				}
				if a, n := in.storeRange(&c.R, flags, c.FSBase, c.GSBase); n > 0 {
					l.undo.record(l.g, a, n)
				}
			}
			cl := uint8(c.R[cpu.RCX])
			if c.Step() != 0 {
				// It faults: leave it to stepOne.
				*c = prev.cpu
				l.undo.undo(l.g, prev.undo)
				break run
			}
			w, u := in.fl.eval(cl)
			l.mask = l.mask&^w | u
			l.noteFP(in)
			fp = fp || in.fp
			l.push(in)
			executed++
			last = in
			if narrow && in.cls != clsNormal {
				break run
			}
		}
	}
	if executed == 0 {
		l.mask, l.ccUndef = 0, ccUndef
		return false
	}

	bps := []uint64{c.RIP}
	if narrow && last != nil && last.cls == clsCond {
		// Where the child goes if it decides the branch otherwise.
		alt := last.target
		if alt == c.RIP {
			alt = last.next
		}
		if alt != c.RIP {
			bps = append(bps, alt)
		}
	}
	st, at, err := l.runTo(bps, start.RIP)
	if err != nil {
		l.fail(err)
		return true
	}
	var lines []string
	note := ""
	if at == 0 {
		note = fmt.Sprintf("native %s before the end of the run", st)
	} else {
		if lines, err = l.compareRun(fp); err != nil {
			l.fail(err)
			return true
		}
	}
	if note == "" && len(lines) == 0 {
		l.settle()
		l.insts += executed
		return true
	}

	// Rewind both sides to the start and replay the run in smaller steps.
	first := l.decode(start.RIP)
	runStart := l.before
	l.undo.undo(l.g, 0)
	*c = start
	copy(l.hist, hist)
	l.hpos, l.ccUndef, l.mask = hpos, ccUndef, 0
	if _, err := l.syncMemory(true, true, 0, mem.WindowSize); err != nil {
		l.fail(err)
		return true
	}
	if err := l.pushRegs(); err != nil {
		l.fail(err)
		return true
	}
	if err := l.pushFP(); err != nil {
		l.fail(err)
		return true
	}
	target := l.insts + executed
	for l.res == nil && l.err == nil && l.insts < target {
		if !narrow && l.block(true, target-l.insts) {
			continue
		}
		l.stepOne()
	}
	if l.res == nil && l.err == nil {
		l.before = runStart
		l.hpos = hpos
		copy(l.hist, hist)
		l.diff(first, lines, fmt.Sprintf("%s (found at the end of a %d-instruction run starting here; "+
			"replaying it in smaller steps showed no difference)", note, executed))
	}
	return true
}

// compareRun compares the state at the end of a run.
func (l *checker) compareRun(fp bool) ([]string, error) {
	lines := l.compareRegs(nil)
	fpLines, err := l.compareFP(fp)
	if err != nil {
		return nil, err
	}
	lines = append(lines, fpLines...)
	if !fp && !sameFPGuest(&l.before, l.g.c) {
		lines = append(lines, "the interpreter changed the x87/SSE state in a run that does not touch it")
	}
	if !l.cfg.NoStoreCheck {
		ml, err := l.compareUndo()
		if err != nil {
			return nil, err
		}
		lines = append(lines, ml...)
	}
	return lines, nil
}
