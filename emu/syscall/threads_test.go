package syscall

import (
	"encoding/binary"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/signal"
)

// threadFlags are the clone flags glibc gives a new thread.
const threadFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
	unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID |
	unix.CLONE_CHILD_CLEARTID

func TestCloneArgsChecks(t *testing.T) {
	tt := newTestTask(t)
	for _, c := range []struct {
		name  string
		flags uint64
		pidfd uint64
		e     unix.Errno
	}{
		{"thread without sighand", unix.CLONE_VM | unix.CLONE_THREAD, 0, unix.EINVAL},
		{"sighand without vm", unix.CLONE_SIGHAND, 0, unix.EINVAL},
		{"newns with fs", unix.CLONE_NEWNS | unix.CLONE_FS, 0, unix.EINVAL},
		{"thread in a new pid namespace", threadFlags | unix.CLONE_NEWPID, 0, unix.EINVAL},
		{"pidfd and parent tid in one word", unix.CLONE_PIDFD | unix.CLONE_PARENT_SETTID, 0x1000, unix.EINVAL},
		{"pidfd detached", unix.CLONE_PIDFD | unix.CLONE_DETACHED, 0x1000, unix.EINVAL},
	} {
		if r := tt.call(unix.SYS_CLONE, c.flags, 0, c.pidfd, 0, 0); r != -int64(c.e) {
			t.Errorf("clone %s = %d, want %v", c.name, r, c.e)
		}
	}

	args := tt.alloc(128)
	put := func(w ...uint64) {
		b := tt.mem(args, 128)
		clear(b)
		for i, v := range w {
			binary.LittleEndian.PutUint64(b[8*i:], v)
		}
	}
	put(threadFlags)
	tt.fails(unix.EINVAL, unix.SYS_CLONE3, args, 56)
	tt.fails(unix.E2BIG, unix.SYS_CLONE3, args, 4097)
	tt.fails(unix.EFAULT, unix.SYS_CLONE3, testHole, 64)
	put(threadFlags, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) // a nonzero field this kernel does not know
	tt.fails(unix.E2BIG, unix.SYS_CLONE3, args, 96)
	put(threadFlags, 0, 0, 0, uint64(unix.SIGCHLD))
	tt.fails(unix.EINVAL, unix.SYS_CLONE3, args, 64)
	put(0, 0, 0, 0, 65)
	tt.fails(unix.EINVAL, unix.SYS_CLONE3, args, 64)
	put(threadFlags, 0, 0, 0, 0, 0x1000) // a stack without a size
	tt.fails(unix.EINVAL, unix.SYS_CLONE3, args, 64)
	put(threadFlags, 0, 0, 0, 0, 0, 0, 0, 0, 33)
	tt.fails(unix.EINVAL, unix.SYS_CLONE3, args, 80)
	put(unix.CLONE_SIGHAND|unix.CLONE_CLEAR_SIGHAND|unix.CLONE_VM, 0, 0, 0, 0)
	tt.fails(unix.EINVAL, unix.SYS_CLONE3, args, 64)
	put(threadFlags | unix.CLONE_DETACHED)
	tt.fails(unix.EINVAL, unix.SYS_CLONE3, args, 64)
}

// TestThread creates a thread that runs exit(0) and checks what its
// creation and its exit write.
func TestThread(t *testing.T) {
	tt := newTestTask(t)
	code := tt.alloc(16)
	copy(tt.mem(code, 9), []byte{0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05}) // mov eax, 60; xor edi, edi; syscall
	if err := tt.P.Mem.Protect(testBase, testSize, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	tt.CPU.RIP = code
	// One word for both, as glibc does.
	ctid := tt.alloc(4)
	stack := tt.alloc(4096) + 4096
	tid := tt.ok(unix.SYS_CLONE, threadFlags, stack, ctid, ctid, 0x7000)
	if got := tt.u32(ctid); got != 0 && int64(got) != tid {
		t.Errorf("tid word %d, clone returned %d", got, tid)
	}
	// The thread clears the child tid word at exit and wakes its waiters.
	for deadline := time.Now().Add(10 * time.Second); tt.u32(ctid) != 0; {
		if time.Now().After(deadline) {
			t.Fatal("the thread never cleared its tid word")
		}
		h, _ := tt.futexAddr(ctid)
		ts := unix.Timespec{Nsec: 10e6}
		unix.Syscall6(unix.SYS_FUTEX, h, futexWait, uintptr(tid), uintptr(unsafe.Pointer(&ts)), 0, 0)
	}
	if tt.P.thread(int(tid)) != nil {
		t.Error("the exited thread is still registered")
	}
}

// TestRobustList has an exiting thread walk a robust list of two futexes,
// one it holds with waiters and one another thread holds, and a pending
// one.
func TestRobustList(t *testing.T) {
	tt := newTestTask(t)
	const off = 8 // futex word offset in each list entry
	head := tt.alloc(24)
	e1, e2, e3 := tt.alloc(16), tt.alloc(16), tt.alloc(16)
	le := binary.LittleEndian
	le.PutUint64(tt.mem(head, 8), e1)
	le.PutUint64(tt.mem(head+8, 8), off)
	le.PutUint64(tt.mem(head+16, 8), e3)
	le.PutUint64(tt.mem(e1, 8), e2)
	le.PutUint64(tt.mem(e2, 8), head)
	le.PutUint32(tt.mem(e1+off, 4), uint32(tt.Tid)|futexWaiters)
	le.PutUint32(tt.mem(e2+off, 4), 12345)
	le.PutUint32(tt.mem(e3+off, 4), uint32(tt.Tid))
	tt.RobustList = head
	tt.exitRobust()
	if got := tt.u32(e1 + off); got != futexWaiters|futexOwnerDied {
		t.Errorf("held futex: %#x", got)
	}
	if got := tt.u32(e2 + off); got != 12345 {
		t.Errorf("someone else's futex: %#x", got)
	}
	if got := tt.u32(e3 + off); got != futexOwnerDied {
		t.Errorf("pending futex: %#x", got)
	}
	// A circular list ends at the walk's bound.
	le.PutUint64(tt.mem(e2, 8), e1)
	tt.exitRobust()
}

// onThread runs f on a goroutine locked to its OS thread, with a task whose
// tid is that thread's, as guest threads run.
func onThread(t *testing.T, f func(tt *testTask)) {
	done := make(chan bool)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(done)
		f(newTestTask(t))
	}()
	<-done
}

