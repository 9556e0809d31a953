package syscall

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// sockaddrLoopback puts a struct sockaddr_in for 127.0.0.1:port in guest memory.
func (tt *testTask) sockaddrLoopback(port uint16) uint64 {
	a := tt.alloc(16)
	b := tt.mem(a, 16)
	binary.LittleEndian.PutUint16(b, unix.AF_INET)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:], []byte{127, 0, 0, 1})
	return a
}

// u32at puts a 32-bit value in guest memory.
func (tt *testTask) u32at(v uint32) uint64 {
	a := tt.alloc(4)
	binary.LittleEndian.PutUint32(tt.mem(a, 4), v)
	return a
}

// boundSocket returns a socket bound to an ephemeral loopback port.
func (tt *testTask) boundSocket(typ uint64) (fd uint64, port uint16) {
	s := tt.ok(unix.SYS_SOCKET, unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	closeFD(tt.t, s)
	tt.ok(unix.SYS_BIND, uint64(s), tt.sockaddrLoopback(0), 16)
	name, l := tt.alloc(16), tt.u32at(16)
	tt.ok(unix.SYS_GETSOCKNAME, uint64(s), name, l)
	return uint64(s), binary.BigEndian.Uint16(tt.mem(name+2, 2))
}

func TestTCPLoopback(t *testing.T) {
	tt := newTestTask(t)
	one := tt.u32at(1)
	ls, port := tt.boundSocket(unix.SOCK_STREAM)
	tt.ok(unix.SYS_SETSOCKOPT, ls, unix.SOL_SOCKET, unix.SO_REUSEADDR, one, 4)
	val, vlen := tt.alloc(4), tt.u32at(64) // a larger optlen is cut to the option's size
	tt.ok(unix.SYS_GETSOCKOPT, ls, unix.SOL_SOCKET, unix.SO_REUSEADDR, val, vlen)
	if tt.u32(val) != 1 || tt.u32(vlen) != 4 {
		t.Fatalf("getsockopt: %d len %d", tt.u32(val), tt.u32(vlen))
	}
	tt.ok(unix.SYS_LISTEN, ls, 4)

	c := tt.ok(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	closeFD(t, c)
	tt.ok(unix.SYS_CONNECT, uint64(c), tt.sockaddrLoopback(port), 16)

	peer, plen := tt.alloc(16), tt.u32at(16)
	a := tt.ok(unix.SYS_ACCEPT4, ls, peer, plen, unix.SOCK_CLOEXEC)
	closeFD(t, a)
	if tt.u32(plen) != 16 || binary.LittleEndian.Uint16(tt.mem(peer, 2)) != unix.AF_INET {
		t.Fatalf("accept4 peer len %d", tt.u32(plen))
	}
	pn, pnl := tt.alloc(16), tt.u32at(16)
	tt.ok(unix.SYS_GETPEERNAME, uint64(a), pn, pnl)
	if string(tt.mem(pn, 16)) != string(tt.mem(peer, 16)) {
		t.Fatal("getpeername differs from accept's address")
	}

	tt.ok(unix.SYS_SENDTO, uint64(c), tt.data([]byte("ping")), 4, 0, 0, 0)
	buf := tt.alloc(16)
	from, flen := tt.alloc(16), tt.u32at(16)
	if n := tt.ok(unix.SYS_RECVFROM, uint64(a), buf, 16, 0, from, flen); n != 4 || string(tt.mem(buf, 4)) != "ping" {
		t.Fatalf("recvfrom = %d %q", n, tt.mem(buf, 4))
	}
	tt.ok(unix.SYS_SHUTDOWN, uint64(c), unix.SHUT_WR)
	if n := tt.ok(unix.SYS_READ, uint64(a), buf, 16); n != 0 {
		t.Fatalf("read after shutdown = %d", n)
	}

	// Bad arguments.
	tt.fails(unix.EFAULT, unix.SYS_CONNECT, uint64(c), testHole, 16)
	tt.fails(unix.EINVAL, unix.SYS_BIND, uint64(c), tt.sockaddrLoopback(0), 200)
	tt.fails(unix.EFAULT, unix.SYS_SENDTO, uint64(c), testHole, 4, 0, 0, 0)
	tt.fails(unix.EFAULT, unix.SYS_GETSOCKNAME, ls, tt.alloc(16), testHole)
	tt.fails(unix.EFAULT, unix.SYS_GETSOCKNAME, ls, testRO, tt.u32at(16))
	tt.fails(unix.EFAULT, unix.SYS_GETSOCKOPT, ls, unix.SOL_SOCKET, unix.SO_REUSEADDR, val, testRO)
	tt.fails(unix.EINVAL, unix.SYS_SETSOCKOPT, ls, unix.SOL_SOCKET, unix.SO_REUSEADDR, one, ^uint64(0))
	tt.fails(unix.ENOPROTOOPT, unix.SYS_SETSOCKOPT, ls, unix.SOL_XDP, 4, one, 4)
}

// msghdr builds a guest struct msghdr.
func (tt *testTask) msghdr(name, namelen, iov, iovlen, control, controllen uint64) uint64 {
	a := tt.alloc(msghdrSize)
	b := tt.mem(a, msghdrSize)
	le := binary.LittleEndian
	le.PutUint64(b, name)
	le.PutUint32(b[8:], uint32(namelen))
	le.PutUint64(b[16:], iov)
	le.PutUint64(b[24:], iovlen)
	le.PutUint64(b[32:], control)
	le.PutUint64(b[40:], controllen)
	return a
}

func TestSCMRights(t *testing.T) {
	tt := newTestTask(t)
	sv := tt.alloc(8)
	tt.ok(unix.SYS_SOCKETPAIR, unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0, sv)
	s0, s1 := uint64(tt.u32(sv)), uint64(tt.u32(sv+4))
	closeFD(t, int64(s0))
	closeFD(t, int64(s1))
	pr, pw := tt.testPipe()

	rights := func(fd uint64) uint64 {
		c := tt.alloc(24) // CMSG_SPACE(4)
		b := tt.mem(c, 24)
		binary.LittleEndian.PutUint64(b, 20) // CMSG_LEN(4)
		binary.LittleEndian.PutUint32(b[8:], unix.SOL_SOCKET)
		binary.LittleEndian.PutUint32(b[12:], unix.SCM_RIGHTS)
		binary.LittleEndian.PutUint32(b[16:], uint32(fd))
		return c
	}
	data := tt.data([]byte("fd!"))
	tt.ok(unix.SYS_SENDMSG, s0, tt.msghdr(0, 0, tt.iovec([2]uint64{data, 3}), 1, rights(pw), 24), 0)
	tt.fails(unix.EBADF, unix.SYS_SENDMSG, s0,
		tt.msghdr(0, 0, tt.iovec([2]uint64{data, 3}), 1, rights(uint64(tt.P.Mem.FD())), 24), 0)

	buf, ctl := tt.alloc(8), tt.alloc(64)
	m := tt.msghdr(0, 0, tt.iovec([2]uint64{buf, 8}), 1, ctl, 64)
	if n := tt.ok(unix.SYS_RECVMSG, s1, m, unix.MSG_CMSG_CLOEXEC); n != 3 || string(tt.mem(buf, 3)) != "fd!" {
		t.Fatalf("recvmsg = %d", n)
	}
	if cl := tt.u64(m + 40); cl != 24 {
		t.Fatalf("msg_controllen = %d", cl)
	}
	got := uint64(tt.u32(ctl + 16))
	closeFD(t, int64(got))
	// The received fd is the pipe's write end.
	tt.ok(unix.SYS_WRITE, got, tt.data([]byte("y")), 1)
	b := tt.alloc(2)
	if n := tt.ok(unix.SYS_READ, pr, b, 2); n != 2 || string(tt.mem(b, 2)) != "xy" {
		t.Fatalf("read %q", tt.mem(b, uint64(n)))
	}

	tt.fails(unix.EFAULT, unix.SYS_RECVMSG, s1, testHole, 0)
	tt.fails(unix.EFAULT, unix.SYS_SENDMSG, s0, tt.msghdr(0, 0, tt.iovec([2]uint64{testHole, 3}), 1, 0, 0), 0)
	tt.fails(unix.EMSGSIZE, unix.SYS_SENDMSG, s0, tt.msghdr(0, 0, data, 2000, 0, 0), 0)
}

func TestMmsgUDP(t *testing.T) {
	tt := newTestTask(t)
	rx, port := tt.boundSocket(unix.SOCK_DGRAM)
	tx, txport := tt.boundSocket(unix.SOCK_DGRAM)
	dst := tt.sockaddrLoopback(port)

	vec := tt.alloc(2 * mmsghdrSize)
	for i, s := range []string{"one", "three"} {
		m := tt.msghdr(dst, 16, tt.iovec([2]uint64{tt.data([]byte(s)), uint64(len(s))}), 1, 0, 0)
		copy(tt.mem(vec+uint64(i)*mmsghdrSize, msghdrSize), tt.mem(m, msghdrSize))
	}
	if n := tt.ok(unix.SYS_SENDMMSG, tx, vec, 2, 0); n != 2 || tt.u32(vec+msghdrSize) != 3 || tt.u32(vec+mmsghdrSize+msghdrSize) != 5 {
		t.Fatalf("sendmmsg = %d", n)
	}

	in := tt.alloc(2 * mmsghdrSize)
	var bufs, names [2]uint64
	for i := range 2 {
		bufs[i], names[i] = tt.alloc(16), tt.alloc(16)
		m := tt.msghdr(names[i], 16, tt.iovec([2]uint64{bufs[i], 16}), 1, 0, 0)
		copy(tt.mem(in+uint64(i)*mmsghdrSize, msghdrSize), tt.mem(m, msghdrSize))
	}
	if n := tt.ok(unix.SYS_RECVMMSG, rx, in, 2, unix.MSG_WAITFORONE, 0); n != 2 {
		t.Fatalf("recvmmsg = %d", n)
	}
	for i, s := range []string{"one", "three"} {
		e := in + uint64(i)*mmsghdrSize
		if l := tt.u32(e + msghdrSize); string(tt.mem(bufs[i], uint64(l))) != s {
			t.Errorf("message %d: %q", i, tt.mem(bufs[i], uint64(l)))
		}
		if tt.u32(e+8) != 16 || binary.BigEndian.Uint16(tt.mem(names[i]+2, 2)) != txport {
			t.Errorf("message %d: sender %x", i, tt.mem(names[i], 16))
		}
	}
	tt.fails(unix.EFAULT, unix.SYS_SENDMMSG, tx, testHole, 2, 0)
}

// TestSockFilter attaches a classic BPF program that drops everything: the
// kernel must have read the filter through the translated pointer.
func TestSockFilter(t *testing.T) {
	tt := newTestTask(t)
	rx, port := tt.boundSocket(unix.SOCK_DGRAM | unix.SOCK_NONBLOCK)
	filter := tt.alloc(8)
	binary.LittleEndian.PutUint16(tt.mem(filter, 2), unix.BPF_RET|unix.BPF_K) // ret #0
	prog := tt.alloc(16)
	binary.LittleEndian.PutUint16(tt.mem(prog, 2), 1)
	binary.LittleEndian.PutUint64(tt.mem(prog+8, 8), filter)
	tt.ok(unix.SYS_SETSOCKOPT, rx, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, prog, 16)

	tx, _ := tt.boundSocket(unix.SOCK_DGRAM)
	tt.ok(unix.SYS_SENDTO, tx, tt.data([]byte("drop")), 4, 0, tt.sockaddrLoopback(port), 16)
	tt.fails(unix.EAGAIN, unix.SYS_RECVFROM, rx, tt.alloc(8), 8, 0, 0, 0)

	binary.LittleEndian.PutUint64(tt.mem(prog+8, 8), testHole)
	tt.fails(unix.EFAULT, unix.SYS_SETSOCKOPT, rx, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, prog, 16)
}
