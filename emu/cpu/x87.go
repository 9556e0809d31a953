package cpu

import (
	"encoding/binary"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"
)

// The x87 FPU: register stack, tags, control and status words, and the
// instructions that manage them. Arithmetic is in x87_f80.go (soft-float),
// x87_arith.go and x87_trans.go; loads and stores in x87_load.go.
//
// Exceptions: a masked exception gets the IEEE default response, like the
// hardware with the default control word. An unmasked one sets ES and B and,
// as on the hardware, suppresses the result of an invalid operation, denormal
// operand or division by zero; the next waiting x87 instruction then raises
// SIGFPE (#MF). The instruction and operand pointers (FIP, FDP, FOP) are not
// tracked and read as zero.
//
// Where the manuals leave the behaviour open (condition codes after some
// faults, C1 after FCOMI and FCMOVcc, FPREM's partial reduction step,
// F2XM1 and FYL2XP1 out of range, stale contents of empty registers), this
// follows an AMD host, against which x87_native_test.go compares.

// F80 is an x87 register in its 80-bit memory format.
type F80 struct {
	Mant uint64 // explicit integer bit at bit 63
	Exp  uint16 // sign in bit 15, biased exponent in bits 0..14
}

// FPU is the x87 state.
type FPU struct {
	ST      [8]F80 // physical registers; ST(i) is ST[(Top+i)&7]
	Top     uint8
	Control uint16
	Status  uint16 // without TOP, which lives in Top
	// Tag has 2 bits per physical register, 11 = empty. Only empty versus
	// in use is kept; TagWord computes the full tags (valid, zero, special).
	Tag uint16
}

// Reset puts the FPU in its initial state (registers zeroed), as a new
// process and a signal handler get it.
func (f *FPU) Reset() {
	*f = FPU{Control: 0x37f, Tag: 0xffff}
}

func (f *FPU) reset() { f.Reset() }

// StatusWord returns the status word with TOP, and with ES and B set
// exactly when an unmasked exception is pending.
func (f *FPU) StatusWord() uint16 {
	sw := f.Status&^(fsTop|fsES|fsB) | uint16(f.Top)<<11
	if f.Status&fsExc&^f.Control != 0 {
		sw |= fsES | fsB
	}
	return sw
}

// setStatusWord loads a status word, TOP included. ES and B are recomputed
// from the flags and masks.
func (f *FPU) setStatusWord(sw uint16) {
	f.Top = uint8(sw >> 11 & 7)
	f.Status = sw &^ fsTop
	f.syncES()
}

// setControl loads a control word; the reserved bits read back as the
// hardware has them.
func (f *FPU) setControl(cw uint16) {
	f.Control = cw&0x1f3f | 0x40
	f.syncES()
}

// syncES sets ES and B exactly when an exception flag is set and unmasked,
// so that unmasking a pending exception makes the next waiting instruction
// trap, as on the hardware.
func (f *FPU) syncES() {
	f.Status &^= fsES | fsB
	if f.Status&fsExc&^f.Control != 0 {
		f.Status |= fsES | fsB
	}
}

// TagWord returns the full tag word: per physical register 00 valid, 01
// zero, 10 special (NaN, infinity, denormal, unsupported), 11 empty.
func (f *FPU) TagWord() uint16 {
	var tw uint16
	for p := uint8(0); p < 8; p++ {
		var t uint16
		switch {
		case f.isEmpty(p):
			t = 3
		case f.ST[p].class() == fcZero:
			t = 1
		case f.ST[p].Exp&0x7fff == 0 || f.ST[p].class() != fcFinite:
			t = 2
		}
		tw |= t << (2 * p)
	}
	return tw
}

// setTagWord loads a full tag word: only empty versus in use matters.
func (f *FPU) setTagWord(tw uint16) {
	f.Tag = 0
	for p := uint(0); p < 8; p++ {
		if tw>>(2*p)&3 == 3 {
			f.Tag |= 3 << (2 * p)
		}
	}
}

// FXSaveArea writes the x87 part of a 512-byte FXSAVE image: FCW, FSW,
// abridged FTW, FOP, FIP, FDP (bytes 0-23) and ST0-ST7 (bytes 32-159).
func (f *FPU) FXSaveArea(b []byte) {
	le := binary.LittleEndian
	le.PutUint16(b[0:], f.Control)
	le.PutUint16(b[2:], f.StatusWord())
	var ftw byte
	for p := uint8(0); p < 8; p++ {
		if !f.isEmpty(p) {
			ftw |= 1 << p
		}
	}
	b[4], b[5] = ftw, 0
	clear(b[6:24])
	for i := uint8(0); i < 8; i++ {
		s := b[32+16*int(i):][:16]
		r := f.ST[f.phys(i)]
		le.PutUint64(s, r.Mant)
		le.PutUint16(s[8:], r.Exp)
		clear(s[10:])
	}
}

