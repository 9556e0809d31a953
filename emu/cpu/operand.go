package cpu

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Operand access. Loads and stores go straight to the host window after a
// bounds check; page protection catches unmapped or read-only pages.

// ea computes the memory operand's effective address.
func (c *CPU) ea(in *Inst) uint64 {
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
	switch in.seg {
	case segFS:
		a += c.FSBase
	case segGS:
		a += c.GSBase
	}
	return a
}

// ptr translates [a, a+n) or raises SIGSEGV for addresses outside the window.
func (c *CPU) ptr(a, n uint64) unsafe.Pointer {
	if a >= mem.WindowSize || n > mem.WindowSize-a {
		c.segv(a, n)
	}
	return unsafe.Add(c.base, a)
}

func (c *CPU) load8(a uint64) uint64  { return uint64(*(*uint8)(c.ptr(a, 1))) }
func (c *CPU) load16(a uint64) uint64 { return uint64(*(*uint16)(c.ptr(a, 2))) }
func (c *CPU) load32(a uint64) uint64 { return uint64(*(*uint32)(c.ptr(a, 4))) }
func (c *CPU) load64(a uint64) uint64 { return *(*uint64)(c.ptr(a, 8)) }

func (c *CPU) store8(a, v uint64)  { *(*uint8)(c.ptr(a, 1)) = uint8(v) }
func (c *CPU) store16(a, v uint64) { *(*uint16)(c.ptr(a, 2)) = uint16(v) }
func (c *CPU) store32(a, v uint64) { *(*uint32)(c.ptr(a, 4)) = uint32(v) }
func (c *CPU) store64(a, v uint64) { *(*uint64)(c.ptr(a, 8)) = v }

// load reads an n-byte little-endian value (n = 1, 2, 4 or 8).
func (c *CPU) load(a uint64, n uint8) uint64 {
	switch n {
	case 1:
		return c.load8(a)
	case 2:
		return c.load16(a)
	case 4:
		return c.load32(a)
	}
	return c.load64(a)
}

// store writes the low n bytes of v.
func (c *CPU) store(a uint64, n uint8, v uint64) {
	switch n {
	case 1:
		c.store8(a, v)
	case 2:
		c.store16(a, v)
	case 4:
		c.store32(a, v)
	default:
		c.store64(a, v)
	}
}

// bytes returns a host view of n guest bytes at a, for wide operands.
func (c *CPU) bytes(a, n uint64) []byte {
	return unsafe.Slice((*byte)(c.ptr(a, n)), n)
}

func (c *CPU) load128(a uint64) XMM {
	b := c.bytes(a, 16)
	return XMM{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
}

func (c *CPU) store128(a uint64, v XMM) {
	b := c.bytes(a, 16)
	binary.LittleEndian.PutUint64(b, v[0])
	binary.LittleEndian.PutUint64(b[8:], v[1])
}

// rd reads operand i, zero-extended.
func (c *CPU) rd(in *Inst, i int) uint64 {
	a := &in.args[i]
	switch a.kind {
	case argReg:
		return c.R[a.reg] & sizeMask(a.size)
	case argRegH:
		return c.R[a.reg] >> 8 & 0xff
	case argMem:
		return c.load(c.ea(in), a.size)
	case argImm:
		return in.imm & sizeMask(a.size)
	}
	return 0
}

// wr writes operand i with x86-64 register semantics: a 32-bit register write
// clears the upper half, 8- and 16-bit writes keep the rest.
func (c *CPU) wr(in *Inst, i int, v uint64) {
	a := &in.args[i]
	switch a.kind {
	case argReg:
		c.setReg(a.reg, a.size, v)
	case argRegH:
		c.R[a.reg] = c.R[a.reg]&^0xff00 | (v&0xff)<<8
	case argMem:
		c.store(c.ea(in), a.size, v)
	}
}

// setReg writes an n-byte value to general register r.
func (c *CPU) setReg(r, n uint8, v uint64) {
	switch n {
	case 8:
		c.R[r] = v
	case 4:
		c.R[r] = uint64(uint32(v))
	case 2:
		c.R[r] = c.R[r]&^0xffff | v&0xffff
	case 1:
		c.R[r] = c.R[r]&^0xff | v&0xff
	}
}

// rmw is a read-modify-write on operand 0 whose address is computed once.
// It returns the current value and where to write the result.
func (c *CPU) rmwAddr(in *Inst) (uint64, uint64) {
	a := &in.args[0]
	if a.kind == argMem {
		addr := c.ea(in)
		return c.load(addr, a.size), addr
	}
	return c.rd(in, 0), 0
}

// rmwWrite finishes rmwAddr.
func (c *CPU) rmwWrite(in *Inst, addr, v uint64) {
	a := &in.args[0]
	if a.kind == argMem {
		c.store(addr, a.size, v)
		return
	}
	c.wr(in, 0, v)
}

// push and pop move a 64-bit value through the stack. The store comes first
// so that a faulting push leaves RSP unchanged.
func (c *CPU) push(v uint64) {
	sp := c.R[RSP] - 8
	c.store64(sp, v)
	c.R[RSP] = sp
}

func (c *CPU) pop() uint64 {
	v := c.load64(c.R[RSP])
	c.R[RSP] += 8
	return v
}

// segv raises SIGSEGV for an n-byte access at a guest address outside any
// mapping.
func (c *CPU) segv(a, n uint64) {
	if a+1<<47 >= 1<<48 || a+n-1+1<<47 >= 1<<48 {
		// A non-canonical address is a general protection fault, or a
		// stack fault through SS, which Linux reports as SIGBUS; both with
		// SI_KERNEL and no address.
		if c.cur != nil && c.cur.stackRef(c, a) {
			panic(&Fault{Sig: int(unix.SIGBUS), Code: siKernel, Trapno: 12})
		}
		c.gp()
	}
	panic(&Fault{Sig: int(unix.SIGSEGV), Code: segvMapErr, Addr: a, Trapno: 14, Err: 4})
}

// si_code values the CPU produces.
const (
	segvMapErr = 1 // SEGV_MAPERR
	segvAccErr = 2 // SEGV_ACCERR
	fpeIntDiv  = 1 // FPE_INTDIV
	trapBrkpt  = 1 // TRAP_BRKPT
	illOpc     = 2 // ILL_ILLOPN
	siKernel   = 0x80
)

// raise stops execution with a fault at the current instruction.
func (c *CPU) raise(f Fault) {
	panic(&f)
}
