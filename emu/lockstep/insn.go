package lockstep

import (
	"golang.org/x/arch/x86/x86asm"
)

// What the checker needs to know about one instruction, decoded once per
// address from the guest's memory: how to run it natively, which memory it
// writes and which flags it leaves undefined.

// class says how an instruction is run on the two sides.
type class uint8

const (
	// clsNormal falls through to the next instruction.
	clsNormal class = iota
	// clsCond is a direct conditional branch: two known successors.
	clsCond
	// clsJump is a direct JMP or CALL: one known successor.
	clsJump
	// clsIndirect is RET or an indirect JMP or CALL.
	clsIndirect
	// clsSingle must be single-stepped on its own: instructions that trap,
	// far transfers, and those whose native execution needs fixing up
	// (PUSHF pushes the tracer's TF, LAHF and POPF read or write flags
	// wholesale).
	clsSingle
	// clsEnv reads the machine (CPUID, RDTSC...): only the interpreter runs
	// it and the native side takes its results.
	clsEnv
	// clsSyscall is SYSCALL: only guestrun runs it.
	clsSyscall
)

// Status flags.
const (
	fCF = 1 << 0
	fPF = 1 << 2
	fAF = 1 << 4
	fZF = 1 << 6
	fSF = 1 << 7
	fTF = 1 << 8
	fDF = 1 << 10
	fOF = 1 << 11

	fStatus = fCF | fPF | fAF | fZF | fSF | fOF
	// fCompared are the RFLAGS bits compared: the status flags, DF, NT, AC
	// and ID. TF belongs to the tracer, RF and IF to the kernel.
	fCompared = fStatus | fDF | 1<<14 | 1<<18 | 1<<21
)

// Dynamic flag rules depend on the shift or rotate count.
const (
	dynNone  = iota
	dynShift // SHL, SHR
	dynSar
	dynRot // ROL, ROR
	dynRcx // RCL, RCR
	dynShd // SHLD, SHRD
)

// flagRule says which status flags an instruction writes and which of them
// the SDM leaves undefined.
type flagRule struct {
	written, undef uint64
	dyn            uint8
	bits           uint8 // operand size, for dynamic rules
	countCL        bool  // count in CL, else in count
	count          uint8
}

// eval returns the written and undefined flags for a shift count in CL.
func (r *flagRule) eval(cl uint8) (written, undef uint64) {
	if r.dyn == dynNone {
		return r.written, r.undef
	}
	n := r.count
	if r.countCL {
		n = cl
	}
	if r.bits == 64 {
		n &= 63
	} else {
		n &= 31
	}
	if n == 0 {
		return 0, 0 // a zero count changes no flags
	}
	switch r.dyn {
	case dynShift, dynSar:
		undef = fAF
		if n != 1 {
			undef |= fOF
		}
		if r.dyn == dynShift && n >= r.bits {
			undef |= fCF
		}
		return fStatus, undef
	case dynRot, dynRcx:
		if n != 1 {
			undef = fOF
		}
		return fCF | fOF, undef
	case dynShd:
		if n > r.bits {
			return fStatus, fStatus
		}
		undef = fAF
		if n != 1 {
			undef |= fOF
		}
		return fStatus, undef
	}
	return 0, 0
}

// Store kinds: where an instruction writes memory.
const (
	stNone   = iota
	stMem    // its explicit memory operand, size bytes
	stPush   // size bytes below RSP
	stString // STOS/MOVS at RDI, size bytes per element, REP-aware
	stMaskMov
)

// memRef is an x86asm memory operand in a form that is quick to evaluate.
type memRef struct {
	base, index int8 // register numbers, -1 for none, regRIP for RIP
	scale       uint8
	addr32      bool
	seg         uint8 // 0, segFS or segGS
	disp        int64
}

const (
	regRIP = 16
	segFS  = 1
	segGS  = 2
)

// insn is one decoded instruction and what the checker derives from it.
type insn struct {
	addr, next uint64
	code       []byte
	inst       x86asm.Inst
	ok         bool // decoded
	cls        class
	seen       uint64 // the run that last executed it
	count      uint64 // how often that run executed it
	target     uint64 // branch target for clsCond and clsJump
	fp         bool   // reads or writes x87, MMX or SSE state
	rep        bool   // REP-prefixed string instruction
	fl         flagRule

	store     uint8
	storeSize uint32
	mem       memRef
	popMem    bool     // POP to memory: the address uses the incremented RSP
	fpMask    []uint16 // for x87/FXSAVE images: compared byte ranges (pairs)
}

