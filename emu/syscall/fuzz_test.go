package syscall

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	gosyscall "syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// FuzzSyscall hands arbitrary syscall numbers and arguments to the
// dispatcher. The calls run in an executor: this test binary started again
// in new mount, pid, network, IPC and UTS namespaces, chrooted into a small
// tmpfs, as nobody when started as root, so that whatever the guest asks
// for can only touch the sandbox. Each input gets a fresh guest address
// space and task on a fresh OS thread; between inputs the executor closes
// the guest's fds and puts the process-wide state back.
//
// Properties: no Go panic or fatal error, no hang outside a blocking host
// syscall, every result a value or a negated errno, and guestrun's own state
// intact: its reserved fds, a canary on the Go heap, and canary pages just
// below and above the guest window on the host.
//
// An input is a sequence of calls (see fzDecode); what is left after them
// fills the guest's scratch memory, where pointer arguments point.
func FuzzSyscall(f *testing.F) {
	f.Cleanup(func() {
		fzExec.mu.Lock()
		fzExec.stop()
		fzExec.mu.Unlock()
	})
	f.Fuzz(func(t *testing.T, in []byte) {
		fzExec.run(t, in)
	})
}

// TestSyscallFuzzExecutor is the executor's entry point; it only runs when
// FuzzSyscall starts it.
func TestSyscallFuzzExecutor(t *testing.T) {
	dir := os.Getenv(fzExecutorEnv)
	if dir == "" {
		t.Skip("the sandboxed executor of FuzzSyscall")
	}
	os.Exit(fzExecutorMain(dir, os.Getenv(fzUserNSEnv) != ""))
}

const (
	fzExecutorEnv = "GUESTRUN_FUZZ_SYSCALL_DIR"
	fzUserNSEnv   = "GUESTRUN_FUZZ_SYSCALL_USERNS"
	// fzBlock is how long one call may block before a guest signal
	// (SIGALRM) interrupts it.
	fzBlock = 100 * time.Millisecond
	// fzHang is how long one input may take before the executor reports
	// where it is stuck (a call that blocks and cannot be interrupted, or
	// a bug); the parent gives up on an executor that does not answer in
	// twice that.
	fzHang     = 10 * time.Second
	fzMaxCalls = 8
)

// Replies of the executor.
const (
	fzOK      = iota
	fzBroken  // a property failed: the message says which
	fzRestart // the executor could not put its state back; start a new one
	fzHung    // an input ran for fzHang: the message is a goroutine dump
)

// Guest layout: scratch memory (dictionary strings and iovecs first, then the
// fuzz data), a read-only page, a hole, and the last page of the window.
const (
	fzScratch     = 0x1000_0000
	fzScratchSize = 0x10000
	fzRO          = fzScratch + fzScratchSize
	fzHole        = fzRO + mem.PageSize
	fzTop         = mem.WindowSize - mem.PageSize
	fzDataOff     = 0x1000 // fuzz data starts here in scratch
	fzIovOff      = 0x800  // the iovec array
)

// fzStrings are NUL-terminated at fzScratch+64*i: paths and names.
var fzStrings = []string{"", ".", "..", "/", "f", "d", "d/f", "f/", "/f", "/proc/self/maps",
	"/proc/self/exe", "/proc/self/fd/3", "/dev/null", "lo", "\xff\xfe", strings.Repeat("a", 63)}

// fzWild are pointer and length values around the window.
var fzWild = []uint64{0, 0xc000000000, 0xc000100000, mem.WindowSize, mem.WindowSize - 8, mem.WindowSize - 1,
	fzTop, fzTop + 4088, 1 << 47, 1<<47 - 4096, 0x7f0000000000, 0xffff800000000000, 1 << 63, ^uint64(0),
	^uint64(0) - 4095, fzScratch + fzScratchSize - 8, fzRO + 4088, fzHole - 1, 0x400000, 0x10000}

var fzLengths = []uint64{0, 1, 8, 16, 4096, 4097, 0x7ffff000, 0x7ffff001, 1 << 31, 1 << 32, 1 << 40,
	1 << 47, 1<<63 - 1, 1 << 63, ^uint64(0)}

