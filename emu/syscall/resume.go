package syscall

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// Snapshot is a forked guest as its new guestrun process receives it.
type Snapshot struct {
	s *snapshot
}

// Launch is how the parent guestrun was started.
func (sn *Snapshot) Launch() Launch { return sn.s.Launch }

// Resume rebuilds the forked guest in this process: its memory, its process
// image and its one thread, which returns 0 from the fork when run. It must
// be called on the OS thread the task will run on.
func (sn *Snapshot) Resume(log *dbg.Log) (*Task, error) {
	s := sn.s
	SetGuestLimits(s.Limits)
	for _, fd := range append(s.Cloexec, int32(s.Launch.LogFD), int32(s.VforkFD)) {
		if fd >= 0 {
			unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
		}
	}
	for _, fd := range []int{s.Launch.LogFD, s.VforkFD} {
		if fd >= 0 {
			addReserved(fd)
		}
	}
	if s.ExecFlagFD >= 0 {
		if p, err := unix.MmapPtr(s.ExecFlagFD, 0, nil, mem.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED); err == nil {
			execFlag = (*uint32)(p)
		}
		unix.Close(s.ExecFlagFD)
	}
	unix.FcntlInt(uintptr(s.Mem.FD), unix.F_SETFD, unix.FD_CLOEXEC)
	m, err := mem.Restore(&s.Mem, reservedFloor())
	if err != nil {
		return nil, fmt.Errorf("rebuilding the guest memory: %v", err)
	}
	img := s.Image
	p := NewProcess(m, &img, log)
	t := p.NewMainTask()
	c := t.CPU
	c.R = s.Regs
	c.RIP = s.RIP
	c.SetFlags(s.Flags)
	c.FSBase, c.GSBase = s.FSBase, s.GSBase
	c.FXRestore(&s.FX)
	comm := append([]byte(s.Comm), 0)
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&comm[0])), 0, 0, 0)
	for sig := 1; sig < signal.NSig; sig++ {
		if !signal.Unblockable.Has(sig) {
			p.Sig.SetAction(sig, &s.Actions[sig-1])
		}
	}
	t.Sig.SetBlocked(s.Mask)
	t.Sig.Alt = s.Alt
	t.ClearChildTID = s.ClearChildTid
	t.RobustList, t.RobustLen = s.RobustList, s.RobustLen
	if s.ChildSetTid != 0 {
		t.writeU32(s.ChildSetTid, uint32(t.Tid))
	}
	return t, nil
}
