package cpu

import (
	"math/bits"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"

	"guestrun/emu/mem"
)

// Data movement: MOV, MOVZX, MOVSX, MOVSXD, LEA, XCHG, BSWAP, CMOVcc, SETcc,
// CBW/CWDE/CDQE, CWD/CDQ/CQO, MOVNTI, XLATB.

// word is the Go type of an operand size. Hot handlers are generic in it, so
// that each size is compiled separately with the size as a constant.
type word interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

// sizeOf returns the operand size of T in bytes.
func sizeOf[T word]() uint8 {
	var z T
	return uint8(unsafe.Sizeof(z))
}

// setRegT writes general register r with x86-64 semantics: a 32-bit write
// clears the upper half, 8- and 16-bit writes keep the rest.
func setRegT[T word](c *CPU, r uint8, v T) {
	if unsafe.Sizeof(v) >= 4 {
		c.R[r] = uint64(v)
		return
	}
	m := uint64(^T(0))
	c.R[r] = c.R[r]&^m | uint64(v)
}

// ldT and stT access a T in guest memory. They check the address as ptr
// does, in one comparison since the size is a constant: small enough to be
// inlined into the handlers.
func ldT[T word](c *CPU, a uint64) T {
	if n := uint64(unsafe.Sizeof(T(0))); a > mem.WindowSize-n {
		c.segv(a, n)
	}
	return *(*T)(unsafe.Add(c.base, a))
}

func stT[T word](c *CPU, a uint64, v T) {
	if n := uint64(unsafe.Sizeof(v)); a > mem.WindowSize-n {
		c.segv(a, n)
	}
	*(*T)(unsafe.Add(c.base, a)) = v
}

// bySize picks the instantiation of a generic handler for an operand size.
func bySize(n uint8, h8, h16, h32, h64 handler) handler {
	switch n {
	case 1:
		return h8
	case 2:
		return h16
	case 4:
		return h32
	case 8:
		return h64
	}
	return nil
}

// form classifies the operands of an instruction for handler selection.
type form uint8

const (
	formOther form = iota // AH..BH, segment registers, unusual shapes
	formR                 // one general register
	formM                 // one memory operand
	formRR                // register, register
	formRI                // register, immediate
	formRM                // register, memory
	formMR                // memory, register
	formMI                // memory, immediate
)

// formOf looks at the first two operands only; AH..BH make it formOther.
func formOf(in *Inst) form {
	a, b := in.args[0].kind, in.args[1].kind
	if in.nargs == 1 {
		switch a {
		case argReg:
			return formR
		case argMem:
			return formM
		}
		return formOther
	}
	switch {
	case a == argReg && b == argReg:
		return formRR
	case a == argReg && b == argImm:
		return formRI
	case a == argReg && b == argMem:
		return formRM
	case a == argMem && b == argReg:
		return formMR
	case a == argMem && b == argImm:
		return formMI
	}
	return formOther
}

// Condition codes of the Jcc, SETcc and CMOVcc mnemonics, in encoding order.
var (
	jccOps   = [16]x86asm.Op{x86asm.JO, x86asm.JNO, x86asm.JB, x86asm.JAE, x86asm.JE, x86asm.JNE, x86asm.JBE, x86asm.JA, x86asm.JS, x86asm.JNS, x86asm.JP, x86asm.JNP, x86asm.JL, x86asm.JGE, x86asm.JLE, x86asm.JG}
	setccOps = [16]x86asm.Op{x86asm.SETO, x86asm.SETNO, x86asm.SETB, x86asm.SETAE, x86asm.SETE, x86asm.SETNE, x86asm.SETBE, x86asm.SETA, x86asm.SETS, x86asm.SETNS, x86asm.SETP, x86asm.SETNP, x86asm.SETL, x86asm.SETGE, x86asm.SETLE, x86asm.SETG}
	cmovOps  = [16]x86asm.Op{x86asm.CMOVO, x86asm.CMOVNO, x86asm.CMOVB, x86asm.CMOVAE, x86asm.CMOVE, x86asm.CMOVNE, x86asm.CMOVBE, x86asm.CMOVA, x86asm.CMOVS, x86asm.CMOVNS, x86asm.CMOVP, x86asm.CMOVNP, x86asm.CMOVL, x86asm.CMOVGE, x86asm.CMOVLE, x86asm.CMOVG}
)

// ccOf maps a conditional mnemonic to its condition code.
var ccOf [x86asm.VZEROUPPER + 1]uint8

