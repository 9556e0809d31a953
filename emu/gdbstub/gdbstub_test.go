package gdbstub

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/mem"
)

const (
	codeAddr = 0x400000
	dataAddr = 0x600000
)

// code: mov $1,%eax; inc %eax; mov %rax,%rbx; nop; jmp .; syscall
var code = []byte{0xb8, 1, 0, 0, 0, 0xff, 0xc0, 0x48, 0x89, 0xc3, 0x90, 0xeb, 0xfe, 0x0f, 0x05}

const (
	nopAddr     = codeAddr + 10
	jmpAddr     = codeAddr + 11
	syscallAddr = codeAddr + 13
)

// client speaks the remote protocol to the stub.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func (cl *client) send(p string) {
	var sum byte
	for i := 0; i < len(p); i++ {
		sum += p[i]
	}
	fmt.Fprintf(cl.conn, "$%s#%02x", p, sum)
}

func (cl *client) recv() string {
	cl.t.Helper()
	cl.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		b, err := cl.r.ReadByte()
		if err != nil {
			cl.t.Fatalf("reading from the stub: %v", err)
		}
		if b != '$' {
			continue // acks
		}
		data, err := cl.r.ReadString('#')
		if err != nil {
			cl.t.Fatalf("reading from the stub: %v", err)
		}
		cl.r.Discard(2)
		return strings.TrimSuffix(data, "#")
	}
}

func (cl *client) ask(p, want string) string {
	cl.t.Helper()
	cl.send(p)
	got := cl.recv()
	if want != "*" && got != want {
		cl.t.Fatalf("%s: got %q, want %q", p, got, want)
	}
	return got
}

func le64(v uint64) string {
	return hex.EncodeToString(binary.LittleEndian.AppendUint64(nil, v))
}

func TestGDBSession(t *testing.T) {
	m, err := mem.New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Map(codeAddr, mem.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0, ""); err != nil {
		t.Fatal(err)
	}
	m.Write(codeAddr, code)
	m.Protect(codeAddr, mem.PageSize, unix.PROT_READ|unix.PROT_EXEC)
	if _, err := m.Map(dataAddr, mem.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0, ""); err != nil {
		t.Fatal(err)
	}
	m.Write(dataAddr, []byte("hello"))
	c := cpu.New(m, cpu.NewCodeCache(m))
	c.RIP = codeAddr

	stub, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	status := make(chan string, 1)
	go func() {
		if err := stub.Accept(Info{Pid: 4242, Exe: "/bin/prog", Auxv: []byte{6, 0, 0, 0, 0, 0, 0, 0}}); err != nil {
			status <- err.Error()
			return
		}
		// The task loop: the syscall ends the process with RBX as status.
		for {
			switch k := stub.Run(c); k {
			case cpu.StopSyscall:
				stub.Exited(int(c.R[cpu.RBX]))
				status <- "exited"
				return
			case cpu.StopInterrupt:
			default:
				status <- "stop " + strconv.Itoa(int(k))
				return
			}
		}
	}()
	conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(stub.Port()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cl := &client{t: t, conn: conn, r: bufio.NewReader(conn)}

	if got := cl.ask("qSupported:multiprocess+;swbreak+;xmlRegisters=i386", "*"); !strings.Contains(got, "qXfer:features:read+") || !strings.Contains(got, "swbreak+") {
		t.Fatalf("qSupported: %q", got)
	}
	cl.ask("QStartNoAckMode", "OK")
	cl.ask("?", "T05thread:1092;")
	cl.ask("qfThreadInfo", "m1092")
	cl.ask("qsThreadInfo", "l")
	cl.ask("qAttached", "0")
	cl.ask("qXfer:exec-file:read::0,100", "l/bin/prog")
	cl.ask("qXfer:auxv:read::0,100", "l\x06\x00\x00\x00\x00\x00\x00\x00")
	var xml string
	for {
		r := cl.ask(fmt.Sprintf("qXfer:features:read:target.xml:%x,200", len(xml)), "*")
		xml += r[1:]
		if r[0] == 'l' {
			break
		}
	}
	if xml != targetXML {
		t.Fatalf("target.xml read back differs:\n%s", xml)
	}

	g := cl.ask("g", "*")
	size := 0
	for _, r := range regs {
		size += r.size
	}
	if len(g) != 2*size || g[16*16:16*16+16] != le64(codeAddr) {
		t.Fatalf("g: %d hex digits, rip %q", len(g), g[16*16:16*16+16])
	}
	cl.ask("p10", le64(codeAddr))
	cl.ask("m600000,5", hex.EncodeToString([]byte("hello")))
	cl.ask("M600000,2:4a4a", "OK")
	cl.ask("X600002,2:}]}\x03", "OK") // escaped '}' and '#'
	cl.ask("m600000,5", hex.EncodeToString([]byte("JJ}#o")))
	cl.ask("m0,4", "E14")
	cl.ask("P28=00112233445566778899aabbccddeeff", "OK")
	cl.ask("p28", "00112233445566778899aabbccddeeff")

	// Breakpoint, continue, step.
	cl.ask(fmt.Sprintf("Z0,%x,1", nopAddr), "OK")
	cl.ask("vCont?", "vCont;c;C;s;S")
	cl.send("vCont;c")
	if got := cl.recv(); got != "T05thread:1092;swbreak:;" {
		t.Fatalf("breakpoint: %q", got)
	}
	cl.ask("p10", le64(nopAddr))
	cl.ask("p0", le64(2))
	cl.ask("p1", le64(2))
	cl.ask(fmt.Sprintf("z0,%x,1", nopAddr), "OK")
	cl.send("s")
	if got := cl.recv(); got != "T05thread:1092;" {
		t.Fatalf("step: %q", got)
	}
	cl.ask("p10", le64(jmpAddr))

	// The jmp loops forever: interrupt it.
	cl.send("c")
	time.Sleep(50 * time.Millisecond)
	conn.Write([]byte{0x03})
	if got := cl.recv(); got != "T02thread:1092;" {
		t.Fatalf("interrupt: %q", got)
	}
	cl.ask("p10", le64(jmpAddr))
	cl.ask("P10="+le64(syscallAddr), "OK")
	cl.ask("P1="+le64(9), "OK")
	cl.send("c")
	if got := cl.recv(); got != "W09" {
		t.Fatalf("exit: %q", got)
	}
	if s := <-status; s != "exited" {
		t.Fatal(s)
	}
	if c.X[0] != (cpu.XMM{0x7766554433221100, 0xffeeddccbbaa9988}) {
		t.Errorf("xmm0 = %x", c.X[0])
	}
}

func TestBreakpointReply(t *testing.T) {
	s := &Stub{info: Info{Pid: 1}, swbreak: true}
	if r := s.stopReply(5, true); r != "T05thread:1;swbreak:;" {
		t.Errorf("stop reply %q", r)
	}
	if got := string(unescape(escape([]byte("a#b$c}d*e")))); got != "a#b$c}d*e" {
		t.Errorf("escape round trip: %q", got)
	}
}
