package syscall

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// argvAt puts a NULL-terminated array of strings in guest memory.
func (tt *testTask) argvAt(ss ...string) uint64 {
	a := tt.alloc(uint64(len(ss)+1) * 8)
	for i, s := range ss {
		binary.LittleEndian.PutUint64(tt.mem(a+uint64(i)*8, 8), tt.str(s))
	}
	binary.LittleEndian.PutUint64(tt.mem(a+uint64(len(ss))*8, 8), 0)
	return a
}

// TestExecErrors checks the errors execve returns to the guest, found
// before anything is exec'd.
func TestExecErrors(t *testing.T) {
	tt := newTestTask(t)
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	argv := tt.argvAt("x")
	plain := write("plain", "#!/bin/sh\n", 0o644)
	garbage := write("garbage", "garbage", 0o755)
	self, _ := os.Executable()
	tt.fails(unix.ENOENT, unix.SYS_EXECVE, tt.str(filepath.Join(dir, "missing")), argv, 0)
	tt.fails(unix.ENOENT, unix.SYS_EXECVE, tt.str(""), argv, 0)
	tt.fails(unix.EACCES, unix.SYS_EXECVE, tt.str(plain), argv, 0)
	tt.fails(unix.EACCES, unix.SYS_EXECVE, tt.str(dir), argv, 0)
	tt.fails(unix.ENOEXEC, unix.SYS_EXECVE, tt.str(garbage), argv, 0)
	tt.fails(unix.ENOTDIR, unix.SYS_EXECVE, tt.str(garbage+"/x"), argv, 0)
	tt.fails(unix.EFAULT, unix.SYS_EXECVE, testHole, argv, 0)
	tt.fails(unix.EFAULT, unix.SYS_EXECVE, tt.str(self), testHole, 0)
	bad := tt.alloc(16)
	binary.LittleEndian.PutUint64(tt.mem(bad, 8), testHole)
	tt.fails(unix.EFAULT, unix.SYS_EXECVE, tt.str(self), bad, 0)
	tt.fails(unix.E2BIG, unix.SYS_EXECVE, tt.str(self), tt.argvAt("x", strings.Repeat("y", maxArgStrlen)), 0)
	tt.fails(unix.EINVAL, unix.SYS_EXECVEAT, at, tt.str(self), argv, 0, 0x10000)

	d, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, int64(d))
	tt.fails(unix.ENOEXEC, unix.SYS_EXECVEAT, uint64(d), tt.str("garbage"), argv, 0, 0)
	if err := os.Symlink(garbage, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	tt.fails(unix.ELOOP, unix.SYS_EXECVEAT, uint64(d), tt.str("link"), argv, 0, unix.AT_SYMLINK_NOFOLLOW)
	// A script through a close-on-exec fd cannot be read by its
	// interpreter after the execve.
	script := write("script", "#!/bin/sh\n", 0o755)
	f, err := unix.Open(script, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, int64(f))
	tt.fails(unix.ENOENT, unix.SYS_EXECVEAT, uint64(f), tt.str(""), argv, 0, unix.AT_EMPTY_PATH)
	tt.fails(unix.ENOTDIR, unix.SYS_EXECVEAT, uint64(f), tt.str("x"), argv, 0, 0)
	tt.fails(unix.EBADF, unix.SYS_EXECVEAT, uint64(tt.P.Mem.FD()), tt.str("x"), argv, 0, 0)
}

func TestExecCommand(t *testing.T) {
	tt := newTestTask(t)
	old := launch
	t.Cleanup(func() { launch = old })
	launch = Launch{Argv0: "guestrun", Strace: true, Debug: dbg.Exec | dbg.Strace, LogFD: 1001, Sysroot: "/sys root"}
	tt.P.Sig.SetAction(int(unix.SIGINT), &signal.Action{Handler: signal.IGN})
	tt.Sig.SetBlocked(signal.Bit(int(unix.SIGHUP)))
	got, undo := tt.execCommand(execTarget{load: "/bin/prog", execfn: "/dev/fd/3/prog", fd: -1}, []string{"", "a", "--", "-b"})
	pending := "--sig-pending=" + strconv.Itoa(tt.execPending)
	undo()
	want := []string{"guestrun", "--exec", "-strace", "--log-mask=6", "--log-fd=1001", "-L", "/sys root",
		"--sig-ignore=2", "--sig-mask=1", "--execfn=/dev/fd/3/prog", pending, "--rlimits=" + GuestLimits().String(),
		"-0", "", "--", "/bin/prog", "a", "--", "-b"}
	if !slices.Equal(got, want) {
		t.Errorf("command line\n got %q\nwant %q", got, want)
	}
}

