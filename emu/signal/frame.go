package signal

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
)

// Layout of the x86-64 signal frame the kernel builds below the stack pointer
// (struct rt_sigframe: the return address, a struct ucontext and a siginfo),
// with the FXSAVE-format FP state above it.
const (
	FrameSize = 440 // sizeof(struct rt_sigframe)
	FrameUC   = 8   // offsetof(rt_sigframe, uc)
	FrameInfo = 312 // offsetof(rt_sigframe, info)

	// struct ucontext (the kernel's: its sigset_t is 8 bytes).
	UCFlags    = 0
	UCLink     = 8
	UCStack    = 16 // stack_t: ss_sp, ss_flags (int), ss_size
	UCMcontext = 40 // struct sigcontext
	UCSigmask  = 296
	UCSize     = 304

	// struct sigcontext, from UCMcontext. The registers come first in the
	// order of scRegs.
	SCRip     = 128
	SCEflags  = 136
	SCCS      = 144 // cs, gs, fs, ss: 16 bits each
	SCErr     = 152
	SCTrapno  = 160
	SCOldmask = 168
	SCCR2     = 176
	SCFPState = 184
	SCSize    = 256

	// FPStateSize is the FXSAVE area: no XSAVE state follows, as guestrun's
	// CPU has no XSAVE.
	FPStateSize = 512

	redZone = 128
)

// scRegs are the general registers in sigcontext order.
var scRegs = [...]int{cpu.R8, cpu.R9, cpu.R10, cpu.R11, cpu.R12, cpu.R13, cpu.R14, cpu.R15,
	cpu.RDI, cpu.RSI, cpu.RBP, cpu.RBX, cpu.RDX, cpu.RAX, cpu.RCX, cpu.RSP}

// uc_flags: the frame saves SS and sigreturn must restore it as saved. Without
// XSAVE there is no UC_FP_XSTATE.
const frameUCFlags = 0x2 | 0x4 // UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS

// Segment selectors of 64-bit user mode, as the frame shows them.
const (
	userCS = 0x33
	userDS = 0x2b
)

// fixFlags are the RFLAGS bits rt_sigreturn takes from the frame (the
// kernel's FIX_EFLAGS); the others keep their current value.
const fixFlags = cpu.FlagAC | cpu.FlagOF | cpu.FlagDF | cpu.FlagTF | cpu.FlagSF |
	cpu.FlagZF | cpu.FlagAF | cpu.FlagPF | cpu.FlagCF | 1<<16 /* RF */

// FXSAVE area offsets.
const (
	fxMXCSR     = 24
	fxMXCSRMask = 28
	fxXMM       = 160
	fxReserved  = 416 // FXSAVE stores nothing from here on
	// mxcsrMask is the MXCSR bits the CPU supports (DAZ included); a frame
	// with others set cannot be restored.
	mxcsrMask = 0xffff
	mxcsrInit = 0x1f80
)

// sigaltstack flags.
const (
	SSOnStack    = 1
	SSDisable    = 2
	SSAutoDisarm = 1 << 31
	// MinSigStkSz is the smallest alternate stack sigaltstack accepts.
	MinSigStkSz = 2048
)

// AltStack is a thread's alternate signal stack (stack_t): the flags are
// those last set, which the frame's uc_stack shows.
type AltStack struct {
	SP, Size uint64
	Flags    uint32
}

// contains reports whether sp is within the alternate stack.
func (a *AltStack) contains(sp uint64) bool { return sp > a.SP && sp-a.SP <= a.Size }

// OnStack reports whether a thread at sp runs on its alternate stack. With
// SS_AUTODISARM the stack is disarmed while in use, so never.
func (a *AltStack) OnStack(sp uint64) bool {
	return a.Flags&SSAutoDisarm == 0 && a.contains(sp)
}

// mode is SS_DISABLE, SS_ONSTACK or 0 for a thread at sp.
func (a *AltStack) mode(sp uint64) uint32 {
	switch {
	case a.Size == 0:
		return SSDisable
	case a.OnStack(sp):
		return SSOnStack
	}
	return 0
}

// State is the stack_t sigaltstack reports to a thread at sp.
func (a *AltStack) State(sp uint64) AltStack {
	return AltStack{SP: a.SP, Size: a.Size, Flags: a.mode(sp) | a.Flags&SSAutoDisarm}
}

// Set changes the alternate stack, as sigaltstack does for a thread at sp.
func (a *AltStack) Set(n AltStack, sp uint64) unix.Errno {
	if a.OnStack(sp) {
		return unix.EPERM
	}
	switch n.Flags &^ SSAutoDisarm {
	case SSDisable:
		n.SP, n.Size = 0, 0
	case 0, SSOnStack:
		if n.Size < MinSigStkSz {
			return unix.ENOMEM
		}
	default:
		return unix.EINVAL
	}
	*a = n
	return 0
}

// Disarm is what delivery does to an SS_AUTODISARM stack once the frame
// recorded it.
func (a *AltStack) Disarm() {
	if a.Flags&SSAutoDisarm != 0 {
		*a = AltStack{Flags: SSDisable}
	}
}

