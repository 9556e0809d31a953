package lockstep

import (
	"fmt"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/mem"
	gsys "guestrun/emu/syscall"
)

// syscall runs a SYSCALL. Only guestrun executes it; the child skips it and
// is handed the results: its mappings are made to follow the guest's, the
// guest memory the call changed is copied over, and it takes all the guest's
// registers (RAX, and RCX/R11 as SYSCALL leaves them; rt_sigreturn's whole
// context).
func (l *checker) syscall(in *insn) {
	c := l.g.c
	nr := c.R[cpu.RAX]
	switch kind := c.Step(); kind {
	case cpu.StopSyscall:
	case cpu.StopFault:
		f := c.Fault
		l.diff(in, nil, fmt.Sprintf("the interpreter raised %s (code %d, addr %#x) at this instruction",
			sigName(unix.Signal(f.Sig)), f.Code, f.Addr))
		return
	default:
		l.diff(in, nil, "the interpreter did not stop for this syscall")
		return
	}
	l.nsys++
	switch nr {
	case unix.SYS_EXIT, unix.SYS_EXIT_GROUP:
		// The child got here with the same registers; it need not go on.
		l.insts++
		l.end(EndExit, "")
		l.res.Status = int(c.R[cpu.RDI] & 0xff)
		return
	case unix.SYS_CLONE, unix.SYS_CLONE3, unix.SYS_FORK, unix.SYS_VFORK, unix.SYS_EXECVE, unix.SYS_EXECVEAT:
		name := fmt.Sprint(nr)
		if e := gsys.Lookup(nr); e != nil {
			name = e.Name
		}
		l.end(EndStop, fmt.Sprintf("stopped at %s, which the lockstep checker does not follow (%s)", name,
			l.fmtInsn(in)))
		return
	}
	if l.cfg.SyscallMemCheck {
		d, err := l.syncMemory(false, false, 0, mem.WindowSize)
		if err != nil {
			l.fail(err)
			return
		}
		if d != nil {
			l.diff(in, memLines(d), "memory differs before this syscall: a store since the previous syscall went wrong")
			return
		}
	}
	a := [6]uint64{c.R[cpu.RDI], c.R[cpu.RSI], c.R[cpu.RDX], c.R[cpu.R10], c.R[cpu.R8], c.R[cpu.R9]}
	before := l.g.m.VMAs()
	l.g.t.Syscall()
	after := l.g.m.VMAs()
	ret := c.R[cpu.RAX]
	ok := int64(ret) >= 0 || int64(ret) < -4095
	var lo, hi uint64
	switch nr {
	case unix.SYS_MMAP:
		if ok {
			lo, hi = ret, ret+pageUp(a[1])
		}
	case unix.SYS_MREMAP:
		if ok {
			lo, hi = ret, ret+pageUp(a[2])
		}
	}
	if err := l.mirrorLayout(before, after, lo, hi); err != nil {
		l.fail(err)
		return
	}
	if nr == unix.SYS_MADVISE {
		// It may have dropped pages, even when it fails: compare the
		// range whole.
		start := a[0] &^ (mem.PageSize - 1)
		if _, err := l.syncMemory(true, true, start, a[0]+pageUp(a[1])); err != nil {
			l.fail(err)
			return
		}
	}
	if err := l.syncOutputs(in, nr, &a, ret); err != nil {
		l.fail(err)
		return
	}
	if err := l.pushRegs(); err != nil {
		l.fail(err)
		return
	}
	if err := l.pushFP(); err != nil {
		l.fail(err)
		return
	}
	l.mask = 0
	l.insts++
}

func pageUp(n uint64) uint64 { return (n + mem.PageSize - 1) &^ (mem.PageSize - 1) }

// syncOutputs copies to the child the memory the guest's syscall wrote: the
// buffers it is known to fill, or, for calls the checker does not know and
// when a signal frame was pushed, whatever differs in writable memory.
func (l *checker) syncOutputs(in *insn, nr uint64, a *[6]uint64, ret uint64) error {
	c := l.g.c
	out, ok := l.outputs(nr, a, ret)
	if ok && nr != unix.SYS_RT_SIGRETURN && c.R[cpu.RSP] == l.before.R[cpu.RSP] && c.RIP == in.next {
		for _, s := range out {
			b := l.g.bytes(s.addr, s.n)
			if b == nil {
				ok = false
				break
			}
			if err := l.n.write(s.addr, b); err != nil {
				return err
			}
		}
		if ok {
			return nil
		}
	}
	_, err := l.syncMemory(true, false, 0, mem.WindowSize)
	return err
}