// TestExecPending checks that the signals pending at execve, blocked ones
// with their siginfo, reach the new guest in the same queues.
func TestExecPending(t *testing.T) {
	tt := newTestTask(t)
	usr1, usr2, rt := int(unix.SIGUSR1), int(unix.SIGUSR2), signal.SigRTMin+8
	tt.Sig.SetBlocked(signal.Bit(usr1) | signal.Bit(usr2) | signal.Bit(rt))
	send := func(thread bool, sig int, value uint64) {
		in := signal.KillInfo(sig, signal.SIQueue, 1234, 5)
		in.Fields[1] = value
		to := tt.Sig
		if !thread {
			to = nil
		}
		if err := tt.P.Sig.Send(to, in); err != nil {
			t.Fatal(err)
		}
	}
	send(true, usr1, 1)
	send(false, rt, 2)
	send(false, rt, 3)
	send(false, usr2, 4)
	send(true, rt, 5)
	wantOwn, wantShared := tt.Sig.PendingQueues()

	cmd, undo := tt.execCommand(execTarget{load: "/bin/prog", fd: -1}, []string{"prog"})
	fd := pendingArg(t, cmd, undo)
	tt.lastPending()
	// Lent, the fd survives the host execve.
	unlend, err := tt.lendFDs([]int{fd})
	if err != nil {
		t.Fatal(err)
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC != 0 {
		t.Errorf("pending signals fd %d: flags %#x, %v", fd, fl, err)
	}
	unlend()
	dup, err := unix.Dup(fd)
	if err != nil {
		t.Fatal(err)
	}
	undo()
	ps, err := ReadPendingSignals(dup)
	if err != nil {
		t.Fatal(err)
	}

	nt := newTestTask(t)
	nt.ApplyExecState(ExecState{Mask: tt.Sig.Blocked(), Pending: ps})
	own, shared := nt.Sig.PendingQueues()
	if !slices.Equal(own, wantOwn) || !slices.Equal(shared, wantShared) {
		t.Errorf("pending after exec:\n thread %v\nprocess %v\nwant\n thread %v\nprocess %v", own, shared, wantOwn, wantShared)
	}
	if len(own) != 2 || len(shared) != 3 {
		t.Errorf("queues of %d and %d signals, want 2 and 3", len(own), len(shared))
	}

	// Nothing pending: an empty file, which the last write before the
	// host execve may fill.
	nt = newTestTask(t)
	cmd, undo = nt.execCommand(execTarget{load: "/bin/prog", fd: -1}, []string{"prog"})
	fd = pendingArg(t, cmd, undo)
	if err := nt.P.Sig.Send(nil, signal.KillInfo(int(unix.SIGTERM), signal.SIUser, 1, 0)); err != nil {
		t.Fatal(err)
	}
	nt.lastPending()
	if dup, err = unix.Dup(fd); err != nil {
		t.Fatal(err)
	}
	undo()
	if ps, err = ReadPendingSignals(dup); err != nil || len(ps) != 1 || ps[0].Info.Signo != int32(unix.SIGTERM) {
		t.Errorf("pending after a late signal: %v %v, want SIGTERM", ps, err)
	}
}

// pendingArg returns the fd of execCommand's --sig-pending argument.
func pendingArg(t *testing.T, cmd []string, undo func()) int {
	t.Helper()
	for _, a := range cmd {
		if v, ok := strings.CutPrefix(a, "--sig-pending="); ok {
			fd, _ := strconv.Atoi(v)
			return fd
		}
	}
	undo()
	t.Fatalf("no --sig-pending in %q", cmd)
	return -1
}

func TestWait(t *testing.T) {
	tt := newTestTask(t)
	start := func(script string) int {
		c := exec.Command("/bin/sh", "-c", script)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		return c.Process.Pid
	}
	status := tt.alloc(4)
	ru := tt.alloc(rusageSize)
	pid := start("exit 5")
	if r := tt.ok(unix.SYS_WAIT4, uint64(pid), status, 0, ru); r != int64(pid) {
		t.Fatalf("wait4 = %d, want %d", r, pid)
	}
	if st := tt.u32(status); st != 5<<8 {
		t.Errorf("status %#x, want exit 5", st)
	}

	// waitid with WNOWAIT leaves the child to a second wait.
	info := tt.alloc(signal.InfoSize)
	pid = start("kill -TERM $$")
	tt.ok(unix.SYS_WAITID, unix.P_PID, uint64(pid), info, unix.WEXITED|unix.WNOWAIT, 0)
	si := signal.GetInfo(tt.mem(info, signal.InfoSize))
	if si.Signo != int32(unix.SIGCHLD) || si.Code != cldKilled || si.Pid() != pid || si.Fields[1] != uint64(unix.SIGTERM) {
		t.Errorf("waitid siginfo %+v", si)
	}
	tt.ok(unix.SYS_WAITID, unix.P_ALL, 0, info, unix.WEXITED, ru)
	tt.fails(unix.ECHILD, unix.SYS_WAIT4, ^uint64(0), status, 0, 0)

	// A hidden child is reaped and never shown, WNOHANG or not.
	hidden := start("exit 1")
	signal.HideChild(hidden, int(unix.SIGCHLD), unix.Getpid())
	pid = start("exit 2")
	if r := tt.ok(unix.SYS_WAIT4, ^uint64(0), status, 0, 0); r != int64(pid) || tt.u32(status) != 2<<8 {
		t.Errorf("wait4 = %d status %#x, want %d exit 2", r, tt.u32(status), pid)
	}
	tt.fails(unix.ECHILD, unix.SYS_WAIT4, ^uint64(0), status, 0, 0)
	// The same through waitid, where WNOWAIT would leave the hidden child
	// to be found again.
	hidden = start("exit 3")
	signal.HideChild(hidden, int(unix.SIGCHLD), unix.Getpid())
	pid = start("sleep 0.1; exit 4")
	tt.ok(unix.SYS_WAITID, unix.P_ALL, 0, info, unix.WEXITED|unix.WNOWAIT, 0)
	if si := signal.GetInfo(tt.mem(info, signal.InfoSize)); si.Pid() != pid || si.Fields[1] != 4 {
		t.Errorf("waitid WNOWAIT returned pid %d status %d, want %d exit 4", si.Pid(), si.Fields[1], pid)
	}
	tt.ok(unix.SYS_WAITID, unix.P_PID, uint64(pid), info, unix.WEXITED, 0)
	tt.fails(unix.ECHILD, unix.SYS_WAITID, unix.P_ALL, 0, info, unix.WEXITED, 0)
	tt.fails(unix.EFAULT, unix.SYS_WAIT4, uint64(start("exit 0")), testHole, 0, 0)
	tt.fails(unix.ECHILD, unix.SYS_WAITID, unix.P_ALL, 0, info, unix.WEXITED|unix.WNOHANG, 0)
}

func TestCloexecFDs(t *testing.T) {
	tt := newTestTask(t)
	a, err := unix.Open("/dev/null", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, int64(a))
	b, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, int64(b))
	fds, err := tt.P.cloexecFDs()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(fds, int32(a)) || !slices.Contains(fds, int32(b)) || slices.Contains(fds, int32(tt.P.Mem.FD())) {
		t.Errorf("close-on-exec fds %v: want %d, not %d nor the memfd", fds, b, a)
	}
}

