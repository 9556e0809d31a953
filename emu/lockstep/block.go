package lockstep

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/mem"
)

// Runs. A ptrace stop costs the same (about 20µs on a VM) whether it ends
// one instruction or millions, so the checker compares whole runs: the
// interpreter executes ahead, across branches and loops, keeping the
// pre-image of every page it writes, and the child is then let run to a
// breakpoint on the address where the interpreter stopped, counting its
// arrivals there: an address the run executed k times is reached k+1 times
// (k if the run started there). Every arrival but the last costs two stops,
// so a run ends where the count is low: before an instruction the child
// cannot run freely (syscalls, CPUID...), or once it is long enough (maxRun
// instructions) at an address it has not executed yet, or, the longer it
// goes on, at one it has executed a little.
//
// If the two differ at the end of a run, both are rewound to its start (the
// interpreter with its snapshot and page pre-images, the child by taking the
// guest's registers and writable memory) and the run is replayed in basic
// blocks, each also stopping at its other successor if it ends with a
// conditional branch; a basic block that differs is rewound and
// single-stepped. A child that leaves the interpreter's path may never reach
// the breakpoint: it is stopped by the seccomp trap on its next syscall, a
// fault, or the watchdog.

const (
	maxRun  = 20000 // instructions in a run before it looks for an end
	maxPlan = 64    // instructions in a basic block
	// runSlack: after maxRun, a run may end at an address executed once
	// per runSlack instructions it ran beyond it.
	runSlack = 1000
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

// count returns how often the current run executed the instruction at addr.
func (l *checker) count(addr uint64) uint64 {
	if in := l.icache[addr]; in != nil && in.seen == l.runID {
		return in.count
	}
	return 0
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
			if in.seen != l.runID {
				in.seen, in.count = l.runID, 0
			}
			if executed >= budget || !narrow && executed >= maxRun && in.count <= (executed-maxRun)/runSlack {
				break run
			}
			if in.store != stNone {
				var flags uint64
				if in.store == stString {
					flags = c.Flags()
				}
				if a, n := in.storeRange(&c.R, flags, c.FSBase, c.GSBase); n > 0 {
					l.undo.record(l.g, a, n)
				}
			}
			r, rip := c.R, c.RIP
			cl := uint8(c.R[cpu.RCX])
			if c.Step() != 0 {
				// It faults: take it back and leave it to stepOne.
				l.undo.undoCur(l.g)
				c.R, c.RIP = r, rip
				break run
			}
			l.undo.curOK = false
			in.count++
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

	end := c.RIP
	arrivals := l.count(end) + 1
	if end == start.RIP {
		arrivals--
	}
	var alt uint64
	if narrow && last.cls == clsCond {
		// Where the child goes if it decides the branch otherwise.
		alt = last.target
		if alt == end {
			alt = last.next
		}
		if alt == end || l.count(alt) != 0 || alt == start.RIP {
			// The child passes there anyway: no telling.
			alt = 0
		}
	}
	st, at, err := l.runTo(start.RIP, end, arrivals, alt)
	if err != nil {
		l.fail(err)
		return true
	}
	var lines []string
	note := ""
	switch {
	case at == end:
		if lines, err = l.compareRun(fp); err != nil {
			l.fail(err)
			return true
		}
	case at != 0 && at == alt:
		note = fmt.Sprintf("native went to %#x instead", alt)
	default:
		note = fmt.Sprintf("native %s before the end of the run", st)
	}
	if note == "" && len(lines) == 0 {
		l.settle()
		l.insts += executed
		return true
	}

	// Rewind both sides to the start and replay the run in smaller steps.
	first := l.decode(start.RIP)
	runStart := l.before
	l.undo.undoAll(l.g)
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

// runTo lets the child run until its arrivals-th arrival at end, or its
// first at alt (when not 0). It returns where it stopped: end, alt, or 0 when
// it stopped for another reason. Where no breakpoint can go (a jump to
// unmapped memory), the child's fetch fault there counts as its arrival.
func (l *checker) runTo(start, end, arrivals, alt uint64) (stop, uint64, error) {
	n := l.n
	if start == end || alt != 0 && start == alt {
		// Leave the start first, or its breakpoint would fire at once.
		st, err := n.step()
		if err != nil || st.exited || st.sig != unix.SIGTRAP {
			return st, 0, err
		}
		if err := n.getRegs(); err != nil {
			return st, 0, err
		}
		switch {
		case n.regs.Rip == end:
			if arrivals--; arrivals == 0 {
				return st, end, nil
			}
		case alt != 0 && n.regs.Rip == alt:
			return st, alt, nil
		}
	}
	type bp struct {
		addr uint64
		orig byte
		set  bool
	}
	bps := [2]bp{{addr: end}, {addr: alt}}
	insert := func(b *bp) error {
		if b.addr == 0 {
			return nil
		}
		code := l.g.bytes(b.addr, 1)
		if code == nil {
			return nil
		}
		b.orig = code[0]
		if err := n.write(b.addr, []byte{0xcc}); err != nil {
			return nil // the child cannot execute there either
		}
		b.set = true
		return nil
	}
	remove := func(b *bp) error {
		if !b.set {
			return nil
		}
		b.set = false
		return n.write(b.addr, []byte{b.orig})
	}
	removeAll := func() error {
		err := remove(&bps[0])
		if err2 := remove(&bps[1]); err == nil {
			err = err2
		}
		return err
	}
	insert(&bps[0])
	insert(&bps[1])
	for {
		l.running.Store(time.Now().UnixNano())
		st, err := n.cont()
		l.running.Store(0)
		if err != nil || st.exited {
			removeAll()
			return st, 0, err
		}
		if err := n.getRegs(); err != nil {
			removeAll()
			return st, 0, err
		}
		hit := uint64(0)
		for _, b := range bps {
			if b.set && st.sig == unix.SIGTRAP && n.regs.Rip == b.addr+1 {
				hit = b.addr
			}
		}
		if hit == 0 {
			err := removeAll()
			if !bps[0].set && st.sig == unix.SIGSEGV && n.regs.Rip == end && arrivals == 1 {
				if _, addr := n.siginfo(); addr == end {
					return st, end, err
				}
			}
			return st, 0, err
		}
		n.regs.Rip = hit
		if hit == alt {
			if err := removeAll(); err != nil {
				return st, 0, err
			}
			return st, alt, n.setRegs()
		}
		if arrivals--; arrivals == 0 {
			if err := removeAll(); err != nil {
				return st, 0, err
			}
			return st, end, n.setRegs()
		}
		// Not yet: step over the breakpoint's instruction and go on.
		if err := remove(&bps[0]); err != nil {
			return st, 0, err
		}
		if err := n.setRegs(); err != nil {
			return st, 0, err
		}
		for {
			st, err = n.step()
			if err != nil || st.exited || st.sig != unix.SIGTRAP {
				removeAll()
				return st, 0, err
			}
			if err := n.getRegs(); err != nil {
				removeAll()
				return st, 0, err
			}
			if n.regs.Rip != end {
				break
			}
			// A one-instruction loop.
			if arrivals--; arrivals == 0 {
				return st, end, removeAll()
			}
		}
		if alt != 0 && n.regs.Rip == alt {
			return st, alt, removeAll()
		}
		insert(&bps[0])
	}
}
