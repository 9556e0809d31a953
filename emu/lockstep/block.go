package lockstep

import (
	"time"
	"bytes"
	"fmt"
	"slices"

	"guestrun/emu/cpu"
	"guestrun/emu/mem"
)

// Block mode. A ptrace stop costs the same whether it ends one instruction
// or many, so straight-line runs are compared as a whole: the interpreter
// steps through the run (keeping an undo log of the memory it writes), the
// child runs to a breakpoint on each possible successor, and both are
// compared. When they differ, both are rewound to the start of the run (the
// guest by its snapshot and undo log, the child by copying the guest's
// registers and writable memory back) and the run is single-stepped to find
// the instruction.

// maxBlock bounds a run, so that a difference is found soon after it happens.
const maxBlock = 64

// plan is the straight-line run starting at an address: instructions that
// fall through, optionally ended by a direct branch, and the addresses where
// the child may stop after it.
type plan struct {
	insts []*insn
	succ  []uint64
	code  []byte // the bytes of the run, to notice changed code
}

func (l *checker) getPlan(start uint64) *plan {
	if p := l.plans[start]; p != nil {
		if b := l.g.bytes(start, uint64(len(p.code))); len(p.code) == 0 || b != nil && bytes.Equal(b, p.code) {
			return p
		}
	}
	p := &plan{}
	a := start
	for len(p.insts) < maxBlock {
		in := l.decode(a)
		if !in.ok || in.cls == clsSingle || in.cls == clsEnv || in.cls == clsSyscall {
			break
		}
		p.insts = append(p.insts, in)
		a = in.next
		if in.cls == clsCond {
			p.succ = []uint64{in.target, in.next}
			break
		}
		if in.cls == clsJump {
			p.succ = []uint64{in.target}
			break
		}
	}
	if p.succ == nil {
		p.succ = []uint64{a}
	}
	p.succ = slices.Compact(p.succ)
	// A breakpoint on an instruction of the run would stop it early: end
	// the run there instead. (One on its start is stepped over.)
	for i := 1; i < len(p.insts); i++ {
		if slices.Contains(p.succ, p.insts[i].addr) {
			a = p.insts[i].addr
			p.insts = p.insts[:i]
			p.succ = []uint64{a}
			break
		}
	}
	if len(p.insts) > 0 {
		end := p.insts[len(p.insts)-1].next
		if b := l.g.bytes(start, end-start); b != nil {
			p.code = append([]byte(nil), b...)
		}
	}
	l.plans[start] = p
	return p
}

// block compares one straight-line run. It returns false when there is none
// at RIP (the next instruction needs single-stepping).
func (l *checker) block() bool {
	c := l.g.c
	p := l.getPlan(c.RIP)
	if len(p.insts) == 0 || l.cfg.MaxInsts != 0 && l.insts+uint64(len(p.insts)) > l.cfg.MaxInsts {
		return false
	}
	snap := *c
	l.g.save(&l.before)
	hist := slices.Clone(l.hist)
	hpos, ccUndef := l.hpos, l.ccUndef
	l.undo.reset()
	executed, fp := 0, false
	for _, in := range p.insts {
		if c.RIP != in.addr {
			break
		}
		mark := len(l.undo.ents)
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
			// It faults: leave it for stepOne, as if not reached.
			l.undo.undo(l.g, mark)
			c.R, c.RIP = r, rip
			break
		}
		w, u := in.fl.eval(cl)
		l.mask = l.mask&^w | u
		l.noteFP(in)
		fp = fp || in.fp
		l.push(in)
		executed++
	}
	if executed == 0 {
		return false
	}
	dbgBlocks++; dbgBlockInsts += executed
	bps := p.succ
	if executed < len(p.insts) {
		bps = []uint64{p.insts[executed].addr}
	}
	t0 := time.Now()
	st, at, err := l.runTo(bps, p.insts[0].addr)
	dbgRun += time.Since(t0)
	if err != nil {
		l.fail(err)
		return true
	}
	var lines []string
	note := ""
	if at == 0 {
		note = fmt.Sprintf("native %s before the end of the block", st)
	} else {
		t1 := time.Now()
		defer func() { dbgCmp += time.Since(t1) }()
		lines = l.compareRegs(nil)
		fpLines, err := l.compareFP(fp)
		if err != nil {
			l.fail(err)
			return true
		}
		lines = append(lines, fpLines...)
		if !fp && !sameFPGuest(&l.before, c) {
			lines = append(lines, "the interpreter changed the x87/SSE state in a block that does not touch it")
		}
		if !l.cfg.NoStoreCheck {
			ml, err := l.compareUndo()
			if err != nil {
				l.fail(err)
				return true
			}
			lines = append(lines, ml...)
		}
	}
	if note == "" && len(lines) == 0 {
		l.settle()
		l.insts += uint64(executed)
		return true
	}

	// Rewind both sides to the start of the block and single-step it.
	blockStart := l.before
	l.undo.undo(l.g, 0)
	*c = snap
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
	for i := 0; i < executed && l.res == nil && l.err == nil; i++ {
		l.stepOne()
	}
	if l.res == nil && l.err == nil {
		l.before = blockStart
		l.hpos = hpos
		copy(l.hist, hist)
		l.diff(p.insts[0], lines, fmt.Sprintf("%s (found at the end of the %d-instruction block starting here; "+
			"single-stepping the block again showed no difference)", note, executed))
	}
	return true
}

var dbgSteps, dbgBlocks, dbgBlockInsts int

var dbgRun, dbgCmp, dbgCont time.Duration
