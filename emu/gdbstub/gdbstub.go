// Package gdbstub lets gdb debug a guest with the GDB remote serial protocol
// over TCP (`target remote :PORT`): registers, memory, software breakpoints,
// continue, single step and interrupt, in all-stop mode, for the first thread
// of the process (the others run freely).
//
// Breakpoints are not written into guest memory: while any is set, the
// debugged thread runs one instruction at a time (cpu.Step) and stops before
// an instruction at a breakpoint address. Without breakpoints it runs at full
// speed (cpu.Run), and a process without a debugger never comes here.
package gdbstub

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// Info is what gdb may ask about the process.
type Info struct {
	Pid  int
	Exe  string // qXfer:exec-file:read
	Auxv []byte // qXfer:auxv:read, which gdb uses to relocate PIE programs
}

// Stub is one gdb connection.
type Stub struct {
	ln   *os.File // the listening socket
	port int
	conn *os.File
	out  *bufio.Writer
	pkts chan []byte // packets from gdb; closed when it disconnects
	intr atomic.Bool // gdb sent ^C
	cpu  atomic.Pointer[cpu.CPU]
	info Info

	noAck   bool // QStartNoAckMode
	swbreak bool // gdb takes "swbreak" stop reasons

	bps      map[uint64]bool
	stopped  bool   // a stop was reported; wait for gdb's command
	lastStop string // the reply to '?'
	stepping bool
	stepDone bool // a step ended on a syscall: report it once the syscall is done
	skipBP   bool // resuming: do not stop at a breakpoint before executing anything
	fault    bool // the last stop was a guest fault, whose signal gdb may pass on
	detached bool
}

// Stops of the debugged thread besides the CPU's own.
const (
	stopBreak cpu.StopKind = 100 + iota
	stopStep
)

// stepSlice bounds how many instructions run one at a time before the task
// gets a chance to deliver pending signals.
const stepSlice = 1024

// Listen opens the TCP port on 127.0.0.1; port 0 picks a free one. The
// sockets are os.Files rather than package net's, whose initialisation every
// guestrun would pay at start.
func Listen(port int) (*Stub, error) {
	fail := func(op string, err error) error {
		return fmt.Errorf("listen tcp 127.0.0.1:%d: %s: %w", port, op, err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fail("socket", err)
	}
	// As package net does for a listener.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		return nil, fail("bind", err)
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		unix.Close(fd)
		return nil, fail("listen", err)
	}
	if sa, err := unix.Getsockname(fd); err == nil {
		if in, ok := sa.(*unix.SockaddrInet4); ok {
			port = in.Port
		}
	}
	// Non-blocking, the file waits in the runtime's poller, and Close
	// ends a Read in progress.
	return &Stub{ln: os.NewFile(uintptr(fd), "gdb listener"), port: port, bps: map[uint64]bool{}}, nil
}

// Port is the TCP port the stub listens on.
func (s *Stub) Port() int { return s.port }

// Accept waits for gdb to connect. The process is then stopped at its first
// instruction, with SIGTRAP, as after an exec under ptrace.
func (s *Stub) Accept(info Info) error {
	conn, err := accept(s.ln)
	s.ln.Close()
	if err != nil {
		return err
	}
	unix.SetsockoptInt(int(conn.Fd()), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	s.conn, s.out, s.info = conn, bufio.NewWriter(conn), info
	s.pkts = make(chan []byte, 16)
	go s.read(bufio.NewReader(conn))
	s.stopped = true
	s.lastStop = s.stopReply(int(unix.SIGTRAP), false)
	return nil
}

// accept waits for a connection on the listening socket ln.
func accept(ln *os.File) (*os.File, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd := -1
	var aerr error
	err = rc.Read(func(fd uintptr) bool {
		nfd, _, aerr = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		return aerr != unix.EAGAIN
	})
	if err == nil {
		err = aerr
	}
	if err != nil {
		return nil, fmt.Errorf("accept: %w", err)
	}
	return os.NewFile(uintptr(nfd), "gdb"), nil
}

// read splits gdb's byte stream into packets and interrupts. Acks and
// checksums are not checked: TCP delivers intact data.
func (s *Stub) read(r *bufio.Reader) {
	defer close(s.pkts)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return
		}
		switch b {
		case 0x03:
			s.intr.Store(true)
			if c := s.cpu.Load(); c != nil {
				c.Interrupt()
			}
		case '$':
			data, err := r.ReadBytes('#')
			if err != nil {
				return
			}
			var sum [2]byte
			if _, err := io.ReadFull(r, sum[:]); err != nil {
				return
			}
			s.pkts <- data[:len(data)-1]
		}
	}
}

