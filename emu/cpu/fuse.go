package cpu

import "golang.org/x/arch/x86/x86asm"

// Peephole optimisations of a decoded block, which decodeBlock applies:
// handlers that rely on the instructions after them in the block. They are
// marked instPeephole, and Step, which runs one instruction, runs such an
// instruction decoded alone instead. Nothing here changes what a fault or
// a signal (delivered between blocks) sees.
func peephole(insts []Inst) []Inst {
	dropRotateFlags(insts)
	dropALUFlags(insts)
	return fuse(insts)
}

// Compare and branch. Most loops end in CMP or TEST and a Jcc; when a block
// does, the pair becomes one instruction that sets the flags lazily, as CMP
// or TEST would, and branches on its operands directly. That saves a
// dispatch and the condition's evaluation from the lazy state. The fused
// instruction keeps the CMP's address, operands and length; the Jcc's
// target goes in imm2, its condition in cc, and next is past the Jcc. Only
// register and immediate forms are fused, which cannot fault.

// fuse fuses the last two instructions of insts if they are CMP or TEST
// and Jcc, and returns the instructions left.
func fuse(insts []Inst) []Inst {
	n := len(insts)
	if n < 2 || !isJcc[insts[n-1].op] {
		return insts
	}
	p, j := &insts[n-2], &insts[n-1]
	if p.flags&instLock != 0 || p.nargs != 2 {
		return insts
	}
	var hs *[16][4]handler
	switch f := formOf(p); {
	case p.op == x86asm.CMP && f == formRR:
		hs = &cmpRRJcc
	case p.op == x86asm.CMP && f == formRI:
		hs = &cmpRIJcc
	case p.op == x86asm.TEST && f == formRR:
		hs = &testRRJcc
	case p.op == x86asm.TEST && f == formRI:
		hs = &testRIJcc
	default:
		return insts
	}
	h := bySize(p.args[0].size, hs[j.cc][0], hs[j.cc][1], hs[j.cc][2], hs[j.cc][3])
	if h == nil {
		return insts
	}
	p.fn = h
	p.imm2 = j.imm
	p.cc = j.cc
	p.next = j.next
	p.flags |= instPeephole
	return insts[:n-1]
}

var isJcc = func() (t [x86asm.VZEROUPPER + 1]bool) {
	for _, op := range jccOps {
		t[op] = true
	}
	return t
}()

// branchIf ends a fused instruction: the Jcc's jump.
func (c *CPU) branchIf(in *Inst, taken bool) {
	if taken {
		c.RIP = in.imm2
	}
}

// sx is v sign-extended.
func sx[T word](v T) int64 { return int64(signExtend(uint64(v), sizeOf[T]())) }

// CMP r, r/imm; Jcc for the conditions that compare the operands.

func cmpRRab[T word](c *CPU, in *Inst) (T, T) {
	a, b := T(c.R[in.args[0].reg]), T(c.R[in.args[1].reg])
	aluSub(c, a, b)
	return a, b
}

func cmpRIab[T word](c *CPU, in *Inst) (T, T) {
	a, b := T(c.R[in.args[0].reg]), T(in.imm)
	aluSub(c, a, b)
	return a, b
}

func cmpRRjb[T word](c *CPU, in *Inst)  { a, b := cmpRRab[T](c, in); c.branchIf(in, a < b) }
func cmpRRjae[T word](c *CPU, in *Inst) { a, b := cmpRRab[T](c, in); c.branchIf(in, a >= b) }
func cmpRRje[T word](c *CPU, in *Inst)  { a, b := cmpRRab[T](c, in); c.branchIf(in, a == b) }
func cmpRRjne[T word](c *CPU, in *Inst) { a, b := cmpRRab[T](c, in); c.branchIf(in, a != b) }
func cmpRRjbe[T word](c *CPU, in *Inst) { a, b := cmpRRab[T](c, in); c.branchIf(in, a <= b) }
func cmpRRja[T word](c *CPU, in *Inst)  { a, b := cmpRRab[T](c, in); c.branchIf(in, a > b) }
func cmpRRjl[T word](c *CPU, in *Inst)  { a, b := cmpRRab[T](c, in); c.branchIf(in, sx(a) < sx(b)) }
func cmpRRjge[T word](c *CPU, in *Inst) { a, b := cmpRRab[T](c, in); c.branchIf(in, sx(a) >= sx(b)) }
func cmpRRjle[T word](c *CPU, in *Inst) { a, b := cmpRRab[T](c, in); c.branchIf(in, sx(a) <= sx(b)) }
func cmpRRjg[T word](c *CPU, in *Inst)  { a, b := cmpRRab[T](c, in); c.branchIf(in, sx(a) > sx(b)) }

