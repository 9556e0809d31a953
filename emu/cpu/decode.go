package cpu

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Decoding: each guest address is decoded once into a Block of Insts, kept in
// a CodeCache shared by the threads of a process. A per-CPU direct-mapped
// table in front of it makes the common lookup a load and two compares.

const (
	l1Size        = 1 << 12
	maxBlockInsts = 64
	maxInstLen    = 15
)

// Block is a straight-line run of decoded instructions that ends at a branch
// other than Jcc, a syscall, a page boundary or maxBlockInsts. A Jcc inside
// a block is a side exit: taken, it ends the block there (c.lim); not taken,
// the block goes on with the code after it, saving a block lookup per
// branch not taken.
//
// Blocks come in two tiers, because decoding is most of a short program's
// time. Code is first decoded cold: up to its first Jcc, as much of what
// follows a branch never runs (a program's start runs 4 in 10 of the
// instructions a superblock would decode), and without the peephole
// optimisations (fuse.go). A cold block entered promoteAfter times is
// decoded again hot, as an optimised superblock, which replaces it.
type Block struct {
	start, end uint64
	insts      []Inst
	dead       atomic.Bool  // set when the code under it changed
	warm       atomic.Int32 // entries left before promotion; 0 if hot
}

// promoteAfter is the number of entries that make a cold block hot: a loop
// gets there at once, and code run a few times at start does not. (CPU's
// promoteAfter is this but in tests.)
const promoteAfter = 64

// CodeCache holds the decoded blocks of one address space.
type CodeCache struct {
	mu     sync.Mutex
	blocks map[uint64]*Block
	pages  map[uint64][]*Block // guest page number -> blocks with code on it

	blockFree []Block // what is left of the current chunks (newBlock)
	instFree  []Inst
}

// NewCodeCache returns an empty cache and hooks it to m so that mapping and
// protection changes drop stale code.
func NewCodeCache(m *mem.Mem) *CodeCache {
	// Sized for a small program's start (busybox true decodes 550 blocks
	// on 60 pages), which would otherwise rehash the maps a few times.
	cc := &CodeCache{blocks: make(map[uint64]*Block, 1024), pages: make(map[uint64][]*Block, 128)}
	m.OnChange(cc.Invalidate)
	return cc
}

// Invalidate drops every block with code in [start, end).
func (cc *CodeCache) Invalidate(start, end uint64) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	first, last := start/mem.PageSize, (end-1)/mem.PageSize
	if last-first > uint64(len(cc.pages)) {
		for pg := range cc.pages {
			if pg >= first && pg <= last {
				cc.dropPage(pg)
			}
		}
		return
	}
	for pg := first; pg <= last; pg++ {
		cc.dropPage(pg)
	}
}

func (cc *CodeCache) dropPage(pg uint64) {
	for _, b := range cc.pages[pg] {
		if !b.dead.Load() {
			b.dead.Store(true)
			delete(cc.blocks, b.start)
		}
	}
	delete(cc.pages, pg)
}

// block returns the decoded block at rip, decoding it on a miss.
func (c *CPU) block(rip uint64) *Block {
	slot := &c.l1[(rip^rip>>12)&(l1Size-1)]
	if b := *slot; b != nil && b.start == rip && !b.dead.Load() {
		return b
	}
	cc := c.code
	cc.mu.Lock()
	b := cc.blocks[rip]
	cc.mu.Unlock()
	if b == nil {
		insts, end := c.decodeBlock(rip, false)
		c.Stats.BlockMisses++
		cc.mu.Lock()
		// Unless another thread won the race.
		if b = cc.blocks[rip]; b == nil {
			b = cc.add(rip, end, insts, c.codePages)
			b.warm.Store(c.promoteAfter)
		}
		cc.mu.Unlock()
	}
	*slot = b
	return b
}

