package cpu

import (
	"encoding/binary"

	"golang.org/x/arch/x86/x86asm"
)

// A fast path in front of x86asm for the common integer forms without
// legacy prefixes but an FS or GS override (the stack protector's reads of
// FS:0x28), the SSE moves and integer operations of libc's string
// functions (with their mandatory 66, F3 or F2), and an optional REX:
// x86asm's table-driven decoder
// costs 300-700 ns an instruction, and decoding was the largest part of a
// short guest's run. fastDecode fills in exactly what translate would from
// x86asm's result (TestFastDecodeMatches checks it against x86asm); any
// other form returns false and goes the slow way.

// fastDecoder is the state of one fast decode.
type fastDecoder struct {
	in   *Inst
	code []byte
	pos  int
	rex  byte
	ok   bool
}

// Operand forms of the fast path.
const (
	fE8   = iota // r/m8
	fE16         // r/m16
	fE32         // r/m32
	fE64         // r/m64
	fEv          // r/m32 or r/m64
	fM           // memory of no given size (LEA)
	fG8          // reg8 from ModRM.reg
	fGv          // reg32 or reg64 from ModRM.reg
	fI8          // imm8, sign-extended
	fI8u         // imm8, zero-extended
	fIz          // imm32, sign-extended
	fAcc8        // AL
	fAccv        // EAX or RAX
	fV           // XMM register from ModRM.reg
	fW           // XMM register or m128
	fW64         // XMM register or m64
	fU           // XMM register from ModRM.rm (a memory form fails)
	fG32         // reg32 from ModRM.reg
	fEy          // r/m32, or r/m64 with REX.W
)

// rmRegForms are the operands of the r/m,reg opcodes (ALU 00-3B, MOV
// 88-8B) by their two low bits: direction and operand size.
var rmRegForms = [4][2]int{{fE8, fG8}, {fEv, fGv}, {fG8, fE8}, {fGv, fEv}}

// aluOps are the mnemonics of opcodes 00-3F and the 80-83 group, by ModRM.reg.
var aluOps = [8]x86asm.Op{x86asm.ADD, x86asm.OR, x86asm.ADC, x86asm.SBB, x86asm.AND, x86asm.SUB, x86asm.XOR, x86asm.CMP}

// shiftOps are the C0/C1/D0/D1/D3 group by ModRM.reg; /6 (SAL) is left to
// the slow path, which maps it to SHL.
var shiftOps = [8]x86asm.Op{x86asm.ROL, x86asm.ROR, x86asm.RCL, x86asm.RCR, x86asm.SHL, x86asm.SHR, 0, x86asm.SAR}

