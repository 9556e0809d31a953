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

// fuse fuses each CMP or TEST followed by a Jcc in insts (a block's last
// pair, or a side exit inside it), and the longer runs below, and returns
// the instructions left.
func fuse(insts []Inst) []Inst {
	out := insts[:0]
	for i := 0; i < len(insts); i++ {
		in := insts[i]
		rest := insts[i+1:]
		n := 0
		for _, f := range fusers {
			if n = f(&in, rest); n != 0 {
				break
			}
		}
		i += n
		out = append(out, in)
	}
	return out
}

// fusers are the fusions fuse tries on each instruction, in this order: each
// returns how many of the instructions after in it took into in, or 0.
var fusers = []func(in *Inst, rest []Inst) int{
	fuseLoadCompare, fuseMaskTest, fuseLea, fuseLoadPcmpistri, fuseAddsdStore,
	fuseCanaryStore, fuseCanaryCheck, fuseCompareSet, fuseMovPair,
	func(in *Inst, rest []Inst) int {
		if len(rest) > 0 && fusePair(in, &rest[0]) {
			return 1
		}
		return 0
	},
}

// fuseWith makes in do p too, with handler h: p's end and length.
func fuseWith(in, p *Inst, h handler) {
	in.fn = h
	in.next, in.seq = p.next, p.seq
	in.flags |= instPeephole
}

// fuseTail makes in end with j, a Jcc: its target, condition, length.
func fuseTail(in, j *Inst, h handler) {
	in.fn = h
	in.imm2 = j.imm
	in.cc = j.cc
	in.next = j.next
	in.seq = j.seq
	in.flags |= instPeephole
}

// jccOK reports a Jcc that may be fused.
func jccOK(j *Inst) bool {
	// next == addr: undefined() made it #UD.
	return isJcc[j.op] && j.next != j.addr && j.flags&instLock == 0
}

// Byte loops of C string functions load a byte, compare it and branch:
// MOVZX r32/r64, m8; CMP r8, r8 or r32, r32, or TEST r8, r8; JE or JNE.
// The fused instruction keeps the MOVZX's operands, the compared
// registers in args[2] and args[3]. Its load comes first, so a fault
// leaves everything unchanged, at the MOVZX.
func fuseLoadCompare(in *Inst, rest []Inst) int {
	if in.op != x86asm.MOVZX || in.flags&instLock != 0 || in.args[0].kind != argReg || in.args[0].size < 4 ||
		in.args[1].kind != argMem || in.args[1].size != 1 || len(rest) < 2 {
		return 0
	}
	p, j := &rest[0], &rest[1]
	if !jccOK(j) || (j.cc != 4 && j.cc != 5) || p.flags&instLock != 0 || formOf(p) != formRR {
		return 0
	}
	var hs *[2]handler
	switch n := p.args[0].size; {
	case p.op == x86asm.CMP && n == 1:
		hs = &ldCmp8Jcc
	case p.op == x86asm.CMP && n == 4:
		hs = &ldCmp32Jcc
	case p.op == x86asm.TEST && n == 1:
		hs = &ldTest8Jcc
	default:
		return 0
	}
	in.args[2], in.args[3] = p.args[0], p.args[1]
	fuseTail(in, j, hs[j.cc-4])
	return 2
}

var (
	ldCmp8Jcc  = [2]handler{ldCmp8je, ldCmp8jne}
	ldCmp32Jcc = [2]handler{ldCmp32je, ldCmp32jne}
	ldTest8Jcc = [2]handler{ldTest8je, ldTest8jne}
)

// ldByte is the fused MOVZX.
func (c *CPU) ldByte(in *Inst) {
	v := ldT[uint8](c, c.ea(in))
	c.R[in.args[0].reg&15] = uint64(v)
}

func ldCmp8(c *CPU, in *Inst) bool {
	c.ldByte(in)
	a, b := uint8(c.R[in.args[2].reg&15]), uint8(c.R[in.args[3].reg&15])
	aluSub(c, a, b)
	return a == b
}

func ldCmp32(c *CPU, in *Inst) bool {
	c.ldByte(in)
	a, b := uint32(c.R[in.args[2].reg&15]), uint32(c.R[in.args[3].reg&15])
	aluSub(c, a, b)
	return a == b
}

func ldTest8(c *CPU, in *Inst) bool {
	c.ldByte(in)
	return aluLogic(c, uint8(c.R[in.args[2].reg&15])&uint8(c.R[in.args[3].reg&15])) == 0
}

