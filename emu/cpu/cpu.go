// Package cpu interprets x86-64 user-mode code. It knows nothing of system
// calls or signals: Run executes guest instructions until one needs the
// outside world (syscall) or faults, and reports why it stopped.
package cpu

import (
	"unsafe"

	"guestrun/emu/mem"
)

// General register numbers, in encoding order.
const (
	RAX = iota
	RCX
	RDX
	RBX
	RSP
	RBP
	RSI
	RDI
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
)

// RFLAGS bits.
const (
	FlagCF = 1 << 0
	FlagPF = 1 << 2
	FlagAF = 1 << 4
	FlagZF = 1 << 6
	FlagSF = 1 << 7
	FlagTF = 1 << 8
	FlagIF = 1 << 9
	FlagDF = 1 << 10
	FlagOF = 1 << 11
	FlagAC = 1 << 18
	FlagID = 1 << 21

	// arithFlags are the six status flags the lazy evaluator produces.
	arithFlags = FlagCF | FlagPF | FlagAF | FlagZF | FlagSF | FlagOF
	// writableFlags are those popf may change in user mode.
	writableFlags = arithFlags | FlagTF | FlagDF | FlagAC | FlagID | 1<<14 /*NT*/
)

// StopKind says why Run returned.
type StopKind int

const (
	// StopSyscall: the guest executed SYSCALL; RIP is past it.
	StopSyscall StopKind = iota + 1
	// StopFault: the instruction at RIP raised Fault.
	StopFault
	// StopInterrupt: Interrupt was called; RIP is at an instruction boundary.
	StopInterrupt
)

// Fault describes a synchronous exception as the signal the kernel would
// send for it.
type Fault struct {
	Sig  int    // SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP
	Code int    // si_code
	Addr uint64 // si_addr
	// Trapno and Err are what the kernel puts in the signal frame's mcontext.
	Trapno, Err uint64
}

// XMM is one 128-bit SSE register as two little-endian halves.
type XMM [2]uint64

// CPU is the state of one guest thread. It is only touched by the goroutine
// that runs it, except for Interrupt.
type CPU struct {
	R      [16]uint64
	RIP    uint64
	FSBase uint64
	GSBase uint64
	X      [16]XMM
	MXCSR  uint32
	FPU    FPU

	// Lazy flags: the last flag-setting operation and its operands. The
	// status flags are computed from them only when read; flags keeps DF and
	// the other bits, and the status flags when lazyOp is lazyNone.
	flags  uint64
	lazyOp lazyOp
	lazyA  uint64 // first operand (destination)
	lazyB  uint64 // second operand (source), or shift count
	lazyR  uint64 // result
	lazyC  uint64 // carry-in for ADC/SBB, CF before INC/DEC
	lazyN  uint8  // operand size in bytes

	// Fault is valid when Run returns StopFault.
	Fault Fault

	mem   *mem.Mem
	base  unsafe.Pointer // host address of guest 0
	code  *CodeCache
	l1    *[l1Size]*Block // direct-mapped front of the code cache
	cur   *Inst           // instruction being executed, for fault RIP
	lim   int             // instructions of the block to run; a taken side exit clears it
	off   uint8           // added to cur's address while a fused instruction runs its second part
	stop  StopKind
	irq   uint32 // set by Interrupt, read between blocks
	Stats Stats

	// HostCalls are the syscalls that Run makes on the host itself, without
	// stopping: calls whose arguments are plain values and whose result the
	// host kernel gives as the guest's, which the syscall layer chooses. RCX
	// and R11 are set as SYSCALL sets them, RAX to the result or a negated
	// errno. The call is made in the run loop's own frame, with the standard
	// library's RawSyscall6 (x/sys/unix's goes through an assembly jump and
	// an ABI wrapper): every frame that a host syscall returns through costs
	// a mispredicted return, about 6 ns on this machine, whose kernel leaves
	// the user's return predictions wrong. Whatever needs attention after
	// the call (a signal, exit_group in another thread, a hand-over)
	// interrupts the CPU, which stops at the next block.
	HostCalls SyscallSet

	// Debug, when set, receives diagnostic lines (undecodable code).
	Debug func(format string, args ...any)

	// scratch is where decodeBlock decodes, allocated on first use.
	scratch *[maxBlockInsts]Inst
	// codePages is where decodeBlock notes the pages of a block's code.
	codePages []uint64
	// promoteAfter is the entries that make a cold block hot (Block).
	promoteAfter int32
}

// Stats counts what the interpreter did.
type Stats struct {
	Insts       uint64 // instructions retired
	Blocks      uint64 // blocks run
	BlockMisses uint64 // blocks decoded
}

// New returns a CPU for a guest address space. Threads of one process share
// a CodeCache.
func New(m *mem.Mem, cc *CodeCache) *CPU {
	c := &CPU{mem: m, base: m.Base(), code: cc, l1: newL1(), promoteAfter: promoteAfter}
	c.flags = 0x202 // IF and the reserved bit 1, as a new process has
	c.MXCSR = 0x1f80
	c.FPU.reset()
	return c
}

// newL1 returns an empty direct-mapped block table, its pages written. The
// run loop reads the table before it writes it: a fresh page read first is
// the kernel's zero page, and the write after it a copy-on-write fault,
// which in a process with threads on other CPUs flushes their TLBs, an
// interrupt to each (on a VM, one of the dearest things at start).
func newL1() *[l1Size]*Block {
	t := new([l1Size]*Block)
	for i := 0; i < l1Size; i += pageWords {
		t[i] = nil
	}
	return t
}

// pageWords is the number of pointers in a page.
const pageWords = mem.PageSize / 8

// Clone returns a copy of c for a new thread or process sharing its memory.
func (c *CPU) Clone() *CPU {
	n := *c
	n.l1 = newL1()
	n.scratch = nil
	n.codePages = nil
	n.cur = nil
	n.stop = 0
	n.irq = 0
	n.Stats = Stats{}
	return &n
}

// CloneInto returns a copy of c for a forked process, which runs in its own
// copy of the memory, m, with its own code cache.
func (c *CPU) CloneInto(m *mem.Mem, cc *CodeCache) *CPU {
	n := c.Clone()
	n.mem, n.base, n.code = m, m.Base(), cc
	return n
}

// Mem returns the address space the CPU runs in.
func (c *CPU) Mem() *mem.Mem { return c.mem }

// Code returns the decoded-code cache.
func (c *CPU) Code() *CodeCache { return c.code }
