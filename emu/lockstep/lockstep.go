package lockstep

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/mem"
)

// Config says what to run and how closely to watch it.
type Config struct {
	Path string   // the program
	Args []string // argv, with argv[0]; {Path} if empty
	Env  []string // the environment of both runs

	// Step compares after every instruction instead of at the end of
	// runs of instructions (see the package doc): about 20µs an
	// instruction, but it also sees wrong values that are dead by the end
	// of a run. A difference in a run is narrowed down to its instruction
	// either way.
	Step bool
	// NoStoreCheck skips comparing the memory the instructions write.
	NoStoreCheck bool
	// SyscallMemCheck compares all writable memory before each syscall.
	SyscallMemCheck bool
	// LooseFP ignores the x87 exception flags and C1 and the MXCSR
	// exception flags.
	LooseFP bool
	// MaxInsts stops the comparison after this many instructions (0: none).
	MaxInsts uint64
	// History is how many previous instructions a report shows (default 8).
	History int
	// NoPin leaves the tracer and the child free to run on any CPU; pinning
	// both to one halves the cost of a ptrace round trip on VMs.
	NoPin bool
	// Log is the guest's diagnostic log (strace...); nil for none.
	Log *dbg.Log
}

// End says how a comparison ended.
type End int

const (
	// EndExit: both runs exited with the same status.
	EndExit End = iota + 1
	// EndFault: both raised the same signal at the same instruction.
	EndFault
	// EndDiff: the runs differ; Diff says where.
	EndDiff
	// EndStop: the comparison stopped early (Reason says why).
	EndStop
)

// Result is the outcome of Run.
type Result struct {
	Insts    uint64 // instructions that ran identically on both sides
	Syscalls uint64
	End      End
	Status   int         // EndExit: the exit status
	Signal   unix.Signal // EndFault: the signal
	Diff     *Diff       // EndDiff
	Reason   string      // EndFault, EndStop: what happened
	// Warnings are differences found outside the comparison proper: the
	// initial layout guestrun's loader made against the kernel's.
	Warnings []string
}

func (r *Result) String() string {
	s := ""
	for _, w := range r.Warnings {
		s += "warning: " + w + "\n"
	}
	s += fmt.Sprintf("%d instructions compared, %d syscalls: ", r.Insts, r.Syscalls)
	switch r.End {
	case EndExit:
		return s + fmt.Sprintf("both exited with status %d", r.Status)
	case EndFault, EndStop:
		return s + r.Reason
	}
	return s + "difference found\n" + r.Diff.String()
}

// Run runs the program natively and in guestrun's interpreter side by side
// and compares them until one of them ends or they differ. Guest syscalls
// run in the calling process, as under guestrun, on a thread of their own
// that ends with the run.
func Run(cfg Config) (*Result, error) { return runWith(cfg, nil) }

