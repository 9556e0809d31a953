package cpu

import "golang.org/x/arch/x86/x86asm"

// Integer arithmetic and logic: ADD ADC SUB SBB AND OR XOR CMP TEST, INC
// DEC NEG NOT. Register and plain memory forms have handlers per size; AH..BH
// operands and LOCKed memory forms take the generic path. A memory
// destination is written before the flags change, so a fault leaves them.

func init() {
	defSel(selAdd, x86asm.ADD)
	defSel(selAdc, x86asm.ADC)
	defSel(selSub, x86asm.SUB)
	defSel(selSbb, x86asm.SBB)
	defSel(selAnd, x86asm.AND)
	defSel(selOr, x86asm.OR)
	defSel(selXor, x86asm.XOR)
	defSel(unlocked(selCmp), x86asm.CMP)
	defSel(unlocked(selTest), x86asm.TEST)
	defSel(selInc, x86asm.INC)
	defSel(selDec, x86asm.DEC)
	defSel(selNeg, x86asm.NEG)
	defSel(selNot, x86asm.NOT)
}

// binSel picks a binary ALU handler: per-size handlers for the five plain
// forms (nil entries fall back to the generic path), the generic one
// otherwise. LOCK needs a memory destination.
func binSel(in *Inst, rr, ri, rm, mr, mi [4]handler) handler {
	if in.flags&instLock != 0 {
		if in.args[0].kind != argMem {
			return opIllegal
		}
		return opAluGeneric
	}
	var hs *[4]handler
	switch formOf(in) {
	case formRR:
		hs = &rr
	case formRI:
		hs = &ri
	case formRM:
		hs = &rm
	case formMR:
		hs = &mr
	case formMI:
		hs = &mi
	default:
		return opAluGeneric
	}
	if h := bySize(in.args[0].size, hs[0], hs[1], hs[2], hs[3]); h != nil {
		return h
	}
	return opAluGeneric
}

// The 32- and 64-bit register forms of the five ALU operations are not
// generic: a generic handler runs through a wrapper that passes its
// dictionary, a second call (see movR64M).

func addRR32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(c.R[in.args[1].reg&15])
	r := a + b
	c.R[d] = uint64(r)
	c.setLazy(lazyAdd, 4, uint64(a), uint64(b), uint64(r))
}

func addRR64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], c.R[in.args[1].reg&15]
	r := a + b
	c.R[d] = r
	c.setLazy(lazyAdd, 8, a, b, r)
}

func addRI32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(in.imm)
	r := a + b
	c.R[d] = uint64(r)
	c.setLazy(lazyAdd, 4, uint64(a), uint64(b), uint64(r))
}

func addRI64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], in.imm
	r := a + b
	c.R[d] = r
	c.setLazy(lazyAdd, 8, a, b, r)
}

func subRR32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(c.R[in.args[1].reg&15])
	r := a - b
	c.R[d] = uint64(r)
	c.setLazy(lazySub, 4, uint64(a), uint64(b), uint64(r))
}

func subRR64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], c.R[in.args[1].reg&15]
	r := a - b
	c.R[d] = r
	c.setLazy(lazySub, 8, a, b, r)
}

func subRI32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(in.imm)
	r := a - b
	c.R[d] = uint64(r)
	c.setLazy(lazySub, 4, uint64(a), uint64(b), uint64(r))
}

func subRI64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], in.imm
	r := a - b
	c.R[d] = r
	c.setLazy(lazySub, 8, a, b, r)
}

func andRR32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(c.R[in.args[1].reg&15])
	r := a & b
	c.R[d] = uint64(r)
	c.setLazy(lazyLogic, 4, 0, 0, uint64(r))
}

func andRR64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], c.R[in.args[1].reg&15]
	r := a & b
	c.R[d] = r
	c.setLazy(lazyLogic, 8, 0, 0, r)
}

func andRI32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(in.imm)
	r := a & b
	c.R[d] = uint64(r)
	c.setLazy(lazyLogic, 4, 0, 0, uint64(r))
}

func andRI64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], in.imm
	r := a & b
	c.R[d] = r
	c.setLazy(lazyLogic, 8, 0, 0, r)
}

func orRR32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(c.R[in.args[1].reg&15])
	r := a | b
	c.R[d] = uint64(r)
	c.setLazy(lazyLogic, 4, 0, 0, uint64(r))
}

func orRR64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], c.R[in.args[1].reg&15]
	r := a | b
	c.R[d] = r
	c.setLazy(lazyLogic, 8, 0, 0, r)
}

