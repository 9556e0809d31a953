package lockstep

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The native side: the program run by the host CPU under ptrace. Every
// ptrace request must come from the thread that started the child, so all of
// this runs on the checker's locked OS thread.

// fpregs is struct user_fpregs_struct: the FXSAVE image.
type fpregs struct {
	Cwd, Swd  uint16
	Ftw, Fop  uint16 // Ftw is the abridged tag byte
	Rip, Rdp  uint64
	Mxcsr     uint32
	MxcsrMask uint32
	St        [8][16]byte // ST(0)..ST(7), 10 bytes used
	Xmm       [16][16]byte
	Pad       [96]byte
}

// stop is how a native run or step ended.
type stop struct {
	exited bool // the process ended: status or killed by sig
	status int
	sig    unix.Signal // stop signal, or the signal that killed it
}

func (s stop) String() string {
	switch {
	case s.exited && s.sig != 0:
		return "killed by " + sigName(s.sig)
	case s.exited:
		return fmt.Sprintf("exited with status %d", s.status)
	}
	return "stopped by " + sigName(s.sig)
}

type native struct {
	pid     int
	mem     *os.File // /proc/pid/mem: reads and writes ignore page protection
	regs    unix.PtraceRegs
	scratch uint64 // a page outside the guest window holding "syscall; int3"
	dead    bool
}

// scratchAddr is where the injection page goes: above the guest window, below
// where the kernel puts anything for a non-PIE program.
const scratchAddr = 0x7e00_0000_0000

// startNative starts path stopped at its first instruction, traced by the
// calling thread, with address-space randomisation off.
func startNative(path string, argv, env []string) (*native, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	// The child inherits the forking thread's personality.
	const addrNoRandomize = 0x0040000
	if old, _, e := unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0); e == 0 {
		unix.RawSyscall(unix.SYS_PERSONALITY, old|addrNoRandomize, 0, 0)
		defer unix.RawSyscall(unix.SYS_PERSONALITY, old, 0, 0)
	}
	fd := devnull.Fd()
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{fd, fd, fd},
		Sys:   &syscall.SysProcAttr{Ptrace: true, Setpgid: true},
	})
	if err != nil {
		return nil, fmt.Errorf("starting %s natively: %w", path, err)
	}
	n := &native{pid: pid}
	st, err := n.wait()
	if err != nil || st.exited || st.sig != unix.SIGTRAP {
		n.kill()
		if err == nil {
			err = fmt.Errorf("native %s after exec", st)
		}
		return nil, err
	}
	if err := unix.PtraceSetOptions(pid, unix.PTRACE_O_EXITKILL); err != nil {
		n.kill()
		return nil, fmt.Errorf("ptrace: %w", err)
	}
	n.mem, err = os.OpenFile(fmt.Sprintf("/proc/%d/mem", pid), os.O_RDWR, 0)
	if err != nil {
		n.kill()
		return nil, err
	}
	if err := n.getRegs(); err != nil {
		n.kill()
		return nil, err
	}
	if err := n.setupScratch(); err != nil {
		n.kill()
		return nil, err
	}
	return n, nil
}

// wait waits for the next stop or the end of the child.
func (n *native) wait() (stop, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(n.pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return stop{}, fmt.Errorf("wait4: %w", err)
		}
		switch {
		case ws.Exited():
			n.dead = true
			return stop{exited: true, status: ws.ExitStatus()}, nil
		case ws.Signaled():
			n.dead = true
			return stop{exited: true, sig: ws.Signal()}, nil
		case ws.Stopped():
			return stop{sig: ws.StopSignal()}, nil
		}
	}
}

// resume continues the child with req (PTRACE_SINGLESTEP or PTRACE_CONT)
// until it stops for a reason of its own: signals that have nothing to do
// with the program (SIGCHLD, SIGWINCH...) are swallowed and the request
// repeated. A step interrupted by one has not executed the instruction yet,
// or has and its SIGTRAP is still pending, so repeating it is right.
func (n *native) resume(req int) (stop, error) {
	for {
		if err := ptrace(req, n.pid, 0, 0); err != nil {
			return stop{}, fmt.Errorf("ptrace(%d): %w", req, err)
		}
		st, err := n.wait()
		if err != nil || st.exited {
			return st, err
		}
		switch st.sig {
		case unix.SIGTRAP, unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE, unix.SIGSYS, unix.SIGSTOP,
			unix.SIGKILL, unix.SIGINT, unix.SIGTERM:
			return st, nil
		}
	}
}

