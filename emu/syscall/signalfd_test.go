package syscall

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// sfdInfo is the part of a struct signalfd_siginfo the tests look at.
type sfdInfo struct {
	signo, pid, uid, tid, overrun, status uint32
	code, ssiInt                          int32
	ptr, addr, utime                      uint64
}

func getSfdInfo(b []byte) sfdInfo {
	le := binary.LittleEndian
	return sfdInfo{signo: le.Uint32(b), code: int32(le.Uint32(b[8:])), pid: le.Uint32(b[12:]),
		uid: le.Uint32(b[16:]), tid: le.Uint32(b[24:]), overrun: le.Uint32(b[32:]),
		status: le.Uint32(b[40:]), ssiInt: int32(le.Uint32(b[44:])), ptr: le.Uint64(b[48:]),
		utime: le.Uint64(b[56:]), addr: le.Uint64(b[72:])}
}

func TestSignalfd(t *testing.T) {
	tt := newTestTask(t)
	tt.Sig.SetBlocked(^signal.Set(0))
	usr1, usr2, rt := int(unix.SIGUSR1), int(unix.SIGUSR2), signal.SigRTMin+2
	maskAt := tt.alloc(8)
	setMask := func(s signal.Set) { binary.LittleEndian.PutUint64(tt.mem(maskAt, 8), uint64(s)) }
	setMask(signal.Bit(usr1))
	minus1 := uint64(1<<64 - 1)
	fd := tt.ok(unix.SYS_SIGNALFD4, minus1, maskAt, 8, unix.SFD_NONBLOCK|unix.SFD_CLOEXEC)
	closeFD(t, fd)
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Error("SFD_CLOEXEC lost")
	}
	ready := func() bool {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLOUT}}
		n, _ := unix.Poll(p, 0)
		if n == 1 && p[0].Revents != unix.POLLIN {
			t.Errorf("revents %#x", p[0].Revents)
		}
		return n == 1
	}
	buf := tt.alloc(4 * signalfdInfoSize)
	tt.fails(unix.EAGAIN, unix.SYS_READ, uint64(fd), buf, 4*signalfdInfoSize)
	if ready() {
		t.Error("ready with nothing pending")
	}

	tt.P.Sig.Send(nil, signal.KillInfo(usr2, signal.SIUser, 5, 6))
	if ready() {
		t.Error("ready for a signal outside the set")
	}
	tt.P.Sig.Send(nil, signal.KillInfo(usr1, signal.SIUser, 5, 6))
	if !ready() {
		t.Error("not ready with USR1 pending")
	}
	tt.fails(unix.EINVAL, unix.SYS_READ, uint64(fd), buf, signalfdInfoSize-1)
	if n := tt.ok(unix.SYS_READ, uint64(fd), buf, 4*signalfdInfoSize); n != signalfdInfoSize {
		t.Fatalf("read %d", n)
	}
	if got := getSfdInfo(tt.mem(buf, signalfdInfoSize)); got != (sfdInfo{signo: uint32(usr1), pid: 5, uid: 6}) {
		t.Errorf("kill: %+v", got)
	}
	if ready() {
		t.Error("ready after the read")
	}

	// A second call changes the set; USR2 is pending already.
	setMask(signal.Bit(usr1) | signal.Bit(usr2) | signal.Bit(rt))
	if r := tt.ok(unix.SYS_SIGNALFD, uint64(fd), maskAt, 8); r != fd {
		t.Errorf("update returned %d", r)
	}
	if !ready() {
		t.Error("not ready after the set took USR2 in")
	}
	q := signal.KillInfo(rt, signal.SIQueue, 5, 6)
	q.Fields[1] = 0x1_0000_0002
	tt.P.Sig.Send(tt.Sig, q)
	tt.P.Sig.Send(nil, signal.KillInfo(usr1, signal.SIUser, 7, 8))
	if n := tt.ok(unix.SYS_READ, uint64(fd), buf, 4*signalfdInfoSize); n != 3*signalfdInfoSize {
		t.Fatalf("read of 3: %d", n)
	}
	// The thread's own signals first, then the process's by number.
	want := []sfdInfo{
		{signo: uint32(rt), code: signal.SIQueue, pid: 5, uid: 6, ssiInt: 2, ptr: 0x1_0000_0002},
		{signo: uint32(usr1), pid: 7, uid: 8},
		{signo: uint32(usr2), pid: 5, uid: 6},
	}
	for i, w := range want {
		if got := getSfdInfo(tt.mem(buf+uint64(i)*signalfdInfoSize, signalfdInfoSize)); got != w {
			t.Errorf("entry %d: %+v, want %+v", i, got, w)
		}
	}

	// Errors.
	tt.fails(unix.EINVAL, unix.SYS_SIGNALFD4, uint64(fd), maskAt, 4, 0)
	tt.fails(unix.EINVAL, unix.SYS_SIGNALFD4, minus1, maskAt, 8, 1)
	tt.fails(unix.EFAULT, unix.SYS_SIGNALFD4, minus1, testHole, 8, 0)
	var pp [2]int
	if err := unix.Pipe2(pp[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pp[0])
	defer unix.Close(pp[1])
	tt.fails(unix.EINVAL, unix.SYS_SIGNALFD4, uint64(pp[0]), maskAt, 8, 0)
	tt.fails(unix.EBADF, unix.SYS_SIGNALFD4, 12345, maskAt, 8, 0)

	// A blocking read waits; another signal the thread takes restarts it.
	bfd := tt.ok(unix.SYS_SIGNALFD4, minus1, maskAt, 8, 0)
	closeFD(t, bfd)
	go func() {
		time.Sleep(20 * time.Millisecond)
		tt.P.Sig.Send(nil, signal.KillInfo(usr2, signal.SIUser, 9, 0))
	}()
	if n := tt.ok(unix.SYS_READ, uint64(bfd), buf, signalfdInfoSize); n != signalfdInfoSize || tt.u32(buf) != uint32(usr2) {
		t.Errorf("blocking read: %d, signal %d", n, tt.u32(buf))
	}
	tt.Sig.SetBlocked(^signal.Bit(int(unix.SIGTERM)))
	tt.P.Sig.Send(nil, signal.KillInfo(int(unix.SIGTERM), signal.SIUser, 9, 0))
	tt.fails(errRestartSys, unix.SYS_READ, uint64(bfd), buf, signalfdInfoSize)

	// A closed signalfd is forgotten when the next one is made.
	unix.Close(int(bfd))
	nfd := tt.ok(unix.SYS_SIGNALFD4, minus1, maskAt, 8, 0)
	closeFD(t, nfd)
	if n := len(tt.P.Sig.Watches()); n != 2 {
		t.Errorf("%d watches, want 2", n)
	}
}