func init() {
	for i := range 16 {
		ccOf[jccOps[i]] = uint8(i)
		ccOf[setccOps[i]] = uint8(i)
		ccOf[cmovOps[i]] = uint8(i)
	}
	defSel(unlocked(selMov), x86asm.MOV, x86asm.MOVNTI)
	defSel(unlocked(selMovzx), x86asm.MOVZX)
	defSel(unlocked(selMovsx), x86asm.MOVSX)
	defSel(unlocked(selMovsxd), x86asm.MOVSXD)
	defSel(unlocked(selLea), x86asm.LEA)
	defSel(selXchg, x86asm.XCHG)
	defSel(unlocked(selBswap), x86asm.BSWAP)
	defSel(unlocked(selCmov), cmovOps[:]...)
	defSel(unlocked(selSetcc), setccOps[:]...)
	defU(opCBW, x86asm.CBW)
	defU(opCWDE, x86asm.CWDE)
	defU(opCDQE, x86asm.CDQE)
	defU(opCWD, x86asm.CWD)
	defU(opCDQ, x86asm.CDQ)
	defU(opCQO, x86asm.CQO)
	defU(opXlat, x86asm.XLATB)
}

// MOV

func selMov(in *Inst) handler {
	n := in.args[0].size
	switch formOf(in) {
	case formRR:
		return bySize(n, movRR[uint8], movRR[uint16], movRR[uint32], movRR[uint64])
	case formRI:
		return bySize(n, movRI[uint8], movRI[uint16], movRI[uint32], movRI[uint64])
	case formRM:
		return bySize(n, movRM[uint8], movRM[uint16], movR32M, movR64M)
	case formMR:
		return bySize(n, movMR[uint8], movMR[uint16], movM32R, movM64R)
	case formMI:
		return bySize(n, movMI[uint8], movMI[uint16], movMI[uint32], movMI[uint64])
	}
	switch {
	case in.args[0].kind == argSeg:
		return selMovToSeg(in)
	case in.args[1].kind == argSeg:
		return opMovFromSeg
	}
	return opMovGeneric
}

func movRR[T word](c *CPU, in *Inst) { setRegT(c, in.args[0].reg, T(c.R[in.args[1].reg])) }
func movRI[T word](c *CPU, in *Inst) { setRegT(c, in.args[0].reg, T(in.imm)) }
func movRM[T word](c *CPU, in *Inst) { setRegT(c, in.args[0].reg, ldT[T](c, c.ea(in))) }
func movMR[T word](c *CPU, in *Inst) { stT(c, c.ea(in), T(c.R[in.args[1].reg])) }
func movMI[T word](c *CPU, in *Inst) { stT(c, c.ea(in), T(in.imm)) }

// The commonest sizes of loads and stores are not generic: a generic
// handler runs through a wrapper that passes its dictionary, a second call.
func movR32M(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = uint64(ldT[uint32](c, c.ea(in))) }
func movR64M(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = ldT[uint64](c, c.ea(in)) }
func movM32R(c *CPU, in *Inst) { stT(c, c.ea(in), uint32(c.R[in.args[1].reg&15])) }
func movM64R(c *CPU, in *Inst) { stT(c, c.ea(in), c.R[in.args[1].reg&15]) }

func opMovGeneric(c *CPU, in *Inst) { c.wr(in, 0, c.rd(in, 1)) }

// segSelectors are the selectors a 64-bit Linux process sees, indexed like
// argSeg registers (ES CS SS DS FS GS).
var segSelectors = [6]uint64{0, 0x33, 0x2b, 0, 0, 0}

func opMovFromSeg(c *CPU, in *Inst) { c.wr(in, 0, segSelectors[in.args[1].reg%6]) }

// MOVZX, MOVSX, MOVSXD

func selMovzx(in *Inst) handler {
	d, s := in.args[0], in.args[1]
	if d.kind != argReg {
		return nil
	}
	switch {
	case s.kind == argReg && s.size == 1:
		return bySize(d.size, nil, movzxRR[uint16, uint8], movzxRR[uint32, uint8], movzxRR[uint64, uint8])
	case s.kind == argReg && s.size == 2:
		return bySize(d.size, nil, movzxRR[uint16, uint16], movzxRR[uint32, uint16], movzxRR[uint64, uint16])
	case s.kind == argMem && s.size == 1:
		return bySize(d.size, nil, movzxRM[uint16, uint8], movzxR32M8, movzxR32M8)
	case s.kind == argMem && s.size == 2:
		return bySize(d.size, nil, movzxRM[uint16, uint16], movzxR32M16, movzxR32M16)
	}
	return opMovzxGeneric
}