// fzDenied are calls the executor does not make: they end the process, start
// processes (fork and exec are tested on their own), flush every disk, or
// hold memory that neither the tmpfs size nor the executor's RSS bounds.
var fzDenied = map[uint64]bool{unix.SYS_EXIT: true, unix.SYS_EXIT_GROUP: true, unix.SYS_EXECVE: true,
	unix.SYS_EXECVEAT: true, unix.SYS_FORK: true, unix.SYS_VFORK: true, unix.SYS_CLONE: true,
	unix.SYS_CLONE3: true, unix.SYS_SYNC: true, unix.SYS_MEMFD_CREATE: true}

// fzDeniedLimit reports whether c sets a resource limit that guestrun's own
// threads and memory are subject to: the Go runtime dies of a guest's
// RLIMIT_NPROC (no new thread), RLIMIT_AS or RLIMIT_DATA (no memory), and
// of RLIMIT_CPU's SIGKILL. (A known gap: guestrun applies these limits to
// itself.)
func fzDeniedLimit(c *fzCall) bool {
	var res uint64
	switch c.nr {
	case unix.SYS_SETRLIMIT:
		res = c.a[0]
	case unix.SYS_PRLIMIT64:
		if c.a[2] == 0 {
			return false
		}
		res = c.a[1]
	default:
		return false
	}
	switch uint32(res) {
	case unix.RLIMIT_NPROC, unix.RLIMIT_AS, unix.RLIMIT_DATA, unix.RLIMIT_CPU:
		return true
	}
	return false
}

// fzDeniedSignal reports whether c sends the host a signal the Go runtime
// takes as a fault of its own (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP)
// and dies of with a traceback. (A known gap: kill(0, SIGILL) and the like
// reach guestrun itself.)
func fzDeniedSignal(c *fzCall) bool {
	var sig uint64
	switch c.nr {
	case unix.SYS_KILL, unix.SYS_TKILL, unix.SYS_RT_SIGQUEUEINFO:
		sig = c.a[1]
	case unix.SYS_TGKILL, unix.SYS_RT_TGSIGQUEUEINFO:
		sig = c.a[2]
	default:
		return false
	}
	switch unix.Signal(int32(sig)) {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP:
		return true
	}
	return false
}

// fzMaxRSS bounds the executor's memory: a guest can make the kernel fill
// gigabytes of its memory (reading a huge sparse file); past this the
// executor exits and a new one starts.
const fzMaxRSS = 2 << 30

// fzCall is one decoded call.
type fzCall struct {
	nr uint64
	a  Args
	// res[i] >= 0 makes argument i the result of call res[i] (an fd).
	res [6]int
}

// fzDecode splits an input into calls and the bytes for scratch memory.
// The first byte is the number of calls; each call is a syscall selector
// byte (an implemented syscall, or with 0xf8 and up a raw 16-bit number in
// the next two bytes) and six arguments, each a kind byte and its payload:
//
//	0 small int, 1 negative small int, 2 raw 64 bits, 3 scratch pointer,
//	4 read-only page, 5 hole, 6 wild value, 7 result of an earlier call,
//	8 AT_FDCWD, 9 length, 10 dictionary string, 11 raw 32 bits,
//	12 one bit, 13 the iovec array, others 0.
func fzDecode(in []byte) ([]fzCall, []byte) {
	r := fzReader{b: in}
	n := int(r.byte())%fzMaxCalls + 1
	calls := make([]fzCall, 0, n)
	for i := 0; i < n && r.more(); i++ {
		var c fzCall
		if s := r.byte(); s < 0xf8 {
			impl := fzImplemented()
			c.nr = impl[int(s)%len(impl)]
		} else {
			c.nr = uint64(r.u16())
		}
		for j := range c.a {
			c.res[j] = -1
			switch k := r.byte() % 16; k {
			case 0:
				c.a[j] = uint64(r.byte())
			case 1:
				c.a[j] = -uint64(r.byte())
			case 2:
				c.a[j] = r.u64()
			case 3:
				c.a[j] = fzScratch + uint64(r.u16())%fzScratchSize
			case 4:
				c.a[j] = fzRO + uint64(r.byte())*16
			case 5:
				c.a[j] = fzHole + uint64(r.byte())
			case 6:
				c.a[j] = fzWild[int(r.byte())%len(fzWild)]
			case 7:
				if i > 0 {
					c.res[j] = int(r.byte()) % i
				}
			case 8:
				c.a[j] = uint64(atFDCWD)
			case 9:
				c.a[j] = fzLengths[int(r.byte())%len(fzLengths)]
			case 10:
				c.a[j] = fzScratch + uint64(int(r.byte())%len(fzStrings))*64
			case 11:
				c.a[j] = uint64(r.u32())
			case 12:
				c.a[j] = 1 << (r.byte() % 64)
			case 13:
				c.a[j] = fzScratch + fzIovOff
			}
		}
		calls = append(calls, c)
	}
	return calls, r.rest()
}