// TestSnapshotResume checks that a snapshot, through its memfd, gives back
// the registers, memory and signal state of the task that took it.
func TestSnapshotResume(t *testing.T) {
	tt := newTestTask(t)
	addr := tt.str("guest data")
	c := tt.CPU
	for i := range c.R {
		c.R[i] = uint64(i) * 0x1111
	}
	c.RIP, c.FSBase = 0x401000, 0x7000
	c.X[3] = cpu.XMM{1, 2}
	tt.P.Sig.SetAction(int(unix.SIGUSR1), &signal.Action{Handler: 0x1234, Flags: signal.SARestorer, Restorer: 0x5678})
	tt.Sig.SetBlocked(signal.Bit(int(unix.SIGUSR2)))
	tidAddr := tt.alloc(4)
	s, err := tt.snapshot(&CloneArgs{Flags: cloneChildSettid | cloneSettls, ChildTID: tidAddr, TLS: 0x9000}, false)
	if err != nil {
		t.Fatal(err)
	}
	s.Cloexec = nil
	s.VforkFD = -1
	s.Launch.LogFD = -1
	// The child's memfd stays open: the child takes it over.
	fd, err := writeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := ReadSnapshot(fd)
	if err != nil {
		t.Fatal(err)
	}
	child, err := sn.Resume(dbg.New(0, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.P.Mem.Close() })
	cc := child.CPU
	want := c.R
	want[cpu.RAX] = 0
	if cc.R != want || cc.RIP != c.RIP || cc.FSBase != 0x9000 || cc.X[3] != c.X[3] {
		t.Errorf("registers: %x rip %#x fs %#x xmm3 %x", cc.R, cc.RIP, cc.FSBase, cc.X[3])
	}
	b := make([]byte, 10)
	if err := child.P.Mem.Read(addr, b); err != nil || string(b) != "guest data" {
		t.Errorf("memory: %q %v", b, err)
	}
	if a := child.P.Sig.Action(int(unix.SIGUSR1)); a.Handler != 0x1234 || a.Restorer != 0x5678 {
		t.Errorf("SIGUSR1 action %+v", a)
	}
	if m := child.Sig.Blocked(); m != signal.Bit(int(unix.SIGUSR2)) {
		t.Errorf("mask %#x", m)
	}
	var tid [4]byte
	child.P.Mem.Read(tidAddr, tid[:])
	if got := binary.LittleEndian.Uint32(tid[:]); got != uint32(child.Tid) {
		t.Errorf("CLONE_CHILD_SETTID wrote %d, want %d", got, child.Tid)
	}
}