func ldCmp8je(c *CPU, in *Inst)   { c.branchIf(in, ldCmp8(c, in)) }
func ldCmp8jne(c *CPU, in *Inst)  { c.branchIf(in, !ldCmp8(c, in)) }
func ldCmp32je(c *CPU, in *Inst)  { c.branchIf(in, ldCmp32(c, in)) }
func ldCmp32jne(c *CPU, in *Inst) { c.branchIf(in, !ldCmp32(c, in)) }
func ldTest8je(c *CPU, in *Inst)  { c.branchIf(in, ldTest8(c, in)) }
func ldTest8jne(c *CPU, in *Inst) { c.branchIf(in, !ldTest8(c, in)) }

// SSE2 string loops turn a comparison into a bit mask and branch on it:
// PMOVMSKB r32, xmm; TEST r32, r32 (the same register); JE or JNE.
func fuseMaskTest(in *Inst, rest []Inst) int {
	if in.op != x86asm.PMOVMSKB || in.args[0].kind != argReg || in.args[1].kind != argXMM || len(rest) < 2 {
		return 0
	}
	p, j := &rest[0], &rest[1]
	if !jccOK(j) || (j.cc != 4 && j.cc != 5) || p.op != x86asm.TEST || p.flags&instLock != 0 ||
		formOf(p) != formRR || p.args[0].size != 4 || p.args[0].reg != in.args[0].reg || p.args[1].reg != in.args[0].reg {
		return 0
	}
	fuseTail(in, j, [2]handler{maskTestJe, maskTestJne}[j.cc-4])
	return 2
}

func maskTest(c *CPU, in *Inst) bool {
	s := &c.X[in.args[1].reg&15]
	m := msb8(s[0]) | msb8(s[1])<<8
	c.R[in.args[0].reg&15] = m
	return aluLogic(c, uint32(m)) == 0
}

func maskTestJe(c *CPU, in *Inst)  { c.branchIf(in, maskTest(c, in)) }
func maskTestJne(c *CPU, in *Inst) { c.branchIf(in, !maskTest(c, in)) }

// glibc's strcmp loads 16 bytes and compares them with PCMPISTRI:
// MOVDQA or MOVDQU xmm, m128; PCMPISTRI (the word-wise form) with that
// register first. The fused instruction is the PCMPISTRI with the load's
// address and length, the load's base register in args[3] and its
// displacement in imm2 (its index is the PCMPISTRI's). Should the second
// load fault, c.off moves the fault to the PCMPISTRI, after the first.
func fuseLoadPcmpistri(in *Inst, rest []Inst) int {
	if (in.op != x86asm.MOVDQA && in.op != x86asm.MOVDQU) || in.args[0].kind != argXMM || in.args[1].kind != argMem ||
		in.base == noReg || in.seg != segNone || in.flags&(instAddr32|instLock) != 0 || len(rest) < 1 {
		return 0
	}
	p := &rest[0]
	if p.op != x86asm.PCMPISTRI || p.imm&0x0d != 0x08 || p.args[0].kind != argXMM || p.args[0].reg != in.args[0].reg ||
		p.flags&instLock != 0 || (p.args[1].kind == argMem && (p.index != in.index || p.scale != in.scale)) ||
		(p.args[1].kind != argMem && p.args[1].kind != argXMM) {
		return 0
	}
	f := *p
	f.addr, f.len = in.addr, in.len
	f.args[3] = arg{kind: argReg, reg: in.base, size: 8}
	f.imm2 = in.disp
	f.index, f.scale = in.index, in.scale
	f.fn = loadAPcmpistri
	if in.op == x86asm.MOVDQU {
		f.fn = loadUPcmpistri
	}
	f.flags |= instPeephole
	if in.op == x86asm.MOVDQA && fuseLeaJbe(&f, rest[1:]) {
		*in = f
		return 3
	}
	*in = f
	return 1
}

