package syscall

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/signal"
)

// Results a syscall handler returns to ask for its restart; they never reach
// the guest. Delivery turns them into a restart (RIP back on the SYSCALL
// instruction, RAX the syscall number again) or EINTR, as the kernel does.
const (
	// errRestartSys (ERESTARTSYS): restart if no handler runs or the
	// handler has SA_RESTART, else EINTR.
	errRestartSys unix.Errno = 512
	// errRestartNoIntr (ERESTARTNOINTR): always restart.
	errRestartNoIntr unix.Errno = 513
	// errRestartNoHand (ERESTARTNOHAND): restart if no handler runs, else
	// EINTR (sigsuspend, pause, select...).
	errRestartNoHand unix.Errno = 514
	// errRestartBlock (ERESTART_RESTARTBLOCK): if no handler runs, go on
	// through restart_syscall with the task's restart function, else EINTR.
	errRestartBlock unix.Errno = 516
)

// sigState is a task's signal delivery state.
type sigState struct {
	// fromSyscall is set while returning from syscall nr (the kernel's
	// orig_ax); only a syscall's result may be turned into a restart.
	fromSyscall bool
	nr          uint64
	// restart continues a call that returned errRestartBlock (the
	// kernel's restart_block).
	restart func(t *Task) int64
}

// eintr is the -EINTR result in RAX.
const eintr = ^uint64(unix.EINTR - 1)

// syscallLen is the length of the SYSCALL instruction, to step back onto it.
const syscallLen = 2

// deliverPending runs between instructions, after every syscall and CPU
// stop, as the kernel does on the way back to user mode: it acts on every
// pending signal the thread does not block (a handler frame each, stacked,
// or the default action) and settles the restart of an interrupted syscall.
func (t *Task) deliverPending() {
	c := t.CPU
	fromSyscall := t.sigs.fromSyscall
	t.sigs.fromSyscall = false
	t.clearInterrupt()
	if !t.Sig.MaybePending() && !(fromSyscall && restartCode(c.R[cpu.RAX]) != 0) {
		return
	}
	for {
		info, act, ok := t.Sig.Take()
		if !ok {
			break
		}
		if act.Handler == signal.DFL {
			t.defaultAction(int(info.Signo))
			continue
		}
		if fromSyscall {
			t.restartForHandler(&act)
		}
		t.handle(&info, &act)
	}
	if fromSyscall {
		// No handler ran for the interrupted call: it goes on. (After a
		// handler frame RAX is 0 and nothing matches.)
		switch restartCode(c.R[cpu.RAX]) {
		case errRestartNoHand, errRestartSys, errRestartNoIntr:
			c.R[cpu.RAX] = t.sigs.nr
			c.RIP -= syscallLen
		case errRestartBlock:
			c.R[cpu.RAX] = unix.SYS_RESTART_SYSCALL
			c.RIP -= syscallLen
		}
	}
	t.Sig.RestoreSavedMask()
}

// restartCode returns the restart request in a syscall result, or 0.
func restartCode(rax uint64) unix.Errno {
	switch e := unix.Errno(-int64(rax)); e {
	case errRestartSys, errRestartNoIntr, errRestartNoHand, errRestartBlock:
		return e
	}
	return 0
}

// restartForHandler settles an interrupted syscall before its handler runs.
func (t *Task) restartForHandler(act *signal.Action) {
	c := t.CPU
	switch restartCode(c.R[cpu.RAX]) {
	case errRestartBlock, errRestartNoHand:
		c.R[cpu.RAX] = eintr
	case errRestartSys:
		if act.Flags&signal.SARestart == 0 {
			c.R[cpu.RAX] = eintr
			break
		}
		fallthrough
	case errRestartNoIntr:
		c.R[cpu.RAX] = t.sigs.nr
		c.RIP -= syscallLen
	}
}

// defaultAction stops or ends guestrun for a signal whose default action is
// not to ignore it.
func (t *Task) defaultAction(sig int) {
	s := unix.Signal(sig)
	if signal.Default(sig) == signal.ActStop {
		t.P.Log.Printf(dbg.Signal, "signal: %v stops the process", s)
		if t.stub != nil {
			t.stubStop(s)
		} else {
			signal.Stop(s)
		}
		return
	}
	t.P.Log.Printf(dbg.Signal, "signal: %v is fatal at rip %#x", s, t.CPU.RIP)
	t.P.endGroup(t)
	t.die(s)
}

// handle runs a handler: it builds its frame and sets the registers and mask
// it starts with. A frame that cannot be written is a SIGSEGV, fatal if the
// handler was for SIGSEGV.
func (t *Task) handle(info *signal.Info, act *signal.Action) {
	c := t.CPU
	sig := int(info.Signo)
	if !t.setupFrame(info, act) {
		t.P.Log.Printf(dbg.Signal, "signal: cannot write the frame for %v (rsp %#x)", unix.Signal(sig), c.R[cpu.RSP])
		if sig == int(unix.SIGSEGV) {
			t.P.endGroup(t)
			t.die(unix.SIGSEGV)
		}
		t.Sig.Force(signal.Info{Signo: int32(unix.SIGSEGV), Code: signal.SIKernel})
		return
	}
	// The ABI wants DF clear at function entry; TF would trap in the handler.
	c.SetFlags(c.Flags() &^ (cpu.FlagDF | cpu.FlagTF))
	signal.ResetFPState(c)
	t.Sig.Delivered(sig, act)
	t.Sig.Alt.Disarm()
}

