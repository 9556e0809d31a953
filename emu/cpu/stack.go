package cpu

import "golang.org/x/arch/x86/x86asm"

// Stack: PUSH, POP, PUSHF/PUSHFQ, POPF/POPFQ, ENTER, LEAVE. Pushes and pops
// are 8 bytes, or 2 with an operand-size prefix. Each handler finishes its
// memory accesses before it changes RSP, so a fault leaves RSP alone.

func init() {
	defSel(unlocked(selPush), x86asm.PUSH)
	defSel(unlocked(selPop), x86asm.POP)
	defU(opPushfq, x86asm.PUSHFQ)
	defU(opPushf16, x86asm.PUSHF)
	defU(opPopfq, x86asm.POPFQ)
	defU(opPopf16, x86asm.POPF)
	defSel(unlocked(selEnter), x86asm.ENTER)
	defSel(unlocked(selLeave), x86asm.LEAVE)
}

func selPush(in *Inst) handler {
	a := in.args[0]
	switch {
	case a.kind == argReg && a.size == 8:
		return pushR
	case a.kind == argReg && a.size == 2:
		return pushR16
	case a.kind == argImm && in.osize == 2:
		return pushI16
	case a.kind == argImm:
		return pushI
	case a.kind == argMem && a.size == 8:
		return pushM
	case a.kind == argMem && a.size == 2:
		return pushM16
	}
	return nil
}

func pushR(c *CPU, in *Inst) { c.push(c.R[in.args[0].reg]) }
func pushI(c *CPU, in *Inst) { c.push(in.imm) }

// pushM computes the address with RSP before the push.
func pushM(c *CPU, in *Inst) { c.push(c.load64(c.ea(in))) }

func (c *CPU) push16(v uint64) {
	sp := c.R[RSP] - 2
	c.store16(sp, v)
	c.R[RSP] = sp
}

func (c *CPU) pop16() uint64 {
	v := c.load16(c.R[RSP])
	c.R[RSP] += 2
	return v
}

func pushR16(c *CPU, in *Inst) { c.push16(c.R[in.args[0].reg]) }
func pushI16(c *CPU, in *Inst) { c.push16(in.imm) }
func pushM16(c *CPU, in *Inst) { c.push16(c.load16(c.ea(in))) }

func selPop(in *Inst) handler {
	a := in.args[0]
	switch {
	case a.kind == argReg && a.size == 8:
		return popR
	case a.kind == argReg && a.size == 2:
		return popR16
	case a.kind == argMem && (a.size == 8 || a.size == 2):
		return popM
	}
	return nil
}

// popR handles POP RSP too: the loaded value wins over the increment.
func popR(c *CPU, in *Inst) {
	v := c.load64(c.R[RSP])
	c.R[RSP] += 8
	c.R[in.args[0].reg] = v
}

func popR16(c *CPU, in *Inst) {
	v := c.load16(c.R[RSP])
	c.R[RSP] += 2
	setRegT(c, in.args[0].reg, uint16(v))
}

// popM: an RSP-based destination address is computed after the increment,
// but RSP only changes once the store has succeeded.
func popM(c *CPU, in *Inst) {
	n := uint64(in.args[0].size)
	sp := c.R[RSP]
	v := c.load(sp, uint8(n))
	c.R[RSP] = sp + n
	a := c.ea(in)
	c.R[RSP] = sp
	c.store(a, uint8(n), v)
	c.R[RSP] = sp + n
}

// The pushed image has RF and VM clear, which they always are here.
func opPushfq(c *CPU, in *Inst)  { c.push(c.Flags()) }
func opPushf16(c *CPU, in *Inst) { c.push16(c.Flags()) }

// POPF in user mode cannot change IF or IOPL; SetFlags keeps to the bits
// that it can change.
func opPopfq(c *CPU, in *Inst) { c.SetFlags(c.pop()) }

func opPopf16(c *CPU, in *Inst) {
	v := c.pop16()
	c.SetFlags(c.Flags()&^0xffff | v)
}

func selEnter(in *Inst) handler {
	if in.osize == 2 {
		return nil
	}
	return opEnter
}

// opEnter builds the frame in temporaries and commits RBP and RSP last.
func opEnter(c *CPU, in *Inst) {
	size := in.imm & 0xffff
	level := in.imm2 & 31
	sp := c.R[RSP] - 8
	c.store64(sp, c.R[RBP])
	frame := sp
	if level > 0 {
		bp := c.R[RBP]
		for i := uint64(1); i < level; i++ {
			bp -= 8
			sp -= 8
			c.store64(sp, c.load64(bp))
		}
		sp -= 8
		c.store64(sp, frame)
	}
	c.R[RBP] = frame
	c.R[RSP] = sp - size
}

func selLeave(in *Inst) handler {
	if in.osize == 2 {
		return nil
	}
	return opLeave
}

func opLeave(c *CPU, in *Inst) {
	bp := c.R[RBP]
	v := c.load64(bp)
	c.R[RSP] = bp + 8
	c.R[RBP] = v
}