// send writes one packet.
func (s *Stub) send(data string) {
	var sum byte
	for i := 0; i < len(data); i++ {
		sum += data[i]
	}
	fmt.Fprintf(s.out, "$%s#%02x", data, sum)
	s.out.Flush()
}

// Exited tells gdb that the process exited with status.
func (s *Stub) Exited(status int) {
	if s.conn == nil || s.detached {
		return
	}
	s.send(fmt.Sprintf("W%02x", status&0xff))
	s.conn.Close()
}

func (s *Stub) stopReply(sig int, bp bool) string {
	r := fmt.Sprintf("T%02xthread:%x;", sig, s.info.Pid)
	if bp && s.swbreak {
		r += "swbreak:;"
	}
	return r
}

func (s *Stub) stop(sig int, bp bool) {
	s.lastStop = s.stopReply(sig, bp)
	s.send(s.lastStop)
	s.stopped = true
}

// Run runs the CPU for the task loop (syscall.Debugger): it serves gdb while
// the thread is stopped and returns the stops the task must handle.
func (s *Stub) Run(c *cpu.CPU) cpu.StopKind {
	if s.detached {
		return c.Run()
	}
	if s.cpu.Load() == nil {
		s.cpu.Store(c)
	} else if s.cpu.Load() != c {
		return c.Run()
	}
	if s.stepDone {
		s.stepDone = false
		s.stop(int(unix.SIGTRAP), false)
	}
	for {
		if s.stopped {
			act := s.serve(c)
			s.stopped = false
			switch act.kind {
			case actDetach:
				s.detach()
				return c.Run()
			case actKill:
				signal.Die(unix.SIGKILL)
			}
			fault := s.fault
			s.fault = false
			s.stepping = act.kind == actStep
			s.skipBP = true
			if fault && act.sig == c.Fault.Sig {
				// The task delivers the fault's signal; a step stops
				// in the handler or wherever the guest goes on.
				s.stepDone = s.stepping
				return cpu.StopFault
			}
		}
		switch k := s.exec(c); k {
		case stopBreak:
			s.stop(int(unix.SIGTRAP), true)
		case stopStep:
			s.stop(int(unix.SIGTRAP), false)
		case cpu.StopSyscall:
			s.stepDone = s.stepping
			return k
		case cpu.StopFault:
			s.fault = true
			s.stop(c.Fault.Sig, false)
		case cpu.StopInterrupt:
			if s.intr.Swap(false) {
				s.stop(int(unix.SIGINT), false)
				continue
			}
			return k
		default:
			return k
		}
	}
}

// exec runs guest code the way gdb asked: one instruction, up to the next
// breakpoint, or freely.
func (s *Stub) exec(c *cpu.CPU) cpu.StopKind {
	if s.stepping {
		s.skipBP = false
		if k := c.Step(); k != 0 {
			return k
		}
		return stopStep
	}
	if len(s.bps) == 0 {
		s.skipBP = false
		return c.Run()
	}
	for n := 0; n < stepSlice; n++ {
		if s.bps[c.RIP] && !s.skipBP {
			return stopBreak
		}
		s.skipBP = false
		if k := c.Step(); k != 0 {
			return k
		}
		if s.intr.Load() {
			return cpu.StopInterrupt
		}
	}
	return cpu.StopInterrupt
}

func (s *Stub) detach() {
	s.detached = true
	clear(s.bps)
	s.stepping = false
	if s.conn != nil {
		s.conn.Close()
	}
}

// What gdb asked the stopped thread to do.
const (
	actCont = iota
	actStep
	actDetach
	actKill
)

type action struct {
	kind int
	sig  int // signal to deliver when resuming, 0 for none
}

// serve answers gdb until it resumes the thread, detaches or goes away.
func (s *Stub) serve(c *cpu.CPU) action {
	for data := range s.pkts {
		if !s.noAck {
			s.out.WriteByte('+')
		}
		reply, act := s.handle(c, string(data))
		if act != nil && reply == "" {
			s.out.Flush()
			return *act
		}
		s.send(reply)
		if act != nil {
			return *act
		}
	}
	return action{kind: actDetach}
}

