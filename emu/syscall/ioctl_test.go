package syscall

import (
	"encoding/binary"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func TestIoctlPty(t *testing.T) {
	tt := newTestTask(t)
	m := tt.call(unix.SYS_OPEN, tt.str("/dev/ptmx"), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if m < 0 {
		t.Skipf("no ptys: %v", unix.Errno(-m))
	}
	closeFD(t, m)
	ptm := uint64(m)
	n := tt.alloc(4)
	tt.ok(unix.SYS_IOCTL, ptm, unix.TIOCGPTN, n)
	unlock := tt.alloc(4)
	tt.ok(unix.SYS_IOCTL, ptm, unix.TIOCSPTLCK, unlock)
	s := tt.ok(unix.SYS_OPEN, tt.str("/dev/pts/"+strconv.Itoa(int(tt.u32(n)))), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	closeFD(t, s)
	pts := uint64(s)

	// TCGETS fills exactly the 36 bytes of the kernel's struct termios.
	tio := tt.alloc(termiosSize + 4)
	copy(tt.mem(tio+termiosSize, 4), "\xaa\xaa\xaa\xaa")
	tt.ok(unix.SYS_IOCTL, pts, unix.TCGETS, tio)
	if string(tt.mem(tio+termiosSize, 4)) != "\xaa\xaa\xaa\xaa" {
		t.Fatal("TCGETS wrote past struct termios")
	}
	lflag := tt.mem(tio+12, 4)
	binary.LittleEndian.PutUint32(lflag, binary.LittleEndian.Uint32(lflag)&^unix.ECHO)
	tt.ok(unix.SYS_IOCTL, pts, unix.TCSETSW, tio)
	got, err := unix.IoctlGetTermios(int(pts), unix.TCGETS)
	if err != nil || got.Lflag&unix.ECHO != 0 {
		t.Fatalf("TCSETSW did not clear ECHO: %v", err)
	}
	tt.ok(unix.SYS_IOCTL, pts, unix.TCGETS2, tt.alloc(termios2Size))

	ws := tt.alloc(8)
	binary.LittleEndian.PutUint16(tt.mem(ws, 2), 33)
	binary.LittleEndian.PutUint16(tt.mem(ws+2, 2), 101)
	tt.ok(unix.SYS_IOCTL, ptm, unix.TIOCSWINSZ, ws)
	ws2 := tt.alloc(8)
	tt.ok(unix.SYS_IOCTL, pts, unix.TIOCGWINSZ, ws2)
	if tt.u32(ws2) != 101<<16|33 {
		t.Fatalf("TIOCGWINSZ = %#x", tt.u32(ws2))
	}
	tt.fails(unix.EFAULT, unix.SYS_IOCTL, pts, unix.TIOCGWINSZ, testRO)
	tt.fails(unix.EFAULT, unix.SYS_IOCTL, pts, unix.TCGETS, testRO-10)

	// Bytes written to the master are waiting on the slave.
	tt.ok(unix.SYS_WRITE, ptm, tt.data([]byte("hi\n")), 3)
	pfd := tt.alloc(8) // the line discipline works asynchronously
	binary.LittleEndian.PutUint32(tt.mem(pfd, 4), uint32(pts))
	binary.LittleEndian.PutUint16(tt.mem(pfd+4, 2), unix.POLLIN)
	tt.ok(unix.SYS_POLL, pfd, 1, 5000)
	cnt := tt.alloc(4)
	tt.ok(unix.SYS_IOCTL, pts, unix.TIOCINQ, cnt)
	if tt.u32(cnt) != 3 {
		t.Fatalf("FIONREAD = %d", tt.u32(cnt))
	}
}

func TestIoctlMisc(t *testing.T) {
	tt := newTestTask(t)
	fds := tt.alloc(8)
	tt.ok(unix.SYS_PIPE2, fds, unix.O_CLOEXEC)
	r, w := uint64(tt.u32(fds)), uint64(tt.u32(fds+4))
	closeFD(t, int64(r))
	closeFD(t, int64(w))

	tt.fails(unix.ENOTTY, unix.SYS_IOCTL, r, unix.TCGETS, tt.alloc(termiosSize))
	tt.ok(unix.SYS_IOCTL, r, fionclex, 0)
	if fl := tt.ok(unix.SYS_FCNTL, r, unix.F_GETFD); fl != 0 {
		t.Fatal("FIONCLEX")
	}
	tt.ok(unix.SYS_IOCTL, r, fioclex, 0)
	on := tt.alloc(4)
	binary.LittleEndian.PutUint32(tt.mem(on, 4), 1)
	tt.ok(unix.SYS_IOCTL, r, fionbio, on)
	tt.fails(unix.EAGAIN, unix.SYS_READ, r, tt.alloc(4), 4)

	// Unknown requests: ENOTTY, whatever the argument.
	tt.fails(unix.ENOTTY, unix.SYS_IOCTL, r, 0xc0de1234, testBase)
	tt.fails(unix.EBADF, unix.SYS_IOCTL, uint64(tt.P.Mem.FD()), unix.TIOCINQ, tt.alloc(4))

	// SIOCGIFCONF points to a buffer of its own.
	sock := tt.ok(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	closeFD(t, sock)
	ifc, buf := tt.alloc(16), tt.alloc(40*16)
	binary.LittleEndian.PutUint32(tt.mem(ifc, 4), 40*16)
	binary.LittleEndian.PutUint64(tt.mem(ifc+8, 8), buf)
	tt.ok(unix.SYS_IOCTL, uint64(sock), unix.SIOCGIFCONF, ifc)
	if l := tt.u32(ifc); l == 0 || l%40 != 0 || string(tt.mem(buf, 2)) != "lo" {
		t.Fatalf("SIOCGIFCONF: len %d, first %q", l, tt.mem(buf, 16))
	}
	binary.LittleEndian.PutUint64(tt.mem(ifc+8, 8), testHole)
	tt.fails(unix.EFAULT, unix.SYS_IOCTL, uint64(sock), unix.SIOCGIFCONF, ifc)
}
