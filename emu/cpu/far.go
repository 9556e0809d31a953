package cpu

import (
	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"
)

// Far transfers (LRET, IRET, LJMP and LCALL through memory) and loads of
// DS, ES and SS. A 64-bit Linux process runs in one code segment, __USER_CS;
// guestrun lets a far transfer go to that selector only, and any other is
// the #GP the kernel reports as SIGSEGV (0x23, __USER32_CS, would switch to
// 32-bit mode, which guestrun does not run). Loads of FS and GS are left
// out: whether a null selector clears the base depends on the vendor.

// Selectors of Linux's GDT that user mode may load (RPL bits aside).
const (
	userCS   = 0x33 // __USER_CS
	userDS   = 0x2b // __USER_DS
	user32CS = 0x20 // __USER32_CS, readable
	cpuNode  = 0x78 // GDT_ENTRY_CPUNODE, read by LSL for getcpu
)

func init() {
	defBranchSel(fixed(opLRET), x86asm.LRET)
	defBranchSel(fixed(opIRET), x86asm.IRET, x86asm.IRETD, x86asm.IRETQ)
	defBranchSel(selFarInd, x86asm.LJMP, x86asm.LCALL)
}

// gpSel raises #GP with a selector's error code.
func (c *CPU) gpSel(sel uint64) {
	c.raise(Fault{Sig: int(unix.SIGSEGV), Code: siKernel, Trapno: 13, Err: sel & 0xfffc})
}

// farCS checks the code selector of a far transfer.
func (c *CPU) farCS(sel uint64) {
	if sel&0xffff != userCS {
		c.gpSel(sel)
	}
}

// opLRET pops the return address and CS (operand-size slots each), then
// releases imm16 bytes.
func opLRET(c *CPU, in *Inst) {
	n := uint64(in.osize)
	sp := c.R[RSP]
	t := c.load(sp, in.osize)
	cs := c.load(sp+n, in.osize)
	c.farCS(cs)
	c.RIP = c.canonical(t)
	c.R[RSP] = sp + 2*n + in.imm&0xffff
}

// opIRET pops RIP, CS, RFLAGS, RSP and SS; it may return only to the same
// privilege level, so SS must be __USER_DS. RFLAGS keeps what POPF would.
func opIRET(c *CPU, in *Inst) {
	if c.Flags()&(1<<14) != 0 {
		// A nested-task return does not exist in 64-bit mode.
		c.gp()
	}
	n := uint64(in.osize)
	sp := c.R[RSP]
	t := c.load(sp, in.osize)
	cs := c.load(sp+n, in.osize)
	fl := c.load(sp+2*n, in.osize)
	nsp := c.load(sp+3*n, in.osize)
	ss := c.load(sp+4*n, in.osize) & 0xffff
	c.farCS(cs)
	if ss != userDS {
		c.gpSel(ss)
	}
	c.RIP = c.canonical(t)
	if n == 2 {
		fl |= c.Flags() &^ 0xffff
	}
	c.SetFlags(fl)
	c.R[RSP] = nsp
}

func selFarInd(in *Inst) handler {
	if in.args[0].kind != argMem {
		return nil
	}
	if in.op == x86asm.LCALL {
		return opLCALL
	}
	return opLJMP
}

// farPointer reads an offset:selector operand and checks the selector.
func (c *CPU) farPointer(in *Inst) uint64 {
	a := c.ea(in)
	t := c.load(a, in.osize)
	c.farCS(c.load16(a + uint64(in.osize)))
	return c.canonical(t)
}

func opLJMP(c *CPU, in *Inst) { c.RIP = c.farPointer(in) }

// opLCALL pushes CS and the return address in operand-size slots.
func opLCALL(c *CPU, in *Inst) {
	t := c.farPointer(in)
	n := uint64(in.osize)
	sp := c.R[RSP]
	c.store(sp-n, in.osize, userCS)
	c.store(sp-2*n, in.osize, in.next)
	c.R[RSP] = sp - 2*n
	c.RIP = t
}

// selMovToSeg picks the handler of MOV Sreg, r/m: DS, ES and SS only (MOV CS
// is #UD).
func selMovToSeg(in *Inst) handler {
	switch in.args[0].reg {
	case uint8(x86asm.DS - x86asm.ES), uint8(x86asm.ES - x86asm.ES):
		return opMovToDS
	case uint8(x86asm.SS - x86asm.ES):
		return opMovToSS
	}
	return nil
}

// opMovToDS loads DS or ES, which have no effect in 64-bit mode: null or
// any segment of DPL 3 loads, anything else is #GP. The selector registers
// are not kept: reads give the values Linux starts a process with.
func opMovToDS(c *CPU, in *Inst) {
	switch sel := c.rd(in, 1) & 0xffff; sel &^ 3 {
	case 0, userDS &^ 3, userCS &^ 3, user32CS, cpuNode:
	default:
		c.gpSel(sel)
	}
}

// opMovToSS accepts only __USER_DS: SS needs a writable data segment whose
// DPL and RPL are the CPL.
func opMovToSS(c *CPU, in *Inst) {
	if sel := c.rd(in, 1) & 0xffff; sel != userDS {
		c.gpSel(sel)
	}
}