func orRI32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(in.imm)
	r := a | b
	c.R[d] = uint64(r)
	c.setLazy(lazyLogic, 4, 0, 0, uint64(r))
}

func orRI64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], in.imm
	r := a | b
	c.R[d] = r
	c.setLazy(lazyLogic, 8, 0, 0, r)
}

func xorRR32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(c.R[in.args[1].reg&15])
	r := a ^ b
	c.R[d] = uint64(r)
	c.setLazy(lazyLogic, 4, 0, 0, uint64(r))
}

func xorRR64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], c.R[in.args[1].reg&15]
	r := a ^ b
	c.R[d] = r
	c.setLazy(lazyLogic, 8, 0, 0, r)
}

func xorRI32(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := uint32(c.R[d]), uint32(in.imm)
	r := a ^ b
	c.R[d] = uint64(r)
	c.setLazy(lazyLogic, 4, 0, 0, uint64(r))
}

func xorRI64(c *CPU, in *Inst) {
	d := in.args[0].reg & 15
	a, b := c.R[d], in.imm
	r := a ^ b
	c.R[d] = r
	c.setLazy(lazyLogic, 8, 0, 0, r)
}

// ADD

func aluAdd[T word](c *CPU, a, b T) T {
	r := a + b
	c.setLazy(lazyAdd, sizeOf[T](), uint64(a), uint64(b), uint64(r))
	return r
}

func addRR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluAdd(c, T(c.R[d]), T(c.R[in.args[1].reg])))
}

func addRI[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluAdd(c, T(c.R[d]), T(in.imm)))
}

func addRM[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluAdd(c, T(c.R[d]), ldT[T](c, c.ea(in))))
}

func addMR[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	a, b := ldT[T](c, p), T(c.R[in.args[1].reg])
	stT(c, p, a+b)
	aluAdd(c, a, b)
}

func addMI[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	a, b := ldT[T](c, p), T(in.imm)
	stT(c, p, a+b)
	aluAdd(c, a, b)
}

func selAdd(in *Inst) handler {
	return binSel(in,
		[4]handler{addRR[uint8], addRR[uint16], addRR32, addRR64},
		[4]handler{addRI[uint8], addRI[uint16], addRI32, addRI64},
		[4]handler{addRM[uint8], addRM[uint16], addRM[uint32], addRM[uint64]},
		[4]handler{addMR[uint8], addMR[uint16], addMR[uint32], addMR[uint64]},
		[4]handler{addMI[uint8], addMI[uint16], addMI[uint32], addMI[uint64]})
}

// SUB

func aluSub[T word](c *CPU, a, b T) T {
	r := a - b
	c.setLazy(lazySub, sizeOf[T](), uint64(a), uint64(b), uint64(r))
	return r
}

func subRR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluSub(c, T(c.R[d]), T(c.R[in.args[1].reg])))
}

func subRI[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluSub(c, T(c.R[d]), T(in.imm)))
}

func subRM[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluSub(c, T(c.R[d]), ldT[T](c, c.ea(in))))
}

func subMR[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	a, b := ldT[T](c, p), T(c.R[in.args[1].reg])
	stT(c, p, a-b)
	aluSub(c, a, b)
}

func subMI[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	a, b := ldT[T](c, p), T(in.imm)
	stT(c, p, a-b)
	aluSub(c, a, b)
}

func selSub(in *Inst) handler {
	return binSel(in,
		[4]handler{subRR[uint8], subRR[uint16], subRR32, subRR64},
		[4]handler{subRI[uint8], subRI[uint16], subRI32, subRI64},
		[4]handler{subRM[uint8], subRM[uint16], subRM[uint32], subRM[uint64]},
		[4]handler{subMR[uint8], subMR[uint16], subMR[uint32], subMR[uint64]},
		[4]handler{subMI[uint8], subMI[uint16], subMI[uint32], subMI[uint64]})
}

// CMP

func cmpRR[T word](c *CPU, in *Inst) { aluSub(c, T(c.R[in.args[0].reg]), T(c.R[in.args[1].reg])) }
func cmpRI[T word](c *CPU, in *Inst) { aluSub(c, T(c.R[in.args[0].reg]), T(in.imm)) }
func cmpRM[T word](c *CPU, in *Inst) { aluSub(c, T(c.R[in.args[0].reg]), ldT[T](c, c.ea(in))) }
func cmpMR[T word](c *CPU, in *Inst) { aluSub(c, ldT[T](c, c.ea(in)), T(c.R[in.args[1].reg])) }
func cmpMI[T word](c *CPU, in *Inst) { aluSub(c, ldT[T](c, c.ea(in)), T(in.imm)) }