func cmpRIjb[T word](c *CPU, in *Inst)  { a, b := cmpRIab[T](c, in); c.branchIf(in, a < b) }
func cmpRIjae[T word](c *CPU, in *Inst) { a, b := cmpRIab[T](c, in); c.branchIf(in, a >= b) }
func cmpRIje[T word](c *CPU, in *Inst)  { a, b := cmpRIab[T](c, in); c.branchIf(in, a == b) }
func cmpRIjne[T word](c *CPU, in *Inst) { a, b := cmpRIab[T](c, in); c.branchIf(in, a != b) }
func cmpRIjbe[T word](c *CPU, in *Inst) { a, b := cmpRIab[T](c, in); c.branchIf(in, a <= b) }
func cmpRIja[T word](c *CPU, in *Inst)  { a, b := cmpRIab[T](c, in); c.branchIf(in, a > b) }
func cmpRIjl[T word](c *CPU, in *Inst)  { a, b := cmpRIab[T](c, in); c.branchIf(in, sx(a) < sx(b)) }
func cmpRIjge[T word](c *CPU, in *Inst) { a, b := cmpRIab[T](c, in); c.branchIf(in, sx(a) >= sx(b)) }
func cmpRIjle[T word](c *CPU, in *Inst) { a, b := cmpRIab[T](c, in); c.branchIf(in, sx(a) <= sx(b)) }
func cmpRIjg[T word](c *CPU, in *Inst)  { a, b := cmpRIab[T](c, in); c.branchIf(in, sx(a) > sx(b)) }

// TEST r, r/imm; Jcc: CF and OF are clear, so the conditions depend on the
// result's zero and sign only (L is S, LE is E or S).

func testRRr[T word](c *CPU, in *Inst) T {
	return aluLogic(c, T(c.R[in.args[0].reg])&T(c.R[in.args[1].reg]))
}

func testRIr[T word](c *CPU, in *Inst) T { return aluLogic(c, T(c.R[in.args[0].reg])&T(in.imm)) }

func testRRje[T word](c *CPU, in *Inst)  { c.branchIf(in, testRRr[T](c, in) == 0) }
func testRRjne[T word](c *CPU, in *Inst) { c.branchIf(in, testRRr[T](c, in) != 0) }
func testRRjs[T word](c *CPU, in *Inst)  { c.branchIf(in, sx(testRRr[T](c, in)) < 0) }
func testRRjns[T word](c *CPU, in *Inst) { c.branchIf(in, sx(testRRr[T](c, in)) >= 0) }
func testRRjle[T word](c *CPU, in *Inst) { c.branchIf(in, sx(testRRr[T](c, in)) <= 0) }
func testRRjg[T word](c *CPU, in *Inst)  { c.branchIf(in, sx(testRRr[T](c, in)) > 0) }

func testRIje[T word](c *CPU, in *Inst)  { c.branchIf(in, testRIr[T](c, in) == 0) }
func testRIjne[T word](c *CPU, in *Inst) { c.branchIf(in, testRIr[T](c, in) != 0) }
func testRIjs[T word](c *CPU, in *Inst)  { c.branchIf(in, sx(testRIr[T](c, in)) < 0) }
func testRIjns[T word](c *CPU, in *Inst) { c.branchIf(in, sx(testRIr[T](c, in)) >= 0) }
func testRIjle[T word](c *CPU, in *Inst) { c.branchIf(in, sx(testRIr[T](c, in)) <= 0) }
func testRIjg[T word](c *CPU, in *Inst)  { c.branchIf(in, sx(testRIr[T](c, in)) > 0) }