// TestSnapshotCodec round-trips a snapshot with every field set, and
// fails when a type the codec writes field by field gains a field.
func TestSnapshotCodec(t *testing.T) {
	for _, c := range []struct {
		v    any
		n    int
		name string
	}{
		{snapshot{}, 21, "snapshot"}, {Launch{}, 6, "Launch"}, {mem.Forked{}, 7, "mem.Forked"},
		{mem.ForkVMA{}, 18, "mem.ForkVMA"}, {loader.Image{}, 9, "loader.Image"},
		{signal.Action{}, 4, "signal.Action"}, {signal.AltStack{}, 3, "signal.AltStack"},
	} {
		if n := reflect.TypeOf(c.v).NumField(); n != c.n {
			t.Errorf("%s has %d fields, snapCodec knows %d: teach it the new ones", c.name, n, c.n)
		}
	}
	s := &snapshot{
		Launch: Launch{Argv0: "g", Sysroot: "/s", Strace: true, Stats: true, Debug: dbg.Exec, LogFD: 1001},
		Mem: mem.Forked{FD: 1003, BrkStart: 1, Brk: 2, MmapBase: 3, StartData: 4, EndData: 5, VMAs: []mem.ForkVMA{{Start: 1, End: 2, Prot: 3, Flags: 4,
			Offset: 5, Name: "n", Dev: 6, Inode: 7, HostShared: true, WipeOnFork: true, Src: 8, FD: 9, Reopen: true, SrcOff: 10, SrcSize: 11,
			Shm: true, Shmid: 12, ShmFlg: 13}}},
		Image: loader.Image{Path: "p", ExecFn: "e", Argv: []string{"a", ""}, Entry: 1, ProgEntry: 2, SP: 3,
			Interp: "i", Auxv: []uint64{4, 5}, StackLo: 6},
		Comm: "comm", RIP: 7, Flags: 8, FSBase: 9, GSBase: 10,
		Mask: 11, Alt: signal.AltStack{SP: 12, Size: 13, Flags: 14}, ChildSetTid: 15, ClearChildTid: 16, RobustList: 17, RobustLen: 18,
		Cloexec: []int32{3, 1000}, VforkFD: -1, ExecFlagFD: 1004,
	}
	s.Regs[15] = 17
	s.FX[511] = 18
	s.Actions[63] = signal.Action{Handler: 19, Flags: 20, Restorer: 21, Mask: 22}
	fd, err := writeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadSnapshot(fd)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.s, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got.s, s)
	}
}
