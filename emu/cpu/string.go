package cpu

import (
	"golang.org/x/arch/x86/x86asm"

	"guestrun/emu/mem"
)

// String instructions: MOVS STOS LODS CMPS SCAS in all sizes, with REP,
// REPE and REPNE. RSI, RDI and RCX are updated after every element, so a
// fault stops with the registers describing the work done. With a 0x67 prefix
// the instructions use ESI, EDI and ECX. Only the source (RSI) side honours
// an FS or GS override.

func init() {
	defU(strMovs[uint8], x86asm.MOVSB)
	defU(strMovs[uint16], x86asm.MOVSW)
	defU(strMovs[uint32], x86asm.MOVSD)
	defU(strMovs[uint64], x86asm.MOVSQ)
	defU(strStos[uint8], x86asm.STOSB)
	defU(strStos[uint16], x86asm.STOSW)
	defU(strStos[uint32], x86asm.STOSD)
	defU(strStos[uint64], x86asm.STOSQ)
	defU(strLods[uint8], x86asm.LODSB)
	defU(strLods[uint16], x86asm.LODSW)
	defU(strLods[uint32], x86asm.LODSD)
	defU(strLods[uint64], x86asm.LODSQ)
	defU(strCmps[uint8], x86asm.CMPSB)
	defU(strCmps[uint16], x86asm.CMPSW)
	defU(strCmps[uint32], x86asm.CMPSD)
	defU(strCmps[uint64], x86asm.CMPSQ)
	defU(strScas[uint8], x86asm.SCASB)
	defU(strScas[uint16], x86asm.SCASW)
	defU(strScas[uint32], x86asm.SCASD)
	defU(strScas[uint64], x86asm.SCASQ)
}

// strEnv returns the address mask, the source segment base and the step of
// a string instruction.
func (c *CPU) strEnv(in *Inst, n uint64) (am, sb, step uint64) {
	am = ^uint64(0)
	if in.flags&instAddr32 != 0 {
		am = 0xffffffff
	}
	switch in.seg {
	case segFS:
		sb = c.FSBase
	case segGS:
		sb = c.GSBase
	}
	step = n
	if c.flags&FlagDF != 0 {
		step = -n
	}
	return am, sb, step
}

// pageRest returns the bytes from a to the end of its page.
func pageRest(a uint64) uint64 { return mem.PageSize - a%mem.PageSize }

// bulkMax bounds the element count of the bulk paths so that byte counts
// cannot overflow; anything larger faults long before it ends.
const bulkMax = mem.WindowSize

func strMovs[T word](c *CPU, in *Inst) {
	n := uint64(sizeOf[T]())
	am, sb, step := c.strEnv(in, n)
	si, di := c.R[RSI], c.R[RDI]
	if in.rep == 0 {
		stT(c, di&am, ldT[T](c, si&am+sb))
		c.R[RSI], c.R[RDI] = (si+step)&am, (di+step)&am
		return
	}
	cx := c.R[RCX] & am
	if cx == 0 {
		return
	}
	src := si + sb
	if step == n && am == ^uint64(0) && cx < bulkMax && (di <= src || di-src >= cx*n) {
		// Forward and without an overlap that would replicate data: copy up
		// to the next page boundary on either side at a time. The first
		// element of each chunk goes alone so that a fault reports its
		// exact address.
		for cx != 0 {
			k := min(cx, min(pageRest(src), pageRest(di))/n)
			stT(c, di, ldT[T](c, src))
			if k > 1 {
				b := (k - 1) * n
				copy(c.bytes(di+n, b), c.bytes(src+n, b))
			} else {
				k = 1
			}
			src += k * n
			di += k * n
			cx -= k
			c.R[RSI] += k * n
			c.R[RDI], c.R[RCX] = di, cx
		}
		return
	}
	for cx != 0 {
		stT(c, di&am, ldT[T](c, si&am+sb))
		si, di, cx = (si+step)&am, (di+step)&am, cx-1
		c.R[RSI], c.R[RDI], c.R[RCX] = si, di, cx
	}
}

func strStos[T word](c *CPU, in *Inst) {
	n := uint64(sizeOf[T]())
	am, _, step := c.strEnv(in, n)
	v := T(c.R[RAX])
	di := c.R[RDI]
	if in.rep == 0 {
		stT(c, di&am, v)
		c.R[RDI] = (di + step) & am
		return
	}
	cx := c.R[RCX] & am
	if step == n && am == ^uint64(0) && cx < bulkMax {
		for cx != 0 {
			k := min(cx, pageRest(di)/n)
			stT(c, di, v)
			if k > 1 {
				// Double the filled prefix until the chunk is full.
				b := c.bytes(di, k*n)
				for done := n; done < uint64(len(b)); {
					done += uint64(copy(b[done:], b[:done]))
				}
			} else {
				k = 1
			}
			di += k * n
			cx -= k
			c.R[RDI], c.R[RCX] = di, cx
		}
		return
	}
	for cx != 0 {
		stT(c, di&am, v)
		di, cx = (di+step)&am, cx-1
		c.R[RDI], c.R[RCX] = di, cx
	}
}

func strLods[T word](c *CPU, in *Inst) {
	n := uint64(sizeOf[T]())
	am, sb, step := c.strEnv(in, n)
	si := c.R[RSI]
	if in.rep == 0 {
		setRegT(c, RAX, ldT[T](c, si&am+sb))
		c.R[RSI] = (si + step) & am
		return
	}
	for cx := c.R[RCX] & am; cx != 0; {
		setRegT(c, RAX, ldT[T](c, si&am+sb))
		si, cx = (si+step)&am, cx-1
		c.R[RSI], c.R[RCX] = si, cx
	}
}

// CMPS and SCAS set the flags of each comparison; with REPE (REPNE) they
// stop early when the operands differ (are equal).

func strCmps[T word](c *CPU, in *Inst) {
	n := uint64(sizeOf[T]())
	am, sb, step := c.strEnv(in, n)
	si, di := c.R[RSI], c.R[RDI]
	if in.rep == 0 {
		a, b := ldT[T](c, si&am+sb), ldT[T](c, di&am)
		c.R[RSI], c.R[RDI] = (si+step)&am, (di+step)&am
		aluSub(c, a, b)
		return
	}
	untilEqual := in.rep == prefixRepne
	for cx := c.R[RCX] & am; cx != 0; {
		a, b := ldT[T](c, si&am+sb), ldT[T](c, di&am)
		si, di, cx = (si+step)&am, (di+step)&am, cx-1
		c.R[RSI], c.R[RDI], c.R[RCX] = si, di, cx
		aluSub(c, a, b)
		if (a == b) == untilEqual {
			return
		}
	}
}

func strScas[T word](c *CPU, in *Inst) {
	n := uint64(sizeOf[T]())
	am, _, step := c.strEnv(in, n)
	a := T(c.R[RAX])
	di := c.R[RDI]
	if in.rep == 0 {
		b := ldT[T](c, di&am)
		c.R[RDI] = (di + step) & am
		aluSub(c, a, b)
		return
	}
	untilEqual := in.rep == prefixRepne
	for cx := c.R[RCX] & am; cx != 0; {
		b := ldT[T](c, di&am)
		di, cx = (di+step)&am, cx-1
		c.R[RDI], c.R[RCX] = di, cx
		aluSub(c, a, b)
		if (a == b) == untilEqual {
			return
		}
	}
}