// Layout places a frame for a thread at sp, as the kernel's get_sigframe
// does: below the red zone, or at the top of the alternate stack when the
// handler asks for it and the thread is not already there; the FP state
// 64-byte aligned, the frame below it so that the stack pointer is 8 mod 16
// at handler entry (as just after a call). ok is false when the frame would
// overflow the alternate stack.
func Layout(sp uint64, onStack bool, alt *AltStack) (frame, fp uint64, ok bool) {
	nested := alt.OnStack(sp)
	entering := false
	sp -= redZone
	if onStack && alt.mode(sp) == 0 {
		sp = alt.SP + alt.Size
		entering = true
	}
	fp = (sp - FPStateSize) &^ 63
	frame = (fp-FrameSize)&^15 - 8
	if (nested || entering) && !alt.contains(frame) {
		return 0, 0, false
	}
	return frame, fp, true
}

// FrameArgs is what a frame records besides the registers.
type FrameArgs struct {
	Restorer uint64   // return address of the handler (sa_restorer)
	Info     *Info    // nil without SA_SIGINFO: the siginfo area is left as it was
	Stack    AltStack // uc_stack
	Mask     Set      // mask to restore (uc_sigmask and sigcontext oldmask)
	Trap     Trap
	FP       uint64 // guest address of the FP state, above the frame
}

// PutFrame writes a signal frame for the state of c. b holds the guest bytes
// from the frame's address up to the end of the FP state. Only the fields
// the kernel writes are written.
func PutFrame(b []byte, c *cpu.CPU, frame uint64, a *FrameArgs) {
	le := binary.LittleEndian
	fpOff := a.FP - frame
	_ = b[fpOff+FPStateSize-1]
	le.PutUint64(b[0:], a.Restorer)
	uc := b[FrameUC : FrameUC+UCSize]
	le.PutUint64(uc[UCFlags:], frameUCFlags)
	le.PutUint64(uc[UCLink:], 0)
	le.PutUint64(uc[UCStack:], a.Stack.SP)
	le.PutUint32(uc[UCStack+8:], a.Stack.Flags)
	le.PutUint64(uc[UCStack+16:], a.Stack.Size)
	sc := uc[UCMcontext : UCMcontext+SCSize]
	for i, r := range scRegs {
		le.PutUint64(sc[8*i:], c.R[r])
	}
	le.PutUint64(sc[SCRip:], c.RIP)
	le.PutUint64(sc[SCEflags:], c.Flags())
	le.PutUint16(sc[SCCS:], userCS)
	le.PutUint16(sc[SCCS+2:], 0) // gs
	le.PutUint16(sc[SCCS+4:], 0) // fs
	le.PutUint16(sc[SCCS+6:], userDS)
	le.PutUint64(sc[SCErr:], a.Trap.Err)
	le.PutUint64(sc[SCTrapno:], a.Trap.Trapno)
	le.PutUint64(sc[SCOldmask:], uint64(a.Mask))
	le.PutUint64(sc[SCCR2:], a.Trap.CR2)
	le.PutUint64(sc[SCFPState:], a.FP)
	le.PutUint64(uc[UCSigmask:], uint64(a.Mask))
	if a.Info != nil {
		a.Info.Put(b[FrameInfo:])
	}
	PutFPState(b[fpOff:fpOff+FPStateSize], c)
}

// GetContext loads the registers from a sigcontext as rt_sigreturn does and
// returns its FP state pointer. Of RFLAGS only the bits a program may
// change are taken.
func GetContext(sc []byte, c *cpu.CPU) (fp uint64) {
	le := binary.LittleEndian
	_ = sc[SCSize-1]
	for i, r := range scRegs {
		c.R[r] = le.Uint64(sc[8*i:])
	}
	c.RIP = le.Uint64(sc[SCRip:])
	c.SetFlags(c.Flags()&^fixFlags | le.Uint64(sc[SCEflags:])&fixFlags)
	return le.Uint64(sc[SCFPState:])
}

// PutFPState writes the x87 and SSE state of c in FXSAVE format.
func PutFPState(b []byte, c *cpu.CPU) {
	var fx [FPStateSize]byte
	c.FXSave(&fx)
	copy(b[:fxReserved], fx[:fxReserved])
	// No XSAVE: the software-reserved bytes carry no extended state magic.
	clear(b[fxReserved:FPStateSize])
}

// GetFPState loads the FP state from an FXSAVE-format area, as rt_sigreturn
// does; it reports false, leaving c unchanged, when the area holds an MXCSR
// the CPU would refuse.
func GetFPState(b []byte, c *cpu.CPU) bool {
	var fx [FPStateSize]byte
	copy(fx[:], b[:FPStateSize])
	if binary.LittleEndian.Uint32(fx[fxMXCSR:])&^mxcsrMask != 0 {
		return false
	}
	c.FXRestore(&fx)
	return true
}

// ResetFPState gives c the initial FP state that a handler starts with, and
// that rt_sigreturn sets when the frame has no FP state.
func ResetFPState(c *cpu.CPU) {
	c.FPU.Reset()
	c.MXCSR = mxcsrInit
	c.X = [16]cpu.XMM{}
}