// handle answers one packet; a non-nil action resumes the thread.
func (s *Stub) handle(c *cpu.CPU, p string) (string, *action) {
	if p == "" {
		return "", nil
	}
	arg := p[1:]
	switch p[0] {
	case '?':
		return s.lastStop, nil
	case 'g':
		var b []byte
		for n := range regs {
			b = append(b, readReg(c, n)...)
		}
		return hex.EncodeToString(b), nil
	case 'G':
		b, err := hex.DecodeString(arg)
		if err != nil {
			return "E01", nil
		}
		for n, r := range regs {
			if len(b) < r.size {
				break
			}
			writeReg(c, n, b[:r.size])
			b = b[r.size:]
		}
		return "OK", nil
	case 'p':
		n, err := strconv.ParseUint(arg, 16, 32)
		if err != nil || n >= uint64(len(regs)) {
			return "E01", nil
		}
		return hex.EncodeToString(readReg(c, int(n))), nil
	case 'P':
		ns, vs, _ := strings.Cut(arg, "=")
		n, err := strconv.ParseUint(ns, 16, 32)
		b, err2 := hex.DecodeString(vs)
		if err != nil || err2 != nil || n >= uint64(len(regs)) || len(b) < regs[n].size {
			return "E01", nil
		}
		writeReg(c, int(n), b)
		return "OK", nil
	case 'm':
		addr, n, ok := addrLen(arg)
		if !ok {
			return "E01", nil
		}
		b := readMem(c.Mem(), addr, min(n, 0x2000))
		if len(b) == 0 && n > 0 {
			return "E14", nil
		}
		return hex.EncodeToString(b), nil
	case 'M', 'X':
		head, data, _ := strings.Cut(arg, ":")
		addr, n, ok := addrLen(head)
		if !ok {
			return "E01", nil
		}
		var b []byte
		if p[0] == 'M' {
			var err error
			if b, err = hex.DecodeString(data); err != nil {
				return "E01", nil
			}
		} else {
			b = unescape([]byte(data))
		}
		if uint64(len(b)) != n {
			return "E01", nil
		}
		if !writeMem(c, addr, b) {
			return "E14", nil
		}
		return "OK", nil
	case 'c', 's', 'C', 'S':
		act := &action{kind: actCont}
		if p[0] == 's' || p[0] == 'S' {
			act.kind = actStep
		}
		if p[0] == 'C' || p[0] == 'S' {
			sig, rest, _ := strings.Cut(arg, ";")
			v, _ := strconv.ParseUint(sig, 16, 8)
			act.sig, arg = int(v), rest
		}
		if arg != "" {
			if a, err := strconv.ParseUint(arg, 16, 64); err == nil {
				c.RIP = a
			}
		}
		return "", act
	case 'Z', 'z':
		typ, rest, _ := strings.Cut(arg, ",")
		as, _, _ := strings.Cut(rest, ",")
		addr, err := strconv.ParseUint(as, 16, 64)
		if (typ != "0" && typ != "1") || err != nil {
			return "", nil // watchpoints are not supported
		}
		if p[0] == 'Z' {
			s.bps[addr] = true
		} else {
			delete(s.bps, addr)
		}
		return "OK", nil
	case 'k':
		return "", &action{kind: actKill}
	case 'D':
		return "OK", &action{kind: actDetach}
	case 'H', 'T':
		return "OK", nil
	case 'v':
		return s.handleV(arg)
	case 'q', 'Q':
		return s.query(p), nil
	}
	return "", nil
}

func (s *Stub) handleV(p string) (string, *action) {
	switch {
	case p == "Cont?":
		return "vCont;c;C;s;S", nil
	case strings.HasPrefix(p, "Cont;"):
		// Only this thread exists for gdb: the first action that applies
		// to it (or to every thread) is the one.
		for _, a := range strings.Split(p[len("Cont;"):], ";") {
			act, tid, _ := strings.Cut(a, ":")
			if tid != "" && tid != "-1" && tid != strconv.FormatInt(int64(s.info.Pid), 16) {
				continue
			}
			res := &action{kind: actCont}
			switch act[0] {
			case 's', 'S':
				res.kind = actStep
			case 'c', 'C':
			default:
				return "", nil
			}
			if len(act) > 1 {
				v, _ := strconv.ParseUint(act[1:], 16, 8)
				res.sig = int(v)
			}
			return "", res
		}
		return "E01", nil
	case strings.HasPrefix(p, "Kill"):
		return "OK", &action{kind: actKill}
	}
	return "", nil
}

