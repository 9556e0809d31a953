package syscall

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// testPipe returns a pipe with one byte waiting in it.
func (tt *testTask) testPipe() (r, w uint64) {
	fds := tt.alloc(8)
	tt.ok(unix.SYS_PIPE2, fds, unix.O_CLOEXEC)
	r, w = uint64(tt.u32(fds)), uint64(tt.u32(fds+4))
	closeFD(tt.t, int64(r))
	closeFD(tt.t, int64(w))
	tt.ok(unix.SYS_WRITE, w, tt.data([]byte("x")), 1)
	return r, w
}

func TestPoll(t *testing.T) {
	tt := newTestTask(t)
	r, w := tt.testPipe()
	pfd := tt.alloc(16)
	binary.LittleEndian.PutUint32(tt.mem(pfd, 4), uint32(r))
	binary.LittleEndian.PutUint16(tt.mem(pfd+4, 2), unix.POLLIN)
	binary.LittleEndian.PutUint32(tt.mem(pfd+8, 4), uint32(w))
	binary.LittleEndian.PutUint16(tt.mem(pfd+12, 2), unix.POLLOUT)
	if n := tt.ok(unix.SYS_POLL, pfd, 2, 1000); n != 2 {
		t.Fatalf("poll = %d", n)
	}
	if re := binary.LittleEndian.Uint16(tt.mem(pfd+6, 2)); re != unix.POLLIN {
		t.Fatalf("revents %#x", re)
	}
	tt.fails(unix.EFAULT, unix.SYS_POLL, testRO, 1, 0)
	tt.fails(unix.EFAULT, unix.SYS_POLL, testRO-8, 2, 0)

	ts := tt.alloc(16) // zero timeout
	mask := tt.alloc(8)
	if n := tt.ok(unix.SYS_PPOLL, pfd, 1, ts, mask, 8); n != 1 {
		t.Fatalf("ppoll = %d", n)
	}
	tt.fails(unix.EINVAL, unix.SYS_PPOLL, pfd, 1, ts, mask, 4)
	tt.fails(unix.EFAULT, unix.SYS_PPOLL, pfd, 1, ts, testHole, 8)
	// A read-only timeout is fine: the kernel skips writing it back.
	tt.ok(unix.SYS_PPOLL, pfd, 1, testRO, 0, 0)
}

func TestSelect(t *testing.T) {
	tt := newTestTask(t)
	r, w := tt.testPipe()
	nfds := max(r, w) + 1
	set := func(fds ...uint64) uint64 {
		a := tt.alloc(128)
		for _, fd := range fds {
			tt.mem(a+fd/8, 1)[0] |= 1 << (fd % 8)
		}
		return a
	}
	rs, ws := set(r), set(w)
	tv := tt.alloc(16)
	binary.LittleEndian.PutUint64(tt.mem(tv+8, 8), 1000)
	if n := tt.ok(unix.SYS_SELECT, nfds, rs, ws, 0, tv); n != 2 {
		t.Fatalf("select = %d", n)
	}
	tt.fails(unix.EFAULT, unix.SYS_SELECT, nfds, testHole, 0, 0, tv)
	tt.fails(unix.EINVAL, unix.SYS_SELECT, ^uint64(0), rs, 0, 0, tv)

	// pselect6's sixth argument: { sigset_t *ss; size_t ss_len; }.
	sig := tt.alloc(16)
	binary.LittleEndian.PutUint64(tt.mem(sig, 8), tt.alloc(8))
	binary.LittleEndian.PutUint64(tt.mem(sig+8, 8), 8)
	ts := tt.alloc(16)
	if n := tt.ok(unix.SYS_PSELECT6, nfds, set(r), 0, 0, ts, sig); n != 1 {
		t.Fatalf("pselect6 = %d", n)
	}
	binary.LittleEndian.PutUint64(tt.mem(sig, 8), testHole)
	tt.fails(unix.EFAULT, unix.SYS_PSELECT6, nfds, set(r), 0, 0, ts, sig)
}

func TestEpoll(t *testing.T) {
	tt := newTestTask(t)
	r, _ := tt.testPipe()
	ep := tt.ok(unix.SYS_EPOLL_CREATE1, unix.EPOLL_CLOEXEC)
	closeFD(t, ep)
	ev := tt.alloc(12)
	binary.LittleEndian.PutUint32(tt.mem(ev, 4), unix.EPOLLIN)
	binary.LittleEndian.PutUint64(tt.mem(ev+4, 8), 0x1122334455667788) // packed: data at 4
	tt.ok(unix.SYS_EPOLL_CTL, uint64(ep), unix.EPOLL_CTL_ADD, r, ev)
	tt.fails(unix.EFAULT, unix.SYS_EPOLL_CTL, uint64(ep), unix.EPOLL_CTL_MOD, r, testHole)
	tt.fails(unix.EBADF, unix.SYS_EPOLL_CTL, uint64(ep), unix.EPOLL_CTL_ADD, uint64(tt.P.Mem.FD()), ev)

	out := tt.alloc(12 * 4)
	if n := tt.ok(unix.SYS_EPOLL_WAIT, uint64(ep), out, 4, 1000); n != 1 {
		t.Fatalf("epoll_wait = %d", n)
	}
	if tt.u32(out) != unix.EPOLLIN || tt.u64(out+4) != 0x1122334455667788 {
		t.Fatalf("event %x", tt.mem(out, 12))
	}
	// maxevents larger than the writable buffer: the events that fit.
	last := uint64(testRO - 12)
	if n := tt.ok(unix.SYS_EPOLL_PWAIT, uint64(ep), last, 100, 0, 0, 8); n != 1 || tt.u64(last+4) != 0x1122334455667788 {
		t.Fatalf("epoll_pwait at the end of memory = %d", n)
	}
	tt.fails(unix.EFAULT, unix.SYS_EPOLL_WAIT, uint64(ep), testRO, 1, 0)
	tt.fails(unix.EINVAL, unix.SYS_EPOLL_WAIT, uint64(ep), out, 0, 0)
	tt.ok(unix.SYS_EPOLL_PWAIT2, uint64(ep), out, 4, tt.alloc(16), tt.alloc(8), 8)
	tt.ok(unix.SYS_EPOLL_CTL, uint64(ep), unix.EPOLL_CTL_DEL, r, 0)
	if n := tt.ok(unix.SYS_EPOLL_WAIT, uint64(ep), out, 4, 0); n != 0 {
		t.Fatalf("epoll_wait after DEL = %d", n)
	}
}