// The fused handlers by condition code and operand size (1, 2, 4, 8 bytes);
// nil where the pair stays apart.
var (
	cmpRRJcc = [16][4]handler{
		0x2: {cmpRRjb[uint8], cmpRRjb[uint16], cmpRRjb[uint32], cmpRRjb[uint64]},
		0x3: {cmpRRjae[uint8], cmpRRjae[uint16], cmpRRjae[uint32], cmpRRjae[uint64]},
		0x4: {cmpRRje[uint8], cmpRRje[uint16], cmpRRje[uint32], cmpRRje[uint64]},
		0x5: {cmpRRjne[uint8], cmpRRjne[uint16], cmpRRjne[uint32], cmpRRjne[uint64]},
		0x6: {cmpRRjbe[uint8], cmpRRjbe[uint16], cmpRRjbe[uint32], cmpRRjbe[uint64]},
		0x7: {cmpRRja[uint8], cmpRRja[uint16], cmpRRja[uint32], cmpRRja[uint64]},
		0xc: {cmpRRjl[uint8], cmpRRjl[uint16], cmpRRjl[uint32], cmpRRjl[uint64]},
		0xd: {cmpRRjge[uint8], cmpRRjge[uint16], cmpRRjge[uint32], cmpRRjge[uint64]},
		0xe: {cmpRRjle[uint8], cmpRRjle[uint16], cmpRRjle[uint32], cmpRRjle[uint64]},
		0xf: {cmpRRjg[uint8], cmpRRjg[uint16], cmpRRjg[uint32], cmpRRjg[uint64]},
	}
	cmpRIJcc = [16][4]handler{
		0x2: {cmpRIjb[uint8], cmpRIjb[uint16], cmpRIjb[uint32], cmpRIjb[uint64]},
		0x3: {cmpRIjae[uint8], cmpRIjae[uint16], cmpRIjae[uint32], cmpRIjae[uint64]},
		0x4: {cmpRIje[uint8], cmpRIje[uint16], cmpRIje[uint32], cmpRIje[uint64]},
		0x5: {cmpRIjne[uint8], cmpRIjne[uint16], cmpRIjne[uint32], cmpRIjne[uint64]},
		0x6: {cmpRIjbe[uint8], cmpRIjbe[uint16], cmpRIjbe[uint32], cmpRIjbe[uint64]},
		0x7: {cmpRIja[uint8], cmpRIja[uint16], cmpRIja[uint32], cmpRIja[uint64]},
		0xc: {cmpRIjl[uint8], cmpRIjl[uint16], cmpRIjl[uint32], cmpRIjl[uint64]},
		0xd: {cmpRIjge[uint8], cmpRIjge[uint16], cmpRIjge[uint32], cmpRIjge[uint64]},
		0xe: {cmpRIjle[uint8], cmpRIjle[uint16], cmpRIjle[uint32], cmpRIjle[uint64]},
		0xf: {cmpRIjg[uint8], cmpRIjg[uint16], cmpRIjg[uint32], cmpRIjg[uint64]},
	}
	testRRJcc = [16][4]handler{
		0x4: {testRRje[uint8], testRRje[uint16], testRRje[uint32], testRRje[uint64]},
		0x5: {testRRjne[uint8], testRRjne[uint16], testRRjne[uint32], testRRjne[uint64]},
		0x8: {testRRjs[uint8], testRRjs[uint16], testRRjs[uint32], testRRjs[uint64]},
		0x9: {testRRjns[uint8], testRRjns[uint16], testRRjns[uint32], testRRjns[uint64]},
		0xc: {testRRjs[uint8], testRRjs[uint16], testRRjs[uint32], testRRjs[uint64]},
		0xd: {testRRjns[uint8], testRRjns[uint16], testRRjns[uint32], testRRjns[uint64]},
		0xe: {testRRjle[uint8], testRRjle[uint16], testRRjle[uint32], testRRjle[uint64]},
		0xf: {testRRjg[uint8], testRRjg[uint16], testRRjg[uint32], testRRjg[uint64]},
	}
	testRIJcc = [16][4]handler{
		0x4: {testRIje[uint8], testRIje[uint16], testRIje[uint32], testRIje[uint64]},
		0x5: {testRIjne[uint8], testRIjne[uint16], testRIjne[uint32], testRIjne[uint64]},
		0x8: {testRIjs[uint8], testRIjs[uint16], testRIjs[uint32], testRIjs[uint64]},
		0x9: {testRIjns[uint8], testRIjns[uint16], testRIjns[uint32], testRIjns[uint64]},
		0xc: {testRIjs[uint8], testRIjs[uint16], testRIjs[uint32], testRIjs[uint64]},
		0xd: {testRIjns[uint8], testRIjns[uint16], testRIjns[uint32], testRIjns[uint64]},
		0xe: {testRIjle[uint8], testRIjle[uint16], testRIjle[uint32], testRIjle[uint64]},
		0xf: {testRIjg[uint8], testRIjg[uint16], testRIjg[uint32], testRIjg[uint64]},
	}
)