// promote replaces the cold block b, whose warm count has run out, with a
// superblock decoded at its start, and returns the block to run.
func (c *CPU) promote(b *Block) *Block {
	insts, end := c.decodeBlock(b.start, true)
	c.Stats.BlockMisses++
	cc := c.code
	cc.mu.Lock()
	if b.dead.Load() {
		// A write to the code while it was decoded dropped b (its page
		// was watched first): the superblock may be stale.
		cc.mu.Unlock()
		return c.block(b.start)
	}
	b.dead.Store(true)
	nb := cc.add(b.start, end, insts, c.codePages)
	cc.mu.Unlock()
	c.l1[(b.start^b.start>>12)&(l1Size-1)] = nb
	return nb
}

// add makes a block of insts, which falls through to end and has code on
// pages, and files it. cc.mu is held.
func (cc *CodeCache) add(start, end uint64, insts []Inst, pages []uint64) *Block {
	b := cc.newBlock(start, end, insts)
	cc.blocks[start] = b
	for _, pg := range pages {
		cc.pages[pg] = append(cc.pages[pg], b)
	}
	return b
}

// Blocks and their instructions are carved from chunks of these many:
// an allocation or two per block was a large part of a short guest's run.
// A live block keeps its chunks alive, so they are small.
const (
	blockChunk = 64
	instChunk  = 256
)

// newBlock returns a new block of a copy of insts. cc.mu is held.
func (cc *CodeCache) newBlock(start, end uint64, insts []Inst) *Block {
	if len(cc.blockFree) == 0 {
		cc.blockFree = make([]Block, blockChunk)
	}
	if len(cc.instFree) < len(insts) {
		cc.instFree = make([]Inst, max(instChunk, len(insts)))
	}
	b := &cc.blockFree[0]
	cc.blockFree = cc.blockFree[1:]
	b.start, b.end = start, end
	b.insts = cc.instFree[:len(insts):len(insts)]
	cc.instFree = cc.instFree[len(insts):]
	copy(b.insts, insts)
	return b
}

// decodeBlock decodes the block at rip into c.scratch, cold or hot (see
// Block), and returns its instructions and the address it falls through to
// at its end. It leaves in c.codePages the pages its code is on. Code that
// cannot be fetched or decoded becomes an instruction that raises the fault
// when executed, so that the fault happens in order, with the right RIP.
//
// A superblock goes on past a Jcc not taken, and it follows a direct JMP (no
// instruction is left of it), a direct CALL (which then only pushes) and a
// RET to the address such a CALL pushed (which checks the address it pops
// and leaves the block if it differs), onto other pages too. That makes
// one block of a short function and its caller's loop.
func (c *CPU) decodeBlock(rip uint64, hot bool) (insts []Inst, end uint64) {
	if c.scratch == nil {
		c.scratch = new([maxBlockInsts]Inst)
	}
	insts = c.scratch[:0]
	c.codePages = c.codePages[:0]
	// Watch a page first, so that a write racing with the decode still
	// drops the block.
	c.watchPage(rip)
	limit := c.execLimit(rip)
	var buf [maxInstLen]byte
	var rets [maxCallDepth]uint64 // return addresses of the CALLs followed
	depth, seq := 0, 0
	pc, page := rip, rip/mem.PageSize
	// seq counts the JMPs followed too, so that it bounds a jump to
	// itself.
	for seq < maxBlockInsts {
		n := min(limit-pc, maxInstLen)
		if n == 0 {
			if len(insts) == 0 {
				insts = append(insts, Inst{fn: opFetchFault, addr: pc, next: pc, imm: pc, seq: 1})
				return insts, pc
			}
			break
		}
		copy(buf[:], c.bytes(pc, n))
		// Decoded in place: a local Inst would escape to the heap through
		// the selector call, one allocation per instruction.
		insts = insts[:len(insts)+1]
		in := &insts[len(insts)-1]
		*in = Inst{}
		ends := c.decodeOne(in, buf[:n], pc, limit)
		seq++
		in.seq = uint8(seq)
		pc = in.next
		if last := (pc - 1) / mem.PageSize; pc > in.addr && last != page {
			// Its last bytes are on the next page.
			c.watchPage(pc - 1)
		}
		if pc/mem.PageSize != page {
			break
		}
		if !ends {
			continue
		}
		if pc == in.addr {
			// Undefined (opUD), or a fetch fault.
			break
		}
		if !hot {
			return insts, pc
		}
		if isJcc[in.op] {
			continue
		}
		// Where a branch followed goes on.
		var to uint64
		switch {
		case direct(in) && (in.op == x86asm.JMP || depth < maxCallDepth):
			to = in.imm
		case in.op == x86asm.RET && in.nargs == 0 && depth > 0:
			to = rets[depth-1]
		default:
			return peephole(insts), pc
		}
		if to == rip || len(c.codePages) >= maxBlockPages && !c.onPage(to) {
			// A loop back to the start runs as the block again; and a
			// block stays on a few pages.
			return peephole(insts), pc
		}
		c.watchPage(to)
		toLimit := c.execLimit(to)
		if toLimit == to {
			return peephole(insts), pc
		}
		switch in.op {
		case x86asm.JMP:
			insts = insts[:len(insts)-1]
		case x86asm.CALL:
			in.fn = callThrough
			rets[depth] = in.next
			depth++
		default:
			in.fn = retThrough
			in.imm = to
			depth--
		}
		pc, page, limit = to, to/mem.PageSize, toLimit
	}
	if hot {
		insts = peephole(insts)
	}
	return insts, pc
}