// fastDecode decodes the instruction at in.addr from code into in, empty
// but for its address, if it is one of the fast path's forms, and reports
// whether it did. If not, in may be left partly filled.
func fastDecode(in *Inst, code []byte) bool {
	d := fastDecoder{in: in, code: code, ok: true}
	seg := uint8(segNone)
	var sse byte // the mandatory prefix of an SSE form: 0, 0x66, 0xf3, 0xf2
prefixes:
	for d.pos < len(code) && d.pos < 2 {
		switch p := code[d.pos]; {
		case (p == 0x64 || p == 0x65) && seg == segNone:
			seg = segFS + p - 0x64
		case (p == 0x66 || p == 0xf3 || p == 0xf2) && sse == 0:
			sse = p
		default:
			break prefixes
		}
		d.pos++
	}
	if d.pos < len(code) && code[d.pos]&0xf0 == 0x40 {
		d.rex = code[d.pos]
		d.pos++
	}
	op := d.byte()
	if !d.ok {
		return false
	}
	in.base, in.index = noReg, noReg
	in.osize = 4
	if d.rex&8 != 0 {
		in.osize = 8
	}
	switch {
	case sse != 0 || op == 0x0f && d.pos < len(code) && isSSE0F(code[d.pos]):
		if op != 0x0f || !d.fastSSE(sse) {
			return false
		}
	case op < 0x40 && op&7 < 6:
		in.op = aluOps[op>>3]
		switch op & 7 {
		case 4:
			d.args(fAcc8, fI8u)
		case 5:
			d.args(fAccv, fIz)
		default:
			f := rmRegForms[op&3]
			d.modrm(f[0], f[1])
		}
	case op >= 0x50 && op <= 0x5f:
		in.op = x86asm.PUSH
		if op >= 0x58 {
			in.op = x86asm.POP
		}
		d.reg(&in.args[0], op&7|d.rex&1<<3, 8)
		in.nargs = 1
	case op == 0x63 && d.rex&8 != 0:
		in.op = x86asm.MOVSXD
		d.modrm(fGv, fE32)
	case op >= 0x70 && op <= 0x7f:
		in.op = jccOps[op&15]
		d.rel(1)
	case op >= 0x80 && op <= 0x83 && op != 0x82:
		in.op = aluOps[d.peekReg()]
		switch op {
		case 0x80:
			d.modrm(fE8, fI8u)
		case 0x81:
			d.modrm(fEv, fIz)
		case 0x83:
			d.modrm(fEv, fI8)
		}
	case op == 0x86 || op == 0x87:
		in.op = x86asm.XCHG
		f := rmRegForms[op&1]
		d.modrm(f[0], f[1])
	case op == 0x84 || op == 0x85:
		in.op = x86asm.TEST
		if op == 0x84 {
			d.modrm(fE8, fG8)
		} else {
			d.modrm(fEv, fGv)
		}
	case op >= 0x88 && op <= 0x8b:
		in.op = x86asm.MOV
		f := rmRegForms[op&3]
		d.modrm(f[0], f[1])
	case op == 0x8d:
		in.op = x86asm.LEA
		if d.peekMod() == 3 {
			return false
		}
		d.modrm(fGv, fM)
	case op == 0x90 && d.rex == 0:
		in.op = x86asm.NOP
	case op == 0x98 || op == 0x99:
		in.op = [2][2]x86asm.Op{{x86asm.CWDE, x86asm.CDQ}, {x86asm.CDQE, x86asm.CQO}}[d.rex>>3&1][op&1]
	case op == 0xa8:
		in.op = x86asm.TEST
		d.args(fAcc8, fI8u)
	case op == 0xa9:
		in.op = x86asm.TEST
		d.args(fAccv, fIz)
	case op >= 0xb0 && op <= 0xb7:
		in.op = x86asm.MOV
		d.reg8(&in.args[0], op&7|d.rex&1<<3)
		d.imm(&in.args[1], fI8u)
		in.nargs = 2
	case op >= 0xb8:
		if op <= 0xbf {
			in.op = x86asm.MOV
			d.reg(&in.args[0], op&7|d.rex&1<<3, in.osize)
			if d.rex&8 != 0 {
				if d.need(8) {
					in.imm = binary.LittleEndian.Uint64(d.code[d.pos:])
					d.pos += 8
				}
				in.args[1] = arg{kind: argImm, size: 8}
			} else {
				d.imm(&in.args[1], fIz)
			}
			in.nargs = 2
			break
		}
		if !d.fastOther(op) {
			return false
		}
	case op == 0x0f:
		if !d.fast0F() {
			return false
		}
	default:
		return false
	}
	if !d.ok || in.op == 0 || seg != segNone && in.flags&instHasMem == 0 {
		return false
	}
	in.seg = seg
	in.len = uint8(d.pos)
	in.next = in.addr + uint64(d.pos)
	if in.flags&instHasMem != 0 && in.base == ripReg {
		in.base = noReg
		in.disp += in.next
	}
	return true
}

// ripReg marks a RIP-relative operand until the instruction's length is
// known.
const ripReg = 0xfe