// setupFrame writes the rt_sigframe and points the CPU at the handler:
// rdi = sig, rsi = &siginfo, rdx = &ucontext, rax = 0, rsp = the frame,
// whose first word is the return address (sa_restorer).
func (t *Task) setupFrame(info *signal.Info, act *signal.Action) bool {
	c := t.CPU
	// x86-64 has no kernel-provided return trampoline.
	if act.Flags&signal.SARestorer == 0 {
		return false
	}
	frame, fp, ok := signal.Layout(c.R[cpu.RSP], act.Flags&signal.SAOnStack != 0, &t.Sig.Alt)
	if !ok {
		return false
	}
	b, ok := t.out(frame, fp+signal.FPStateSize-frame)
	if !ok {
		return false
	}
	args := signal.FrameArgs{
		Restorer: act.Restorer,
		Stack:    t.Sig.Alt,
		Mask:     t.Sig.MaskToSave(),
		Trap:     t.Sig.Trap,
		FP:       fp,
	}
	if act.Flags&signal.SASigInfo != 0 {
		args.Info = info
	}
	signal.PutFrame(b, c, frame, &args)
	t.P.Log.Printf(dbg.Signal, "signal: %v to handler %#x, frame %#x, from rip %#x",
		unix.Signal(info.Signo), act.Handler, frame, c.RIP)
	c.R[cpu.RDI] = uint64(info.Signo)
	c.R[cpu.RSI] = frame + signal.FrameInfo
	c.R[cpu.RDX] = frame + signal.FrameUC
	c.R[cpu.RAX] = 0
	c.R[cpu.RSP] = frame
	c.RIP = act.Handler
	return true
}

// sysRtSigreturn restores what the handler's frame holds (the handler may
// have changed it): registers, the user-changeable flags, FP state, signal
// mask and alternate stack. The handler's return popped the return address,
// so the frame starts 8 bytes below RSP. The result is the restored RAX.
func sysRtSigreturn(t *Task, a *Args) int64 {
	c := t.CPU
	le := binary.LittleEndian
	t.sigs.fromSyscall = false
	t.sigs.restart = nil
	frame := c.R[cpu.RSP] - 8
	b, ok := t.in(frame, signal.FrameSize)
	if !ok {
		return t.badFrame(frame)
	}
	uc := b[signal.FrameUC : signal.FrameUC+signal.UCSize]
	t.Sig.SetBlocked(signal.Set(le.Uint64(uc[signal.UCSigmask:])))
	fp := signal.GetContext(uc[signal.UCMcontext:signal.UCMcontext+signal.SCSize], c)
	if fp == 0 {
		signal.ResetFPState(c)
	} else {
		// FXRSTOR wants a 16-byte aligned area.
		fb, ok := t.in(fp, signal.FPStateSize)
		if !ok || fp%16 != 0 || !signal.GetFPState(fb, c) {
			return t.badFrame(frame)
		}
	}
	// The kernel ignores a refused change here (EPERM while still on the
	// stack, for one).
	st := uc[signal.UCStack:]
	t.Sig.Alt.Set(signal.AltStack{SP: le.Uint64(st), Flags: le.Uint32(st[8:]), Size: le.Uint64(st[16:])}, c.R[cpu.RSP])
	return int64(c.R[cpu.RAX])
}

// badFrame is rt_sigreturn's answer to a frame it cannot read: SIGSEGV.
func (t *Task) badFrame(frame uint64) int64 {
	t.P.Log.Printf(dbg.Signal, "signal: bad rt_sigreturn frame at %#x", frame)
	t.Sig.Force(signal.Info{Signo: int32(unix.SIGSEGV), Code: signal.SIKernel})
	return 0
}

// fault turns a CPU exception into the signal the kernel would force on the
// thread, and records its trap details for the signal frame.
func (t *Task) fault(f *cpu.Fault) {
	t.P.Log.Printf(dbg.Signal, "signal: %v at rip %#x addr %#x code %d", unix.Signal(f.Sig), t.CPU.RIP, f.Addr, f.Code)
	tr := &t.Sig.Trap
	tr.Trapno, tr.Err = f.Trapno, f.Err
	if f.Trapno == trapPageFault {
		tr.CR2 = f.Addr
	}
	t.Sig.Force(signal.FaultInfo(f.Sig, f.Code, f.Addr))
}

// trapPageFault is #PF, the only exception that sets CR2.
const trapPageFault = 14

// die ends the task's process by a fatal signal.
func (t *Task) die(sig unix.Signal) {
	if t.stub != nil {
		t.stubDie(sig)
	}
	handOffChildren()
	signal.Die(sig)
}
