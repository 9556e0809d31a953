package syscall

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
)

// Adoption of CLONE_VM children. Their instructions run in this guestrun,
// which ends when the guest process it was started for exits, execs or
// dies of a signal. A native CLONE_VM child goes on then, with the memory
// it shared. So before guestrun goes, each such child is handed over to a
// guestrun of its own: its stub execs guestrun in resume mode with a
// snapshot whose memory is the same memfd (mem.Share), so that the guest
// processes still sharing it go on sharing it.

// vmChildren are the live CLONE_VM child processes this guestrun runs.
var vmChildren struct {
	mu    sync.Mutex
	procs map[*Process]struct{}
}

func addVMChild(p *Process) {
	vmChildren.mu.Lock()
	defer vmChildren.mu.Unlock()
	if vmChildren.procs == nil {
		vmChildren.procs = map[*Process]struct{}{}
	}
	vmChildren.procs[p] = struct{}{}
}

// awaitVMChild is called when a wait has taken the end of child pid: if it
// is a child run here, its interpreter may still be finishing the
// instructions it was running when the stub died (SIGKILL), while the
// parent, told by the kernel that it is gone, reuses its stack. So the
// wait returns only once the child's tasks have stopped.
func awaitVMChild(pid int, code int32) {
	if code != cldExited && code != cldKilled && code != cldDumped {
		return
	}
	var child *Process
	vmChildren.mu.Lock()
	for p := range vmChildren.procs {
		if p.Pid == pid {
			child = p
		}
	}
	vmChildren.mu.Unlock()
	if child != nil {
		// In a futex, as vmStart's waits, with a bound.
		deadline := time.Now().Add(time.Second)
		for atomic.LoadUint32(&child.endWord) == 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return
			}
			ts := unix.NsecToTimespec(left.Nanoseconds())
			unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&child.endWord)), futexWait|futexPrivate, 0,
				uintptr(unsafe.Pointer(&ts)), 0, 0)
		}
	}
}

func haveVMChildren() bool {
	vmChildren.mu.Lock()
	defer vmChildren.mu.Unlock()
	return len(vmChildren.procs) > 0
}

func removeVMChild(p *Process) {
	vmChildren.mu.Lock()
	defer vmChildren.mu.Unlock()
	if _, ok := vmChildren.procs[p]; ok {
		delete(vmChildren.procs, p)
		post(&p.endWord, 1)
	}
}

// handoffTimeout bounds how long guestrun waits for a child to be handed
// over; one that does not make it dies with guestrun.
const handoffTimeout = 5 * time.Second

// handOffChildren hands every CLONE_VM child over to a guestrun of its own
// and returns once they have gone. A child with several threads cannot be
// taken over and ends with guestrun (SIGKILL, from its stub).
func handOffChildren() {
	vmChildren.mu.Lock()
	var tasks []*Task
	for p := range vmChildren.procs {
		p.mu.Lock()
		if len(p.threads) == 1 {
			for _, t := range p.threads {
				tasks = append(tasks, t)
			}
		}
		p.mu.Unlock()
	}
	vmChildren.mu.Unlock()
	for _, t := range tasks {
		t.handoff.Store(true)
		t.interrupt()
	}
	deadline := time.After(handoffTimeout)
	for _, t := range tasks {
		select {
		case <-t.stub.Gone():
		case <-deadline:
			return
		}
	}
}

// adopt hands the task's process over to a new guestrun, between two
// instructions. It returns only if that failed; the task then goes on here.
func (t *Task) adopt() {
	t.handoff.Store(false)
	s, err := t.snapshot(&CloneArgs{}, true)
	if err != nil {
		t.P.Log.Printf(dbg.Clone, "clone: handing over CLONE_VM child %d: %v", t.P.Pid, err)
		return
	}
	defer unix.Close(s.Mem.FD)
	// The snapshot is of a running task, not of a fork's child.
	s.Regs[cpu.RAX] = t.CPU.R[cpu.RAX]
	s.ClearChildTid = t.ClearChildTID
	s.RobustList, s.RobustLen = t.RobustList, t.RobustLen
	s.VforkFD, s.ExecFlagFD = -1, -1
	sfd, err := writeSnapshot(s)
	if err != nil {
		return
	}
	defer unix.Close(sfd)
	argv := []string{launch.Argv0, "--resume=" + strconv.Itoa(sfd)}
	give := append([]int{sfd}, s.Mem.FDs()...)
	if launch.LogFD >= 0 {
		give = append(give, launch.LogFD)
	}
	// The signals pending for the process go too, written right before
	// the execve (hostExec).
	if pending := t.pendingFile(); pending >= 0 {
		defer t.dropPending()
		argv = append(argv, "--sig-pending="+strconv.Itoa(pending))
		give = append(give, pending)
	}
	unlend, err := t.lendFDs(give)
	if err != nil {
		t.P.Log.Printf(dbg.Clone, "clone: handing over child %d: %v", t.P.Pid, err)
		return
	}
	// The guest's close-on-exec fds must survive this execve, which is not
	// the guest's: the new guestrun marks them again (Resume).
	setCloexec(t, s.Cloexec, false)
	t.P.Log.Printf(dbg.Clone, "clone: handing over child %d", t.P.Pid)
	// The new guestrun has the CLONE_CHILD_CLEARTID word: this exec is
	// not the guest's, which would clear it.
	clear := t.ClearChildTID
	t.ClearChildTID = 0
	err = t.hostExec(argv, os.Environ())
	t.ClearChildTID = clear
	t.P.Log.Printf(dbg.Clone, "clone: handing over child %d: %v", t.P.Pid, err)
	setCloexec(t, s.Cloexec, true)
	unlend()
}

// setCloexec sets or clears FD_CLOEXEC on fds of t's fd table.
func setCloexec[F int | int32](t *Task, fds []F, on bool) {
	fl := uintptr(0)
	if on {
		fl = unix.FD_CLOEXEC
	}
	for _, fd := range fds {
		t.hraw(unix.SYS_FCNTL, uintptr(fd), unix.F_SETFD, fl)
	}
}

// closeStubFDs closes fds in the fd table of the task's stub.
func (t *Task) closeStubFDs(fds []int) {
	for _, fd := range fds {
		t.hraw(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	}
}
