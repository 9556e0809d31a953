package syscall

import (
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Passing guestrun's fds into the fd table of a child run here whose table
// is its own (a stub made without CLONE_FILES), for the guestrun it starts
// (a fork's, or its own when it is handed over). Opening /proc/PID/fd/N
// from the stub would need ptrace access to guestrun, which a guest that
// changed its uid no longer has. So guestrun sends each fd with SCM_RIGHTS
// on a socket pair made before its first stub, whose receiving end every
// stub's table has a copy of, and the stub receives it.
var fdPass struct {
	once       sync.Once
	mu         sync.Mutex // one fd in flight at a time
	send, recv int
	err        error
}

// initFDPass makes the socket pair, among guestrun's reserved fds, before
// any stub is made (NewProcess).
func (p *Process) initFDPass() {
	fdPass.once.Do(func() {
		var sp [2]int
		sp, fdPass.err = unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if fdPass.err == nil {
			fdPass.send, fdPass.recv = p.ReserveFD(sp[0]), p.ReserveFD(sp[1])
		}
	})
}

// passFDs puts guestrun's fds into the fd table of t's stub at the same
// numbers, close-on-exec or not, and returns those it put there.
func (t *Task) passFDs(fds []int, cloexec bool) (passed []int, err error) {
	if fdPass.err != nil {
		return nil, fdPass.err
	}
	fdPass.mu.Lock()
	defer fdPass.mu.Unlock()
	dupFlags := uintptr(0)
	if cloexec {
		dupFlags = unix.O_CLOEXEC
	}
	for _, fd := range fds {
		if err := unix.Sendmsg(fdPass.send, []byte{0}, unix.UnixRights(fd), nil, 0); err != nil {
			return passed, err
		}
		var b [1]byte
		oob := make([]byte, unix.CmsgSpace(4))
		iov := unix.Iovec{Base: &b[0]}
		iov.SetLen(1)
		msg := unix.Msghdr{Iov: &iov, Iovlen: 1, Control: &oob[0]}
		msg.SetControllen(len(oob))
		r := t.hraw(unix.SYS_RECVMSG, uintptr(fdPass.recv), uintptr(unsafe.Pointer(&msg)), unix.MSG_CMSG_CLOEXEC)
		runtime.KeepAlive(&iov)
		runtime.KeepAlive(oob)
		if r < 0 {
			return passed, unix.Errno(-r)
		}
		scm, err := unix.ParseSocketControlMessage(oob[:msg.Controllen])
		if err != nil || len(scm) != 1 {
			return passed, unix.EBADMSG
		}
		got, err := unix.ParseUnixRights(&scm[0])
		if err != nil || len(got) != 1 {
			return passed, unix.EBADMSG
		}
		if got[0] != fd {
			r = t.hraw(unix.SYS_DUP3, uintptr(got[0]), uintptr(fd), dupFlags)
			t.hraw(unix.SYS_CLOSE, uintptr(got[0]), 0, 0)
			if r < 0 {
				return passed, unix.Errno(-r)
			}
		} else if !cloexec {
			t.hraw(unix.SYS_FCNTL, uintptr(fd), unix.F_SETFD, 0)
		}
		passed = append(passed, fd)
	}
	return passed, nil
}

// lendFDs keeps guestrun's fds open across a host execve by t's kernel
// task, for the guestrun it starts: in guestrun's fd table they lose
// FD_CLOEXEC, into a stub's own table they are passed. unlend undoes that
// after a failed execve.
func (t *Task) lendFDs(fds []int) (unlend func(), err error) {
	if t.stub == nil || t.P.sharedFiles {
		setCloexec(t, fds, false)
		return func() { setCloexec(t, fds, true) }, nil
	}
	passed, err := t.passFDs(fds, false)
	if err != nil {
		t.closeStubFDs(passed)
		return nil, err
	}
	return func() { t.closeStubFDs(passed) }, nil
}