func (n *native) step() (stop, error) { return n.resume(unix.PTRACE_SINGLESTEP) }
func (n *native) cont() (stop, error) { return n.resume(unix.PTRACE_CONT) }

func ptrace(req, pid int, addr, data uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(pid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func (n *native) getRegs() error { return unix.PtraceGetRegs(n.pid, &n.regs) }
func (n *native) setRegs() error { return unix.PtraceSetRegs(n.pid, &n.regs) }

func (n *native) getFP(fp *fpregs) error {
	return ptrace(unix.PTRACE_GETFPREGS, n.pid, 0, uintptr(unsafe.Pointer(fp)))
}

func (n *native) setFP(fp *fpregs) error {
	return ptrace(unix.PTRACE_SETFPREGS, n.pid, 0, uintptr(unsafe.Pointer(fp)))
}

// siginfo returns si_code and si_addr of the signal the child stopped with.
func (n *native) siginfo() (code int32, addr uint64) {
	var si [128]byte
	if ptrace(unix.PTRACE_GETSIGINFO, n.pid, 0, uintptr(unsafe.Pointer(&si[0]))) != nil {
		return 0, 0
	}
	return int32(binary.LittleEndian.Uint32(si[8:])), binary.LittleEndian.Uint64(si[16:])
}

func (n *native) read(addr uint64, b []byte) error {
	for len(b) > 0 {
		k, err := n.mem.ReadAt(b, int64(addr))
		if k == 0 && err != nil {
			return err
		}
		b = b[k:]
		addr += uint64(k)
	}
	return nil
}

func (n *native) write(addr uint64, b []byte) error {
	for len(b) > 0 {
		k, err := n.mem.WriteAt(b, int64(addr))
		if k == 0 && err != nil {
			return err
		}
		b = b[k:]
		addr += uint64(k)
	}
	return nil
}

// readv reads several ranges of the child's memory in one system call; it
// falls back to one read per range when a range is not readable.
func (n *native) readv(local [][]byte, remote []unix.RemoteIovec) error {
	liov := make([]unix.Iovec, len(local))
	total := 0
	for i, b := range local {
		liov[i].Base = &b[0]
		liov[i].SetLen(len(b))
		total += len(b)
	}
	for len(liov) > 0 {
		k := min(len(liov), 1024)
		got, err := unix.ProcessVMReadv(n.pid, liov[:k], remote[:k], 0)
		want := 0
		for _, v := range liov[:k] {
			want += int(v.Len)
		}
		if err != nil || got != want {
			for i := range local {
				if err := n.read(uint64(remote[i].Base), local[i]); err != nil {
					return err
				}
			}
			return nil
		}
		liov, remote, local = liov[k:], remote[k:], local[k:]
	}
	return nil
}

// setupScratch maps the injection page: its first syscall goes through a
// SYSCALL written over the instruction at the current RIP (and put back), the
// rest through the page's own. Then a seccomp filter makes every system call
// not made from that page stop the child with SIGSYS: a child that left the
// interpreter's path can never reach the outside world, or even exit.
func (n *native) setupScratch() error {
	rip := n.regs.Rip
	var save [2]byte
	if err := n.read(rip, save[:]); err != nil {
		return err
	}
	if err := n.write(rip, []byte{0x0f, 0x05}); err != nil {
		return err
	}
	saved := n.regs
	r, err := n.syscallAt(rip, unix.SYS_MMAP, scratchAddr, 4096, unix.PROT_READ|unix.PROT_EXEC,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uint64(0), 0)
	n.regs = saved
	if err := n.write(rip, save[:]); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	if r != scratchAddr {
		return fmt.Errorf("native: mapping the injection page: %v", errnoOf(r))
	}
	n.scratch = scratchAddr
	page := make([]byte, 256)
	copy(page, []byte{0x0f, 0x05, 0xcc})
	filter := seccompFilter(n.scratch + 2)
	binary.LittleEndian.PutUint16(page[16:], uint16(len(filter)/8))
	binary.LittleEndian.PutUint64(page[24:], n.scratch+64)
	copy(page[64:], filter)
	if err := n.write(n.scratch, page); err != nil {
		return err
	}
	if r, err := n.inject(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); err != nil || r != 0 {
		return fmt.Errorf("native: no_new_privs: %v %v", err, errnoOf(r))
	}
	if r, err := n.inject(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, n.scratch+16, 0, 0, 0); err != nil || r != 0 {
		return fmt.Errorf("native: seccomp: %v %v", err, errnoOf(r))
	}
	n.regs = saved
	return n.setRegs()
}

// seccompFilter allows only calls made from allowedIP (the address after the
// scratch page's SYSCALL); anything else raises SIGSYS.
func seccompFilter(allowedIP uint64) []byte {
	const (
		ldAbs   = 0x20 // BPF_LD|BPF_W|BPF_ABS
		jeq     = 0x15 // BPF_JMP|BPF_JEQ|BPF_K
		ret     = 0x06 // BPF_RET|BPF_K
		archX86 = 0xc000003e
		allow   = 0x7fff0000
		trap    = 0x00030000
	)
	type ins struct {
		code   uint16
		jt, jf uint8
		k      uint32
	}
	prog := []ins{
		{ldAbs, 0, 0, 4},                     // 0: arch
		{jeq, 0, 4, archX86},                 // 1: else trap
		{ldAbs, 0, 0, 8},                     // 2: ip, low half
		{jeq, 0, 2, uint32(allowedIP)},       // 3: else trap
		{ldAbs, 0, 0, 12},                    // 4: ip, high half
		{jeq, 1, 0, uint32(allowedIP >> 32)}, // 5: allow, else trap
		{ret, 0, 0, trap},                    // 6
		{ret, 0, 0, allow},                   // 7
	}
	b := make([]byte, 0, 8*len(prog))
	for _, p := range prog {
		b = binary.LittleEndian.AppendUint16(b, p.code)
		b = append(b, p.jt, p.jf)
		b = binary.LittleEndian.AppendUint32(b, p.k)
	}
	return b
}

// syscallAt runs a system call with the SYSCALL instruction at addr and
// returns RAX. The registers are left as the call left them.
func (n *native) syscallAt(addr uint64, nr uint64, a0, a1, a2, a3, a4, a5 uint64) (uint64, error) {
	r := &n.regs
	r.Rip = addr
	r.Rax, r.Orig_rax = nr, ^uint64(0)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = a0, a1, a2, a3, a4, a5
	if err := n.setRegs(); err != nil {
		return 0, err
	}
	st, err := n.step()
	if err != nil {
		return 0, err
	}
	if st.exited || st.sig != unix.SIGTRAP {
		return 0, fmt.Errorf("native: injected syscall %d: %s", nr, st)
	}
	if err := n.getRegs(); err != nil {
		return 0, err
	}
	if n.regs.Rip != addr+2 {
		return 0, fmt.Errorf("native: injected syscall %d ended at %#x", nr, n.regs.Rip)
	}
	return n.regs.Rax, nil
}

// inject runs a system call in the child from the scratch page. It clobbers
// the child's registers: the caller puts them back.
func (n *native) inject(nr uint64, a0, a1, a2, a3, a4, a5 uint64) (uint64, error) {
	return n.syscallAt(n.scratch, nr, a0, a1, a2, a3, a4, a5)
}

// injectOK is inject for calls that must succeed.
func (n *native) injectOK(name string, nr uint64, a0, a1, a2, a3, a4, a5 uint64) error {
	r, err := n.inject(nr, a0, a1, a2, a3, a4, a5)
	if err != nil {
		return err
	}
	if int64(r) < 0 && int64(r) > -4096 {
		return fmt.Errorf("native %s(%#x, %#x, %#x): %v", name, a0, a1, a2, errnoOf(r))
	}
	return nil
}

func errnoOf(r uint64) error {
	if int64(r) < 0 && int64(r) > -4096 {
		return unix.Errno(-int64(r))
	}
	return nil
}

// kill ends the child and reaps it.
func (n *native) kill() {
	if n.mem != nil {
		n.mem.Close()
	}
	if n.dead {
		return
	}
	unix.Kill(n.pid, unix.SIGKILL)
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(n.pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || ws.Exited() || ws.Signaled() {
			break
		}
	}
	n.dead = true
}

func sigName(s unix.Signal) string {
	if name := unix.SignalName(s); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(s))
}