type fzReader struct {
	b []byte
	i int
}

func (r *fzReader) more() bool { return r.i < len(r.b) }

func (r *fzReader) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *fzReader) u16() uint16 { return uint16(r.byte()) | uint16(r.byte())<<8 }
func (r *fzReader) u32() uint32 { return uint32(r.u16()) | uint32(r.u16())<<16 }
func (r *fzReader) u64() uint64 { return uint64(r.u32()) | uint64(r.u32())<<32 }
func (r *fzReader) rest() []byte {
	if r.i >= len(r.b) {
		return nil
	}
	return r.b[r.i:]
}

// fzImplemented lists the syscalls in the table, for the selector byte.
var fzImplemented = sync.OnceValue(func() []uint64 {
	var nrs []uint64
	for nr := range table {
		if table[nr].Fn != nil {
			nrs = append(nrs, uint64(nr))
		}
	}
	return nrs
})

// The parent side: one executor per fuzzing process, restarted when it dies.

type fzExecutor struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	req    *os.File
	resp   *bufio.Reader
	stderr *fzBuffer
	done   chan struct{} // closed when cmd has been waited for
	skip   string        // why the sandbox cannot run here
}

var fzExec fzExecutor

// fzBuffer collects the executor's stderr.
type fzBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *fzBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *fzBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (e *fzExecutor) run(t *testing.T, in []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.skip != "" {
		t.Skip(e.skip)
	}
	if e.cmd == nil {
		if err := e.start(); err != nil {
			if e.skip != "" {
				t.Skip(e.skip)
			}
			t.Fatal(err)
		}
	}
	status, msg, err := e.roundTrip(in)
	switch {
	case err == nil && status == fzOK:
	case err == nil && status == fzBroken:
		t.Fatalf("input %x: %s", in, msg)
	case err == nil && status == fzRestart:
		e.stop()
	case err == nil && status == fzHung:
		e.stop()
		if !fzWaiting(msg) {
			t.Fatalf("input %x: hung, and not waiting for an event:\n%s", in, msg)
		}
	case errors.Is(err, errFzTimeout):
		e.stop()
		t.Fatalf("input %x: the executor stopped answering:\n%s", in, e.stderr.String())
	default:
		// The executor died: of a Go panic or fatal error (a bug), or of
		// a signal the guest sent it.
		e.stop()
		out := e.stderr.String()
		if strings.Contains(out, "panic") || strings.Contains(out, "fatal error") || strings.Contains(out, "goroutine ") {
			t.Fatalf("input %x: the executor crashed (%v):\n%s", in, err, out)
		}
	}
}

var errFzTimeout = errors.New("timeout")