// FXRestoreArea loads the x87 part of a 512-byte FXSAVE image.
func (f *FPU) FXRestoreArea(b []byte) {
	le := binary.LittleEndian
	f.Control = le.Uint16(b[0:])&0x1f3f | 0x40
	f.setStatusWord(le.Uint16(b[2:]))
	f.Tag = 0
	for p := uint(0); p < 8; p++ {
		if b[4]>>p&1 == 0 {
			f.Tag |= 3 << (2 * p)
		}
	}
	for i := uint8(0); i < 8; i++ {
		s := b[32+16*int(i):]
		f.ST[f.phys(i)] = F80{Mant: le.Uint64(s), Exp: le.Uint16(s[8:])}
	}
}

func (f *FPU) phys(i uint8) uint8   { return (f.Top + i) & 7 }
func (f *FPU) isEmpty(p uint8) bool { return f.Tag>>(2*p)&3 == 3 }
func (f *FPU) setEmpty(p uint8)     { f.Tag |= 3 << (2 * p) }
func (f *FPU) setValid(p uint8)     { f.Tag &^= 3 << (2 * p) }
func (f *FPU) emptyST(i uint8) bool { return f.isEmpty(f.phys(i)) }
func (f *FPU) get(i uint8) F80      { return f.ST[f.phys(i)] }
func (f *FPU) put(i uint8, v F80)   { p := f.phys(i); f.ST[p] = v; f.setValid(p) }

// pop marks ST(0) empty and moves TOP up.
func (f *FPU) pop() {
	f.setEmpty(f.Top)
	f.Top = (f.Top + 1) & 7
}

// push loads v into a new ST(0). Pushing onto a full stack is a stack
// overflow, whose masked response pushes the indefinite.
func (f *FPU) push(v F80) {
	p := (f.Top - 1) & 7
	f.Status &^= fsC1
	if !f.isEmpty(p) {
		if !f.stackFault(fsC1) {
			return
		}
		v = f80Indefinite
	}
	f.Top = p
	f.ST[p] = v
	f.setValid(p)
}

// stackFault records a stack overflow (c1 = fsC1) or underflow (c1 = 0)
// and reports whether the masked response applies.
func (f *FPU) stackFault(c1 uint16) bool {
	f.Status = f.Status&^fsC1 | fsIE | fsSF | c1
	if f.Control&fsIE == 0 {
		f.Status |= fsES | fsB
		return false
	}
	return true
}

// stackFault2 is the stack fault of an instruction that replaces ST(0)
// and pushes a second result: an underflow if ST(0) is empty, else an
// overflow. The masked response leaves two indefinites.
func (f *FPU) stackFault2() {
	var c1 uint16
	if !f.emptyST(0) {
		c1 = fsC1
	}
	if f.stackFault(c1) {
		f.put(0, f80Indefinite)
		f.Top = (f.Top - 1) & 7
		f.put(0, f80Indefinite)
	}
}

// raise records an operation's exceptions (status-word layout, fsC1 meaning
// rounded up) and reports whether its result may be written: not when an
// unmasked invalid operation, denormal operand or zero divide suppresses it.
func (f *FPU) raise(exc uint16) bool {
	f.Status = f.Status&^fsC1 | exc&(fsExc|fsC1)
	um := exc & fsExc &^ f.Control
	if um == 0 {
		return true
	}
	f.Status |= fsES | fsB
	return um&(fsIE|fsDE|fsZE) == 0
}

// fwait raises a pending unmasked exception, as every waiting x87
// instruction does before it executes. Like the hardware, it goes by the
// exception flags and masks, not by ES, which code restoring a saved state
// may have left stale.
func (c *CPU) fwait(in *Inst) {
	if f := &c.FPU; f.Status&fsExc&^f.Control != 0 {
		c.fpuFault(in)
	}
}

// si_code values for SIGFPE from the x87, chosen as Linux does from the
// unmasked exceptions.
const (
	fpeFltDiv = 3
	fpeFltOvf = 4
	fpeFltUnd = 5
	fpeFltRes = 6
	fpeFltInv = 7
)

func (c *CPU) fpuFault(in *Inst) {
	code := 0
	switch e := c.FPU.Status & fsExc &^ c.FPU.Control; {
	case e&fsIE != 0:
		code = fpeFltInv
	case e&fsZE != 0:
		code = fpeFltDiv
	case e&fsOE != 0:
		code = fpeFltOvf
	case e&(fsDE|fsUE) != 0:
		code = fpeFltUnd
	case e&fsPE != 0:
		code = fpeFltRes
	}
	c.raise(Fault{Sig: int(unix.SIGFPE), Code: code, Addr: in.addr, Trapno: 16})
}

// stReg reports whether operand i is ST(reg).
func stReg(in *Inst, i int) bool { return int(in.nargs) > i && in.args[i].kind == argST }

func opFNINIT(c *CPU, in *Inst) {
	f := &c.FPU
	f.Control, f.Status, f.Top, f.Tag = 0x37f, 0, 0, 0xffff
}

func opFNCLEX(c *CPU, in *Inst) {
	c.FPU.Status &^= fsExc | fsSF | fsES | fsB
}

func opFWAIT(c *CPU, in *Inst) { c.fwait(in) }