// MOVZX to a 32-bit register is the one to a 64-bit register: both clear
// the upper bits. Not generic, as movR64M.
func movzxR32M8(c *CPU, in *Inst)  { c.R[in.args[0].reg&15] = uint64(ldT[uint8](c, c.ea(in))) }
func movzxR32M16(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = uint64(ldT[uint16](c, c.ea(in))) }

func movzxRR[T, S word](c *CPU, in *Inst) { setRegT(c, in.args[0].reg, T(S(c.R[in.args[1].reg]))) }
func movzxRM[T, S word](c *CPU, in *Inst) { setRegT(c, in.args[0].reg, T(ldT[S](c, c.ea(in)))) }

func opMovzxGeneric(c *CPU, in *Inst) { c.wr(in, 0, c.rd(in, 1)) }

func selMovsx(in *Inst) handler {
	d, s := in.args[0], in.args[1]
	if d.kind != argReg {
		return nil
	}
	switch {
	case s.kind == argReg && s.size == 1:
		return bySize(d.size, nil, movsxRR[uint16, uint8], movsxRR[uint32, uint8], movsxRR[uint64, uint8])
	case s.kind == argReg && s.size == 2:
		return bySize(d.size, nil, movsxRR[uint16, uint16], movsxRR[uint32, uint16], movsxRR[uint64, uint16])
	case s.kind == argMem && s.size == 1:
		return bySize(d.size, nil, movsxRM[uint16, uint8], movsxRM[uint32, uint8], movsxRM[uint64, uint8])
	case s.kind == argMem && s.size == 2:
		return bySize(d.size, nil, movsxRM[uint16, uint16], movsxRM[uint32, uint16], movsxRM[uint64, uint16])
	}
	return opMovsxGeneric
}

func movsxRR[T, S word](c *CPU, in *Inst) {
	setRegT(c, in.args[0].reg, T(signExtend(uint64(S(c.R[in.args[1].reg])), sizeOf[S]())))
}

func movsxRM[T, S word](c *CPU, in *Inst) {
	setRegT(c, in.args[0].reg, T(signExtend(uint64(ldT[S](c, c.ea(in))), sizeOf[S]())))
}

func opMovsxGeneric(c *CPU, in *Inst) {
	c.wr(in, 0, signExtend(c.rd(in, 1), in.args[1].size))
}

func selMovsxd(in *Inst) handler {
	d, s := in.args[0], in.args[1]
	if d.kind != argReg {
		return nil
	}
	switch {
	case d.size == 8 && s.kind == argReg:
		return movsxRR[uint64, uint32]
	case d.size == 8 && s.kind == argMem:
		return movsxRM[uint64, uint32]
	}
	// Without REX.W it is a plain move of the operand size.
	return opMovGeneric
}

// LEA

func selLea(in *Inst) handler {
	d := in.args[0]
	if d.kind != argReg || in.args[1].kind != argMem {
		return nil
	}
	if in.flags&instAddr32 == 0 && d.size >= 4 {
		switch {
		case in.base != noReg && in.index == noReg:
			return bySize(d.size, nil, nil, leaBD[uint32], leaBD[uint64])
		case in.base != noReg:
			return bySize(d.size, nil, nil, leaBID[uint32], leaBID[uint64])
		case in.index == noReg:
			return bySize(d.size, nil, nil, leaD[uint32], leaD[uint64])
		}
	}
	return opLeaGeneric
}

func leaBD[T word](c *CPU, in *Inst) { setRegT(c, in.args[0].reg, T(c.R[in.base]+in.disp)) }
func leaD[T word](c *CPU, in *Inst)  { setRegT(c, in.args[0].reg, T(in.disp)) }
func leaBID[T word](c *CPU, in *Inst) {
	setRegT(c, in.args[0].reg, T(c.R[in.base]+c.R[in.index]<<in.scale+in.disp))
}

// opLeaGeneric computes the address without the segment base: LEA ignores
// segment overrides.
func opLeaGeneric(c *CPU, in *Inst) {
	a := in.disp
	if in.base != noReg {
		a += c.R[in.base]
	}
	if in.index != noReg {
		a += c.R[in.index] << in.scale
	}
	if in.flags&instAddr32 != 0 {
		a = uint64(uint32(a))
	}
	c.setReg(in.args[0].reg, in.args[0].size, a)
}

// XCHG (the memory forms are in atomic.go)