func selCmp(in *Inst) handler {
	return binSel(in,
		[4]handler{cmpRR[uint8], cmpRR[uint16], cmpRR[uint32], cmpRR[uint64]},
		[4]handler{cmpRI[uint8], cmpRI[uint16], cmpRI[uint32], cmpRI[uint64]},
		[4]handler{cmpRM[uint8], cmpRM[uint16], cmpRM[uint32], cmpRM[uint64]},
		[4]handler{cmpMR[uint8], cmpMR[uint16], cmpMR[uint32], cmpMR[uint64]},
		[4]handler{cmpMI[uint8], cmpMI[uint16], cmpMI[uint32], cmpMI[uint64]})
}

// AND, OR, XOR, TEST

func aluLogic[T word](c *CPU, r T) T {
	c.setLazy(lazyLogic, sizeOf[T](), 0, 0, uint64(r))
	return r
}

func andRR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluLogic(c, T(c.R[d])&T(c.R[in.args[1].reg])))
}

func andRI[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluLogic(c, T(c.R[d])&T(in.imm)))
}

func andRM[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluLogic(c, T(c.R[d])&ldT[T](c, c.ea(in))))
}

func andMR[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	r := ldT[T](c, p) & T(c.R[in.args[1].reg])
	stT(c, p, r)
	aluLogic(c, r)
}

func andMI[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	r := ldT[T](c, p) & T(in.imm)
	stT(c, p, r)
	aluLogic(c, r)
}

func selAnd(in *Inst) handler {
	return binSel(in,
		[4]handler{andRR[uint8], andRR[uint16], andRR32, andRR64},
		[4]handler{andRI[uint8], andRI[uint16], andRI32, andRI64},
		[4]handler{andRM[uint8], andRM[uint16], andRM[uint32], andRM[uint64]},
		[4]handler{andMR[uint8], andMR[uint16], andMR[uint32], andMR[uint64]},
		[4]handler{andMI[uint8], andMI[uint16], andMI[uint32], andMI[uint64]})
}

func orRR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluLogic(c, T(c.R[d])|T(c.R[in.args[1].reg])))
}

func orRI[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluLogic(c, T(c.R[d])|T(in.imm)))
}

func orRM[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluLogic(c, T(c.R[d])|ldT[T](c, c.ea(in))))
}

func orMR[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	r := ldT[T](c, p) | T(c.R[in.args[1].reg])
	stT(c, p, r)
	aluLogic(c, r)
}

func orMI[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	r := ldT[T](c, p) | T(in.imm)
	stT(c, p, r)
	aluLogic(c, r)
}

func selOr(in *Inst) handler {
	return binSel(in,
		[4]handler{orRR[uint8], orRR[uint16], orRR32, orRR64},
		[4]handler{orRI[uint8], orRI[uint16], orRI32, orRI64},
		[4]handler{orRM[uint8], orRM[uint16], orRM[uint32], orRM[uint64]},
		[4]handler{orMR[uint8], orMR[uint16], orMR[uint32], orMR[uint64]},
		[4]handler{orMI[uint8], orMI[uint16], orMI[uint32], orMI[uint64]})
}

func xorRR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluLogic(c, T(c.R[d])^T(c.R[in.args[1].reg])))
}

func xorRI[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluLogic(c, T(c.R[d])^T(in.imm)))
}

func xorRM[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluLogic(c, T(c.R[d])^ldT[T](c, c.ea(in))))
}

func xorMR[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	r := ldT[T](c, p) ^ T(c.R[in.args[1].reg])
	stT(c, p, r)
	aluLogic(c, r)
}

func xorMI[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	r := ldT[T](c, p) ^ T(in.imm)
	stT(c, p, r)
	aluLogic(c, r)
}

func selXor(in *Inst) handler {
	return binSel(in,
		[4]handler{xorRR[uint8], xorRR[uint16], xorRR32, xorRR64},
		[4]handler{xorRI[uint8], xorRI[uint16], xorRI32, xorRI64},
		[4]handler{xorRM[uint8], xorRM[uint16], xorRM[uint32], xorRM[uint64]},
		[4]handler{xorMR[uint8], xorMR[uint16], xorMR[uint32], xorMR[uint64]},
		[4]handler{xorMI[uint8], xorMI[uint16], xorMI[uint32], xorMI[uint64]})
}