func (s *Stub) query(p string) string {
	name, arg, _ := strings.Cut(p, ":")
	switch name {
	case "qSupported":
		s.swbreak = strings.Contains(arg, "swbreak+")
		r := "PacketSize=4000;qXfer:features:read+;qXfer:auxv:read+;qXfer:exec-file:read+;QStartNoAckMode+;vContSupported+"
		if s.swbreak {
			r += ";swbreak+"
		}
		return r
	case "QStartNoAckMode":
		s.noAck = true
		return "OK"
	case "qAttached":
		return "0" // started by us: gdb kills it when it quits
	case "qC":
		return fmt.Sprintf("QC%x", s.info.Pid)
	case "qfThreadInfo":
		return fmt.Sprintf("m%x", s.info.Pid)
	case "qsThreadInfo":
		return "l"
	case "qSymbol":
		return "OK"
	case "qXfer":
		// qXfer:object:read:annex:offset,length
		parts := strings.SplitN(arg, ":", 4)
		if len(parts) != 4 || parts[1] != "read" {
			return ""
		}
		var doc []byte
		switch {
		case parts[0] == "features" && parts[2] == "target.xml":
			doc = []byte(targetXML)
		case parts[0] == "auxv":
			doc = s.info.Auxv
		case parts[0] == "exec-file":
			doc = []byte(s.info.Exe)
		default:
			return "E00"
		}
		off, n, ok := addrLen(parts[3])
		if !ok {
			return "E01"
		}
		if off >= uint64(len(doc)) {
			return "l"
		}
		chunk := doc[off:min(off+n, uint64(len(doc)))]
		kind := "m"
		if off+uint64(len(chunk)) >= uint64(len(doc)) {
			kind = "l"
		}
		return kind + string(escape(chunk))
	}
	return ""
}

// addrLen parses "addr,length" in hex.
func addrLen(s string) (addr, n uint64, ok bool) {
	as, ns, found := strings.Cut(s, ",")
	a, err1 := strconv.ParseUint(as, 16, 64)
	l, err2 := strconv.ParseUint(ns, 16, 64)
	return a, l, found && err1 == nil && err2 == nil
}

// escape protects the bytes that frame packets in binary data.
func escape(b []byte) []byte {
	var out []byte
	for _, c := range b {
		if c == '#' || c == '$' || c == '}' || c == '*' {
			out = append(out, '}', c^0x20)
			continue
		}
		out = append(out, c)
	}
	return out
}

func unescape(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == '}' && i+1 < len(b) {
			i++
			out = append(out, b[i]^0x20)
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// readMem reads what is readable of [addr, addr+n), stopping at the first
// page the guest cannot read.
func readMem(m *mem.Mem, addr, n uint64) []byte {
	var out []byte
	for n > 0 {
		chunk := min(n, mem.PageSize-addr%mem.PageSize)
		b, err := m.Slice(addr, chunk, unix.PROT_READ)
		if err != nil {
			break
		}
		out = append(out, b...)
		addr += chunk
		n -= chunk
	}
	return out
}

// writeMem writes guest memory as ptrace does: read-only mappings (code)
// too. Decoded code under the write is dropped.
func writeMem(c *cpu.CPU, addr uint64, b []byte) bool {
	m := c.Mem()
	if !mem.InWindow(addr, uint64(len(b))) {
		return false
	}
	for len(b) > 0 {
		chunk := min(uint64(len(b)), mem.PageSize-addr%mem.PageSize)
		if err := m.Write(addr, b[:chunk]); err != nil {
			v, ok := m.Lookup(addr)
			if !ok {
				return false
			}
			page := addr &^ (mem.PageSize - 1)
			if m.Protect(page, mem.PageSize, v.Prot|unix.PROT_READ|unix.PROT_WRITE) != nil {
				return false
			}
			err = m.Write(addr, b[:chunk])
			m.Protect(page, mem.PageSize, v.Prot)
			if err != nil {
				return false
			}
		}
		c.Code().Invalidate(addr, addr+chunk)
		addr += chunk
		b = b[chunk:]
	}
	return true
}