// TestSignalfdLayout checks the members each kind of siginfo fills.
func TestSignalfdLayout(t *testing.T) {
	info := func(sig int, code int32, words ...uint64) signal.Info {
		in := signal.Info{Signo: int32(sig), Code: code}
		copy(in.Fields[:], words)
		return in
	}
	for _, c := range []struct {
		name string
		in   signal.Info
		want sfdInfo
	}{
		{"timer", info(int(unix.SIGALRM), signal.SITimer, 3|4<<32, 77),
			sfdInfo{signo: 14, code: signal.SITimer, tid: 3, overrun: 4, ssiInt: 77, ptr: 77}},
		{"fault", info(int(unix.SIGSEGV), 1, 0xdead),
			sfdInfo{signo: 11, code: 1, addr: 0xdead}},
		{"child", info(int(unix.SIGCHLD), 1, 42|1000<<32, 3, 10, 20),
			sfdInfo{signo: 17, code: 1, pid: 42, uid: 1000, status: 3, utime: 10}},
		{"kernel", info(int(unix.SIGSEGV), signal.SIKernel, 0xdead),
			sfdInfo{signo: 11, code: signal.SIKernel, pid: 0xdead}},
		{"poll-like code", info(int(unix.SIGUSR1), 2, 5, 6),
			sfdInfo{signo: 10, code: 2}},
	} {
		var b [signalfdInfoSize]byte
		putSignalfdInfo(b[:], &c.in)
		if got := getSfdInfo(b[:]); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	var b [signalfdInfoSize]byte
	in := info(int(unix.SIGUSR1), 2, 5, 6)
	putSignalfdInfo(b[:], &in)
	if band, fd := binary.LittleEndian.Uint32(b[28:]), binary.LittleEndian.Uint32(b[20:]); band != 5 || fd != 6 {
		t.Errorf("poll: band %d fd %d", band, fd)
	}
}
