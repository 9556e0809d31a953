package cpu

import (
	"encoding/binary"

	"golang.org/x/arch/x86/x86asm"
)

// MXCSR access and FXSAVE/FXRSTOR. XSAVE and its relatives are not
// advertised in CPUID and stay undefined.

func init() {
	defSSE(selMem(opLdmxcsr), x86asm.LDMXCSR)
	defSSE(selMem(opStmxcsr), x86asm.STMXCSR)
	defSSE(selMem(opFxsave), x86asm.FXSAVE, x86asm.FXSAVE64)
	defSSE(selMem(opFxrstor), x86asm.FXRSTOR, x86asm.FXRSTOR64)
}

// selMem accepts the single-memory-operand form.
func selMem(h handler) func(in *Inst) handler {
	return func(in *Inst) handler {
		if isM(in, 0) {
			return h
		}
		return nil
	}
}

// opLdmxcsr loads MXCSR; reserved bits raise #GP.
func opLdmxcsr(c *CPU, in *Inst) {
	v := uint32(c.load32(c.ea(in)))
	if v&^mxcsrMask != 0 {
		c.gp()
	}
	c.MXCSR = v
}

func opStmxcsr(c *CPU, in *Inst) { c.store32(c.ea(in), uint64(c.MXCSR)) }

// fxsaveLen is how much of the 512-byte area FXSAVE writes: the processor
// leaves the reserved and software-available bytes from 416 on alone.
const fxsaveLen = 416

func opFxsave(c *CPU, in *Inst) {
	a := c.ea(in)
	if a&15 != 0 {
		c.gp()
	}
	var b [512]byte
	c.FXSave(&b)
	copy(c.bytes(a, fxsaveLen), b[:fxsaveLen])
}

func opFxrstor(c *CPU, in *Inst) {
	a := c.ea(in)
	if a&15 != 0 {
		c.gp()
	}
	var b [512]byte
	copy(b[:], c.bytes(a, 512))
	if binary.LittleEndian.Uint32(b[24:])&^mxcsrMask != 0 {
		c.gp()
	}
	c.FXRestore(&b)
}

// FXSave stores the x87, MMX and SSE state in the 64-bit FXSAVE layout
// (also the fpstate of a signal frame). The last-instruction and operand
// pointers and the opcode are not tracked and read as zero; bytes 416..511
// are left as they were.
func (c *CPU) FXSave(b *[512]byte) {
	le := binary.LittleEndian
	f := &c.FPU
	le.PutUint16(b[0:], f.Control)
	le.PutUint16(b[2:], f.Status&^0x3800|uint16(f.Top&7)<<11)
	var tw byte
	for i := range 8 {
		if f.Tag>>(2*i)&3 != 3 {
			tw |= 1 << i
		}
	}
	b[4], b[5] = tw, 0
	clear(b[6:24])
	le.PutUint32(b[24:], c.MXCSR)
	le.PutUint32(b[28:], mxcsrMask)
	for i := range 8 {
		r := f.ST[(int(f.Top)+i)&7]
		p := b[32+16*i : 48+16*i]
		le.PutUint64(p, r.Mant)
		le.PutUint16(p[8:], r.Exp)
		clear(p[10:])
	}
	for i := range c.X {
		le.PutUint64(b[160+16*i:], c.X[i][0])
		le.PutUint64(b[168+16*i:], c.X[i][1])
	}
}

// FXRestore loads the state FXSave stores. Reserved MXCSR bits are
// dropped (the FXRSTOR instruction faults on them before calling this). The
// full x87 tag word is rebuilt from the abridged one and the register
// contents.
func (c *CPU) FXRestore(b *[512]byte) {
	le := binary.LittleEndian
	f := &c.FPU
	f.Control = le.Uint16(b[0:])
	sw := le.Uint16(b[2:])
	f.Top = uint8(sw >> 11 & 7)
	f.Status = sw &^ 0x3800
	for i := range 8 {
		p := b[32+16*i:]
		f.ST[(int(f.Top)+i)&7] = F80{Mant: le.Uint64(p), Exp: le.Uint16(p[8:])}
	}
	var tag uint16
	for i := range 8 {
		t := uint16(3)
		if b[4]>>i&1 != 0 {
			t = x87Class(f.ST[i])
		}
		tag |= t << (2 * i)
	}
	f.Tag = tag
	c.MXCSR = le.Uint32(b[24:]) & mxcsrMask
	for i := range c.X {
		c.X[i] = XMM{le.Uint64(b[160+16*i:]), le.Uint64(b[168+16*i:])}
	}
}

// x87Class returns the tag of a non-empty register: 0 valid, 1 zero,
// 2 special (NaN, infinity, denormal, unnormal).
func x87Class(r F80) uint16 {
	e := r.Exp & 0x7fff
	switch {
	case e == 0x7fff:
		return 2
	case e == 0 && r.Mant == 0:
		return 1
	case e == 0 || r.Mant>>63 == 0:
		return 2
	}
	return 0
}
