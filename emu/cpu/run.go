package cpu

import (
	"runtime/debug"
	"sync/atomic"
	hostsys "syscall"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Run executes guest code from RIP until a syscall, a fault or an Interrupt.
// It must be called on the goroutine that owns the CPU.
func (c *CPU) Run() StopKind {
	debug.SetPanicOnFault(true)
	for {
		k := c.run()
		for k == stopRetry {
			k = c.stepFresh()
		}
		if k != 0 {
			return k
		}
	}
}

// stopRetry is recovered's answer for a fault that was handled inside the
// CPU (a write to a code page, see mem.WriteFault): run the instruction again.
const stopRetry StopKind = -1

func (c *CPU) run() (kind StopKind) {
	defer func() {
		if r := recover(); r != nil {
			kind = c.recovered(r)
		}
	}()
	c.stop = 0
	var b *Block
	for {
		if atomic.LoadUint32(&c.irq) != 0 {
			atomic.StoreUint32(&c.irq, 0)
			return StopInterrupt
		}
		// A loop of one block runs it again without a lookup; else the
		// direct-mapped lookup of block, inlined.
		rip := c.RIP
		if b == nil || b.start != rip || b.dead.Load() {
			b = c.l1[(rip^rip>>12)&(l1Size-1)]
			if b == nil || b.start != rip || b.dead.Load() {
				b = c.block(rip)
			}
		}
		if b.warm.Load() > 0 && b.warm.Add(-1) == 0 {
			b = c.promote(b)
		}
		c.RIP = b.end
		insts := b.insts
		c.lim = len(insts)
		// One call site per position in the block, so that the indirect
		// branch predictor sees one target per site in a loop. A taken
		// side exit clears c.lim.
		in := &insts[0]
		c.cur = in
		in.fn(c, in)
		if c.lim <= 1 {
			goto done
		}
		in = &insts[1]
		c.cur = in
		in.fn(c, in)
		if c.lim <= 2 {
			goto done
		}
		in = &insts[2]
		c.cur = in
		in.fn(c, in)
		if c.lim <= 3 {
			goto done
		}
		in = &insts[3]
		c.cur = in
		in.fn(c, in)
		if c.lim <= 4 {
			goto done
		}
		in = &insts[4]
		c.cur = in
		in.fn(c, in)
		if c.lim <= 5 {
			goto done
		}
		in = &insts[5]
		c.cur = in
		in.fn(c, in)
		if c.lim <= 6 {
			goto done
		}
		in = &insts[6]
		c.cur = in
		in.fn(c, in)
		if c.lim <= 7 {
			goto done
		}
		in = &insts[7]
		c.cur = in
		in.fn(c, in)
		for i := 8; i < c.lim; i++ {
			in = &insts[i]
			c.cur = in
			in.fn(c, in)
		}
	done:
		c.Stats.Insts += uint64(c.cur.seq)
		c.Stats.Blocks++
		if c.stop != 0 {
			if c.stop == StopSyscall && c.HostCalls.Has(c.R[RAX]) {
				// One of HostCalls, made here in the loop's own frame
				// (see HostCalls).
				c.stop = 0
				c.R[RCX] = c.RIP
				c.R[R11] = c.Flags()
				r, _, e := hostsys.RawSyscall6(uintptr(c.R[RAX]), uintptr(c.R[RDI]), uintptr(c.R[RSI]),
					uintptr(c.R[RDX]), uintptr(c.R[R10]), uintptr(c.R[R8]), uintptr(c.R[R9]))
				if e != 0 {
					r = uintptr(-int64(e))
				}
				c.R[RAX] = uint64(r)
				continue
			}
			return c.stop
		}
	}
}

// Step executes the single instruction at RIP, for the lockstep checker and
// debuggers. It reports how the instruction ended (0 for a normal retire).
func (c *CPU) Step() StopKind {
	debug.SetPanicOnFault(true)
	k := c.step()
	for k == stopRetry {
		k = c.stepFresh()
	}
	return k
}

// stepFresh executes the instruction at RIP decoded afresh and not cached,
// after a write to a code page faulted. Decoding it through the cache would
// write-protect its page again and the write would fault forever.
func (c *CPU) stepFresh() (kind StopKind) {
	defer func() {
		if r := recover(); r != nil {
			kind = c.recovered(r)
		}
	}()
	c.stop = 0
	var in Inst
	rip := c.RIP
	limit := c.execLimit(rip)
	if limit == rip {
		in = Inst{fn: opFetchFault, addr: rip, next: rip, imm: rip}
	} else {
		var buf [maxInstLen]byte
		n := min(limit-rip, maxInstLen)
		copy(buf[:], c.bytes(rip, n))
		c.decodeOne(&in, buf[:n], rip, limit)
	}
	c.cur = &in
	c.RIP = in.next
	in.fn(c, &in)
	c.cur = nil
	c.Stats.Insts++
	return c.stop
}

func (c *CPU) step() (kind StopKind) {
	defer func() {
		if r := recover(); r != nil {
			kind = c.recovered(r)
		}
	}()
	c.stop = 0
	b := c.block(c.RIP)
	in := &b.insts[0]
	if in.flags&instPeephole != 0 {
		// One instruction as decoded alone, not what peephole made of it.
		return c.stepFresh()
	}
	c.cur = in
	c.RIP = in.next
	in.fn(c, in)
	c.Stats.Insts++
	return c.stop
}

// Interrupt asks Run to return StopInterrupt at the next block boundary. It is
// safe to call from any goroutine.
func (c *CPU) Interrupt() { atomic.StoreUint32(&c.irq, 1) }

// recovered turns a panic raised while executing guest code into a fault stop:
// our own Fault, or a host memory fault inside the guest window. Anything else
// is a bug in guestrun and keeps panicking.
func (c *CPU) recovered(r any) StopKind {
	if c.cur != nil {
		c.RIP = c.cur.addr + uint64(c.off)
	}
	c.off = 0
	switch f := r.(type) {
	case *Fault:
		c.Fault = *f
		return StopFault
	case interface{ Addr() uintptr }:
		host := f.Addr()
		base := uintptr(c.base)
		if host >= base && host-base < mem.WindowSize {
			a := uint64(host - base)
			if c.mem.WriteFault(a) {
				return stopRetry
			}
			c.Fault = c.pageFault(a)
			return StopFault
		}
	}
	panic(r)
}

// pageFault describes a host fault at guest address a as the kernel's page
// fault: SEGV_MAPERR without a mapping, SEGV_ACCERR with one, and the x86
// error code (user, write, protection) in Err.
func (c *CPU) pageFault(a uint64) Fault {
	f := Fault{Sig: int(unix.SIGSEGV), Code: segvMapErr, Addr: a, Trapno: 14, Err: pfUser}
	v, mapped := c.mem.Lookup(a)
	if mapped {
		f.Code = segvAccErr
		if v.Prot != unix.PROT_NONE {
			// The page is present; readable pages fault only on writes.
			f.Err |= pfProt
		}
	}
	if (mapped && v.Prot != unix.PROT_NONE && v.Prot&unix.PROT_WRITE == 0) || (c.cur != nil && c.cur.storesTo(c, a)) {
		f.Err |= pfWrite
	}
	return f
}

// Page fault error code bits.
const (
	pfProt  = 1
	pfWrite = 2
	pfUser  = 4
)

// Syscall stops the CPU for the syscall layer; RIP already points past it.
func opSyscall(c *CPU, in *Inst) {
	c.RIP = in.next
	c.stop = StopSyscall
}

// SyscallSet is a set of syscall numbers, all below 512.
type SyscallSet [8]uint64

// Add puts nr in the set.
func (s *SyscallSet) Add(nr int) { s[nr>>6&7] |= 1 << (nr & 63) }

// Has reports whether nr is in the set.
func (s *SyscallSet) Has(nr uint64) bool { return nr < 512 && s[nr>>6]>>(nr&63)&1 != 0 }

// storesTo reports whether the instruction writes guest address a, to tell
// write faults from read faults where the page itself cannot say. It runs
// only on faults.
func (in *Inst) storesTo(c *CPU, a uint64) bool {
	explicit := false
	if in.flags&instHasMem != 0 {
		ea := c.ea(in)
		explicit = a >= ea && a-ea < 512
	}
	switch in.op {
	case x86asm.PUSH, x86asm.PUSHF, x86asm.PUSHFQ, x86asm.PUSHFD, x86asm.CALL, x86asm.LCALL, x86asm.ENTER:
		return !explicit
	case x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ:
		return a-c.R[RDI]+8 < 16
	}
	if !explicit || in.args[0].kind != argMem {
		return explicit && (in.op == x86asm.XCHG || in.op == x86asm.XADD || in.op == x86asm.CMPXCHG)
	}
	return !readOnlyMem[in.op]
}

// stackRef reports whether the instruction's access at guest address a goes
// through SS: an operand based on RSP or RBP without an FS or GS override,
// or an implicit stack access. It runs only on faults.
func (in *Inst) stackRef(c *CPU, a uint64) bool {
	if in.flags&instHasMem != 0 && a-c.ea(in) < 512 {
		return in.seg == segNone && (in.base == RSP || in.base == RBP)
	}
	switch in.op {
	case x86asm.PUSH, x86asm.POP, x86asm.PUSHF, x86asm.PUSHFQ, x86asm.PUSHFD, x86asm.POPF,
		x86asm.POPFQ, x86asm.POPFD, x86asm.CALL, x86asm.RET, x86asm.ENTER, x86asm.LEAVE,
		x86asm.LCALL, x86asm.LRET, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ:
		return true
	}
	return false
}

// readOnlyMem marks instructions whose first operand, when in memory, is only
// read.
var readOnlyMem = func() (t [x86asm.VZEROUPPER + 1]bool) {
	for _, op := range []x86asm.Op{
		x86asm.CMP, x86asm.TEST, x86asm.BT, x86asm.JMP, x86asm.NOP,
		x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ,
		x86asm.SCASB, x86asm.SCASW, x86asm.SCASD, x86asm.SCASQ,
		x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ,
		x86asm.UCOMISS, x86asm.UCOMISD, x86asm.COMISS, x86asm.COMISD, x86asm.PTEST,
		x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2, x86asm.PREFETCHW,
		x86asm.CLFLUSH, x86asm.LDMXCSR, x86asm.FXRSTOR, x86asm.FXRSTOR64,
		x86asm.FLD, x86asm.FILD, x86asm.FLDCW, x86asm.FLDENV, x86asm.FRSTOR, x86asm.FBLD,
		x86asm.FCOM, x86asm.FCOMP, x86asm.FICOM, x86asm.FICOMP,
		x86asm.FADD, x86asm.FSUB, x86asm.FSUBR, x86asm.FMUL, x86asm.FDIV, x86asm.FDIVR,
		x86asm.FIADD, x86asm.FISUB, x86asm.FISUBR, x86asm.FIMUL, x86asm.FIDIV, x86asm.FIDIVR,
	} {
		t[op] = true
	}
	return t
}()
