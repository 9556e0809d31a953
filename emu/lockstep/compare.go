package lockstep

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/mem"
)

var regNames = [16]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
	"r13", "r14", "r15"}

func uintptrOf[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// compareRegs appends a line for each general register, RIP, RFLAGS bit
// (the undefined ones masked) and segment base that differs.
func (l *checker) compareRegs(lines []string) []string {
	c := l.g.c
	r := &l.n.regs
	ng := nativeGPR(r)
	for i := range ng {
		if ng[i] != c.R[i] {
			lines = append(lines, fmt.Sprintf("%-8s native 0x%016x  interp 0x%016x", regNames[i], ng[i], c.R[i]))
		}
	}
	if r.Rip != c.RIP {
		lines = append(lines, fmt.Sprintf("%-8s native 0x%016x  interp 0x%016x", "rip", r.Rip, c.RIP))
	}
	gf := c.Flags()
	if d := (gf ^ r.Eflags) & fCompared &^ l.mask; d != 0 {
		s := fmt.Sprintf("%-8s native %#x %s  interp %#x %s  differ in %s", "rflags", r.Eflags&fCompared,
			flagNames(r.Eflags), gf&fCompared, flagNames(gf), flagNames(d))
		if l.mask != 0 {
			s += "  (undefined here: " + flagNames(l.mask) + ")"
		}
		lines = append(lines, s)
	}
	if r.Fs_base != c.FSBase {
		lines = append(lines, fmt.Sprintf("%-8s native 0x%016x  interp 0x%016x", "fs_base", r.Fs_base, c.FSBase))
	}
	if r.Gs_base != c.GSBase {
		lines = append(lines, fmt.Sprintf("%-8s native 0x%016x  interp 0x%016x", "gs_base", r.Gs_base, c.GSBase))
	}
	return lines
}

func flagNames(f uint64) string {
	var s []string
	for _, x := range []struct {
		bit  uint64
		name string
	}{{fCF, "CF"}, {fPF, "PF"}, {fAF, "AF"}, {fZF, "ZF"}, {fSF, "SF"}, {fTF, "TF"}, {fDF, "DF"}, {fOF, "OF"},
		{1 << 14, "NT"}, {1 << 18, "AC"}, {1 << 21, "ID"}} {
		if f&x.bit != 0 {
			s = append(s, x.name)
		}
	}
	return "[" + strings.Join(s, " ") + "]"
}

// x87 status word bits.
const (
	swExc = 0x00ff // exception flags, stack fault, error summary
	swC0  = 0x0100
	swC1  = 0x0200
	swC2  = 0x0400
	swTop = 0x3800
	swC3  = 0x4000
	swB   = 0x8000
)

// noteFP tracks whether the x87 condition codes C0, C2 and C3 are defined:
// only the compare and examine instructions define them; most other x87
// instructions leave them undefined, and a few do not touch them.
func (l *checker) noteFP(in *insn) {
	if !in.ok || !ops[in.inst.Op].x87 {
		return
	}
	switch in.inst.Op {
	case x86asm.FCOM, x86asm.FCOMP, x86asm.FCOMPP, x86asm.FUCOM, x86asm.FUCOMP, x86asm.FUCOMPP, x86asm.FICOM,
		x86asm.FICOMP, x86asm.FTST, x86asm.FXAM, x86asm.FPREM, x86asm.FPREM1, x86asm.FNINIT, x86asm.FNSAVE:
		l.ccUndef = false
	case x86asm.FNSTSW, x86asm.FNSTCW, x86asm.FLDCW, x86asm.FWAIT, x86asm.FNSTENV, x86asm.FXSAVE, x86asm.FXSAVE64,
		x86asm.FCOMI, x86asm.FCOMIP, x86asm.FUCOMI, x86asm.FUCOMIP:
	default:
		l.ccUndef = true
	}
}

// compareFP compares the SSE and x87 state when touched says an instruction
// used it, and every fpPeriod comparisons anyway.
func (l *checker) compareFP(touched bool) ([]string, error) {
	l.fpEvery--
	if !touched && l.fpEvery > 0 {
		return nil, nil
	}
	l.fpEvery = fpPeriod
	f := &l.nfp
	if err := l.n.getFP(f); err != nil {
		return nil, err
	}
	c := l.g.c
	var lines []string

	mxMask := ^uint32(0)
	if l.cfg.LooseFP {
		mxMask &^= 0x3f
	}
	if d := f.Mxcsr ^ c.MXCSR; d&mxMask != 0 {
		lines = append(lines, fmt.Sprintf("%-8s native %#x  interp %#x", "mxcsr", f.Mxcsr, c.MXCSR))
	}
	for i := range f.Xmm {
		nx := cpu.XMM{binary.LittleEndian.Uint64(f.Xmm[i][:]), binary.LittleEndian.Uint64(f.Xmm[i][8:])}
		if nx != c.X[i] {
			lines = append(lines, fmt.Sprintf("%-8s native %016x_%016x  interp %016x_%016x", fmt.Sprintf("xmm%d", i),
				nx[1], nx[0], c.X[i][1], c.X[i][0]))
		}
	}

	fpu := &c.FPU
	if f.Cwd != fpu.Control {
		lines = append(lines, fmt.Sprintf("%-8s native %#06x  interp %#06x", "fcw", f.Cwd, fpu.Control))
	}
	gsw := guestSW(fpu)
	swMask := uint16(swTop | swC0 | swC2 | swC3 | swC1 | swExc | swB)
	if l.ccUndef {
		swMask &^= swC0 | swC2 | swC3
	}
	if l.cfg.LooseFP {
		swMask &^= swC1 | swExc | swB
	}
	if d := f.Swd ^ gsw; d&swMask != 0 {
		lines = append(lines, fmt.Sprintf("%-8s native %#06x  interp %#06x  (top %d/%d)", "fsw", f.Swd, gsw,
			f.Swd>>11&7, fpu.Top&7))
	}
	gtag := abridged(fpu.Tag)
	if uint8(f.Ftw) != gtag {
		lines = append(lines, fmt.Sprintf("%-8s native %#04x  interp %#04x  (abridged: bit i = register i in use)",
			"ftw", uint8(f.Ftw), gtag))
	}
	top := int(f.Swd >> 11 & 7)
	for i := 0; i < 8; i++ {
		phys := (top + i) & 7
		if f.Ftw&(1<<phys) == 0 || gtag&(1<<phys) == 0 {
			continue
		}
		g := fpu.ST[(int(fpu.Top)+i)&7]
		nm := binary.LittleEndian.Uint64(f.St[i][:])
		ne := binary.LittleEndian.Uint16(f.St[i][8:])
		if nm != g.Mant || ne != g.Exp {
			lines = append(lines, fmt.Sprintf("%-8s native %04x_%016x  interp %04x_%016x", fmt.Sprintf("st(%d)", i),
				ne, nm, g.Exp, g.Mant))
		}
	}
	if len(lines) == 0 {
		// What differs is allowed to: take the native values so that
		// later reads of them (FNSTSW, STMXCSR) agree.
		c.MXCSR = f.Mxcsr
		fpu.Status = f.Swd &^ swTop
	}
	return lines, nil
}

func guestSW(f *cpu.FPU) uint16 {
	return f.Status&^swTop | uint16(f.Top&7)<<11
}

// abridged converts a full x87 tag word to FXSAVE's one bit per register.
func abridged(tag uint16) uint8 {
	var t uint8
	for i := 0; i < 8; i++ {
		if tag>>(2*i)&3 != 3 {
			t |= 1 << i
		}
	}
	return t
}

// pushFP makes the child's x87 and SSE state the guest's.
func (l *checker) pushFP() error {
	f := &l.nfp
	if err := l.n.getFP(f); err != nil {
		return err
	}
	c := l.g.c
	fpu := &c.FPU
	f.Cwd = fpu.Control
	f.Swd = guestSW(fpu)
	f.Ftw = uint16(abridged(fpu.Tag))
	for i := 0; i < 8; i++ {
		st := fpu.ST[(int(fpu.Top)+i)&7]
		f.St[i] = [16]byte{}
		binary.LittleEndian.PutUint64(f.St[i][:], st.Mant)
		binary.LittleEndian.PutUint16(f.St[i][8:], st.Exp)
	}
	f.Mxcsr = c.MXCSR
	for i := range f.Xmm {
		binary.LittleEndian.PutUint64(f.Xmm[i][:], c.X[i][0])
		binary.LittleEndian.PutUint64(f.Xmm[i][8:], c.X[i][1])
	}
	return l.n.setFP(f)
}

func sameFPGuest(s *state, c *cpu.CPU) bool {
	return s.X == c.X && s.MXCSR == c.MXCSR && s.FPU == c.FPU
}

// compareStore compares the n bytes at addr an instruction wrote; mask, when
// set, lists the byte ranges that count.
func (l *checker) compareStore(addr, n uint64, mask []uint16) ([]string, error) {
	n = min(n, chunk)
	gb := l.g.bytes(addr, n)
	if gb == nil {
		return nil, nil
	}
	nb := l.nbuf[:n]
	if err := l.n.read(addr, nb); err != nil {
		return []string{fmt.Sprintf("memory  native cannot read [%#x, +%d): %v", addr, n, err)}, nil
	}
	if mask == nil {
		if bytes.Equal(gb, nb) {
			return nil, nil
		}
		return memLines(newMemDiff(addr, nb, gb)), nil
	}
	for i := 0; i+1 < len(mask); i += 2 {
		lo, hi := uint64(mask[i]), min(uint64(mask[i+1]), n)
		if lo < hi && !bytes.Equal(gb[lo:hi], nb[lo:hi]) {
			return memLines(newMemDiff(addr+lo, nb[lo:hi], gb[lo:hi])), nil
		}
	}
	return nil, nil
}

func memLines(d *memDiff) []string {
	return []string{fmt.Sprintf("memory  at %#x  native % x  interp % x", d.addr, d.native, d.guest)}
}

// compareUndo compares the pages the guest wrote in a run with the child's,
// reading the child's in few system calls.
func (l *checker) compareUndo() ([]string, error) {
	pages := l.undo.pages
	per := len(l.nbuf) / mem.PageSize
	for len(pages) > 0 {
		k := min(len(pages), per)
		local := make([][]byte, k)
		remote := make([]unix.RemoteIovec, k)
		for i, pg := range pages[:k] {
			local[i] = l.nbuf[i*mem.PageSize : (i+1)*mem.PageSize]
			remote[i] = unix.RemoteIovec{Base: uintptr(pg), Len: mem.PageSize}
		}
		if err := l.n.readv(local, remote); err != nil {
			return []string{fmt.Sprintf("memory  native cannot read what the run wrote: %v", err)}, nil
		}
		for i, b := range local {
			gb := l.g.bytes(pages[i], mem.PageSize)
			if gb != nil && !bytes.Equal(gb, b) {
				return memLines(newMemDiff(pages[i], b, gb)), nil
			}
		}
		pages = pages[k:]
	}
	return nil, nil
}