// A superblock follows at most maxCallDepth CALLs without their RET, and
// has code on at most maxBlockPages pages (and the next page, for an
// instruction across the end of one).
const (
	maxCallDepth  = 4
	maxBlockPages = 4
)

// direct reports whether in is a direct JMP or CALL.
func direct(in *Inst) bool {
	return (in.op == x86asm.JMP || in.op == x86asm.CALL) && in.args[0].kind == argImm
}

// watchPage watches the code page holding addr and notes it in c.codePages.
func (c *CPU) watchPage(addr uint64) {
	if !c.onPage(addr) {
		c.mem.WatchCode(addr)
		c.codePages = append(c.codePages, addr/mem.PageSize)
	}
}

func (c *CPU) onPage(addr uint64) bool {
	for _, pg := range c.codePages {
		if pg == addr/mem.PageSize {
			return true
		}
	}
	return false
}

// execLimit returns the end of the executable memory that contains rip
// (rip itself if it is not executable).
func (c *CPU) execLimit(rip uint64) uint64 {
	end := rip
	for {
		v, ok := c.mem.Lookup(end)
		if !ok || v.Prot&unix.PROT_EXEC == 0 {
			return end
		}
		end = v.End
		if end-rip >= 2*mem.PageSize {
			return end
		}
	}
}

// decodeOne decodes the instruction at pc from code and reports whether it
// ends a block.
func (c *CPU) decodeOne(in *Inst, code []byte, pc, limit uint64) bool {
	in.addr = pc
	if fastDecode(in, code) {
		if sel := ops[in.op]; sel != nil {
			if in.fn = sel(in); in.fn != nil {
				return endsBlock[in.op]
			}
		}
	}
	// The slow path decodes what the fast one did not, and describes what
	// is not implemented.
	*in = Inst{addr: pc}
	n, ok := c.decodeSlow(in, code)
	if n == 0 {
		if len(code) < maxInstLen && pc+uint64(len(code)) == limit {
			// The instruction runs into a page we may not execute.
			in.fn, in.next, in.imm = opFetchFault, pc, limit
			return true
		}
		c.undefined(in, code)
		return true
	}
	if !ok {
		c.undefined(in, code[:n])
		return true
	}
	sel := ops[in.op]
	if sel == nil {
		c.undefined(in, code[:n])
		return true
	}
	in.fn = sel(in)
	if in.fn == nil {
		c.undefined(in, code[:n])
		return true
	}
	return endsBlock[in.op]
}

