package cpu

import "golang.org/x/arch/x86/x86asm"

// Control transfer: JMP, Jcc, JRCXZ/JECXZ, LOOP/LOOPE/LOOPNE, CALL, RET.
// These end a block, so RIP already holds in.next when they run; a taken
// branch overwrites it.

func init() {
	defBranchSel(selJmp, x86asm.JMP)
	defBranchSel(selJcc, jccOps[:]...)
	defBranchSel(fixed(opJrcxz), x86asm.JRCXZ)
	defBranchSel(fixed(opJecxz), x86asm.JECXZ)
	defBranchSel(fixed(opLoop), x86asm.LOOP)
	defBranchSel(fixed(opLoope), x86asm.LOOPE)
	defBranchSel(fixed(opLoopne), x86asm.LOOPNE)
	defBranchSel(selCall, x86asm.CALL)
	defBranchSel(selRet, x86asm.RET)
}

// selJmp also serves CALL's operand forms: direct, register, memory.
func selJmp(in *Inst) handler {
	switch in.args[0].kind {
	case argImm:
		return jmpRel
	case argReg:
		if in.args[0].size == 8 {
			return jmpR
		}
	case argMem:
		if in.args[0].size == 8 {
			return jmpM
		}
	}
	return nil
}

func jmpRel(c *CPU, in *Inst) { c.RIP = in.imm }
func jmpR(c *CPU, in *Inst)   { c.RIP = c.canonical(c.R[in.args[0].reg]) }
func jmpM(c *CPU, in *Inst)   { c.RIP = c.canonical(c.load64(c.ea(in))) }

// canonical checks an indirect branch target: a non-canonical one is a #GP
// at the branch itself, before it pushes or pops anything.
func (c *CPU) canonical(t uint64) uint64 {
	if t+1<<47 >= 1<<48 {
		c.gp()
	}
	return t
}

func selCall(in *Inst) handler {
	switch in.args[0].kind {
	case argImm:
		return callRel
	case argReg:
		if in.args[0].size == 8 {
			return callR
		}
	case argMem:
		if in.args[0].size == 8 {
			return callM
		}
	}
	return nil
}

func callRel(c *CPU, in *Inst) {
	c.push(in.next)
	c.RIP = in.imm
}

// The target is read before the push: the push may change the register or
// the memory it came from.
func callR(c *CPU, in *Inst) {
	t := c.canonical(c.R[in.args[0].reg])
	c.push(in.next)
	c.RIP = t
}

func callM(c *CPU, in *Inst) {
	t := c.canonical(c.load64(c.ea(in)))
	c.push(in.next)
	c.RIP = t
}

// callThrough and retThrough are a direct CALL and its RET inside a
// superblock (decodeBlock), which goes on with the callee's code and then
// with the caller's.
func callThrough(c *CPU, in *Inst) { c.push(in.next) }

// retThrough holds in imm the address its block's CALL pushed. A return to
// anywhere else leaves the block, as a plain RET.
func retThrough(c *CPU, in *Inst) {
	if c.load64(c.R[RSP]) != in.imm {
		opRet(c, in)
		c.lim = 0
		return
	}
	c.R[RSP] += 8
}

func selRet(in *Inst) handler {
	if in.nargs == 0 {
		return opRet
	}
	return opRetImm
}

func opRet(c *CPU, in *Inst) {
	t := c.canonical(c.load64(c.R[RSP]))
	c.R[RSP] += 8
	c.RIP = t
}

func opRetImm(c *CPU, in *Inst) {
	t := c.canonical(c.load64(c.R[RSP]))
	c.R[RSP] += 8
	c.R[RSP] += in.imm & 0xffff
	c.RIP = t
}

// Jcc: one handler per condition, so the test is inlined. A Jcc may be
// inside its block (see Block): taken, it ends the block.

func selJcc(in *Inst) handler {
	in.cc = ccOf[in.op]
	return jccHandlers[in.cc]
}

var jccHandlers = [16]handler{jo, jno, jb, jae, je, jne, jbe, ja, js, jns, jp, jnp, jl, jge, jle, jg}