func (e *fzExecutor) start() error {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return err
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer reqR.Close()
	defer respW.Close()
	// No -test.timeout alarm: the Go netpoller must start in
	// fzProtocolFDs, at a high fd, as in guestrun.
	cmd := exec.Command(os.Args[0], "-test.run=^TestSyscallFuzzExecutor$", "-test.count=1", "-test.timeout=0")
	// containermaxprocs=0: the runtime would keep cgroup files open on
	// low fds, as guestrun's main package says.
	// The executor's tmpfs hides the temporary directory in its own mount
	// namespace only.
	cmd.Env = append(os.Environ(), fzExecutorEnv+"="+os.TempDir(), "GODEBUG=containermaxprocs=0")
	cmd.ExtraFiles = []*os.File{reqR, respW}
	e.stderr = &fzBuffer{}
	cmd.Stderr = e.stderr
	attr := &gosyscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS,
		// Its own session: kill(0, sig) reaches the whole process
		// group, whatever the pid namespace.
		Setsid:    true,
		Pdeathsig: gosyscall.SIGKILL,
	}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= unix.CLONE_NEWUSER
		attr.UidMappings = []gosyscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []gosyscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		cmd.Env = append(cmd.Env, fzUserNSEnv+"=1")
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		reqW.Close()
		respR.Close()
		e.skip = "cannot start the sandbox (namespaces): " + err.Error()
		return err
	}
	e.cmd, e.req, e.resp = cmd, reqW, bufio.NewReader(respR)
	e.done = make(chan struct{})
	go func() {
		cmd.Wait()
		respR.Close()
		close(e.done)
	}()
	// The executor says it is ready once the sandbox is up.
	ready := make(chan error, 1)
	go func() {
		_, err := e.resp.ReadByte()
		ready <- err
	}()
	select {
	case err = <-ready:
	case <-time.After(2 * fzHang):
		err = errFzTimeout
	}
	if err != nil {
		e.stop()
		out := e.stderr.String()
		if strings.Contains(out, "sandbox:") {
			e.skip = strings.TrimSpace(out[strings.Index(out, "sandbox:"):])
		}
		return fmt.Errorf("the executor did not start (%v):\n%s", err, out)
	}
	return nil
}

func (e *fzExecutor) roundTrip(in []byte) (byte, string, error) {
	msg := binary.LittleEndian.AppendUint32(nil, uint32(len(in)))
	if _, err := e.req.Write(append(msg, in...)); err != nil {
		return 0, "", err
	}
	type reply struct {
		status byte
		msg    string
		err    error
	}
	ch := make(chan reply, 1)
	go func() {
		var h [5]byte
		if _, err := io.ReadFull(e.resp, h[:]); err != nil {
			ch <- reply{err: err}
			return
		}
		b := make([]byte, binary.LittleEndian.Uint32(h[1:]))
		_, err := io.ReadFull(e.resp, b)
		ch <- reply{h[0], string(b), err}
	}()
	select {
	case r := <-ch:
		return r.status, r.msg, r.err
	case <-time.After(2 * fzHang):
		return 0, "", errFzTimeout
	}
}

func (e *fzExecutor) stop() {
	if e.cmd == nil {
		return
	}
	e.cmd.Process.Kill()
	<-e.done
	e.req.Close()
	e.cmd = nil
}