// decodeSlow decodes code with x86asm into in, empty but for its address.
// It returns the instruction's length, 0 if x86asm cannot decode it, and
// whether translate took it.
func (c *CPU) decodeSlow(in *Inst, code []byte) (n int, ok bool) {
	xi, err := decodeX86(code)
	if err != nil || xi.Op == 0 || xi.Len == 0 {
		return 0, false
	}
	in.len = uint8(xi.Len)
	in.next = in.addr + uint64(xi.Len)
	in.op = xi.Op
	return xi.Len, c.translate(in, &xi)
}

// undefined makes in raise SIGILL when executed. The code bytes are kept in
// imm and imm2 for the -d log, which is written only if the instruction runs.
func (c *CPU) undefined(in *Inst, code []byte) {
	var b [16]byte
	copy(b[:], code)
	in.imm = binary.LittleEndian.Uint64(b[:])
	in.imm2 = binary.LittleEndian.Uint64(b[8:])
	in.len = uint8(min(len(code), maxInstLen))
	in.fn = opUD
	in.next = in.addr
}

// decodeX86 wraps x86asm.Decode with the encodings it gets wrong.
func decodeX86(code []byte) (x86asm.Inst, error) {
	// ENDBR64/ENDBR32 (F3 0F 1E FA/FB) are NOPs without CET.
	if len(code) >= 4 && code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e && (code[3] == 0xfa || code[3] == 0xfb) {
		return x86asm.Inst{Op: x86asm.NOP, Len: 4, Mode: 64, DataSize: 32, AddrSize: 64}, nil
	}
	if ignored := ignoredREX(code); ignored != nil {
		// The hardware ignores a REX prefix that another prefix follows;
		// x86asm rejects it. Decode without it, at the full length.
		xi, err := decodeX86(ignored)
		if err == nil && xi.Len > 0 {
			xi.Len += len(code) - len(ignored)
			if xi.Len > maxInstLen {
				return xi, errUD
			}
		}
		return xi, err
	}
	xi, err := x86asm.Decode(code, 64)
	if err != nil || xi.Op == 0 {
		// (With prefixes, x86asm reports an unknown opcode as Op 0.)
		alt, ok := aliasEncoding(code)
		if !ok {
			return xi, err
		}
		if xi, err = x86asm.Decode(alt, 64); err != nil {
			return xi, err
		}
	}
	for _, p := range xi.Prefix {
		if p == 0 {
			break
		}
		if p.IsVEX() || p.IsEVEX() || p&x86asm.PrefixInvalid != 0 {
			// AVX is not advertised in CPUID, so its encodings are #UD.
			return xi, errUD
		}
	}
	return xi, nil
}

// aliasEncoding rewrites encodings that x86asm rejects but the hardware
// runs into an equivalent one of the same length: SAL (shift group /6) is
// SHL (/4), and the hint and reserved NOPs 0F 0D (memory forms), 0F 18 /4-7
// and 0F 19-0F 1F /r are NOP r/m (0F 1F /0, whose REX bits do not matter).
func aliasEncoding(code []byte) ([]byte, bool) {
	i := 0
	for i < len(code) && isPrefixByte(code[i]) {
		i++
	}
	if i+2 > len(code) {
		return nil, false
	}
	alt := append([]byte(nil), code...)
	switch op := code[i]; {
	case (op == 0xf6 || op == 0xf7) && code[i+1]>>3&7 == 1:
		// TEST r/m, imm: /1 is an undocumented alias of /0.
		alt[i+1] &^= 7 << 3
	case op >= 0xd8 && op <= 0xdf && code[i+1] >= 0xc0:
		// Undocumented x87 register forms that run as documented ones:
		// FSTP (D9 D8+i, DF D0+i, DF D8+i), FCOM and FCOMP (DC D0+i,
		// DC D8+i, DE D0+i), FXCH (DD C8+i, DF C8+i), and FENI, FDISI and
		// FSETPM (DB E0, E1, E4), which are FNOP since the 80387.
		m := code[i+1]
		switch uint16(op)<<8 | uint16(m&0xf8) {
		case 0xd9d8, 0xdfd0, 0xdfd8:
			alt[i], alt[i+1] = 0xdd, 0xd8|m&7
		case 0xdcd0, 0xdcd8:
			alt[i] = 0xd8
		case 0xded0:
			alt[i], alt[i+1] = 0xd8, 0xd8|m&7
		case 0xddc8, 0xdfc8:
			alt[i] = 0xd9
		default:
			if op != 0xdb || (m != 0xe0 && m != 0xe1 && m != 0xe4) {
				return nil, false
			}
			alt[i], alt[i+1] = 0xd9, 0xd0
		}
	case op == 0xc0 || op == 0xc1 || (op >= 0xd0 && op <= 0xd3):
		if code[i+1]>>3&7 != 6 {
			return nil, false
		}
		alt[i+1] ^= 6<<3 ^ 4<<3
	case op == 0x0f && i+3 <= len(code):
		modrm := code[i+2]
		switch op2 := code[i+1]; {
		case op2 == 0x0d && modrm>>6 != 3, op2 == 0x18 && modrm>>3&7 >= 4, op2 >= 0x19 && op2 <= 0x1f:
			alt[i+1], alt[i+2] = 0x1f, modrm&0xc7
			if i > 0 && code[i-1]&0xf0 == 0x40 {
				alt[i-1] = 0x40
			}
		default:
			return nil, false
		}
	default:
		return nil, false
	}
	return alt, true
}