// fastOther decodes the one-byte opcodes from C0 up.
func (d *fastDecoder) fastOther(op byte) bool {
	in := d.in
	switch op {
	case 0xc0, 0xc1, 0xd0, 0xd1, 0xd3:
		in.op = shiftOps[d.peekReg()]
		e := fEv
		if op == 0xc0 || op == 0xd0 {
			e = fE8
		}
		switch op {
		case 0xc0, 0xc1:
			d.modrm(e, fI8u)
		case 0xd3:
			d.modrm(e, -1)
			d.reg8(&in.args[1], 1) // CL
			in.nargs = 2
		default:
			d.modrm(e, -1)
			in.args[1] = arg{kind: argImm, size: in.osize}
			in.imm = 1
			in.nargs = 2
		}
	case 0xc3:
		in.op = x86asm.RET
	case 0xc6, 0xc7:
		if d.peekReg() != 0 {
			return false
		}
		in.op = x86asm.MOV
		if op == 0xc6 {
			d.modrm(fE8, fI8u)
		} else {
			d.modrm(fEv, fIz)
		}
	case 0xe8, 0xe9:
		in.op = x86asm.CALL
		if op == 0xe9 {
			in.op = x86asm.JMP
		}
		d.rel(4)
	case 0xeb:
		in.op = x86asm.JMP
		d.rel(1)
	case 0xf6, 0xf7:
		r := d.peekReg()
		e, i := fE8, fI8u
		if op == 0xf7 {
			e, i = fEv, fIz
		}
		switch r {
		case 0:
			in.op = x86asm.TEST
			d.modrm(e, i)
		case 1:
			return false
		default:
			in.op = [8]x86asm.Op{2: x86asm.NOT, 3: x86asm.NEG, 4: x86asm.MUL, 5: x86asm.IMUL, 6: x86asm.DIV, 7: x86asm.IDIV}[r]
			d.modrm(e, -1)
		}
	case 0xfe, 0xff:
		r := d.peekReg()
		switch {
		case r <= 1:
			in.op = x86asm.INC
			if r == 1 {
				in.op = x86asm.DEC
			}
			e := fEv
			if op == 0xfe {
				e = fE8
			}
			d.modrm(e, -1)
		case op == 0xff && (r == 2 || r == 4 || r == 6):
			in.op = [8]x86asm.Op{2: x86asm.CALL, 4: x86asm.JMP, 6: x86asm.PUSH}[r]
			d.modrm(fE64, -1)
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// fast0F decodes the two-byte opcodes 0F xx of the fast path.
func (d *fastDecoder) fast0F() bool {
	in := d.in
	op := d.byte()
	switch {
	case !d.ok:
		return false
	case op >= 0x80 && op <= 0x8f:
		in.op = jccOps[op&15]
		d.rel(4)
	case op >= 0x40 && op <= 0x4f:
		in.op = cmovOps[op&15]
		d.modrm(fGv, fEv)
	case op >= 0x90 && op <= 0x9f:
		in.op = setccOps[op&15]
		d.modrm(fE8, -1)
	case op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf:
		in.op = x86asm.MOVZX
		if op >= 0xbe {
			in.op = x86asm.MOVSX
		}
		e := fE8
		if op&1 != 0 {
			e = fE16
		}
		d.modrm(fGv, e)
	case op == 0x05:
		in.op = x86asm.SYSCALL
	case op == 0x1f && d.peekReg() == 0 && d.rex&8 == 0:
		in.op = x86asm.NOP
		d.modrm(fEv, -1)
	case op == 0xaf:
		in.op = x86asm.IMUL
		d.modrm(fGv, fEv)
	case op == 0xa2:
		in.op = x86asm.CPUID
	case op == 0xbc || op == 0xbd:
		in.op = x86asm.BSF
		if op == 0xbd {
			in.op = x86asm.BSR
		}
		d.modrm(fGv, fEv)
	default:
		return false
	}
	return true
}

// isSSE0F reports whether 0F op is one of fastSSE's opcodes without a
// mandatory prefix.
func isSSE0F(op byte) bool {
	return op == 0x10 || op == 0x11 || op == 0x28 || op == 0x29
}

// fastSSE decodes 0F xx opcodes of SSE moves and integer operations with
// mandatory prefix p (0 for none).
func (d *fastDecoder) fastSSE(p byte) bool {
	in := d.in
	op := d.byte()
	if !d.ok {
		return false
	}
	switch p {
	case 0x66:
		if d.rex&8 == 0 {
			in.osize = 2
		}
	case 0xf3:
		in.rep = prefixRep
	case 0xf2:
		in.rep = prefixRepne
	}
	switch uint16(p)<<8 | uint16(op) {
	case 0x0010, 0x0011:
		in.op = x86asm.MOVUPS
	case 0x0028, 0x0029:
		in.op = x86asm.MOVAPS
	case 0x666f, 0x667f:
		in.op = x86asm.MOVDQA
	case 0xf36f, 0xf37f:
		in.op = x86asm.MOVDQU
	case 0x66ef:
		in.op = x86asm.PXOR
	case 0x66eb:
		in.op = x86asm.POR
	case 0x66db:
		in.op = x86asm.PAND
	case 0x66df:
		in.op = x86asm.PANDN
	case 0x6674:
		in.op = x86asm.PCMPEQB
	case 0x6675:
		in.op = x86asm.PCMPEQW
	case 0x6676:
		in.op = x86asm.PCMPEQD
	case 0x66da:
		in.op = x86asm.PMINUB
	case 0x66f8:
		in.op = x86asm.PSUBB
	case 0x6660:
		in.op = x86asm.PUNPCKLBW
	case 0x6661:
		in.op = x86asm.PUNPCKLWD
	case 0x6662:
		in.op = x86asm.PUNPCKLDQ
	case 0x666c:
		in.op = x86asm.PUNPCKLQDQ
	case 0x66d7:
		in.op = x86asm.PMOVMSKB
		d.modrm(fG32, fU)
		return true
	case 0x66d6:
		in.op = x86asm.MOVQ
		d.modrm(fW64, fV)
		return true
	case 0xf37e:
		in.op = x86asm.MOVQ
		d.modrm(fV, fW64)
		return true
	case 0x666e, 0x667e:
		in.op = x86asm.MOVD
		if d.rex&8 != 0 {
			in.op = x86asm.MOVQ
		}
		if op == 0x6e {
			d.modrm(fV, fEy)
		} else {
			d.modrm(fEy, fV)
		}
		return true
	default:
		return false
	}
	// The stores are 11, 29 and 7F; the rest read W into V.
	if op == 0x11 || op == 0x29 || op == 0x7f {
		d.modrm(fW, fV)
	} else {
		d.modrm(fV, fW)
	}
	return true
}

// byte returns the next code byte.
func (d *fastDecoder) byte() byte {
	if !d.need(1) {
		return 0
	}
	d.pos++
	return d.code[d.pos-1]
}

// need reports whether n more bytes are there; if not, the decode fails.
func (d *fastDecoder) need(n int) bool {
	if d.pos+n > len(d.code) {
		d.ok = false
	}
	return d.ok
}

func (d *fastDecoder) peekReg() byte {
	if !d.need(1) {
		return 0
	}
	return d.code[d.pos] >> 3 & 7
}

func (d *fastDecoder) peekMod() byte {
	if !d.need(1) {
		return 0
	}
	return d.code[d.pos] >> 6
}

// reg describes general register r of n bytes.
func (d *fastDecoder) reg(a *arg, r, n uint8) {
	*a = arg{kind: argReg, reg: r, size: n}
}

// reg8 describes byte register r: AH..BH for 4-7 without REX.
func (d *fastDecoder) reg8(a *arg, r uint8) {
	if d.rex == 0 && r >= 4 && r < 8 {
		*a = arg{kind: argRegH, reg: r - 4, size: 1}
		return
	}
	*a = arg{kind: argReg, reg: r, size: 1}
}

// args decodes operands without a ModRM byte.
func (d *fastDecoder) args(forms ...int) {
	for i, f := range forms {
		d.operand(&d.in.args[i], f, 0, 0)
	}
	d.in.nargs = uint8(len(forms))
}

// modrm decodes a ModRM operand pair: first is the destination, second the
// source (-1 for none).
func (d *fastDecoder) modrm(first, second int) {
	if !d.need(1) {
		return
	}
	m := d.code[d.pos]
	d.pos++
	mod, reg, rm := m>>6, m>>3&7|d.rex&4<<1, m&7
	if mod != 3 {
		d.mem(mod, rm)
		rm = 0xff
	} else {
		rm |= d.rex & 1 << 3
	}
	d.operand(&d.in.args[0], first, reg, rm)
	d.in.nargs = 1
	if second >= 0 {
		d.operand(&d.in.args[1], second, reg, rm)
		d.in.nargs = 2
	}
}

// operand fills a with an operand of form f; rm is 0xff for memory.
func (d *fastDecoder) operand(a *arg, f int, reg, rm uint8) {
	in := d.in
	switch f {
	case fE8, fE16, fE32, fE64, fEv, fM:
		size := [...]uint8{fE8: 1, fE16: 2, fE32: 4, fE64: 8, fEv: in.osize, fM: 0}[f]
		if rm == 0xff {
			in.msize = size
			*a = arg{kind: argMem, size: size}
		} else if f == fE8 {
			d.reg8(a, rm)
		} else {
			d.reg(a, rm, size)
		}
	case fG8:
		d.reg8(a, reg)
	case fGv:
		d.reg(a, reg, in.osize)
	case fAcc8:
		d.reg(a, 0, 1)
	case fAccv:
		d.reg(a, 0, in.osize)
	case fV:
		*a = arg{kind: argXMM, reg: reg, size: 16}
	case fW, fW64, fU:
		if rm != 0xff {
			*a = arg{kind: argXMM, reg: rm, size: 16}
		} else if f == fU {
			d.ok = false
		} else {
			in.msize = [...]uint8{fW: 16, fW64: 8}[f]
			*a = arg{kind: argMem, size: in.msize}
		}
	case fG32:
		d.reg(a, reg, 4)
	case fEy:
		size := uint8(4)
		if d.rex&8 != 0 {
			size = 8
		}
		if rm == 0xff {
			in.msize = size
			*a = arg{kind: argMem, size: size}
		} else {
			d.reg(a, rm, size)
		}
	default:
		d.imm(a, f)
	}
}

// imm decodes an immediate into in.imm.
func (d *fastDecoder) imm(a *arg, f int) {
	in := d.in
	*a = arg{kind: argImm, size: in.osize}
	switch f {
	case fI8:
		in.imm = d.sx(1)
	case fI8u:
		in.imm = uint64(uint8(d.sx(1)))
	case fIz:
		in.imm = d.sx(4)
	}
}

// sx reads an n-byte (1 or 4) little-endian value, sign-extended.
func (d *fastDecoder) sx(n int) uint64 {
	if !d.need(n) {
		return 0
	}
	var v int64
	if n == 1 {
		v = int64(int8(d.code[d.pos]))
	} else {
		v = int64(int32(binary.LittleEndian.Uint32(d.code[d.pos:])))
	}
	d.pos += n
	return uint64(v)
}

// rel decodes an n-byte branch displacement; the target goes in imm once
// the length is known.
func (d *fastDecoder) rel(n int) {
	in := d.in
	v := d.sx(n)
	if !d.ok {
		return
	}
	in.args[0] = arg{kind: argImm, size: 8}
	in.nargs = 1
	in.imm = in.addr + uint64(d.pos) + v
}

// mem decodes the memory operand of a ModRM byte (mod != 3) and its SIB and
// displacement.
func (d *fastDecoder) mem(mod, rm byte) {
	in := d.in
	in.flags |= instHasMem
	base := rm | d.rex&1<<3
	if rm == 4 {
		if !d.need(1) {
			return
		}
		sib := d.code[d.pos]
		d.pos++
		if idx := sib>>3&7 | d.rex&2<<2; idx != 4 {
			in.index = idx
			in.scale = sib >> 6
		}
		base = sib&7 | d.rex&1<<3
		if sib&7 == 5 && mod == 0 {
			base = noReg
			mod = 2 // disp32
		}
	} else if rm == 5 && mod == 0 {
		base = ripReg
		mod = 2
	}
	in.base = base
	switch mod {
	case 1:
		in.disp = d.sx(1)
	case 2:
		in.disp = d.sx(4)
	}
}