// strcmp's aligned loop goes on with LEA r64, [r64+disp]; JBE: the step of
// the index and the branch out on a difference or an end. fuseLeaJbe makes
// f, a fused MOVDQA and first-difference PCMPISTRI, also do them, saving a
// dispatch per 16 bytes. The PCMPISTRI's immediate is then implied, so imm
// holds the load's displacement (low half) and the LEA's (high half); the
// LEA's register is args[2].
func fuseLeaJbe(f *Inst, rest []Inst) bool {
	if f.imm&0x70 != 0x10 || len(rest) < 2 || int64(int32(f.imm2)) != int64(f.imm2) {
		return false
	}
	l, j := &rest[0], &rest[1]
	if l.op != x86asm.LEA || l.args[0].kind != argReg || l.args[0].size != 8 || l.base != l.args[0].reg ||
		l.index != noReg || l.seg != segNone || l.flags&(instAddr32|instLock) != 0 ||
		int64(int32(l.disp)) != int64(l.disp) || !jccOK(j) || j.cc != 6 {
		return false
	}
	f.imm = uint64(uint32(f.imm2)) | l.disp<<32
	f.args[2] = l.args[0]
	fuseTail(f, j, loadAPcmpistriLeaJbe)
	return true
}

func loadAPcmpistriLeaJbe(c *CPU, in *Inst) {
	a := c.R[in.args[3].reg&15] + uint64(int32(in.imm))
	if in.index != noReg {
		a += c.R[in.index&15] << in.scale
	}
	s1 := &c.X[in.args[0].reg&15]
	*s1 = *c.xmmA(a)
	var s2 XMM
	if in.args[1].kind == argXMM {
		s2 = c.X[in.args[1].reg&15]
	} else {
		// A fault of the second load is the PCMPISTRI's.
		c.off = in.len
		s2 = *c.xmmU(c.ea(in))
		c.off = 0
	}
	f := c.pcmpistriFirstDiff(s1[0], s1[1], s2[0], s2[1])
	c.R[in.args[2].reg&15] += uint64(int64(in.imm) >> 32)
	c.branchIf(in, f&(FlagCF|FlagZF) != 0)
}

func loadAPcmpistri(c *CPU, in *Inst) {
	c.X[in.args[0].reg&15] = *c.xmmA(fusedLoadAddr(c, in))
	c.off = in.len
	opPcmpistriEachB(c, in)
	c.off = 0
}

func loadUPcmpistri(c *CPU, in *Inst) {
	c.X[in.args[0].reg&15] = *c.xmmU(fusedLoadAddr(c, in))
	c.off = in.len
	opPcmpistriEachB(c, in)
	c.off = 0
}

// fusedLoadAddr is the address of the load of loadAPcmpistri.
func fusedLoadAddr(c *CPU, in *Inst) uint64 {
	a := c.R[in.args[3].reg&15] + in.imm2
	if in.index != noReg {
		a += c.R[in.index&15] << in.scale
	}
	return a
}

// Floating-point code adds to an element in memory: ADDSD xmm, m64; MOVSD
// m64, xmm, the same register and address. The fused instruction is the
// ADDSD, which stores its result too; c.off moves a fault of the store to
// the MOVSD.
func fuseAddsdStore(in *Inst, rest []Inst) int {
	if in.op != x86asm.ADDSD || in.args[0].kind != argXMM || in.args[1].kind != argMem || len(rest) < 1 {
		return 0
	}
	p := &rest[0]
	if p.op != x86asm.MOVSD_XMM || p.args[0].kind != argMem || p.args[1].kind != argXMM || p.args[1].reg != in.args[0].reg ||
		p.base != in.base || p.index != in.index || p.scale != in.scale || p.disp != in.disp || p.seg != in.seg ||
		(p.flags^in.flags)&(instAddr32|instLock) != 0 || p.flags&instLock != 0 {
		return 0
	}
	fuseWith(in, p, addsdStore)
	return 1
}

func addsdStore(c *CPU, in *Inst) {
	a := c.ea(in)
	d := &c.X[in.args[0].reg&15]
	r := sseAdd64(c, d[0], ldT[uint64](c, a))
	d[0] = r
	c.off = in.len
	stT(c, a, r)
	c.off = 0
}

// LEA leaves the flags alone, so loops use it to step a pointer between
// the instruction that sets the flags and the Jcc: LEA r64, m; Jcc.
func fuseLea(in *Inst, rest []Inst) int {
	if in.op != x86asm.LEA || in.args[0].kind != argReg || in.args[0].size != 8 || in.seg != segNone ||
		in.flags&(instAddr32|instLock) != 0 || len(rest) < 1 || !jccOK(&rest[0]) {
		return 0
	}
	fuseTail(in, &rest[0], leaJcc[rest[0].cc])
	return 1
}