// selXchg: XCHG with memory is always locked, so LOCK is allowed only there.
func selXchg(in *Inst) handler {
	switch {
	case in.args[0].kind == argMem && (in.args[1].kind == argReg || in.args[1].kind == argRegH),
		in.args[1].kind == argMem && (in.args[0].kind == argReg || in.args[0].kind == argRegH):
		return opXchgMem
	case in.flags&instLock != 0:
		return opIllegal
	case formOf(in) == formRR:
		return bySize(in.args[0].size, xchgRR[uint8], xchgRR[uint16], xchgRR[uint32], xchgRR[uint64])
	}
	return opXchgGeneric
}

func xchgRR[T word](c *CPU, in *Inst) {
	a, b := in.args[0].reg, in.args[1].reg
	va, vb := T(c.R[a]), T(c.R[b])
	setRegT(c, a, vb)
	setRegT(c, b, va)
}

func opXchgGeneric(c *CPU, in *Inst) {
	a, b := c.rd(in, 0), c.rd(in, 1)
	c.wr(in, 0, b)
	c.wr(in, 1, a)
}

// BSWAP

func selBswap(in *Inst) handler {
	if in.args[0].kind != argReg {
		return nil
	}
	return bySize(in.args[0].size, nil, opBswap16, opBswap32, opBswap64)
}

func opBswap32(c *CPU, in *Inst) {
	r := in.args[0].reg
	c.R[r] = uint64(bits.ReverseBytes32(uint32(c.R[r])))
}

func opBswap64(c *CPU, in *Inst) {
	r := in.args[0].reg
	c.R[r] = bits.ReverseBytes64(c.R[r])
}

// opBswap16 is undefined by the manual; hardware clears the low word.
func opBswap16(c *CPU, in *Inst) { setRegT(c, in.args[0].reg, uint16(0)) }

// CMOVcc: the source is always read, and a 32-bit destination is written
// (zero-extended) even when the condition is false.

func selCmov(in *Inst) handler {
	in.cc = ccOf[in.op]
	n := in.args[0].size
	switch formOf(in) {
	case formRR:
		return bySize(n, nil, cmovRR[uint16], cmovRR[uint32], cmovRR[uint64])
	case formRM:
		return bySize(n, nil, cmovRM[uint16], cmovRM[uint32], cmovRM[uint64])
	}
	return nil
}

func cmovRR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	v := T(c.R[in.args[1].reg])
	if !c.cond(in.cc) {
		v = T(c.R[d])
	}
	setRegT(c, d, v)
}

func cmovRM[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	v := ldT[T](c, c.ea(in))
	if !c.cond(in.cc) {
		v = T(c.R[d])
	}
	setRegT(c, d, v)
}

// SETcc

func selSetcc(in *Inst) handler {
	in.cc = ccOf[in.op]
	switch in.args[0].kind {
	case argReg:
		return setccR
	case argMem:
		return setccM
	}
	return setccGeneric
}

func boolU8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func setccR(c *CPU, in *Inst)       { setRegT(c, in.args[0].reg, boolU8(c.cond(in.cc))) }
func setccM(c *CPU, in *Inst)       { stT(c, c.ea(in), boolU8(c.cond(in.cc))) }
func setccGeneric(c *CPU, in *Inst) { c.wr(in, 0, uint64(boolU8(c.cond(in.cc)))) }

// Sign extensions of the accumulator.

func opCBW(c *CPU, in *Inst)  { setRegT(c, RAX, uint16(int8(c.R[RAX]))) }
func opCWDE(c *CPU, in *Inst) { setRegT(c, RAX, uint32(int16(c.R[RAX]))) }
func opCDQE(c *CPU, in *Inst) { c.R[RAX] = uint64(int32(c.R[RAX])) }
func opCWD(c *CPU, in *Inst)  { setRegT(c, RDX, uint16(int16(c.R[RAX])>>15)) }
func opCDQ(c *CPU, in *Inst)  { setRegT(c, RDX, uint32(int32(c.R[RAX])>>31)) }
func opCQO(c *CPU, in *Inst)  { c.R[RDX] = uint64(int64(c.R[RAX]) >> 63) }

// opXlat: AL = [RBX + AL], with the instruction's address size and segment.
func opXlat(c *CPU, in *Inst) {
	a := c.R[RBX] + c.R[RAX]&0xff
	if in.flags&instAddr32 != 0 {
		a = uint64(uint32(a))
	}
	switch in.seg {
	case segFS:
		a += c.FSBase
	case segGS:
		a += c.GSBase
	}
	setRegT(c, RAX, ldT[uint8](c, a))
}