// ignoredREX returns code without the REX prefixes that another prefix
// follows, or nil if there are none.
func ignoredREX(code []byte) []byte {
	n := 0
	for n < len(code) && isPrefixByte(code[n]) {
		n++
	}
	var out []byte
	for i := 0; i < n; i++ {
		if code[i]&0xf0 == 0x40 && i+1 < n {
			if out == nil {
				out = append(make([]byte, 0, len(code)), code[:i]...)
			}
			continue
		}
		if out != nil {
			out = append(out, code[i])
		}
	}
	if out == nil {
		return nil
	}
	return append(out, code[n:]...)
}

// isPrefixByte reports whether b is a legacy or REX prefix in 64-bit mode.
func isPrefixByte(b byte) bool {
	switch b {
	case 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65:
		return true
	}
	return b&0xf0 == 0x40
}

type udError struct{}

func (udError) Error() string { return "undefined opcode" }

var errUD error = udError{}

// opUD raises SIGILL at the instruction.
func opUD(c *CPU, in *Inst) {
	if c.Debug != nil {
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:], in.imm)
		binary.LittleEndian.PutUint64(b[8:], in.imm2)
		name := "undecodable"
		if in.op != 0 {
			name = in.op.String()
		}
		c.Debug("unimp: illegal or unimplemented instruction (%s) at %#x: % x", name, in.addr, b[:in.len])
	}
	c.raise(Fault{Sig: int(unix.SIGILL), Code: illOpc, Addr: in.addr, Trapno: 6})
}

// opFetchFault raises SIGSEGV for code fetched from a non-executable page.
func opFetchFault(c *CPU, in *Inst) {
	code := segvAccErr
	if _, ok := c.mem.Lookup(in.imm); !ok {
		code = segvMapErr
	}
	c.raise(Fault{Sig: int(unix.SIGSEGV), Code: code, Addr: in.imm, Trapno: 14, Err: 0x14})
}

// ops maps a mnemonic to a selector that picks its handler for the decoded
// operand forms (nil when a form is not implemented). Instruction family
// files fill it in init.
var ops [x86asm.VZEROUPPER + 1]func(in *Inst) handler

// endsBlock marks mnemonics after which decoding stops: anything that may
// change RIP other than by falling through, or that stops the CPU.
var endsBlock [x86asm.VZEROUPPER + 1]bool

// def registers one handler for every operand form of the mnemonics.
func def(h handler, list ...x86asm.Op) {
	sel := func(*Inst) handler { return h }
	for _, op := range list {
		ops[op] = sel
	}
}

// defSel registers a selector that chooses a handler per operand form.
func defSel(sel func(in *Inst) handler, list ...x86asm.Op) {
	for _, op := range list {
		ops[op] = sel
	}
}