// TestInterruptRead blocks in a read that a signal from another goroutine
// interrupts, and checks that a signal already pending keeps the read from
// starting.
func TestInterruptRead(t *testing.T) {
	onThread(t, func(tt *testTask) {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			t.Error(err)
			return
		}
		defer unix.Close(p[0])
		defer unix.Close(p[1])
		buf := tt.alloc(8)
		go func() {
			time.Sleep(20 * time.Millisecond)
			tt.P.Sig.Send(tt.Sig, signal.KillInfo(int(unix.SIGUSR1), signal.SITKill, 1, 0))
		}()
		if r := tt.call(unix.SYS_READ, uint64(p[0]), buf, 1); r != -int64(errRestartSys) {
			t.Errorf("interrupted read = %d", r)
		}
		// The signal is still pending: the next read does not start.
		if r := tt.call(unix.SYS_READ, uint64(p[0]), buf, 1); r != -int64(errRestartNoIntr) {
			t.Errorf("read with a signal pending = %d", r)
		}
		tt.clearInterrupt()
		unix.Write(p[1], []byte("x"))
		if r := tt.call(unix.SYS_READ, uint64(p[0]), buf, 1); r != 1 {
			t.Errorf("read = %d", r)
		}
	})
}

// TestInterruptSleep interrupts a nanosleep: the time left is written, and
// the restart goes on with it.
func TestInterruptSleep(t *testing.T) {
	onThread(t, func(tt *testTask) {
		req, rem := tt.alloc(16), tt.alloc(16)
		le := binary.LittleEndian
		le.PutUint64(tt.mem(req, 8), 5)
		go func() {
			time.Sleep(20 * time.Millisecond)
			tt.P.Sig.Send(tt.Sig, signal.KillInfo(int(unix.SIGUSR1), signal.SITKill, 1, 0))
		}()
		start := time.Now()
		if r := tt.call(unix.SYS_NANOSLEEP, req, rem); r != -int64(errRestartBlock) {
			t.Errorf("interrupted nanosleep = %d", r)
		}
		if s := tt.u64(rem); s < 3 || s > 4 || time.Since(start) > 4*time.Second {
			t.Errorf("time left %d s", s)
		}
		if tt.sigs.restart == nil {
			t.Fatal("no restart")
		}
		// Restarted with nothing pending, it would sleep on: make it
		// short.
		tt.clearInterrupt()
		le.PutUint64(tt.mem(req, 8), 0)
		le.PutUint64(tt.mem(req+8, 8), 1000)
		if r := tt.call(unix.SYS_NANOSLEEP, req, 0); r != 0 {
			t.Errorf("short nanosleep = %d", r)
		}
	})
}

// TestPpollMask checks that ppoll's mask lets a blocked pending signal
// interrupt it at once, and that the mask is the guest's until delivery.
func TestPpollMask(t *testing.T) {
	tt := newTestTask(t)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	usr1 := signal.Bit(int(unix.SIGUSR1))
	tt.Sig.SetBlocked(usr1)
	tt.P.Sig.Send(tt.Sig, signal.KillInfo(int(unix.SIGUSR1), signal.SITKill, 1, 0))
	fds := tt.alloc(8)
	le := binary.LittleEndian
	le.PutUint32(tt.mem(fds, 4), uint32(p[0]))
	le.PutUint16(tt.mem(fds+4, 2), unix.POLLIN)
	mask := tt.alloc(8)
	if r := tt.call(unix.SYS_PPOLL, fds, 1, 0, mask, 8); r != -int64(errRestartNoHand) {
		t.Errorf("ppoll with the signal let through = %d", r)
	}
	if tt.Sig.Blocked() != 0 || tt.Sig.MaskToSave() != usr1 {
		t.Errorf("mask %#x, to restore %#x", tt.Sig.Blocked(), tt.Sig.MaskToSave())
	}
	tt.Sig.RestoreSavedMask()
	// With an fd ready the call returns it, and the old mask is back.
	unix.Write(p[1], []byte("x"))
	if r := tt.call(unix.SYS_PPOLL, fds, 1, 0, mask, 8); r != 1 {
		t.Errorf("ppoll with a ready fd = %d", r)
	}
	if tt.Sig.Blocked() != usr1 {
		t.Errorf("mask after ppoll %#x", tt.Sig.Blocked())
	}
}