func opFLDCW(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.setControl(uint16(c.load16(c.ea(in))))
}

func opFNSTCW(c *CPU, in *Inst) {
	c.store16(c.ea(in), uint64(c.FPU.Control))
}

func selFNSTSW(in *Inst) handler {
	if in.args[0].kind == argMem {
		return func(c *CPU, in *Inst) { c.store16(c.ea(in), uint64(c.FPU.StatusWord())) }
	}
	return func(c *CPU, in *Inst) { c.setReg(RAX, 2, uint64(c.FPU.StatusWord())) }
}

// storeEnv writes the environment in the 28-byte 32-bit layout, or the
// 14-byte 16-bit one under an operand-size prefix, and returns its size.
// Reserved halves read as ones, like the hardware's.
func (c *CPU) storeEnv(in *Inst, a uint64) uint64 {
	f := &c.FPU
	if in.osize == 2 {
		b := c.bytes(a, 14)
		le := binary.LittleEndian
		le.PutUint16(b[0:], f.Control)
		le.PutUint16(b[2:], f.StatusWord())
		le.PutUint16(b[4:], f.TagWord())
		clear(b[6:])
		return 14
	}
	b := c.bytes(a, 28)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 0xffff0000|uint32(f.Control))
	le.PutUint32(b[4:], 0xffff0000|uint32(f.StatusWord()))
	le.PutUint32(b[8:], 0xffff0000|uint32(f.TagWord()))
	clear(b[12:24])
	le.PutUint32(b[24:], 0xffff0000)
	return 28
}

// loadEnv reads an environment written by storeEnv's layouts.
func (c *CPU) loadEnv(in *Inst, a uint64) uint64 {
	n := uint64(28)
	step := uint64(4)
	if in.osize == 2 {
		n, step = 14, 2
	}
	b := c.bytes(a, n)
	le := binary.LittleEndian
	cw, sw, tw := le.Uint16(b[0:]), le.Uint16(b[step:]), le.Uint16(b[2*step:])
	f := &c.FPU
	f.Control = cw&0x1f3f | 0x40
	f.setStatusWord(sw)
	f.setTagWord(tw)
	return n
}

func opFNSTENV(c *CPU, in *Inst) {
	c.storeEnv(in, c.ea(in))
	c.FPU.Control |= fsExc
	c.FPU.syncES()
}

func opFLDENV(c *CPU, in *Inst) {
	c.fwait(in)
	c.loadEnv(in, c.ea(in))
}

func opFNSAVE(c *CPU, in *Inst) {
	f := &c.FPU
	a := c.ea(in)
	a += c.storeEnv(in, a)
	for i := uint8(0); i < 8; i++ {
		r := f.get(i)
		c.store64(a, r.Mant)
		c.store16(a+8, uint64(r.Exp))
		a += 10
	}
	opFNINIT(c, in)
}

func opFRSTOR(c *CPU, in *Inst) {
	c.fwait(in)
	f := &c.FPU
	a := c.ea(in)
	n := uint64(28)
	if in.osize == 2 {
		n = 14
	}
	// Registers are loaded in ST(i) order relative to the new TOP, and
	// all memory is read before any state changes.
	var regs [8]F80
	for i := range regs {
		p := a + n + 10*uint64(i)
		regs[i] = F80{Mant: c.load64(p), Exp: uint16(c.load16(p + 8))}
	}
	c.loadEnv(in, a)
	for i := range regs {
		f.ST[f.phys(uint8(i))] = regs[i]
	}
}

func opFFREE(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.setEmpty(c.FPU.phys(in.args[0].reg))
	c.FPU.Status &^= fsC1
}

// opFFREEP (DF C0+i, undocumented) frees ST(i) and pops.
func opFFREEP(c *CPU, in *Inst) {
	opFFREE(c, in)
	c.FPU.pop()
}

func opFINCSTP(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.Top = (c.FPU.Top + 1) & 7
	c.FPU.Status &^= fsC1
}

func opFDECSTP(c *CPU, in *Inst) {
	c.fwait(in)
	c.FPU.Top = (c.FPU.Top - 1) & 7
	c.FPU.Status &^= fsC1
}

func init() {
	def(opFNINIT, x86asm.FNINIT)
	def(opFNCLEX, x86asm.FNCLEX)
	def(opFWAIT, x86asm.FWAIT, x86asm.FNOP)
	def(opFLDCW, x86asm.FLDCW)
	def(opFNSTCW, x86asm.FNSTCW)
	defSel(selFNSTSW, x86asm.FNSTSW)
	def(opFNSTENV, x86asm.FNSTENV)
	def(opFLDENV, x86asm.FLDENV)
	def(opFNSAVE, x86asm.FNSAVE)
	def(opFRSTOR, x86asm.FRSTOR)
	def(opFFREE, x86asm.FFREE)
	def(opFFREEP, x86asm.FFREEP)
	def(opFINCSTP, x86asm.FINCSTP)
	def(opFDECSTP, x86asm.FDECSTP)
}