// runWith is Run with a hook called once both sides are set up (for tests
// that plant differences).
func runWith(cfg Config, hook func(*checker)) (*Result, error) {
	if len(cfg.Args) == 0 {
		cfg.Args = []string{cfg.Path}
	}
	if cfg.History <= 0 {
		cfg.History = 8
	}
	type out struct {
		res *Result
		err error
		m   *mem.Mem
		tid int
	}
	ch := make(chan out, 1)
	go func() {
		// Never unlocked: ptrace binds the child to this thread, and
		// whatever the guest's syscalls attached to it (robust list,
		// rseq, affinity) must go away with it.
		runtime.LockOSThread()
		l := &checker{cfg: cfg}
		res, err := l.run(hook)
		var m *mem.Mem
		if l.g != nil {
			m = l.g.m
		}
		ch <- out{res, err, m, unix.Gettid()}
	}()
	o := <-ch
	if o.m != nil && o.tid != os.Getpid() {
		// The kernel may still touch the guest window from the thread's
		// exit (clear_child_tid): unmap it only once the thread is gone.
		// (Had it been the main thread, Go keeps it blocked forever
		// instead, and the window stays.)
		task := fmt.Sprintf("/proc/self/task/%d", o.tid)
		for i := 0; i < 400; i++ {
			if _, err := os.Stat(task); err != nil {
				o.m.Close()
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	return o.res, o.err
}

// checker holds one comparison.
type checker struct {
	cfg Config
	g   *guest
	n   *native

	icache map[uint64]*insn
	plans  map[uint64]*plan

	hist  []*insn // ring of the last instructions
	hpos  int
	insts uint64
	nsys  uint64
	res   *Result
	err   error

	before  state  // guest state before the current instruction or run
	mask    uint64 // status flags left undefined since the last comparison
	ccUndef bool   // x87 C0, C2, C3 undefined by the last x87 instruction
	fpEvery int    // countdown to the next unconditional FP comparison
	nfp     fpregs

	undo    undoLog
	runID   uint64       // numbers runs, for insn.seen
	running atomic.Int64 // when the native side was let run, for the watchdog

	gbuf, nbuf []byte
	warnings   []string
}

func (l *checker) warn(format string, args ...any) {
	l.warnings = append(l.warnings, fmt.Sprintf(format, args...))
}

// fpPeriod is how often (in comparisons) the FP state is compared even when
// no instruction touched it.
const fpPeriod = 64

func (l *checker) run(hook func(*checker)) (*Result, error) {
	if err := l.setup(); err != nil {
		return nil, err
	}
	defer l.n.kill()
	if hook != nil {
		hook(l)
	}
	return l.loop()
}

// setup starts both sides and makes the child's memory and registers the
// guest's.
func (l *checker) setup() error {
	if !l.cfg.NoPin {
		// A ptrace round trip between two CPUs costs twice as much.
		var cpuNum uint32
		if _, _, e := unix.RawSyscall(unix.SYS_GETCPU, uintptrOf(&cpuNum), 0, 0); e == 0 {
			var set unix.CPUSet
			set.Set(int(cpuNum))
			unix.SchedSetaffinity(0, &set)
		}
	}
	debug.SetPanicOnFault(true)
	g, err := newGuest(l.cfg.Path, l.cfg.Args, l.cfg.Env, l.cfg.Log)
	if err != nil {
		return err
	}
	l.g = g
	l.icache = map[uint64]*insn{}
	l.plans = map[uint64]*plan{}
	g.m.OnChange(func(start, end uint64) {
		clear(l.icache)
		clear(l.plans)
	})
	l.hist = make([]*insn, l.cfg.History)
	l.gbuf, l.nbuf = make([]byte, chunk), make([]byte, chunk)

	n, err := startNative(l.cfg.Path, l.cfg.Args, l.cfg.Env)
	if err != nil {
		return err
	}
	l.n = n
	if err := l.mirrorInitial(); err != nil {
		n.kill()
		return fmt.Errorf("copying the guest's memory to the native process: %w", err)
	}
	if err := l.pushRegs(); err != nil {
		n.kill()
		return err
	}
	if err := l.pushFP(); err != nil {
		n.kill()
		return err
	}
	return nil
}

// loop compares until the end.
func (l *checker) loop() (*Result, error) {
	done := make(chan struct{})
	defer close(done)
	go l.watchdog(done)
	for l.res == nil && l.err == nil {
		if l.cfg.MaxInsts != 0 && l.insts >= l.cfg.MaxInsts {
			l.end(EndStop, fmt.Sprintf("stopped after %d instructions", l.insts))
			break
		}
		budget := ^uint64(0)
		if l.cfg.MaxInsts != 0 {
			budget = l.cfg.MaxInsts - l.insts
		}
		if !l.cfg.Step && l.block(false, budget) {
			continue
		}
		l.stepOne()
	}
	if l.err != nil {
		return nil, l.err
	}
	l.res.Insts, l.res.Syscalls, l.res.Warnings = l.insts, l.nsys, l.warnings
	return l.res, nil
}

// watchdog stops a native run that does not come back (a diverged child
// looping where no breakpoint is), so that the difference gets reported.
func (l *checker) watchdog(done chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if s := l.running.Load(); s != 0 && time.Since(time.Unix(0, s)) > 5*time.Second {
				unix.Kill(l.n.pid, unix.SIGSTOP)
			}
		}
	}
}

func (l *checker) end(e End, reason string) {
	l.res = &Result{End: e, Reason: reason}
}

func (l *checker) fail(err error) {
	if l.err == nil {
		l.err = err
	}
}

// decode returns the instruction at addr in guest memory.
func (l *checker) decode(addr uint64) *insn {
	if in := l.icache[addr]; in != nil {
		if b := l.g.bytes(addr, uint64(len(in.code))); b != nil && bytes.Equal(b, in.code) {
			return in
		}
	}
	n := uint64(15)
	b := l.g.bytes(addr, n)
	if b == nil {
		n = min(n, mem.PageSize-addr%mem.PageSize)
		b = l.g.bytes(addr, n)
	}
	var in *insn
	if b == nil {
		in = &insn{addr: addr, next: addr, cls: clsSingle}
	} else {
		in = decodeInsn(addr, b)
	}
	l.icache[addr] = in
	return in
}

func (l *checker) push(in *insn) {
	l.hist[l.hpos%len(l.hist)] = in
	l.hpos++
}

// stepOne runs one instruction on both sides and compares.
func (l *checker) stepOne() {
	c := l.g.c
	in := l.decode(c.RIP)
	l.g.save(&l.before)
	switch in.cls {
	case clsSyscall:
		l.syscall(in)
		l.push(in)
		return
	case clsEnv:
		l.env(in)
		l.push(in)
		return
	}
	var st stop
	var err error
	if in.rep {
		st, err = l.nativeRep(in)
	} else {
		st, err = l.n.step()
	}
	if err != nil {
		l.fail(err)
		return
	}
	var sa, sn uint64
	if !l.cfg.NoStoreCheck {
		sa, sn = in.storeRange(&l.before.R, l.before.Flags, l.before.FSBase, l.before.GSBase)
	}
	kind := c.Step()
	if !l.outcome(in, st, kind) {
		return
	}
	if isPushf(in) {
		if err := l.fixPushf(); err != nil {
			l.fail(err)
			return
		}
	}
	w, u := in.fl.eval(uint8(l.before.R[cpu.RCX]))
	l.mask = l.mask&^w | u
	l.noteFP(in)
	var lines []string
	if err := l.n.getRegs(); err != nil {
		l.fail(err)
		return
	}
	if (l.n.regs.Eflags^c.Flags())&fTF != 0 {
		// After a single-stepped POPF the kernel takes the tracer's TF
		// for the program's and would leave it set: clear it.
		l.n.regs.Eflags = l.n.regs.Eflags&^fTF | c.Flags()&fTF
		if err := l.n.setRegs(); err != nil {
			l.fail(err)
			return
		}
	}
	lines = l.compareRegs(lines)
	fpLines, err := l.compareFP(in.fp)
	if err != nil {
		l.fail(err)
		return
	}
	lines = append(lines, fpLines...)
	if !in.fp && !sameFPGuest(&l.before, c) {
		lines = append(lines, "the interpreter changed the x87/SSE state on an instruction that does not touch it")
	}
	if sn > 0 {
		ml, err := l.compareStore(sa, sn, in.fpMask)
		if err != nil {
			l.fail(err)
			return
		}
		lines = append(lines, ml...)
		if len(ml) == 0 && in.fpMask != nil {
			// The bytes not compared (instruction pointers, reserved
			// fields) must still agree for later comparisons.
			if b := l.g.bytes(sa, sn); b != nil {
				if err := l.n.write(sa, b); err != nil {
					l.fail(err)
					return
				}
			}
		}
	}
	if len(lines) > 0 {
		l.diff(in, lines, "")
		return
	}
	l.settle()
	l.insts++
	l.push(in)
}

// outcome compares how the instruction ended on the two sides. It reports
// whether both retired it normally; otherwise the run is over.
func (l *checker) outcome(in *insn, st stop, kind cpu.StopKind) bool {
	c := l.g.c
	nfault := st.exited || st.sig != unix.SIGTRAP
	var ncode int32
	var naddr uint64
	if !st.exited && (st.sig != unix.SIGTRAP || isTrapInsn(in)) {
		ncode, naddr = l.n.siginfo()
	}
	if !nfault && in.ok && isTrapInsn(in) && ncode != 2 /* TRAP_TRACE */ {
		nfault = true // INT3 and friends raise SIGTRAP themselves
	}
	gfault := kind == cpu.StopFault
	switch {
	case !nfault && !gfault:
		return true
	case st.exited:
		l.diff(in, nil, fmt.Sprintf("the native process %s", st))
	case nfault && gfault:
		f := c.Fault
		if unix.Signal(f.Sig) != st.sig {
			l.diff(in, nil, fmt.Sprintf("native raised %s, the interpreter %s", sigName(st.sig), sigName(unix.Signal(f.Sig))))
			return false
		}
		if (st.sig == unix.SIGSEGV || st.sig == unix.SIGBUS) && (uint64(naddr) != f.Addr || int(ncode) != f.Code) {
			l.diff(in, nil, fmt.Sprintf("both raised %s, native with code %d addr %#x, the interpreter with code %d addr %#x",
				sigName(st.sig), ncode, naddr, f.Code, f.Addr))
			return false
		}
		l.push(in)
		l.end(EndFault, fmt.Sprintf("both raised %s (code %d, addr %#x) at %s", sigName(st.sig), f.Code, f.Addr, l.fmtInsn(in)))
		l.res.Signal = st.sig
	case gfault:
		f := c.Fault
		l.diff(in, nil, fmt.Sprintf("the interpreter raised %s (code %d, addr %#x) at this instruction; native ran it",
			sigName(unix.Signal(f.Sig)), f.Code, f.Addr))
	default:
		l.diff(in, nil, fmt.Sprintf("native raised %s (code %d, addr %#x) at this instruction; the interpreter ran it",
			sigName(st.sig), ncode, naddr))
	}
	return false
}

func isTrapInsn(in *insn) bool {
	switch in.inst.Op.String() {
	case "INT", "INTO", "ICEBP":
		return true
	}
	return false
}

func isPushf(in *insn) bool {
	switch in.inst.Op.String() {
	case "PUSHF", "PUSHFD", "PUSHFQ":
		return in.ok
	}
	return false
}

// fixPushf clears the trap flag the tracer's single-step left in the RFLAGS
// image PUSHF stored.
func (l *checker) fixPushf() error {
	if err := l.n.getRegs(); err != nil {
		return err
	}
	var b [2]byte
	if err := l.n.read(l.n.regs.Rsp, b[:]); err != nil {
		return nil
	}
	if b[1]&1 != 0 && l.before.Flags&fTF == 0 {
		b[1] &^= 1
		return l.n.write(l.n.regs.Rsp+1, b[1:])
	}
	return nil
}

// nativeRep runs a REP string instruction to its end: a step runs one
// iteration, so short ones are stepped and long ones run to a breakpoint.
func (l *checker) nativeRep(in *insn) (stop, error) {
	for i := 0; i < 16; i++ {
		st, err := l.n.step()
		if err != nil || st.exited || st.sig != unix.SIGTRAP {
			return st, err
		}
		if err := l.n.getRegs(); err != nil {
			return st, err
		}
		if l.n.regs.Rip != in.addr {
			return st, nil
		}
	}
	st, _, err := l.runTo(in.addr, in.next, 1, 0)
	return st, err
}

// env runs an instruction that reads the machine: the interpreter's answer
// is the one both sides go on with.
func (l *checker) env(in *insn) {
	if l.g.c.Step() == cpu.StopFault {
		f := l.g.c.Fault
		l.diff(in, nil, fmt.Sprintf("the interpreter raised %s (code %d, addr %#x) at this instruction",
			sigName(unix.Signal(f.Sig)), f.Code, f.Addr))
		return
	}
	if err := l.pushRegs(); err != nil {
		l.fail(err)
		return
	}
	l.mask = 0
	l.insts++
}

// settle makes the guest take the child's undefined flags after a
// comparison found nothing else (compareFP does the same for the FP flags it
// does not compare).
func (l *checker) settle() {
	c := l.g.c
	nf := l.n.regs.Eflags & fCompared
	if d := (c.Flags() ^ nf) & fCompared; d != 0 {
		c.SetFlags(c.Flags()&^d | nf&d)
	}
	l.mask = 0
}

// pushRegs makes the child's registers the guest's.
func (l *checker) pushRegs() error {
	c := l.g.c
	r := &l.n.regs
	setNativeGPR(r, &c.R)
	r.Rip = c.RIP
	r.Eflags = r.Eflags&^(fCompared|fTF) | c.Flags()&(fCompared|fTF)
	r.Fs_base, r.Gs_base = c.FSBase, c.GSBase
	r.Orig_rax = ^uint64(0)
	return l.n.setRegs()
}

func nativeGPR(r *unix.PtraceRegs) [16]uint64 {
	return [16]uint64{r.Rax, r.Rcx, r.Rdx, r.Rbx, r.Rsp, r.Rbp, r.Rsi, r.Rdi, r.R8, r.R9, r.R10, r.R11, r.R12,
		r.R13, r.R14, r.R15}
}

func setNativeGPR(r *unix.PtraceRegs, v *[16]uint64) {
	r.Rax, r.Rcx, r.Rdx, r.Rbx, r.Rsp, r.Rbp, r.Rsi, r.Rdi = v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15 = v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]
}
