package lockstep

import (
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Diff is the first difference between the two runs.
type Diff struct {
	Insts  uint64   // instructions that ran identically before it
	Addr   uint64   // address of the instruction
	Insn   string   // the instruction: address, bytes, disassembly
	Prev   []string // the instructions before it, oldest first
	Before string   // the registers before it (equal on both sides)
	Lines  []string // what differs after it
	Note   string   // how it ended, when it was not an ordinary retire
}

func (d *Diff) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "difference at instruction %d:\n  %s\n", d.Insts+1, d.Insn)
	if d.Note != "" {
		fmt.Fprintf(&b, "  %s\n", d.Note)
	}
	if len(d.Prev) > 0 {
		b.WriteString("previous instructions:\n")
		for _, p := range d.Prev {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	fmt.Fprintf(&b, "registers before:\n%s", d.Before)
	if len(d.Lines) > 0 {
		b.WriteString("after it (native = host CPU, interp = guestrun):\n")
		for _, l := range d.Lines {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	return b.String()
}

// diff ends the run with a difference at in.
func (l *checker) diff(in *insn, lines []string, note string) {
	d := &Diff{Insts: l.insts, Addr: in.addr, Insn: l.fmtInsn(in), Lines: lines, Note: note}
	k := len(l.hist)
	for i := l.hpos - k; i < l.hpos; i++ {
		if i >= 0 {
			d.Prev = append(d.Prev, l.fmtInsn(l.hist[i%k]))
		}
	}
	d.Before = fmtState(&l.before)
	l.res = &Result{End: EndDiff, Diff: d}
}

func (l *checker) fmtInsn(in *insn) string {
	asm := "(undecodable)"
	if in.ok {
		xi := in.inst
		const mark = 0x7eadbeef
		for i, a := range xi.Args {
			if m, ok := a.(x86asm.Mem); ok && m.Base == 0 && m.Index == 0 && m.Disp == 0 {
				// x86asm prints an absolute address 0 as nothing.
				m.Disp = mark
				xi.Args[i] = m
			}
		}
		asm = strings.ReplaceAll(x86asm.GNUSyntax(xi, in.addr, nil), fmt.Sprintf("%#x", mark), "0x0")
	} else if len(in.code) == 0 {
		asm = "(unreadable)"
	}
	return fmt.Sprintf("%#x: %-24s %s", in.addr, fmt.Sprintf("% x", in.code), asm)
}

func fmtState(s *state) string {
	var b strings.Builder
	for i, r := range s.R {
		fmt.Fprintf(&b, "  %-3s %016x", regNames[i], r)
		if i%4 == 3 {
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "  rip %016x  rflags %#x %s  fs_base %#x\n", s.RIP, s.Flags, flagNames(s.Flags), s.FSBase)
	return b.String()
}