// One handler per condition, as for Jcc.
var leaJcc = [16]handler{leaJo, leaJno, leaJb, leaJae, leaJe, leaJne, leaJbe, leaJa, leaJs, leaJns, leaJp, leaJnp, leaJl, leaJge, leaJle, leaJg}

func leaJo(c *CPU, in *Inst)  { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, c.of()) }
func leaJno(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, !c.of()) }
func leaJb(c *CPU, in *Inst)  { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, c.cf() != 0) }
func leaJae(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, c.cf() == 0) }
func leaJe(c *CPU, in *Inst)  { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, c.zf()) }
func leaJne(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, !c.zf()) }
func leaJbe(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, c.condBE()) }
func leaJa(c *CPU, in *Inst)  { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, !c.condBE()) }
func leaJs(c *CPU, in *Inst)  { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, c.sf()) }
func leaJns(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, !c.sf()) }
func leaJp(c *CPU, in *Inst)  { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, c.pf()) }
func leaJnp(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, !c.pf()) }
func leaJl(c *CPU, in *Inst)  { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, c.condL()) }
func leaJge(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, !c.condL()) }
func leaJle(c *CPU, in *Inst) { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, c.condLE()) }
func leaJg(c *CPU, in *Inst)  { c.R[in.args[0].reg&15] = c.ea(in); c.branchIf(in, !c.condLE()) }

// fusePair makes p, a CMP or TEST, also do j, a Jcc, if it can.
func fusePair(p, j *Inst) bool {
	if !jccOK(j) || p.flags&instLock != 0 || p.nargs != 2 {
		return false
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
	case (p.op == x86asm.SUB || p.op == x86asm.ADD) && (f == formRR || f == formRI):
		return fuseArith(p, j)
	default:
		return false
	}
	h := bySize(p.args[0].size, hs[j.cc][0], hs[j.cc][1], hs[j.cc][2], hs[j.cc][3])
	if h == nil {
		return false
	}
	fuseTail(p, j, h)
	return true
}

var isJcc = func() (t [x86asm.VZEROUPPER + 1]bool) {
	for _, op := range jccOps {
		t[op] = true
	}
	return t
}()

