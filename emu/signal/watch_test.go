package signal

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestWatch follows a set through arrivals, dequeues, a mask change, a
// flush by SIG_IGN and a thread's exit.
func TestWatch(t *testing.T) {
	p := NewProcess()
	th := p.NewThread(nil)
	other := th.NewSibling(nil, 0, false)
	th.SetBlocked(^Set(0))
	other.SetBlocked(^Set(0))
	var events []bool
	usr1, usr2 := int(unix.SIGUSR1), int(unix.SIGUSR2)
	w := p.AddWatch(7, Bit(usr1)|Unblockable, func(ready bool) { events = append(events, ready) })
	if !p.Watching() || p.FindWatch(7) != w || p.FindWatch(8) != nil || w.Mask() != Bit(usr1) {
		t.Fatalf("watch not found, or mask %#x", w.Mask())
	}
	check := func(what string, want ...bool) {
		t.Helper()
		if len(events) != len(want) {
			t.Fatalf("%s: events %v, want %v", what, events, want)
		}
		for i := range want {
			if events[i] != want[i] {
				t.Fatalf("%s: events %v, want %v", what, events, want)
			}
		}
		events = nil
	}
	p.Send(nil, KillInfo(usr2, SIUser, 1, 0))
	check("other signal")
	p.Send(nil, KillInfo(usr1, SIUser, 1, 0))
	p.Send(th, KillInfo(usr1, SITKill, 1, 0))
	check("two arrivals", true, true)
	if _, ok := th.TakeSet(Bit(usr1)); !ok {
		t.Fatal("TakeSet found nothing")
	}
	check("one of two taken")
	if in, ok := other.TakeSet(Bit(usr1)); !ok || in.Code != SIUser {
		t.Fatalf("the process's signal: %+v %v", in, ok)
	}
	check("both taken", false)
	if _, ok := other.TakeSet(Bit(usr1)); ok {
		t.Fatal("TakeSet of nothing")
	}

	// USR2 is still pending: a mask that takes it in is ready at once.
	w.SetMask(Bit(usr1) | Bit(usr2))
	check("mask change", true)
	w.SetMask(Bit(usr1))
	check("mask narrowed", false)
	w.SetMask(Bit(usr1) | Bit(usr2))
	check("mask widened", true)
	p.SetAction(usr2, &Action{Handler: IGN})
	check("ignored", false)

	// A signal for a thread that exits goes with it.
	p.Send(other, KillInfo(usr1, SITKill, 1, 0))
	check("thread signal", true)
	other.Exit()
	check("thread exit", false)

	w.Remove()
	if p.Watching() || len(p.Watches()) != 0 {
		t.Fatal("watch not removed")
	}
	p.Send(nil, KillInfo(usr1, SIUser, 1, 0))
	check("after remove")
}

// TestChained sends the signals shared with the Go runtime the ways the
// guest and the runtime do: a kill is the guest's, with its sender, while
// the runtime's preemption tgkill and a real fault stay the runtime's.
func TestChained(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := NewProcess()
	th := p.NewThread(nil)
	th.Tid = unix.Gettid()
	th.SetBlocked(^Set(0))
	CatchHost(p)
	for _, sig := range []unix.Signal{unix.SIGURG, unix.SIGPROF, unix.SIGSEGV, unix.SIGBUS} {
		unix.Kill(unix.Getpid(), sig)
		in, err := th.TimedWait(Bit(int(sig)), 5*time.Second)
		if err != nil || in.Code != SIUser || in.Pid() != unix.Getpid() {
			t.Errorf("kill %v: %+v %v", sig, in, err)
		}
	}
	unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGURG)
	if _, err := th.TimedWait(Bit(int(unix.SIGURG)), 50*time.Millisecond); err != unix.EAGAIN {
		t.Errorf("the runtime's SIGURG reached the guest: %v", err)
	}
	// A fault in Go code is still the runtime's to recover.
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic for a fault")
			}
		}()
		b, _ := unix.Mmap(-1, 0, 4096, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		defer unix.Munmap(b)
		faultSink = *(*byte)(unsafe.Pointer(&b[0]))
	}()
	if th.Pending().Has(int(unix.SIGSEGV)) {
		t.Error("a Go fault reached the guest")
	}
}

var faultSink byte

// TestTimerStandIn routes a stand-in timer signal and ITIMER_PROF's.
func TestTimerStandIn(t *testing.T) {
	if HostTimerSignal(int(unix.SIGPROF)) != standIn || HostTimerSignal(int(unix.SIGUSR1)) != int(unix.SIGUSR1) ||
		HostTimerSignal(int(unix.SIGKILL)) != int(unix.SIGKILL) {
		t.Fatal("HostTimerSignal")
	}
	p := NewProcess()
	th := p.NewThread(nil)
	th.SetBlocked(^Set(0))
	p.SetTimer(3, 0, int(unix.SIGPROF))
	id, err := p.ProfTimer(func() (int32, error) { return 4, nil })
	if err != nil || id != 4 || !p.IsProfTimer(4) || p.IsProfTimer(3) {
		t.Fatalf("ProfTimer %d %v", id, err)
	}
	if id, ok := p.HasProfTimer(); !ok || id != 4 {
		t.Fatal("HasProfTimer")
	}
	timer := func(id int32, value uint64) Info {
		in := Info{Signo: standIn, Code: SITimer}
		in.Fields[0] = uint64(id)
		in.Fields[1] = value
		return in
	}
	p.fromHost(timer(3, 9), 0)
	in, ok := th.TakeSet(Bit(int(unix.SIGPROF)))
	if !ok || in.Code != SITimer || in.Value() != 9 {
		t.Errorf("timer's SIGPROF: %+v", in)
	}
	p.fromHost(timer(4, 0), 0)
	in, ok = th.TakeSet(Bit(int(unix.SIGPROF)))
	if !ok || in.Code != SIKernel || in.Fields[0] != 0 {
		t.Errorf("ITIMER_PROF's SIGPROF: %+v", in)
	}
	p.fromHost(timer(5, 0), 0)
	if p := th.Pending(); p != 0 {
		t.Errorf("a deleted timer's stand-in reached the guest: %#x", p)
	}
}
