package cpu

import (
	"runtime/debug"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Run executes guest code from RIP until a syscall, a fault or an Interrupt.
// It must be called on the goroutine that owns the CPU.
func (c *CPU) Run() (kind StopKind) {
	debug.SetPanicOnFault(true)
	defer func() {
		if r := recover(); r != nil {
			kind = c.recovered(r)
		}
	}()
	c.stop = 0
	for {
		if atomic.LoadUint32(&c.irq) != 0 {
			atomic.StoreUint32(&c.irq, 0)
			return StopInterrupt
		}
		b := c.block(c.RIP)
		c.RIP = b.end
		for i := range b.insts {
			in := &b.insts[i]
			c.cur = in
			in.fn(c, in)
		}
		c.Stats.Insts += uint64(len(b.insts))
		c.Stats.Blocks++
		if c.stop != 0 {
			return c.stop
		}
	}
}

// Step executes the single instruction at RIP, for the lockstep checker and
// debuggers. It reports how the instruction ended (0 for a normal retire).
func (c *CPU) Step() (kind StopKind) {
	debug.SetPanicOnFault(true)
	defer func() {
		if r := recover(); r != nil {
			kind = c.recovered(r)
		}
	}()
	c.stop = 0
	b := c.block(c.RIP)
	in := &b.insts[0]
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
		c.RIP = c.cur.addr
	}
	switch f := r.(type) {
	case *Fault:
		c.Fault = *f
		return StopFault
	case interface{ Addr() uintptr }:
		host := f.Addr()
		base := uintptr(c.base)
		if host >= base && host-base < mem.WindowSize {
			a := uint64(host - base)
			code := segvMapErr
			if _, ok := c.mem.Lookup(a); ok {
				code = segvAccErr
			}
			c.Fault = Fault{Sig: int(unix.SIGSEGV), Code: code, Addr: a, Trapno: 14, Err: 4}
			return StopFault
		}
	}
	panic(r)
}

// Syscall stops the CPU for the syscall layer; RIP already points past it.
func opSyscall(c *CPU, in *Inst) {
	c.RIP = in.next
	c.stop = StopSyscall
}