// fzWaiting reports whether the goroutine running the input, in a goroutine
// dump, waits for an event, in a host syscall or for a guest signal (a call
// that blocks natively too), rather than spinning or deadlocked on a lock.
func fzWaiting(dump string) bool {
	for _, g := range strings.Split(dump, "\n\n") {
		if strings.Contains(g, "fzRunInput") {
			header, _, _ := strings.Cut(g, "\n")
			for _, s := range []string{"[syscall", "[select", "[chan receive", "[sleep", "[IO wait"} {
				if strings.Contains(header, s) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// The executor side.

func fzExecutorMain(dir string, userNS bool) int {
	// Whatever else was inherited is not the guest's to use.
	unix.CloseRange(5, ^uint(0), 0)
	// Before the chroot: OpenHigh needs /dev/null.
	req, resp, err := fzProtocolFDs()
	if err != nil {
		fmt.Fprintf(os.Stderr, "executor: %v\n", err)
		return 4
	}
	if err := fzSandbox(dir, userNS); err != nil {
		fmt.Fprintf(os.Stderr, "sandbox: %v\n", err)
		return 4
	}
	x, err := newFzState()
	if err != nil {
		fmt.Fprintf(os.Stderr, "executor: %v\n", err)
		return 4
	}
	if _, err := resp.Write([]byte{1}); err != nil {
		return 4
	}
	go fzWatchRSS()
	r := bufio.NewReader(req)
	for n := 0; ; n++ {
		var h [4]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return 0
		}
		in := make([]byte, binary.LittleEndian.Uint32(h[:]))
		if _, err := io.ReadFull(r, in); err != nil {
			return 0
		}
		status, msg := x.runOne(in)
		if status == fzHung {
			// The input's thread is stuck: report and let the parent
			// start a new executor.
			out := append([]byte{status}, binary.LittleEndian.AppendUint32(nil, uint32(len(msg)))...)
			resp.Write(append(out, msg...))
			return 0
		}
		if n%256 == 255 {
			runtime.GC()
		}
		out := append([]byte{status}, binary.LittleEndian.AppendUint32(nil, uint32(len(msg)))...)
		if _, err := resp.Write(append(out, msg...)); err != nil || status == fzRestart {
			return 0
		}
	}
}

// fzSandbox confines the executor: private mounts, a 16 MiB tmpfs as its
// root, no locked memory, no new privileges, and nobody's ids when started
// as root.
func fzSandbox(dir string, userNS bool) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("private mounts: %w", err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=16m,mode=0777"); err != nil {
		return fmt.Errorf("tmpfs: %w", err)
	}
	if err := unix.Chroot(dir); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	for _, l := range []struct {
		res int
		v   uint64
	}{{unix.RLIMIT_MEMLOCK, 0}, {unix.RLIMIT_CORE, 0}} {
		if err := unix.Setrlimit(l.res, &unix.Rlimit{Cur: l.v, Max: l.v}); err != nil {
			return fmt.Errorf("setrlimit: %w", err)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	if !userNS {
		const nobody = 65534
		if err := gosyscall.Setgroups(nil); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
		if err := gosyscall.Setresgid(nobody, nobody, nobody); err != nil {
			return fmt.Errorf("setresgid: %w", err)
		}
		if err := gosyscall.Setresuid(nobody, nobody, nobody); err != nil {
			return fmt.Errorf("setresuid: %w", err)
		}
	}
	return nil
}

var fzDevNull int

// fzProtocolFDs moves the pipes to the parent (fds 3 and 4), /dev/null and
// the Go netpoller's fds to high, reserved numbers, as guestrun does with
// its own; stderr is reserved where it is, to keep Go's crash reports.
func fzProtocolFDs() (req, resp *os.File, err error) {
	if fzDevNull, err = unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0); err != nil {
		return nil, nil, err
	}
	var fds [3]int
	OpenHigh(func() {
		for i, fd := range []int{3, 4, fzDevNull} {
			if fds[i], err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, ReservedFloor()); err != nil {
				return
			}
		}
		time.AfterFunc(time.Hour, func() {}).Stop()
	})
	if err != nil {
		return nil, nil, err
	}
	for _, fd := range []int{3, 4, fzDevNull} {
		unix.Close(fd)
	}
	addReserved(2)
	fzDevNull = fds[2]
	for fd := 3; fd < ReservedFloor(); fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			return nil, nil, fmt.Errorf("fd %d is open below the reserved ones", fd)
		}
	}
	return os.NewFile(uintptr(fds[0]), "request"), os.NewFile(uintptr(fds[1]), "response"), nil
}

// fzWatchRSS ends the executor when its peak RSS passes fzMaxRSS.
func fzWatchRSS() {
	for range time.Tick(10 * time.Millisecond) {
		var ru unix.Rusage
		if unix.Getrusage(unix.RUSAGE_SELF, &ru) == nil && ru.Maxrss*1024 > fzMaxRSS {
			os.Exit(3)
		}
	}
}

// fzState is what the executor checks and restores between inputs.
type fzState struct {
	fds      map[int][2]uint64 // reserved fd -> dev, inode
	canary   []byte            // on the Go heap
	rlimits  map[int]unix.Rlimit
	persona  uintptr
	priority int
	reserved []int
}