// opInfo is per-mnemonic static knowledge.
type opInfo struct {
	cls      class
	fl       flagRule
	dyn      uint8
	readOnly bool   // an explicit memory operand in Args[0] is only read
	size     uint32 // store size when x86asm gives none
	fp       bool
	x87      bool
}

var ops [x86asm.XTEST + 1]opInfo

func setOps(f func(*opInfo), list ...x86asm.Op) {
	for _, op := range list {
		f(&ops[op])
	}
}

func init() {
	for op := x86asm.Op(1); op <= x86asm.XTEST; op++ {
		if s := op.String(); len(s) > 1 && s[0] == 'F' {
			ops[op].fp, ops[op].x87 = true, true
		}
	}
	// Besides those with an x87, MMX or XMM operand: conversions to a
	// general register from memory still set MXCSR flags.
	setOps(func(o *opInfo) { o.fp = true }, x86asm.CVTSD2SI, x86asm.CVTSS2SI, x86asm.CVTTSD2SI, x86asm.CVTTSS2SI,
		x86asm.EMMS, x86asm.LDMXCSR, x86asm.STMXCSR, x86asm.FXRSTOR, x86asm.FXRSTOR64,
		x86asm.XRSTOR, x86asm.XRSTOR64, x86asm.XSAVE, x86asm.XSAVE64, x86asm.XSAVEOPT, x86asm.XSAVEOPT64)

	all := func(w, u uint64) func(*opInfo) {
		return func(o *opInfo) { o.fl.written, o.fl.undef = w, u }
	}
	setOps(all(fStatus, 0), x86asm.ADD, x86asm.ADC, x86asm.SUB, x86asm.SBB, x86asm.CMP, x86asm.NEG, x86asm.XADD,
		x86asm.CMPXCHG, x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ, x86asm.SCASB, x86asm.SCASW,
		x86asm.SCASD, x86asm.SCASQ, x86asm.POPCNT, x86asm.POPF, x86asm.POPFD, x86asm.POPFQ, x86asm.IRET,
		x86asm.IRETD, x86asm.IRETQ, x86asm.COMISS, x86asm.COMISD, x86asm.UCOMISS, x86asm.UCOMISD, x86asm.FCOMI,
		x86asm.FCOMIP, x86asm.FUCOMI, x86asm.FUCOMIP, x86asm.PTEST, x86asm.PCMPESTRI, x86asm.PCMPESTRM,
		x86asm.PCMPISTRI, x86asm.PCMPISTRM, x86asm.RDRAND)
	setOps(all(fStatus&^fCF, 0), x86asm.INC, x86asm.DEC)
	setOps(all(fStatus, fAF), x86asm.AND, x86asm.OR, x86asm.XOR, x86asm.TEST)
	setOps(all(fStatus, fSF|fZF|fAF|fPF), x86asm.MUL, x86asm.IMUL)
	setOps(all(fStatus, fStatus), x86asm.DIV, x86asm.IDIV)
	setOps(all(fCF|fOF|fSF|fAF|fPF, fOF|fSF|fAF|fPF), x86asm.BT, x86asm.BTS, x86asm.BTR, x86asm.BTC)
	setOps(all(fStatus, fStatus&^fZF), x86asm.BSF, x86asm.BSR)
	setOps(all(fStatus, fOF|fSF|fPF|fAF), x86asm.TZCNT, x86asm.LZCNT)
	setOps(all(fZF, 0), x86asm.CMPXCHG8B, x86asm.CMPXCHG16B, x86asm.LAR, x86asm.LSL, x86asm.VERR, x86asm.VERW)
	setOps(all(fStatus&^fOF, 0), x86asm.SAHF)
	setOps(all(fCF, 0), x86asm.CLC, x86asm.STC, x86asm.CMC)
	dyn := func(d uint8) func(*opInfo) { return func(o *opInfo) { o.dyn = d } }
	setOps(dyn(dynShift), x86asm.SHL, x86asm.SHR)
	setOps(dyn(dynSar), x86asm.SAR)
	setOps(dyn(dynRot), x86asm.ROL, x86asm.ROR)
	setOps(dyn(dynRcx), x86asm.RCL, x86asm.RCR)
	setOps(dyn(dynShd), x86asm.SHLD, x86asm.SHRD)

	cls := func(c class) func(*opInfo) { return func(o *opInfo) { o.cls = c } }
	setOps(cls(clsCond), x86asm.JA, x86asm.JAE, x86asm.JB, x86asm.JBE, x86asm.JE, x86asm.JNE, x86asm.JG,
		x86asm.JGE, x86asm.JL, x86asm.JLE, x86asm.JO, x86asm.JNO, x86asm.JP, x86asm.JNP, x86asm.JS, x86asm.JNS,
		x86asm.JCXZ, x86asm.JECXZ, x86asm.JRCXZ, x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE)
	setOps(cls(clsEnv), x86asm.CPUID, x86asm.RDTSC, x86asm.RDTSCP, x86asm.XGETBV, x86asm.RDRAND,
		x86asm.RDPMC)
	setOps(cls(clsSyscall), x86asm.SYSCALL)
	setOps(cls(clsIndirect), x86asm.RET)
	// Traps, privileged and far instructions, and those whose native result
	// the tracer perturbs, run one at a time.
	setOps(cls(clsSingle), x86asm.LRET, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ, x86asm.LCALL,
		x86asm.LJMP, x86asm.INT, x86asm.INTO, x86asm.ICEBP, x86asm.UD0, x86asm.UD1, x86asm.UD2, x86asm.HLT,
		x86asm.PUSHF, x86asm.PUSHFD, x86asm.PUSHFQ, x86asm.POPF, x86asm.POPFD, x86asm.POPFQ, x86asm.LAHF,
		x86asm.IN, x86asm.OUT, x86asm.INSB, x86asm.INSW, x86asm.INSD, x86asm.OUTSB, x86asm.OUTSW, x86asm.OUTSD,
		x86asm.CLI, x86asm.STI, x86asm.CLTS, x86asm.LGDT, x86asm.LIDT, x86asm.LLDT, x86asm.LMSW, x86asm.LTR,
		x86asm.INVD, x86asm.INVLPG, x86asm.INVPCID, x86asm.WBINVD, x86asm.RDMSR, x86asm.WRMSR, x86asm.RSM,
		x86asm.SWAPGS, x86asm.SYSENTER, x86asm.SYSEXIT, x86asm.SYSRET, x86asm.MONITOR, x86asm.MWAIT,
		x86asm.XSETBV, x86asm.XBEGIN, x86asm.XEND, x86asm.XABORT, x86asm.XTEST, x86asm.SGDT, x86asm.SIDT,
		x86asm.SLDT, x86asm.SMSW, x86asm.STR, x86asm.FXSAVE, x86asm.FXSAVE64, x86asm.FNSAVE, x86asm.FNSTENV,
		x86asm.XSAVE, x86asm.XSAVE64, x86asm.XSAVEOPT, x86asm.XSAVEOPT64, x86asm.XSAVEC, x86asm.XSAVEC64,
		x86asm.XSAVES, x86asm.XSAVES64, x86asm.XRSTORS, x86asm.XRSTORS64)

	ro := func(o *opInfo) { o.readOnly = true }
	setOps(ro, x86asm.CMP, x86asm.TEST, x86asm.BT, x86asm.PUSH, x86asm.CALL, x86asm.JMP, x86asm.LCALL, x86asm.LJMP,
		x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2, x86asm.PREFETCHW,
		x86asm.CLFLUSH, x86asm.NOP, x86asm.FLD, x86asm.FILD, x86asm.FBLD, x86asm.FLDCW, x86asm.FLDENV,
		x86asm.FRSTOR, x86asm.FXRSTOR, x86asm.FXRSTOR64, x86asm.LDMXCSR, x86asm.XRSTOR, x86asm.XRSTOR64,
		x86asm.XRSTORS, x86asm.XRSTORS64, x86asm.FCOM, x86asm.FCOMP, x86asm.FICOM, x86asm.FICOMP, x86asm.FADD,
		x86asm.FSUB, x86asm.FSUBR, x86asm.FMUL, x86asm.FDIV, x86asm.FDIVR, x86asm.FIADD, x86asm.FISUB,
		x86asm.FISUBR, x86asm.FIMUL, x86asm.FIDIV, x86asm.FIDIVR, x86asm.LGDT, x86asm.LIDT, x86asm.LLDT,
		x86asm.LMSW, x86asm.LTR, x86asm.VERR, x86asm.VERW, x86asm.INVLPG, x86asm.MONITOR, x86asm.LODSB,
		x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ, x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ,
		x86asm.SCASB, x86asm.SCASW, x86asm.SCASD, x86asm.SCASQ, x86asm.UCOMISS, x86asm.UCOMISD, x86asm.COMISS,
		x86asm.COMISD, x86asm.PTEST)
	size := func(n uint32) func(*opInfo) { return func(o *opInfo) { o.size = n } }
	setOps(size(512), x86asm.FXSAVE, x86asm.FXSAVE64)
	setOps(size(108), x86asm.FNSAVE)
	setOps(size(28), x86asm.FNSTENV)
}