func testRR[T word](c *CPU, in *Inst) { aluLogic(c, T(c.R[in.args[0].reg])&T(c.R[in.args[1].reg])) }
func testRI[T word](c *CPU, in *Inst) { aluLogic(c, T(c.R[in.args[0].reg])&T(in.imm)) }
func testMR[T word](c *CPU, in *Inst) { aluLogic(c, ldT[T](c, c.ea(in))&T(c.R[in.args[1].reg])) }
func testMI[T word](c *CPU, in *Inst) { aluLogic(c, ldT[T](c, c.ea(in))&T(in.imm)) }

func selTest(in *Inst) handler {
	return binSel(in,
		[4]handler{testRR[uint8], testRR[uint16], testRR[uint32], testRR[uint64]},
		[4]handler{testRI[uint8], testRI[uint16], testRI[uint32], testRI[uint64]},
		[4]handler{},
		[4]handler{testMR[uint8], testMR[uint16], testMR[uint32], testMR[uint64]},
		[4]handler{testMI[uint8], testMI[uint16], testMI[uint32], testMI[uint64]})
}

// ADC, SBB: the carry is read before anything changes.

func adcRR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	a, b, cin := T(c.R[d]), T(c.R[in.args[1].reg]), c.cf()
	r := a + b + T(cin)
	setRegT(c, d, r)
	c.setLazy(lazyAdc, sizeOf[T](), uint64(a), uint64(b), uint64(r))
	c.lazyC = cin
}

func adcRI[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	a, b, cin := T(c.R[d]), T(in.imm), c.cf()
	r := a + b + T(cin)
	setRegT(c, d, r)
	c.setLazy(lazyAdc, sizeOf[T](), uint64(a), uint64(b), uint64(r))
	c.lazyC = cin
}

func sbbRR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	a, b, cin := T(c.R[d]), T(c.R[in.args[1].reg]), c.cf()
	r := a - b - T(cin)
	setRegT(c, d, r)
	c.setLazy(lazySbb, sizeOf[T](), uint64(a), uint64(b), uint64(r))
	c.lazyC = cin
}

func sbbRI[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	a, b, cin := T(c.R[d]), T(in.imm), c.cf()
	r := a - b - T(cin)
	setRegT(c, d, r)
	c.setLazy(lazySbb, sizeOf[T](), uint64(a), uint64(b), uint64(r))
	c.lazyC = cin
}

var noHandlers [4]handler

func selAdc(in *Inst) handler {
	return binSel(in,
		[4]handler{adcRR[uint8], adcRR[uint16], adcRR[uint32], adcRR[uint64]},
		[4]handler{adcRI[uint8], adcRI[uint16], adcRI[uint32], adcRI[uint64]},
		noHandlers, noHandlers, noHandlers)
}

func selSbb(in *Inst) handler {
	return binSel(in,
		[4]handler{sbbRR[uint8], sbbRR[uint16], sbbRR[uint32], sbbRR[uint64]},
		[4]handler{sbbRI[uint8], sbbRI[uint16], sbbRI[uint32], sbbRI[uint64]},
		noHandlers, noHandlers, noHandlers)
}

// The generic path.

// aluCalc computes a binary operation; cin is the carry for ADC and SBB.
func aluCalc(op x86asm.Op, a, b, cin uint64) uint64 {
	switch op {
	case x86asm.ADD:
		return a + b
	case x86asm.ADC:
		return a + b + cin
	case x86asm.SUB, x86asm.CMP:
		return a - b
	case x86asm.SBB:
		return a - b - cin
	case x86asm.AND, x86asm.TEST:
		return a & b
	case x86asm.OR:
		return a | b
	}
	return a ^ b // XOR
}

// aluFlags records the flags of aluCalc.
func (c *CPU) aluFlags(op x86asm.Op, n uint8, a, b, cin, r uint64) {
	switch op {
	case x86asm.ADD:
		c.setLazy(lazyAdd, n, a, b, r)
	case x86asm.ADC:
		c.setLazy(lazyAdc, n, a, b, r)
		c.lazyC = cin
	case x86asm.SUB, x86asm.CMP:
		c.setLazy(lazySub, n, a, b, r)
	case x86asm.SBB:
		c.setLazy(lazySbb, n, a, b, r)
		c.lazyC = cin
	default:
		c.setLazy(lazyLogic, n, 0, 0, r)
	}
}

