package cpu

import "golang.org/x/arch/x86/x86asm"

// handler executes one decoded instruction.
type handler func(c *CPU, in *Inst)

// argKind says where an operand lives.
type argKind uint8

const (
	argNone argKind = iota
	argReg          // general register, low bytes
	argRegH         // AH, CH, DH, BH
	argMem          // the instruction's memory operand
	argImm          // immediate (or resolved branch target) in Inst.imm
	argXMM          // SSE register
	argST           // x87 stack register ST(reg)
	argMMX          // MMX register
	argSeg          // segment register (reads as 0 except FS/GS selectors)
)

// arg is one decoded operand.
type arg struct {
	kind argKind
	reg  uint8 // register number
	size uint8 // bytes
}

// noReg marks an absent base or index register.
const noReg = 0xff

// Segment overrides that matter in 64-bit mode.
const (
	segNone = iota
	segFS
	segGS
)

// Inst is a decoded instruction: its handler and everything the handler needs,
// resolved once at decode time.
type Inst struct {
	fn   handler
	addr uint64 // guest address
	next uint64 // address of the following instruction
	imm  uint64 // first immediate, or absolute branch target
	imm2 uint64 // second immediate (ENTER, EXTRQ...)
	disp uint64 // memory operand displacement (absolute for RIP-relative)

	args  [4]arg
	nargs uint8
	base  uint8 // memory base register or noReg
	index uint8 // memory index register or noReg
	scale uint8 // shift count for the index: 0..3
	seg   uint8 // segNone, segFS, segGS
	osize uint8 // operand size in bytes (from prefixes and REX.W)
	msize uint8 // memory operand size in bytes, 0 if none given
	rep   uint8 // prefixRep or prefixRepne
	flags uint8 // instFlag bits
	len   uint8
	cc    uint8 // condition code for Jcc/SETcc/CMOVcc
	seq   uint8 // guest instructions of its block up to and including this one
	op    x86asm.Op
}

const (
	prefixRep   = 1 // F3
	prefixRepne = 2 // F2
)

const (
	instLock     = 1 << iota // LOCK prefix
	instAddr32               // 0x67: 32-bit addressing
	instHasMem               // has a memory operand
	instPeephole             // the handler relies on what follows in the block (fuse.go)
)

// Addr returns the instruction's guest address.
func (in *Inst) Addr() uint64 { return in.addr }

// Len returns the instruction's length in bytes.
func (in *Inst) Len() int { return int(in.len) }

// Op returns the decoded mnemonic.
func (in *Inst) Op() x86asm.Op { return in.op }