// jumpOut is a taken Jcc: it sets RIP and ends the block.
func (c *CPU) jumpOut(t uint64) {
	c.RIP = t
	c.lim = 0
}

func jo(c *CPU, in *Inst) {
	if c.of() {
		c.jumpOut(in.imm)
	}
}

func jno(c *CPU, in *Inst) {
	if !c.of() {
		c.jumpOut(in.imm)
	}
}

func jb(c *CPU, in *Inst) {
	if c.cf() != 0 {
		c.jumpOut(in.imm)
	}
}

func jae(c *CPU, in *Inst) {
	if c.cf() == 0 {
		c.jumpOut(in.imm)
	}
}

func je(c *CPU, in *Inst) {
	if c.zf() {
		c.jumpOut(in.imm)
	}
}

func jne(c *CPU, in *Inst) {
	if !c.zf() {
		c.jumpOut(in.imm)
	}
}

func jbe(c *CPU, in *Inst) {
	if c.condBE() {
		c.jumpOut(in.imm)
	}
}

func ja(c *CPU, in *Inst) {
	if !c.condBE() {
		c.jumpOut(in.imm)
	}
}

func js(c *CPU, in *Inst) {
	if c.sf() {
		c.jumpOut(in.imm)
	}
}

func jns(c *CPU, in *Inst) {
	if !c.sf() {
		c.jumpOut(in.imm)
	}
}

func jp(c *CPU, in *Inst) {
	if c.pf() {
		c.jumpOut(in.imm)
	}
}

func jnp(c *CPU, in *Inst) {
	if !c.pf() {
		c.jumpOut(in.imm)
	}
}

func jl(c *CPU, in *Inst) {
	if c.condL() {
		c.jumpOut(in.imm)
	}
}

func jge(c *CPU, in *Inst) {
	if !c.condL() {
		c.jumpOut(in.imm)
	}
}

func jle(c *CPU, in *Inst) {
	if c.condLE() {
		c.jumpOut(in.imm)
	}
}

func jg(c *CPU, in *Inst) {
	if !c.condLE() {
		c.jumpOut(in.imm)
	}
}

// condBE, condL and condLE compare the operands of a preceding CMP or SUB
// directly instead of deriving the flags.
func (c *CPU) condBE() bool {
	if c.lazyOp == lazySub {
		m := sizeMask(c.lazyN)
		return c.lazyA&m <= c.lazyB&m
	}
	return c.cf() != 0 || c.zf()
}

func (c *CPU) condL() bool {
	if c.lazyOp == lazySub {
		n := c.lazyN
		return int64(signExtend(c.lazyA, n)) < int64(signExtend(c.lazyB, n))
	}
	return c.sf() != c.of()
}

func (c *CPU) condLE() bool {
	if c.lazyOp == lazySub {
		n := c.lazyN
		return int64(signExtend(c.lazyA, n)) <= int64(signExtend(c.lazyB, n))
	}
	return c.zf() || c.sf() != c.of()
}

// JRCXZ, JECXZ and LOOP count in ECX instead of RCX with a 0x67 prefix.

func opJrcxz(c *CPU, in *Inst) {
	if c.R[RCX] == 0 {
		c.RIP = in.imm
	}
}

func opJecxz(c *CPU, in *Inst) {
	if uint32(c.R[RCX]) == 0 {
		c.RIP = in.imm
	}
}

// loopCount decrements the count register and reports whether it is nonzero.
func (c *CPU) loopCount(in *Inst) bool {
	if in.flags&instAddr32 != 0 {
		n := uint32(c.R[RCX]) - 1
		c.R[RCX] = uint64(n)
		return n != 0
	}
	c.R[RCX]--
	return c.R[RCX] != 0
}

func opLoop(c *CPU, in *Inst) {
	if c.loopCount(in) {
		c.RIP = in.imm
	}
}

func opLoope(c *CPU, in *Inst) {
	if c.loopCount(in) && c.zf() {
		c.RIP = in.imm
	}
}

func opLoopne(c *CPU, in *Inst) {
	if c.loopCount(in) && !c.zf() {
		c.RIP = in.imm
	}
}
