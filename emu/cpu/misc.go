package cpu

import (
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"
)

// NOPs, hints, fences, flag instructions, RDTSC, and the instructions that
// trap in user mode.

func init() {
	defU(opNop, x86asm.NOP, x86asm.PAUSE, x86asm.LFENCE, x86asm.SFENCE,
		x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2, x86asm.PREFETCHW)
	defU(opMfence, x86asm.MFENCE)
	defU(opClflush, x86asm.CLFLUSH)
	defU(opCLC, x86asm.CLC)
	defU(opSTC, x86asm.STC)
	defU(opCMC, x86asm.CMC)
	defU(opCLD, x86asm.CLD)
	defU(opSTD, x86asm.STD)
	defU(opLAHF, x86asm.LAHF)
	defU(opSAHF, x86asm.SAHF)
	defU(opRDTSC, x86asm.RDTSC)
	defU(opRDTSCP, x86asm.RDTSCP)
	def(opIllegal, x86asm.UD0, x86asm.UD1, x86asm.UD2)
	defBranch(opINT, x86asm.INT)
	defBranchSel(fixed(opICEBP), x86asm.ICEBP)
	def(opPrivileged, x86asm.HLT, x86asm.CLI, x86asm.STI, x86asm.IN, x86asm.OUT,
		x86asm.INSB, x86asm.INSW, x86asm.INSD, x86asm.OUTSB, x86asm.OUTSW, x86asm.OUTSD,
		x86asm.CLTS, x86asm.INVD, x86asm.WBINVD, x86asm.INVLPG, x86asm.RDMSR, x86asm.WRMSR,
		x86asm.LGDT, x86asm.LIDT, x86asm.LLDT, x86asm.LTR, x86asm.LMSW, x86asm.SWAPGS,
		x86asm.SYSRET, x86asm.SYSEXIT,
		// With UMIP, which Linux enables where the CPU has it, these trap
		// too; Linux emulates them for 32-bit processes only.
		x86asm.SGDT, x86asm.SIDT, x86asm.SLDT, x86asm.SMSW, x86asm.STR)
}

// fixed is a selector that always picks h.
func fixed(h handler) func(*Inst) handler {
	return func(*Inst) handler { return h }
}

// unlocked wraps the selector of a mnemonic that does not accept LOCK: with
// it, the instruction is #UD.
func unlocked(sel func(*Inst) handler) func(*Inst) handler {
	return func(in *Inst) handler {
		if in.flags&instLock != 0 {
			return opIllegal
		}
		return sel(in)
	}
}

// opIllegal raises #UD for an instruction that is illegal by design (UD2, a
// misplaced LOCK), as opposed to one guestrun does not implement.
func opIllegal(c *CPU, in *Inst) {
	c.raise(Fault{Sig: int(unix.SIGILL), Code: illOpc, Addr: in.addr, Trapno: 6})
}

// defU is def for mnemonics that do not accept LOCK.
func defU(h handler, list ...x86asm.Op) { defSel(unlocked(fixed(h)), list...) }

// defBranchSel is defSel for mnemonics that may set RIP.
func defBranchSel(sel func(*Inst) handler, list ...x86asm.Op) {
	defSel(unlocked(sel), list...)
	for _, op := range list {
		endsBlock[op] = true
	}
}

func opNop(c *CPU, in *Inst) {}

// fenceWord is the target of the locked operation that makes MFENCE a full
// barrier for guest threads running on other host threads.
var fenceWord atomic.Uint32

func opMfence(c *CPU, in *Inst) { fenceWord.Add(0) }

// opClflush faults like a load on an address that is not readable.
func opClflush(c *CPU, in *Inst) { runtime.KeepAlive(c.load8(c.ea(in))) }

// setFlagBits changes status flags that are not computed lazily.
func (c *CPU) setFlagBits(clear, set uint64) {
	c.materialize()
	c.flags = c.flags&^clear | set
}

func opCLC(c *CPU, in *Inst) { c.setFlagBits(FlagCF, 0) }
func opSTC(c *CPU, in *Inst) { c.setFlagBits(0, FlagCF) }
func opCMC(c *CPU, in *Inst) { c.materialize(); c.flags ^= FlagCF }
func opCLD(c *CPU, in *Inst) { c.flags &^= FlagDF }
func opSTD(c *CPU, in *Inst) { c.flags |= FlagDF }

// lahfFlags are the flags LAHF and SAHF move through AH.
const lahfFlags = FlagSF | FlagZF | FlagAF | FlagPF | FlagCF

func opLAHF(c *CPU, in *Inst) {
	c.R[RAX] = c.R[RAX]&^0xff00 | (c.Flags()&lahfFlags|2)<<8
}

func opSAHF(c *CPU, in *Inst) { c.setFlagBits(lahfFlags, c.R[RAX]>>8&lahfFlags) }

// tscEpoch makes RDTSC count nanoseconds from guestrun's start: monotonic,
// which is all programs may assume.
var tscEpoch = time.Now()

func tsc() uint64 { return uint64(time.Since(tscEpoch)) }

func opRDTSC(c *CPU, in *Inst) {
	t := tsc()
	c.R[RAX], c.R[RDX] = t&0xffffffff, t>>32
}

// opRDTSCP also returns IA32_TSC_AUX, which Linux sets to the CPU number;
// the guest is told it runs on CPU 0.
func opRDTSCP(c *CPU, in *Inst) {
	opRDTSC(c, in)
	c.R[RCX] = 0
}

// opINT: INT3 (and INT 3) is a breakpoint trap reported after the
// instruction; any other vector is a #GP because its gate is not open to user
// mode, reported at the instruction.
func opINT(c *CPU, in *Inst) {
	if uint8(in.imm) != 3 {
		c.raise(Fault{Sig: int(unix.SIGSEGV), Code: siKernel, Trapno: 13, Err: uint64(uint8(in.imm))<<3 | 2})
	}
	c.Fault = Fault{Sig: int(unix.SIGTRAP), Code: siKernel, Trapno: 3}
	c.RIP = in.next
	c.stop = StopFault
}

// opICEBP: INT1 is a debug trap with no DR6 cause, which Linux reports
// after the instruction as SIGTRAP TRAP_BRKPT at the next RIP.
func opICEBP(c *CPU, in *Inst) {
	c.Fault = Fault{Sig: int(unix.SIGTRAP), Code: trapBrkpt, Addr: in.next, Trapno: 1}
	c.RIP = in.next
	c.stop = StopFault
}

// opPrivileged raises the #GP(0) that privileged instructions get in user
// mode; Linux reports it as SIGSEGV with SI_KERNEL and no address.
func opPrivileged(c *CPU, in *Inst) {
	c.raise(Fault{Sig: int(unix.SIGSEGV), Code: siKernel, Trapno: 13})
}
