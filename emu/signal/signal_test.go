package signal

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	sigUSR1 = int(unix.SIGUSR1)
	sigUSR2 = int(unix.SIGUSR2)
	sigSEGV = int(unix.SIGSEGV)
	sigCHLD = int(unix.SIGCHLD)
)

func handler(sig int, flags uint64) *Action {
	return &Action{Handler: 0x401000 + uint64(sig), Flags: flags | SARestorer, Restorer: 0x400f00}
}

func TestCoalesceAndQueue(t *testing.T) {
	p := NewProcess()
	th := p.NewThread(nil)
	p.SetAction(sigUSR1, handler(sigUSR1, SASigInfo))
	p.SetAction(SigRTMin+2, handler(SigRTMin+2, SASigInfo))
	th.SetBlocked(^Set(0))
	for i := range 3 {
		in := KillInfo(sigUSR1, SIQueue, 1, 2)
		in.Fields[1] = uint64(i)
		p.Send(th, in)
		in.Signo = int32(SigRTMin + 2)
		p.Send(th, in)
	}
	if !th.MaybePending() {
		t.Fatal("nothing pending")
	}
	if _, _, ok := th.Take(); ok {
		t.Fatal("took a blocked signal")
	}
	th.SetBlocked(0)
	var got []uint64
	for {
		in, _, ok := th.Take()
		if !ok {
			break
		}
		got = append(got, uint64(in.Signo)<<8|in.Value())
	}
	want := []uint64{uint64(sigUSR1) << 8, uint64(SigRTMin+2)<<8 | 0, uint64(SigRTMin+2)<<8 | 1, uint64(SigRTMin+2)<<8 | 2}
	if len(got) != len(want) {
		t.Fatalf("took %x, want %x", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("took %x, want %x", got, want)
		}
	}
	if th.MaybePending() || p.queued != 0 {
		t.Errorf("still pending: %v, %d queued", th.MaybePending(), p.queued)
	}
}

func TestSynchronousFirst(t *testing.T) {
	p := NewProcess()
	th := p.NewThread(nil)
	for _, s := range []int{sigUSR1, sigSEGV, int(unix.SIGHUP)} {
		p.SetAction(s, handler(s, 0))
		p.Send(th, KillInfo(s, SIUser, 1, 1))
	}
	var order []int
	for {
		in, _, ok := th.Take()
		if !ok {
			break
		}
		order = append(order, int(in.Signo))
	}
	if len(order) != 3 || order[0] != sigSEGV || order[1] != int(unix.SIGHUP) || order[2] != sigUSR1 {
		t.Errorf("order %v", order)
	}
}

func TestIgnored(t *testing.T) {
	p := NewProcess()
	th := p.NewThread(nil)
	// SIGCHLD is ignored by default, SIGUSR1 by SIG_IGN: dropped when sent.
	p.SetAction(sigUSR1, &Action{Handler: IGN})
	p.Send(nil, KillInfo(sigCHLD, SIUser, 1, 1))
	p.Send(th, KillInfo(sigUSR1, SIUser, 1, 1))
	if th.Pending() != 0 {
		t.Errorf("ignored signals pending: %#x", th.Pending())
	}
	// Blocked, they are kept, then dropped at delivery.
	th.SetBlocked(Bit(sigUSR1) | Bit(sigCHLD))
	p.Send(nil, KillInfo(sigCHLD, SIUser, 1, 1))
	p.Send(th, KillInfo(sigUSR1, SIUser, 1, 1))
	if th.Pending() != Bit(sigUSR1)|Bit(sigCHLD) {
		t.Errorf("blocked ignored signals not pending: %#x", th.Pending())
	}
	th.SetBlocked(0)
	if _, _, ok := th.Take(); ok {
		t.Errorf("took an ignored signal")
	}
	// Setting SIG_IGN discards what is pending, blocked or not.
	p.SetAction(sigUSR2, handler(sigUSR2, 0))
	th.SetBlocked(Bit(sigUSR2))
	p.Send(nil, KillInfo(sigUSR2, SIUser, 1, 1))
	p.SetAction(sigUSR2, &Action{Handler: IGN})
	if th.Pending() != 0 || th.MaybePending() {
		t.Errorf("SIG_IGN left %#x pending", th.Pending())
	}
}