func opAluGeneric(c *CPU, in *Inst) {
	n := in.args[0].size
	m := sizeMask(n)
	b := c.rd(in, 1) & m
	cin := c.cf()
	var a uint64
	if in.flags&instLock != 0 {
		a = c.atomicRMW(c.ea(in), n, func(v uint64) uint64 { return aluCalc(in.op, v, b, cin) })
	} else {
		var addr uint64
		a, addr = c.rmwAddr(in)
		if in.op != x86asm.CMP && in.op != x86asm.TEST {
			c.rmwWrite(in, addr, aluCalc(in.op, a, b, cin)&m)
		}
	}
	c.aluFlags(in.op, n, a, b, cin, aluCalc(in.op, a, b, cin)&m)
}

// INC, DEC, NEG, NOT

func unarySel(in *Inst, r, m [4]handler) handler {
	if in.flags&instLock != 0 {
		if in.args[0].kind != argMem {
			return opIllegal
		}
		return opUnaryGeneric
	}
	var hs *[4]handler
	switch formOf(in) {
	case formR:
		hs = &r
	case formM:
		hs = &m
	default:
		return opUnaryGeneric
	}
	if h := bySize(in.args[0].size, hs[0], hs[1], hs[2], hs[3]); h != nil {
		return h
	}
	return opUnaryGeneric
}

// aluInc and aluDec keep CF, which the lazy state carries in lazyC.
func aluInc[T word](c *CPU, a T) {
	cf := c.cf()
	c.setLazy(lazyInc, sizeOf[T](), uint64(a), 1, uint64(a+1))
	c.lazyC = cf
}

func aluDec[T word](c *CPU, a T) {
	cf := c.cf()
	c.setLazy(lazyDec, sizeOf[T](), uint64(a), 1, uint64(a-1))
	c.lazyC = cf
}

func incR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	a := T(c.R[d])
	setRegT(c, d, a+1)
	aluInc(c, a)
}

func incM[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	a := ldT[T](c, p)
	stT(c, p, a+1)
	aluInc(c, a)
}

func decR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	a := T(c.R[d])
	setRegT(c, d, a-1)
	aluDec(c, a)
}

func decM[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	a := ldT[T](c, p)
	stT(c, p, a-1)
	aluDec(c, a)
}

func negR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, aluSub(c, 0, T(c.R[d])))
}

func negM[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	a := ldT[T](c, p)
	stT(c, p, -a)
	aluSub(c, 0, a)
}

func notR[T word](c *CPU, in *Inst) {
	d := in.args[0].reg
	setRegT(c, d, ^T(c.R[d]))
}

func notM[T word](c *CPU, in *Inst) {
	p := c.ea(in)
	stT(c, p, ^ldT[T](c, p))
}

func selInc(in *Inst) handler {
	return unarySel(in,
		[4]handler{incR[uint8], incR[uint16], incR[uint32], incR[uint64]},
		[4]handler{incM[uint8], incM[uint16], incM[uint32], incM[uint64]})
}

func selDec(in *Inst) handler {
	return unarySel(in,
		[4]handler{decR[uint8], decR[uint16], decR[uint32], decR[uint64]},
		[4]handler{decM[uint8], decM[uint16], decM[uint32], decM[uint64]})
}

func selNeg(in *Inst) handler {
	return unarySel(in,
		[4]handler{negR[uint8], negR[uint16], negR[uint32], negR[uint64]},
		[4]handler{negM[uint8], negM[uint16], negM[uint32], negM[uint64]})
}

func selNot(in *Inst) handler {
	return unarySel(in,
		[4]handler{notR[uint8], notR[uint16], notR[uint32], notR[uint64]},
		[4]handler{notM[uint8], notM[uint16], notM[uint32], notM[uint64]})
}

func unaryCalc(op x86asm.Op, a uint64) uint64 {
	switch op {
	case x86asm.INC:
		return a + 1
	case x86asm.DEC:
		return a - 1
	case x86asm.NEG:
		return -a
	}
	return ^a // NOT
}

func opUnaryGeneric(c *CPU, in *Inst) {
	n := in.args[0].size
	m := sizeMask(n)
	var a uint64
	if in.flags&instLock != 0 {
		a = c.atomicRMW(c.ea(in), n, func(v uint64) uint64 { return unaryCalc(in.op, v) })
	} else {
		var addr uint64
		a, addr = c.rmwAddr(in)
		c.rmwWrite(in, addr, unaryCalc(in.op, a)&m)
	}
	r := unaryCalc(in.op, a) & m
	switch in.op {
	case x86asm.INC, x86asm.DEC:
		cf := c.cf()
		op := lazyInc
		if in.op == x86asm.DEC {
			op = lazyDec
		}
		c.setLazy(op, n, a, 1, r)
		c.lazyC = cf
	case x86asm.NEG:
		c.setLazy(lazySub, n, 0, a, r)
	}
}