// branchIf ends a fused instruction: the Jcc's jump, which also ends the
// block when taken.
func (c *CPU) branchIf(in *Inst, taken bool) {
	if taken {
		c.jumpOut(in.imm2)
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

// SUB or ADD of 32- or 64-bit registers and immediates, then a Jcc: counted
// loops. The condition comes from the lazy flags.
func fuseArith(p, j *Inst) bool {
	var hs *[2][2]handler
	if p.op == x86asm.SUB {
		hs = &subJcc
	} else {
		hs = &addJcc
	}
	form := 0
	if formOf(p) == formRI {
		form = 1
	}
	h := bySize(p.args[0].size, nil, nil, hs[form][0], hs[form][1])
	if h == nil {
		return false
	}
	fuseTail(p, j, h)
	return true
}

var (
	subJcc = [2][2]handler{{subRRjcc32, subRRjcc64}, {subRIjcc32, subRIjcc64}}
	addJcc = [2][2]handler{{addRRjcc32, addRRjcc64}, {addRIjcc32, addRIjcc64}}
)

func subRRjcc32(c *CPU, in *Inst) { subJcc32(c, in, uint32(c.R[in.args[1].reg&15])) }
func subRIjcc32(c *CPU, in *Inst) { subJcc32(c, in, uint32(in.imm)) }
func subRRjcc64(c *CPU, in *Inst) { subJcc64(c, in, c.R[in.args[1].reg&15]) }
func subRIjcc64(c *CPU, in *Inst) { subJcc64(c, in, in.imm) }
func addRRjcc32(c *CPU, in *Inst) { addJcc32(c, in, uint32(c.R[in.args[1].reg&15])) }
func addRIjcc32(c *CPU, in *Inst) { addJcc32(c, in, uint32(in.imm)) }
func addRRjcc64(c *CPU, in *Inst) { addJcc64(c, in, c.R[in.args[1].reg&15]) }
func addRIjcc64(c *CPU, in *Inst) { addJcc64(c, in, in.imm) }

func subJcc32(c *CPU, in *Inst, b uint32) {
	d := in.args[0].reg & 15
	a := uint32(c.R[d])
	c.R[d] = uint64(a - b)
	c.setLazy(lazySub, 4, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, c.cond(in.cc))
}

func subJcc64(c *CPU, in *Inst, b uint64) {
	d := in.args[0].reg & 15
	a := c.R[d]
	c.R[d] = a - b
	c.setLazy(lazySub, 8, a, b, a-b)
	c.branchIf(in, c.cond(in.cc))
}

func addJcc32(c *CPU, in *Inst, b uint32) {
	d := in.args[0].reg & 15
	a := uint32(c.R[d])
	c.R[d] = uint64(a + b)
	c.setLazy(lazyAdd, 4, uint64(a), uint64(b), uint64(a+b))
	c.branchIf(in, c.cond(in.cc))
}

func addJcc64(c *CPU, in *Inst, b uint64) {
	d := in.args[0].reg & 15
	a := c.R[d]
	c.R[d] = a + b
	c.setLazy(lazyAdd, 8, a, b, a+b)
	c.branchIf(in, c.cond(in.cc))
}

// The commonest fused forms, JE and JNE on 8-, 32- and 64-bit operands,
// are not generic: a generic handler runs through a wrapper that passes its
// dictionary, a second call (see movR64M).

func cmpRRje8(c *CPU, in *Inst) {
	a, b := uint8(c.R[in.args[0].reg&15]), uint8(c.R[in.args[1].reg&15])
	c.setLazy(lazySub, 1, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a == b)
}

func cmpRIje8(c *CPU, in *Inst) {
	a, b := uint8(c.R[in.args[0].reg&15]), uint8(in.imm)
	c.setLazy(lazySub, 1, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a == b)
}

func testRRje8(c *CPU, in *Inst) {
	r := uint8(c.R[in.args[0].reg&15]) & uint8(c.R[in.args[1].reg&15])
	c.setLazy(lazyLogic, 1, 0, 0, uint64(r))
	c.branchIf(in, r == 0)
}

func cmpRRjne8(c *CPU, in *Inst) {
	a, b := uint8(c.R[in.args[0].reg&15]), uint8(c.R[in.args[1].reg&15])
	c.setLazy(lazySub, 1, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a != b)
}

func cmpRIjne8(c *CPU, in *Inst) {
	a, b := uint8(c.R[in.args[0].reg&15]), uint8(in.imm)
	c.setLazy(lazySub, 1, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a != b)
}

func testRRjne8(c *CPU, in *Inst) {
	r := uint8(c.R[in.args[0].reg&15]) & uint8(c.R[in.args[1].reg&15])
	c.setLazy(lazyLogic, 1, 0, 0, uint64(r))
	c.branchIf(in, r != 0)
}

func cmpRRje32(c *CPU, in *Inst) {
	a, b := uint32(c.R[in.args[0].reg&15]), uint32(c.R[in.args[1].reg&15])
	c.setLazy(lazySub, 4, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a == b)
}

func cmpRIje32(c *CPU, in *Inst) {
	a, b := uint32(c.R[in.args[0].reg&15]), uint32(in.imm)
	c.setLazy(lazySub, 4, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a == b)
}

func testRRje32(c *CPU, in *Inst) {
	r := uint32(c.R[in.args[0].reg&15]) & uint32(c.R[in.args[1].reg&15])
	c.setLazy(lazyLogic, 4, 0, 0, uint64(r))
	c.branchIf(in, r == 0)
}

func cmpRRjne32(c *CPU, in *Inst) {
	a, b := uint32(c.R[in.args[0].reg&15]), uint32(c.R[in.args[1].reg&15])
	c.setLazy(lazySub, 4, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a != b)
}

func cmpRIjne32(c *CPU, in *Inst) {
	a, b := uint32(c.R[in.args[0].reg&15]), uint32(in.imm)
	c.setLazy(lazySub, 4, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a != b)
}

func testRRjne32(c *CPU, in *Inst) {
	r := uint32(c.R[in.args[0].reg&15]) & uint32(c.R[in.args[1].reg&15])
	c.setLazy(lazyLogic, 4, 0, 0, uint64(r))
	c.branchIf(in, r != 0)
}

func cmpRRje64(c *CPU, in *Inst) {
	a, b := uint64(c.R[in.args[0].reg&15]), uint64(c.R[in.args[1].reg&15])
	c.setLazy(lazySub, 8, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a == b)
}

func cmpRIje64(c *CPU, in *Inst) {
	a, b := uint64(c.R[in.args[0].reg&15]), uint64(in.imm)
	c.setLazy(lazySub, 8, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a == b)
}

func testRRje64(c *CPU, in *Inst) {
	r := uint64(c.R[in.args[0].reg&15]) & uint64(c.R[in.args[1].reg&15])
	c.setLazy(lazyLogic, 8, 0, 0, uint64(r))
	c.branchIf(in, r == 0)
}

func cmpRRjne64(c *CPU, in *Inst) {
	a, b := uint64(c.R[in.args[0].reg&15]), uint64(c.R[in.args[1].reg&15])
	c.setLazy(lazySub, 8, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a != b)
}

func cmpRIjne64(c *CPU, in *Inst) {
	a, b := uint64(c.R[in.args[0].reg&15]), uint64(in.imm)
	c.setLazy(lazySub, 8, uint64(a), uint64(b), uint64(a-b))
	c.branchIf(in, a != b)
}

func testRRjne64(c *CPU, in *Inst) {
	r := uint64(c.R[in.args[0].reg&15]) & uint64(c.R[in.args[1].reg&15])
	c.setLazy(lazyLogic, 8, 0, 0, uint64(r))
	c.branchIf(in, r != 0)
}

// The fused handlers by condition code and operand size (1, 2, 4, 8 bytes);
// nil where the pair stays apart.
var (
	cmpRRJcc = [16][4]handler{
		0x2: {cmpRRjb[uint8], cmpRRjb[uint16], cmpRRjb[uint32], cmpRRjb[uint64]},
		0x3: {cmpRRjae[uint8], cmpRRjae[uint16], cmpRRjae[uint32], cmpRRjae[uint64]},
		0x4: {cmpRRje8, cmpRRje[uint16], cmpRRje32, cmpRRje64},
		0x5: {cmpRRjne8, cmpRRjne[uint16], cmpRRjne32, cmpRRjne64},
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
		0x4: {cmpRIje8, cmpRIje[uint16], cmpRIje32, cmpRIje64},
		0x5: {cmpRIjne8, cmpRIjne[uint16], cmpRIjne32, cmpRIjne64},
		0x6: {cmpRIjbe[uint8], cmpRIjbe[uint16], cmpRIjbe[uint32], cmpRIjbe[uint64]},
		0x7: {cmpRIja[uint8], cmpRIja[uint16], cmpRIja[uint32], cmpRIja[uint64]},
		0xc: {cmpRIjl[uint8], cmpRIjl[uint16], cmpRIjl[uint32], cmpRIjl[uint64]},
		0xd: {cmpRIjge[uint8], cmpRIjge[uint16], cmpRIjge[uint32], cmpRIjge[uint64]},
		0xe: {cmpRIjle[uint8], cmpRIjle[uint16], cmpRIjle[uint32], cmpRIjle[uint64]},
		0xf: {cmpRIjg[uint8], cmpRIjg[uint16], cmpRIjg[uint32], cmpRIjg[uint64]},
	}
	testRRJcc = [16][4]handler{
		0x4: {testRRje8, testRRje[uint16], testRRje32, testRRje64},
		0x5: {testRRjne8, testRRjne[uint16], testRRjne32, testRRjne64},
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

// Functions built with a stack protector (the default of Debian's gcc, and
// musl's and glibc's own code) copy the canary at FS:0x28 into their frame
// on entry: MOV r64, FS:[disp]; MOV [mem], r64. The fused instruction
// takes the store's memory operand and the load's displacement in imm, so
// that its operand describes a fault of the store (storesTo, stackRef), to
// which c.off moves it; a fault of the load is at the fused instruction's
// own address, and its FS address is not near the store's operand, which
// describes it as a read.
func fuseCanaryStore(in *Inst, rest []Inst) int {
	if in.op != x86asm.MOV || formOf(in) != formRM || in.args[0].size != 8 || in.seg != segFS ||
		in.base != noReg || in.index != noReg || in.flags&(instLock|instAddr32) != 0 || len(rest) < 1 {
		return 0
	}
	p := &rest[0]
	if p.op != x86asm.MOV || formOf(p) != formMR || p.args[1].reg != in.args[0].reg || p.args[1].size != 8 ||
		p.seg != segNone || p.flags&instLock != 0 {
		return 0
	}
	fs := in.disp
	r := in.args[0]
	in.args[0], in.args[1] = p.args[0], r
	in.base, in.index, in.scale, in.disp, in.seg, in.msize = p.base, p.index, p.scale, p.disp, p.seg, p.msize
	in.flags = in.flags&^instAddr32 | p.flags&instAddr32
	in.imm = fs
	fuseWith(in, p, canaryStore)
	return 1
}

func canaryStore(c *CPU, in *Inst) {
	v := ldT[uint64](c, c.FSBase+in.imm)
	c.R[in.args[1].reg&15] = v
	c.off = in.len
	stT(c, c.ea(in), v)
	c.off = 0
}

// On return they check it:
// MOV r64, [base+disp]; SUB r64, FS:[disp2]; JNE to the failure. The fused
// instruction keeps the MOV's operands and the SUB's displacement in imm;
// c.off moves a fault of the second load to the SUB. Both parts only read,
// so a fault's description from the MOV's operand (storesTo, stackRef)
// holds for the SUB's too.
func fuseCanaryCheck(in *Inst, rest []Inst) int {
	if in.op != x86asm.MOV || formOf(in) != formRM || in.args[0].size != 8 || in.seg != segNone ||
		in.flags&(instLock|instAddr32) != 0 || len(rest) < 2 {
		return 0
	}
	p, j := &rest[0], &rest[1]
	if p.op != x86asm.SUB || formOf(p) != formRM || p.args[0].reg != in.args[0].reg || p.args[0].size != 8 ||
		p.seg != segFS || p.base != noReg || p.index != noReg || p.flags&(instLock|instAddr32) != 0 ||
		!jccOK(j) || j.cc != 5 {
		return 0
	}
	in.imm = p.disp
	fuseTail(in, j, canaryCheck)
	return 2
}

func canaryCheck(c *CPU, in *Inst) {
	v := ldT[uint64](c, c.ea(in))
	c.R[in.args[0].reg&15] = v
	c.off = in.len
	w := ldT[uint64](c, c.FSBase+in.imm)
	c.off = 0
	c.R[in.args[0].reg&15] = aluSub(c, v, w)
	c.branchIf(in, v != w)
}

// A comparison makes a boolean: CMP r, r (32 or 64 bits); SETE or SETNE r8.
// The fused instruction keeps the CMP's operands and the SETcc's register
// in args[2]; the flags are set as the CMP sets them.
func fuseCompareSet(in *Inst, rest []Inst) int {
	if in.op != x86asm.CMP || formOf(in) != formRR || in.flags&instLock != 0 || len(rest) < 1 {
		return 0
	}
	p := &rest[0]
	if (p.op != x86asm.SETE && p.op != x86asm.SETNE) || p.nargs != 1 || p.args[0].kind != argReg ||
		p.flags&instLock != 0 {
		return 0
	}
	var h handler
	switch in.args[0].size {
	case 4:
		h = [2]handler{cmpSete[uint32], cmpSetne[uint32]}[ccOf[p.op]-4]
	case 8:
		h = [2]handler{cmpSete[uint64], cmpSetne[uint64]}[ccOf[p.op]-4]
	default:
		return 0
	}
	in.args[2] = p.args[0]
	fuseWith(in, p, h)
	return 1
}

func cmpSete[T word](c *CPU, in *Inst) {
	a, b := T(c.R[in.args[0].reg&15]), T(c.R[in.args[1].reg&15])
	aluSub(c, a, b)
	setRegT(c, in.args[2].reg&15, boolU8(a == b))
}

func cmpSetne[T word](c *CPU, in *Inst) {
	a, b := T(c.R[in.args[0].reg&15]), T(c.R[in.args[1].reg&15])
	aluSub(c, a, b)
	setRegT(c, in.args[2].reg&15, boolU8(a != b))
}

// Argument set-up copies registers two at a time: MOV r64, r64; MOV r64,
// r64. The fused instruction does both, the second pair in args[2] and
// args[3].
func fuseMovPair(in *Inst, rest []Inst) int {
	if !movRR64(in) || len(rest) < 1 || !movRR64(&rest[0]) {
		return 0
	}
	p := &rest[0]
	in.args[2], in.args[3] = p.args[0], p.args[1]
	fuseWith(in, p, movPair)
	return 1
}

func movRR64(in *Inst) bool {
	return in.op == x86asm.MOV && formOf(in) == formRR && in.args[0].size == 8 && in.flags&instLock == 0
}

func movPair(c *CPU, in *Inst) {
	c.R[in.args[0].reg&15] = c.R[in.args[1].reg&15]
	c.R[in.args[2].reg&15] = c.R[in.args[3].reg&15]
}