// Byte ranges of x87 state images that are compared: the rest holds the
// last instruction and operand pointers, which depend on where the code ran,
// and reserved bytes.
var (
	fxsaveMask = func() []uint16 {
		m := []uint16{0, 5, 24, 28} // FCW FSW FTW, MXCSR
		for i := uint16(0); i < 8; i++ {
			m = append(m, 32+16*i, 42+16*i) // ST(i), 10 bytes
		}
		return append(m, 160, 416) // XMM0..15
	}()
	fnstenvMask = []uint16{0, 2, 4, 6, 8, 10} // FCW FSW FTW
	fnsaveMask  = []uint16{0, 2, 4, 6, 8, 10, 28, 108}
)

// decodeInsn decodes the instruction in code (which starts at addr).
func decodeInsn(addr uint64, code []byte) *insn {
	in := &insn{addr: addr, cls: clsSingle}
	xi, err := x86asm.Decode(code, 64)
	if err != nil || xi.Op == 0 || xi.Len == 0 {
		n := min(len(code), 4)
		in.code = append([]byte(nil), code[:n]...)
		in.next = addr + uint64(n)
		return in
	}
	in.ok = true
	in.inst = xi
	in.code = append([]byte(nil), code[:xi.Len]...)
	in.next = addr + uint64(xi.Len)
	for _, p := range xi.Prefix {
		if p == 0 {
			break
		}
		if p.IsVEX() || p.IsEVEX() {
			// Not advertised by guestrun's CPUID: let each side decide.
			return in
		}
	}
	o := &ops[xi.Op]
	in.cls = o.cls
	in.fl = o.fl
	in.fp = o.fp
	bits := argBits(&xi)
	if o.dyn != dynNone {
		in.fl = flagRule{dyn: o.dyn, bits: bits}
		switch a := xi.Args[1].(type) {
		case x86asm.Imm:
			in.fl.count = uint8(a)
		case x86asm.Reg:
			in.fl.countCL = true
		}
		if o.dyn == dynShd {
			switch a := xi.Args[2].(type) {
			case x86asm.Imm:
				in.fl.count = uint8(a)
			case x86asm.Reg:
				in.fl.countCL = true
			}
		}
	}
	memArg := -1
	for i, a := range xi.Args {
		switch a := a.(type) {
		case nil:
		case x86asm.Reg:
			if a >= x86asm.X0 && a <= x86asm.X15 || a >= x86asm.M0 && a <= x86asm.M7 || a >= x86asm.F0 && a <= x86asm.F7 {
				in.fp = true
			}
		case x86asm.Mem:
			if memArg < 0 {
				memArg = i
				in.mem = toMemRef(a, xi.AddrSize == 32)
			}
		case x86asm.Rel:
			in.target = in.next + uint64(int64(a))
		}
	}
	switch xi.Op {
	case x86asm.JMP, x86asm.CALL:
		if _, ok := xi.Args[0].(x86asm.Rel); ok {
			in.cls = clsJump
		} else {
			in.cls = clsIndirect
		}
	}
	switch xi.Op {
	case x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ, x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ:
		in.store = stString
		in.storeSize = uint32(stringSize(xi.Op))
	case x86asm.MASKMOVDQU, x86asm.MASKMOVQ:
		in.store, in.storeSize = stMaskMov, 16
		if xi.Op == x86asm.MASKMOVQ {
			in.storeSize = 8
		}
	case x86asm.PUSH, x86asm.PUSHF, x86asm.PUSHFD, x86asm.PUSHFQ, x86asm.CALL:
		in.store, in.storeSize = stPush, uint32(xi.DataSize/8)
		if xi.DataSize != 16 {
			in.storeSize = 8
		}
	case x86asm.ENTER:
		level, _ := xi.Args[1].(x86asm.Imm)
		in.store, in.storeSize = stPush, 8*(1+uint32(level&31))
	default:
		if memArg == 0 && !o.readOnly || xi.Op == x86asm.XCHG && memArg >= 0 {
			in.store, in.storeSize = stMem, uint32(xi.MemBytes)
			if o.size != 0 {
				in.storeSize = o.size
			}
			if in.storeSize == 0 {
				in.store = stNone
			}
			in.popMem = xi.Op == x86asm.POP
		}
	}
	switch xi.Op {
	case x86asm.FXSAVE, x86asm.FXSAVE64:
		in.fpMask = fxsaveMask
	case x86asm.FNSTENV:
		in.fpMask = fnstenvMask
	case x86asm.FNSAVE:
		in.fpMask = fnsaveMask
	}
	for _, p := range xi.Prefix {
		if p == 0 {
			break
		}
		if p&0xff == x86asm.PrefixREP || p&0xff == x86asm.PrefixREPN {
			if in.store == stString || isStringRead(xi.Op) {
				in.rep = true
			}
		}
	}
	return in
}