// defBranch registers a handler that may set RIP.
func defBranch(h handler, list ...x86asm.Op) {
	def(h, list...)
	for _, op := range list {
		endsBlock[op] = true
	}
}

// translate converts x86asm's view of the instruction into in's operands.
func (c *CPU) translate(in *Inst, xi *x86asm.Inst) bool {
	in.base, in.index = noReg, noReg
	in.osize = uint8(xi.DataSize / 8)
	in.msize = uint8(xi.MemBytes)
	if xi.AddrSize == 32 {
		in.flags |= instAddr32
	}
	for _, p := range xi.Prefix {
		if p == 0 {
			break
		}
		if p&x86asm.PrefixIgnored != 0 {
			continue
		}
		switch p & 0xff {
		case 0xf3:
			in.rep = prefixRep
		case 0xf2:
			in.rep = prefixRepne
		case 0xf0:
			in.flags |= instLock
		}
	}
	nimm := 0
	for i, xa := range xi.Args {
		if xa == nil {
			break
		}
		if i >= len(in.args) {
			return false
		}
		a := &in.args[i]
		switch x := xa.(type) {
		case x86asm.Reg:
			if !regArg(a, x) {
				return false
			}
		case x86asm.Mem:
			a.kind, a.size = argMem, in.msize
			in.flags |= instHasMem
			switch x.Segment {
			case x86asm.FS:
				in.seg = segFS
			case x86asm.GS:
				in.seg = segGS
			}
			in.disp = uint64(x.Disp)
			if x.Base == x86asm.RIP || x.Base == x86asm.EIP {
				in.disp += in.next
			} else if x.Base != 0 {
				var b arg
				if !regArg(&b, x.Base) || b.kind != argReg {
					return false
				}
				in.base = b.reg
			}
			if x.Index != 0 {
				var b arg
				if !regArg(&b, x.Index) || b.kind != argReg {
					return false
				}
				in.index = b.reg
				for s := x.Scale; s > 1; s >>= 1 {
					in.scale++
				}
			}
		case x86asm.Imm:
			a.kind, a.size = argImm, in.osize
			if nimm == 0 {
				in.imm = uint64(x)
			} else {
				in.imm2 = uint64(x)
			}
			nimm++
		case x86asm.Rel:
			a.kind, a.size = argImm, 8
			in.imm = in.next + uint64(int64(x))
		default:
			return false
		}
		in.nargs++
	}
	return true
}

// regArg describes register r as an operand.
func regArg(a *arg, r x86asm.Reg) bool {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		a.kind, a.reg, a.size = argReg, uint8(r-x86asm.AL), 1
	case r >= x86asm.AH && r <= x86asm.BH:
		a.kind, a.reg, a.size = argRegH, uint8(r-x86asm.AH), 1
	case r >= x86asm.SPB && r <= x86asm.R15B:
		a.kind, a.reg, a.size = argReg, uint8(r-x86asm.SPB)+4, 1
	case r >= x86asm.AX && r <= x86asm.R15W:
		a.kind, a.reg, a.size = argReg, uint8(r-x86asm.AX), 2
	case r >= x86asm.EAX && r <= x86asm.R15L:
		a.kind, a.reg, a.size = argReg, uint8(r-x86asm.EAX), 4
	case r >= x86asm.RAX && r <= x86asm.R15:
		a.kind, a.reg, a.size = argReg, uint8(r-x86asm.RAX), 8
	case r >= x86asm.X0 && r <= x86asm.X15:
		a.kind, a.reg, a.size = argXMM, uint8(r-x86asm.X0), 16
	case r >= x86asm.F0 && r <= x86asm.F7:
		a.kind, a.reg, a.size = argST, uint8(r-x86asm.F0), 10
	case r >= x86asm.M0 && r <= x86asm.M7:
		a.kind, a.reg, a.size = argMMX, uint8(r-x86asm.M0), 8
	case r >= x86asm.ES && r <= x86asm.GS:
		a.kind, a.reg, a.size = argSeg, uint8(r-x86asm.ES), 2
	default:
		return false
	}
	return true
}