// Rotates. ROL and ROR set CF and OF and keep the other status flags, so
// they materialise the lazy flags: a good part of the time of hashing code,
// which rotates a lot. Where the block goes on to overwrite CF and OF
// without reading the flags or possibly faulting, the rotate's flags are
// dead and a handler that leaves the flags alone does.
func dropRotateFlags(insts []Inst) {
	for i := range insts {
		in := &insts[i]
		if (in.op != x86asm.ROL && in.op != x86asm.ROR) || formOf(in) != formRI || !flagsDead(insts[i+1:], false) {
			continue
		}
		hs := &rolNoFlags
		if in.op == x86asm.ROR {
			hs = &rorNoFlags
		}
		if h := bySize(in.args[0].size, hs[0], hs[1], hs[2], hs[3]); h != nil {
			in.fn = h
			in.flags |= instPeephole
		}
	}
}

// flagsDead reports whether insts overwrite the status flags (only CF and
// OF unless all) before anything reads a flag or may fault.
func flagsDead(insts []Inst, all bool) bool {
	for i := range insts {
		in := &insts[i]
		f := formOf(in)
		switch in.op {
		case x86asm.ADD, x86asm.SUB, x86asm.AND, x86asm.OR, x86asm.XOR, x86asm.CMP, x86asm.TEST:
			// They set every status flag from their operands alone.
			return (f == formRR || f == formRI) && in.flags&instLock == 0
		case x86asm.ROL, x86asm.ROR:
			// A nonzero count sets CF and OF, keeping (so reading) the
			// others; a zero one reads nothing.
			if f != formRI || all {
				return false
			}
			if in.imm&countMask(in.args[0].size) != 0 {
				return true
			}
		case x86asm.MOV, x86asm.MOVZX, x86asm.MOVSX, x86asm.MOVSXD:
			if f != formRR && f != formRI {
				return false
			}
		case x86asm.LEA, x86asm.NOP:
		default:
			return false
		}
	}
	return false
}

func rolNF[T word](c *CPU, in *Inst) {
	d, k := in.args[0].reg, regShiftCount[T](c, in)
	a, n := T(c.R[d]), 8*uint64(sizeOf[T]())
	setRegT(c, d, a<<(k%n)|a>>((n-k%n)%n))
}

func rorNF[T word](c *CPU, in *Inst) {
	d, k := in.args[0].reg, regShiftCount[T](c, in)
	a, n := T(c.R[d]), 8*uint64(sizeOf[T]())
	setRegT(c, d, a>>(k%n)|a<<((n-k%n)%n))
}

var (
	rolNoFlags = [4]handler{rolNF[uint8], rolNF[uint16], rolNF[uint32], rolNF[uint64]}
	rorNoFlags = [4]handler{rorNF[uint8], rorNF[uint16], rorNF[uint32], rorNF[uint64]}
)