const fzCanaryByte = 0x5a

func newFzState() (*fzState, error) {
	x := &fzState{fds: map[int][2]uint64{}, rlimits: map[int]unix.Rlimit{}}
	if s := reservedP.Load(); s != nil {
		x.reserved = append([]int(nil), *s...)
	}
	for _, fd := range x.reserved {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, fmt.Errorf("reserved fd %d: %w", fd, err)
		}
		x.fds[fd] = [2]uint64{st.Dev, st.Ino}
	}
	x.canary = bytes.Repeat([]byte{fzCanaryByte}, 1<<16)
	for res := 0; res < 16; res++ { // RLIM_NLIMITS
		var rl unix.Rlimit
		if unix.Getrlimit(res, &rl) == nil {
			x.rlimits[res] = rl
		}
	}
	x.persona, _, _ = unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		return nil, err
	}
	x.priority = prio
	signal.InstallInterrupt()
	return x, nil
}

// runOne runs an input on a fresh locked OS thread, then checks and restores
// the executor's state.
func (x *fzState) runOne(in []byte) (byte, string) {
	done := make(chan string, 1)
	go func() {
		// The thread is never unlocked: it ends with the goroutine, and
		// its per-thread state (signal mask, name, affinity) with it.
		runtime.LockOSThread()
		done <- fzRunInput(in)
	}()
	var msg string
	select {
	case msg = <-done:
	case <-time.After(fzHang):
		buf := make([]byte, 1<<20)
		return fzHung, string(buf[:runtime.Stack(buf, true)])
	}
	if msg != "" {
		return fzBroken, msg
	}
	if msg := x.check(); msg != "" {
		return fzBroken, msg
	}
	if !x.restore() {
		return fzRestart, ""
	}
	return fzOK, ""
}

// fzRunInput runs the calls of one input and checks the host canaries around
// the window.
func fzRunInput(in []byte) string {
	calls, data := fzDecode(in)
	m, err := mem.New()
	if err != nil {
		return "mem.New: " + err.Error()
	}
	defer m.Close()
	anon := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED
	rw := unix.PROT_READ | unix.PROT_WRITE
	for _, r := range []struct {
		a, n uint64
		prot int
	}{{fzScratch, fzScratchSize, rw}, {fzRO, mem.PageSize, unix.PROT_READ}, {fzTop, mem.PageSize, rw}} {
		if _, err := m.Map(r.a, r.n, r.prot, anon, -1, 0, ""); err != nil {
			return "guest layout: " + err.Error()
		}
	}
	scratch, _ := m.Slice(fzScratch, fzScratchSize, unix.PROT_WRITE)
	for i, s := range fzStrings {
		copy(scratch[64*i:64*i+63], s)
	}
	iov := scratch[fzIovOff:]
	for i, v := range []uint64{fzScratch + fzDataOff, 64, fzHole, 16, fzScratch + fzDataOff + 64, 1 << 20,
		fzTop + 4088, 16, 0xc000000000, 8, 0, 0} {
		binary.LittleEndian.PutUint64(iov[8*i:], v)
	}
	copy(scratch[fzDataOff:], data)
	below, above := fzCanaryPages(m)
	defer func() {
		for _, p := range [][]byte{below, above} {
			if p != nil {
				unix.MunmapPtr(unsafe.Pointer(&p[0]), uintptr(len(p)))
			}
		}
	}()

	img := &loader.Image{Path: "/fuzz", ExecFn: "/fuzz", Argv: []string{"fuzz"}, Auxv: []uint64{6, 4096, 0, 0},
		SP: fzScratch + fzScratchSize - 64}
	p := NewProcess(m, img, dbg.New(0, io.Discard))
	p.Exit = func(int) {}
	signal.CatchHost(p.Sig)
	t := p.NewMainTask()
	var results []int64
	for i, c := range calls {
		for j, k := range c.res {
			if k >= 0 {
				c.a[j] = uint64(results[k])
			}
		}
		if fzDenied[c.nr] || fzDeniedLimit(&c) || fzDeniedSignal(&c) {
			results = append(results, -int64(unix.EPERM))
			continue
		}
		// A call that blocks is interrupted by a guest signal, which is
		// then dropped: it is never delivered.
		alarm := signal.KillInfo(int(unix.SIGALRM), signal.SIUser, 1, 0)
		intr := time.AfterFunc(fzBlock, func() { p.Sig.Send(t.Sig, alarm) })
		r := t.dispatch(c.nr, &c.a)
		intr.Stop()
		for {
			if _, _, ok := t.Sig.Take(); !ok {
				break
			}
		}
		t.clearInterrupt()
		if r < -4095 && c.nr != unix.SYS_FCNTL {
			return fmt.Sprintf("call %d: %s(%#x) = %d, not a value or an errno", i, fzName(c.nr), c.a, r)
		}
		results = append(results, r)
		for _, p := range [][]byte{below, above} {
			if p != nil && bytes.IndexFunc(p, func(r rune) bool { return r != fzCanaryByte }) >= 0 {
				return fmt.Sprintf("call %d: %s(%#x) wrote host memory next to the guest window", i, fzName(c.nr), c.a)
			}
		}
	}
	return ""
}