// argBits is the size of the first operand in bits.
func argBits(xi *x86asm.Inst) uint8 {
	switch a := xi.Args[0].(type) {
	case x86asm.Reg:
		switch {
		case a >= x86asm.AL && a <= x86asm.R15B:
			return 8
		case a >= x86asm.AX && a <= x86asm.R15W:
			return 16
		case a >= x86asm.EAX && a <= x86asm.R15L:
			return 32
		}
		return 64
	case x86asm.Mem:
		return uint8(xi.MemBytes * 8)
	}
	return uint8(xi.DataSize)
}

func stringSize(op x86asm.Op) int {
	switch op {
	case x86asm.STOSB, x86asm.MOVSB, x86asm.CMPSB, x86asm.SCASB, x86asm.LODSB:
		return 1
	case x86asm.STOSW, x86asm.MOVSW, x86asm.CMPSW, x86asm.SCASW, x86asm.LODSW:
		return 2
	case x86asm.STOSD, x86asm.MOVSD, x86asm.CMPSD, x86asm.SCASD, x86asm.LODSD:
		return 4
	}
	return 8
}

func isStringRead(op x86asm.Op) bool {
	switch op {
	case x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ, x86asm.SCASB, x86asm.SCASW, x86asm.SCASD,
		x86asm.SCASQ, x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ:
		return true
	}
	return false
}