func TestSetActionFlags(t *testing.T) {
	p := NewProcess()
	p.SetAction(sigUSR1, &Action{Handler: 5, Flags: 0xffffffff_ffffffff, Mask: ^Set(0)})
	a := p.Action(sigUSR1)
	if a.Flags != uapiFlags || a.Mask != ^Set(0)&^Unblockable {
		t.Errorf("flags %#x mask %#x", a.Flags, a.Mask)
	}
}

func TestResetHandAndDeliveredMask(t *testing.T) {
	p := NewProcess()
	th := p.NewThread(nil)
	act := handler(sigUSR1, SAResetHand)
	act.Mask = Bit(sigUSR2)
	p.SetAction(sigUSR1, act)
	p.Send(th, KillInfo(sigUSR1, SIUser, 1, 1))
	_, got, ok := th.Take()
	if !ok || got.Handler != act.Handler {
		t.Fatalf("took %+v %v", got, ok)
	}
	if p.Action(sigUSR1).Handler != DFL {
		t.Errorf("SA_RESETHAND did not reset the handler")
	}
	th.Delivered(sigUSR1, &got)
	if th.Blocked() != Bit(sigUSR1)|Bit(sigUSR2) {
		t.Errorf("handler mask %#x", th.Blocked())
	}
	th.SetBlocked(0)
	got.Flags |= SANoDefer
	th.Delivered(sigUSR1, &got)
	if th.Blocked() != Bit(sigUSR2) {
		t.Errorf("SA_NODEFER handler mask %#x", th.Blocked())
	}
}

func TestForce(t *testing.T) {
	p := NewProcess()
	th := p.NewThread(nil)
	p.SetAction(sigSEGV, handler(sigSEGV, 0))
	th.SetBlocked(Bit(sigSEGV))
	th.Force(FaultInfo(sigSEGV, 1, 0x1234))
	in, act, ok := th.Take()
	if !ok || act.Handler != DFL || in.Addr() != 0x1234 || in.Code != 1 {
		t.Errorf("blocked forced SIGSEGV: %+v %+v %v", in, act, ok)
	}
	if th.Blocked().Has(sigSEGV) {
		t.Errorf("forced SIGSEGV still blocked")
	}
	// Caught and unblocked: the handler stays.
	p.SetAction(sigSEGV, handler(sigSEGV, 0))
	th.Force(FaultInfo(sigSEGV, 2, 0x10))
	if _, act, _ := th.Take(); act.Handler == DFL {
		t.Errorf("forced SIGSEGV lost its handler")
	}
	// Ignored: reset to the default.
	p.SetAction(sigSEGV, &Action{Handler: IGN})
	th.Force(FaultInfo(sigSEGV, 2, 0x10))
	if _, act, ok := th.Take(); !ok || act.Handler != DFL {
		t.Errorf("ignored forced SIGSEGV: %+v %v", act, ok)
	}
}