func fzName(nr uint64) string {
	if e := Lookup(nr); e != nil {
		return e.Name
	}
	return "syscall" + itoa(nr)
}

// fzCanaryPages maps a page of canary bytes on the host just below and just
// above the guest window, where the kernel would write if a guest pointer or
// length escaped it (nil where the host has something else).
func fzCanaryPages(m *mem.Mem) (below, above []byte) {
	page := func(at unsafe.Pointer) []byte {
		p, err := unix.MmapPtr(-1, 0, at, mem.PageSize, unix.PROT_READ|unix.PROT_WRITE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE)
		if err != nil || p != at {
			return nil
		}
		b := unsafe.Slice((*byte)(p), mem.PageSize)
		for i := range b {
			b[i] = fzCanaryByte
		}
		return b
	}
	return page(unsafe.Add(m.Base(), -mem.PageSize)), page(unsafe.Add(m.Base(), mem.WindowSize))
}

// check verifies guestrun's own state after an input.
func (x *fzState) check() string {
	for fd, id := range x.fds {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || st.Dev != id[0] || st.Ino != id[1] {
			return fmt.Sprintf("reserved fd %d was closed or replaced", fd)
		}
	}
	if bytes.IndexFunc(x.canary, func(r rune) bool { return r != fzCanaryByte }) >= 0 {
		return "the canary on the Go heap changed"
	}
	return ""
}

// restore puts back what the guest may have changed for the whole process;
// false if it cannot (then a new executor starts).
func (x *fzState) restore() bool {
	// Close the guest's fds: everything from 3 but the reserved ones.
	from := 3
	for _, fd := range append(x.reserved, 1<<31-1) {
		if fd > from {
			unix.CloseRange(uint(from), uint(fd-1), 0)
		}
		from = max(from, fd+1)
	}
	for _, fd := range []int{0, 1} {
		if unix.Dup3(fzDevNull, fd, 0) != nil {
			return false
		}
	}
	unix.Chdir("/")
	unix.Umask(0o022)
	unix.Setitimer(unix.ITIMER_REAL, unix.Itimerval{})
	unix.Setitimer(unix.ITIMER_VIRTUAL, unix.Itimerval{})
	unix.RawSyscall(unix.SYS_PERSONALITY, x.persona, 0, 0)
	for res, rl := range x.rlimits {
		var now unix.Rlimit
		if unix.Getrlimit(res, &now) == nil && now != rl && unix.Setrlimit(res, &rl) != nil {
			return false
		}
	}
	if prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0); err != nil || prio != x.priority {
		return false
	}
	return fzEmpty("/") == nil
}

// fzEmpty removes everything under dir, making directories writable first.
func fzEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		unix.Chmod(dir, 0o700)
		if entries, err = os.ReadDir(dir); err != nil {
			return err
		}
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			unix.Chmod(p, 0o700)
			if err := fzEmpty(p); err != nil {
				return err
			}
		}
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}