// ALU operations. ADD, SUB, AND, OR and XOR of registers and immediates
// whose flags the rest of the block overwrites before anything reads them
// or may fault skip recording them.
func dropALUFlags(insts []Inst) {
	for i := range insts {
		in := &insts[i]
		if in.flags&instLock != 0 {
			continue
		}
		var hs *[2][4]handler
		switch in.op {
		case x86asm.ADD:
			hs = &addNoFlags
		case x86asm.SUB:
			hs = &subNoFlags
		case x86asm.AND:
			hs = &andNoFlags
		case x86asm.OR:
			hs = &orNoFlags
		case x86asm.XOR:
			hs = &xorNoFlags
		default:
			continue
		}
		form := 0
		switch formOf(in) {
		case formRR:
		case formRI:
			form = 1
		default:
			continue
		}
		if !flagsDead(insts[i+1:], true) {
			continue
		}
		if h := bySize(in.args[0].size, hs[form][0], hs[form][1], hs[form][2], hs[form][3]); h != nil {
			in.fn = h
			in.flags |= instPeephole
		}
	}
}

func addRRnf[T word](c *CPU, in *Inst) { d, a, b := rrOps[T](c, in); setRegT(c, d, a+b) }
func subRRnf[T word](c *CPU, in *Inst) { d, a, b := rrOps[T](c, in); setRegT(c, d, a-b) }
func andRRnf[T word](c *CPU, in *Inst) { d, a, b := rrOps[T](c, in); setRegT(c, d, a&b) }
func orRRnf[T word](c *CPU, in *Inst)  { d, a, b := rrOps[T](c, in); setRegT(c, d, a|b) }
func xorRRnf[T word](c *CPU, in *Inst) { d, a, b := rrOps[T](c, in); setRegT(c, d, a^b) }
func addRInf[T word](c *CPU, in *Inst) { d, a, b := riOps[T](c, in); setRegT(c, d, a+b) }
func subRInf[T word](c *CPU, in *Inst) { d, a, b := riOps[T](c, in); setRegT(c, d, a-b) }
func andRInf[T word](c *CPU, in *Inst) { d, a, b := riOps[T](c, in); setRegT(c, d, a&b) }
func orRInf[T word](c *CPU, in *Inst)  { d, a, b := riOps[T](c, in); setRegT(c, d, a|b) }
func xorRInf[T word](c *CPU, in *Inst) { d, a, b := riOps[T](c, in); setRegT(c, d, a^b) }

// rrOps and riOps return the destination register and the operands.
func rrOps[T word](c *CPU, in *Inst) (uint8, T, T) {
	d := in.args[0].reg
	return d, T(c.R[d]), T(c.R[in.args[1].reg])
}

func riOps[T word](c *CPU, in *Inst) (uint8, T, T) {
	d := in.args[0].reg
	return d, T(c.R[d]), T(in.imm)
}

// The handlers without flags by form (register, immediate) and size.
var (
	addNoFlags = [2][4]handler{
		{addRRnf[uint8], addRRnf[uint16], addRRnf[uint32], addRRnf[uint64]},
		{addRInf[uint8], addRInf[uint16], addRInf[uint32], addRInf[uint64]},
	}
	subNoFlags = [2][4]handler{
		{subRRnf[uint8], subRRnf[uint16], subRRnf[uint32], subRRnf[uint64]},
		{subRInf[uint8], subRInf[uint16], subRInf[uint32], subRInf[uint64]},
	}
	andNoFlags = [2][4]handler{
		{andRRnf[uint8], andRRnf[uint16], andRRnf[uint32], andRRnf[uint64]},
		{andRInf[uint8], andRInf[uint16], andRInf[uint32], andRInf[uint64]},
	}
	orNoFlags = [2][4]handler{
		{orRRnf[uint8], orRRnf[uint16], orRRnf[uint32], orRRnf[uint64]},
		{orRInf[uint8], orRInf[uint16], orRInf[uint32], orRInf[uint64]},
	}
	xorNoFlags = [2][4]handler{
		{xorRRnf[uint8], xorRRnf[uint16], xorRRnf[uint32], xorRRnf[uint64]},
		{xorRInf[uint8], xorRInf[uint16], xorRInf[uint32], xorRInf[uint64]},
	}
)