func TestQueueLimit(t *testing.T) {
	p := NewProcess()
	p.limit = 2
	th := p.NewThread(nil)
	th.SetBlocked(^Set(0))
	sig := SigRTMin + 1
	for range 2 {
		if err := p.Send(th, KillInfo(sig, SIQueue, 1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Send(th, KillInfo(sig, SIQueue, 1, 1)); err != unix.EAGAIN {
		t.Errorf("over the limit: %v", err)
	}
	// kill() of a real-time signal is never refused; its siginfo is lost.
	if err := p.Send(th, KillInfo(sig+1, SIUser, 7, 7)); err != nil {
		t.Errorf("kill over the limit: %v", err)
	}
	th.SetBlocked(0)
	p.SetAction(sig+1, handler(sig+1, 0))
	p.SetAction(sig, handler(sig, 0))
	th.Take()
	th.Take()
	in, _, ok := th.Take()
	if !ok || int(in.Signo) != sig+1 || in.Pid() != 0 {
		t.Errorf("lost siginfo: %+v", in)
	}
}

func TestStopCancelsCont(t *testing.T) {
	p := NewProcess()
	th := p.NewThread(nil)
	th.SetBlocked(^Set(0))
	p.Send(nil, KillInfo(int(unix.SIGCONT), SIUser, 1, 1))
	p.Send(nil, KillInfo(int(unix.SIGTSTP), SIUser, 1, 1))
	if th.Pending() != Bit(int(unix.SIGTSTP)) {
		t.Errorf("pending %#x", th.Pending())
	}
	p.Send(nil, KillInfo(int(unix.SIGCONT), SIUser, 1, 1))
	if th.Pending() != Bit(int(unix.SIGCONT)) {
		t.Errorf("pending %#x", th.Pending())
	}
}

func TestTimedWait(t *testing.T) {
	p := NewProcess()
	th := p.NewThread(nil)
	th.SetBlocked(Bit(sigUSR1))
	if _, err := th.TimedWait(Bit(sigUSR1), 0); err != unix.EAGAIN {
		t.Errorf("poll: %v", err)
	}
	if _, err := th.TimedWait(Bit(sigUSR1), time.Millisecond); err != unix.EAGAIN {
		t.Errorf("timeout: %v", err)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		p.Send(nil, KillInfo(sigUSR1, SIUser, 3, 4))
	}()
	in, err := th.TimedWait(Bit(sigUSR1), -1)
	if err != nil || int(in.Signo) != sigUSR1 || in.Pid() != 3 {
		t.Errorf("wait: %+v %v", in, err)
	}
	if th.Blocked() != Bit(sigUSR1) {
		t.Errorf("mask after wait %#x", th.Blocked())
	}
	// Another signal that the thread does not block interrupts the wait.
	p.SetAction(sigUSR2, handler(sigUSR2, 0))
	go func() {
		time.Sleep(10 * time.Millisecond)
		p.Send(th, KillInfo(sigUSR2, SIUser, 3, 4))
	}()
	if _, err := th.TimedWait(Bit(sigUSR1), time.Minute); err != unix.EINTR {
		t.Errorf("interrupted wait: %v", err)
	}
}

func TestSuspend(t *testing.T) {
	p := NewProcess()
	interrupted := make(chan struct{}, 4)
	th := p.NewThread(func() { interrupted <- struct{}{} })
	p.SetAction(sigUSR1, handler(sigUSR1, 0))
	th.SetBlocked(Bit(sigUSR1) | Bit(sigUSR2))
	go func() {
		time.Sleep(10 * time.Millisecond)
		p.Send(nil, KillInfo(sigUSR1, SIUser, 3, 4))
	}()
	th.Suspend(Bit(sigUSR2))
	<-interrupted
	if th.MaskToSave() != Bit(sigUSR1)|Bit(sigUSR2) || th.Blocked() != Bit(sigUSR2) {
		t.Errorf("during suspend: save %#x blocked %#x", th.MaskToSave(), th.Blocked())
	}
	_, act, ok := th.Take()
	if !ok {
		t.Fatal("nothing to take after suspend")
	}
	th.Delivered(sigUSR1, &act)
	th.RestoreSavedMask()
	if th.Blocked() != Bit(sigUSR1)|Bit(sigUSR2) {
		t.Errorf("handler mask %#x", th.Blocked())
	}
}

func TestCatchHost(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := NewProcess()
	th := p.NewThread(nil)
	th.Tid = unix.Gettid()
	other := p.NewThread(nil)
	p.SetAction(int(unix.SIGALRM), handler(int(unix.SIGALRM), 0))
	p.SetAction(int(unix.SIGUSR2), handler(int(unix.SIGUSR2), 0))
	CatchHost(p)
	// A kill is process-directed, with the sender's siginfo.
	unix.Kill(unix.Getpid(), unix.SIGALRM)
	in, err := th.TimedWait(Bit(int(unix.SIGALRM)), 5*time.Second)
	if err != nil || in.Code != SIUser || in.Pid() != unix.Getpid() {
		t.Errorf("host SIGALRM: %+v %v", in, err)
	}
	// A tgkill goes to the thread on the host thread it was sent to.
	unix.Tgkill(unix.Getpid(), th.Tid, unix.SIGUSR2)
	in, err = th.TimedWait(Bit(int(unix.SIGUSR2)), 5*time.Second)
	if err != nil || in.Code != SITKill {
		t.Errorf("host tgkill: %+v %v", in, err)
	}
	if other.Pending() != 0 {
		t.Errorf("other thread has %#x pending", other.Pending())
	}
}

// TestSafeSyscall interrupts a blocking read, and checks that a set word
// keeps the syscall from starting.
func TestSafeSyscall(t *testing.T) {
	InstallInterrupt()
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	word := new(uint32)
	var buf [1]byte
	*word = 1
	if r := SafeSyscall(word, unix.SYS_READ, uintptr(fds[0]), uintptr(unsafe.Pointer(&buf[0])), 1, 0, 0, 0); r != NotStarted {
		t.Fatalf("read with the word set: %d", r)
	}
	*word = 0
	tid := make(chan int)
	res := make(chan int64)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- unix.Gettid()
		res <- SafeSyscall(word, unix.SYS_READ, uintptr(fds[0]), uintptr(unsafe.Pointer(&buf[0])), 1, 0, 0, 0)
	}()
	id := <-tid
	for {
		select {
		case r := <-res:
			if r != -int64(unix.EINTR) && r != NotStarted {
				t.Fatalf("interrupted read: %d", r)
			}
			return
		case <-time.After(10 * time.Millisecond):
			atomic.StoreUint32(word, 1)
			InterruptThread(id)
		}
	}
}

func TestHidden(t *testing.T) {
	hide(12345)
	if !IsHidden(12345) || IsHidden(12346) {
		t.Error("registry")
	}
	Unhide(12345)
	if IsHidden(12345) {
		t.Error("Unhide")
	}
}

func TestInfoRoundTrip(t *testing.T) {
	in := KillInfo(SigRTMin, SIQueue, 77, 1000)
	in.Fields[1] = 0xabcdef
	var b [InfoSize]byte
	in.Put(b[:])
	if GetInfo(b[:]) != in {
		t.Errorf("round trip: %+v", GetInfo(b[:]))
	}
}

// TestSafeSyscallRestarted interrupts a read that the kernel is restarting
// after another handler with SA_RESTART: that is an interruption (EINTR),
// not a signal before the call.
func TestSafeSyscallRestarted(t *testing.T) {
	CatchHost(NewProcess()) // a handler with SA_RESTART for SIGUSR2
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	word := new(uint32)
	tid := make(chan int)
	res := make(chan int64)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var buf [1]byte
		tid <- unix.Gettid()
		res <- SafeSyscall(word, unix.SYS_READ, uintptr(fds[0]), uintptr(unsafe.Pointer(&buf[0])), 1, 0, 0, 0)
	}()
	id := <-tid
	// Wait until the thread sleeps in read (syscall 0).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile("/proc/self/task/" + strconv.Itoa(id) + "/syscall")
		if strings.HasPrefix(string(b), "0 ") || time.Now().After(deadline) {
			break
		}
	}
	unix.Tgkill(unix.Getpid(), id, unix.SIGUSR2)
	atomic.StoreUint32(word, 1)
	InterruptThread(id)
	if r := <-res; r != -int64(unix.EINTR) {
		t.Errorf("read = %d, want EINTR", r)
	}
}