func toMemRef(m x86asm.Mem, addr32 bool) memRef {
	r := memRef{base: gprNum(m.Base), index: gprNum(m.Index), scale: m.Scale, addr32: addr32, disp: m.Disp}
	switch m.Segment {
	case x86asm.FS:
		r.seg = segFS
	case x86asm.GS:
		r.seg = segGS
	}
	return r
}

// gprNum maps a 64- or 32-bit address register to its number.
func gprNum(r x86asm.Reg) int8 {
	switch {
	case r >= x86asm.RAX && r <= x86asm.R15:
		return int8(r - x86asm.RAX)
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return int8(r - x86asm.EAX)
	case r == x86asm.RIP || r == x86asm.EIP:
		return regRIP
	}
	return -1
}

// ea evaluates the memory operand with the given registers.
func (in *insn) ea(r *[16]uint64, fs, gs uint64) uint64 {
	m := &in.mem
	a := uint64(m.disp)
	switch {
	case m.base == regRIP:
		a += in.next
	case m.base >= 0:
		a += r[m.base]
	}
	if m.index >= 0 && m.index < 16 {
		a += r[m.index] * uint64(max(m.scale, 1))
	}
	if m.addr32 {
		a = uint64(uint32(a))
	}
	switch m.seg {
	case segFS:
		a += fs
	case segGS:
		a += gs
	}
	return a
}

// maxStringStore bounds the REP string stores that are checked and undone.
const maxStringStore = 64 << 20

// storeRange returns the memory the instruction is about to write, given the
// registers before it, or n == 0.
func (in *insn) storeRange(r *[16]uint64, flags, fs, gs uint64) (addr uint64, n uint64) {
	switch in.store {
	case stMem:
		regs := r
		if in.popMem && in.mem.base == 4 {
			tmp := *r
			tmp[4] += uint64(in.storeSize)
			regs = &tmp
		}
		return in.ea(regs, fs, gs), uint64(in.storeSize)
	case stPush:
		return r[4] - uint64(in.storeSize), uint64(in.storeSize)
	case stMaskMov:
		return r[7], uint64(in.storeSize)
	case stString:
		count := uint64(1)
		if in.rep {
			count = r[1]
			if in.mem.addr32 {
				count = uint64(uint32(count))
			}
		}
		size := uint64(in.storeSize)
		if count == 0 || count > maxStringStore/size {
			return 0, 0
		}
		rdi := r[7]
		if in.mem.addr32 {
			rdi = uint64(uint32(rdi))
		}
		if flags&fDF != 0 {
			return rdi - (count-1)*size, count * size
		}
		return rdi, count * size
	}
	return 0, 0
}
