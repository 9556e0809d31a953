package syscall

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/mem"
)

// fork run here. A forked child starts in its parent's guestrun, run like a
// CLONE_VM child (clonevm.go): a stub process made with the guest's flags is
// its kernel task (its pid, parent, exit signal, fd table, cwd), and a
// goroutine here interprets it, in a copy of the memory mapped as a second
// window (mem.ForkHere). Starting a guestrun process costs more than the
// whole fork (about 1.5 ms of Go runtime start and fd setup against
// 0.5 ms), and most forked children exec or exit at once: the exec is the
// stub's, as for a vfork child.
//
// The child is handed over to a guestrun of its own (adopt.go), the
// re-exec'd fork of DESIGN.md, once it has run for forkHandoffAfter, when
// its parent's guestrun ends, and before it does what one guestrun cannot
// do for two processes: make a thread (a process with several threads
// cannot be handed over) or change an emulated resource limit (they are
// guestrun's). So a child that lives on is not tied to its parent's
// guestrun for long. A stub shares guestrun's host address space, which
// makes CLONE_FILES without CLONE_VM possible too: the stub shares the
// caller's fd table; a re-exec'd guestrun cannot (execve unshares it).

// addrSpace is a guest address space of this guestrun: its own process's,
// or a forked child's copy, which is unmapped when the last task using it
// ends.
type addrSpace struct {
	forked *mem.Mem // the copy, nil for guestrun's own
	users  atomic.Int32
}

// leave is called when a task of a child run here has ended. The last
// one unmaps a fork's memory, in the background unless SysV segments are
// attached (their detach is seen): a wait for the child need not wait for
// that, and its fds stay hidden until they are closed.
func (s *addrSpace) leave() {
	if s.users.Add(-1) != 0 || s.forked == nil {
		return
	}
	free := func() {
		spaceFree.Lock()
		s.forked.Close()
		dropSpaceMem(s.forked)
		spaceFree.Unlock()
		forkedHere.Add(-1)
	}
	if s.forked.HasShm() {
		free()
	} else {
		go free()
	}
}

// spaceMems are the memories of this guestrun's address spaces once it has
// forked a child here, whose fds are guestrun's own (fdreserve.go).
// spaceFree is held to write while a fork's memory goes, in the
// background, and to read where its fds must be all open and known or all
// gone: when a stub is made (its fd table starts as a copy of guestrun's)
// and when the guest lists its fds.
var (
	spaceMemsMu sync.Mutex
	spaceMems   atomic.Pointer[[]*mem.Mem]
	spaceFree   sync.RWMutex
)

func addSpaceMem(m *mem.Mem) {
	spaceMemsMu.Lock()
	defer spaceMemsMu.Unlock()
	var ms []*mem.Mem
	if old := spaceMems.Load(); old != nil {
		if slices.Contains(*old, m) {
			return
		}
		ms = slices.Clone(*old)
	}
	ms = append(ms, m)
	spaceMems.Store(&ms)
}

// spaceFDs lists the fds of the memories of this guestrun's address spaces.
func spaceFDs() []int {
	var fds []int
	if ms := spaceMems.Load(); ms != nil {
		for _, m := range *ms {
			fds = append(append(fds, m.FD()), m.Held()...)
		}
	}
	return fds
}

func dropSpaceMem(m *mem.Mem) {
	spaceMemsMu.Lock()
	defer spaceMemsMu.Unlock()
	if old := spaceMems.Load(); old != nil {
		ms := slices.DeleteFunc(slices.Clone(*old), func(x *mem.Mem) bool { return x == m })
		spaceMems.Store(&ms)
	}
}

const (
	// maxForkedHere bounds the forked children run here at once: each
	// window takes 4 TiB of the 128 TiB address space.
	maxForkedHere = 8
	// forkHandoffAfter is how long a forked child runs here at most,
	// unless it is in a syscall then.
	forkHandoffAfter = 20 * time.Millisecond
)

// forkedHere counts the forked children's windows mapped here.
var forkedHere atomic.Int32

// forkHere forks t's process into a child run here. It reports false,
// having done nothing, when the child must be a guestrun of its own.
func (t *Task) forkHere(a *CloneArgs) (int64, bool) {
	// A guestrun's execve would make another exit signal SIGCHLD: such a
	// child is re-exec'd at once (fork.go handles that), unless it shares
	// the fd table, which only a child run here can.
	if t.P.Debugger != nil || a.otherExitSignal() && a.Flags&cloneFiles == 0 {
		return 0, false
	}
	if forkedHere.Add(1) > maxForkedHere {
		forkedHere.Add(-1)
		return 0, false
	}
	if e := t.checkChildArgs(a); e != 0 {
		forkedHere.Add(-1)
		return e, true
	}
	m, err := t.P.Mem.ForkHere()
	if err != nil {
		forkedHere.Add(-1)
		t.P.Log.Printf(dbg.Clone, "clone: fork here: %v", err)
		return 0, false
	}
	addSpaceMem(t.P.Mem)
	addSpaceMem(m)
	p := t.P
	fl := a.Flags
	img := *p.Image
	child := &Process{Mem: m, Code: cpu.NewCodeCache(m), Log: p.Log, Image: &img, Strace: p.Strace,
		threads: map[int]*Task{}, sharedFiles: fl&cloneFiles != 0 && p.sharedFiles, space: &addrSpace{forked: m},
		forked: true}
	child.Sig = p.Sig.Child(0, false, fl&cloneClearSighand != 0)
	return t.startChild(a, child, t.CPU.CloneInto(m, child.Code)), true
}

// otherExitSignal reports whether the child's exit signal is not SIGCHLD,
// which only a fresh execve of the child makes SIGCHLD (CLONE_PARENT takes
// the parent's own).
func (a *CloneArgs) otherExitSignal() bool {
	return a.ExitSignal != uint64(unix.SIGCHLD) && a.Flags&cloneParent == 0
}

// handOffLater has the forked child's task handed over after
// forkHandoffAfter, at its next instruction boundary outside a syscall.
func (t *Task) handOffLater() {
	t.handoffTimer = time.AfterFunc(forkHandoffAfter, func() {
		p := t.P
		p.mu.Lock()
		one := p.live == 1
		p.mu.Unlock()
		if one {
			t.handoff.Store(true)
			t.CPU.Interrupt()
		}
	})
}

// moveOut hands a forked child run here over to a guestrun of its own
// before the syscall being made, which that guestrun then makes again. It
// returns if the child is not one, or if that failed.
func (t *Task) moveOut() {
	p := t.P
	if !p.forked || p.pinned || p.space.users.Load() != 1 {
		return
	}
	c := t.CPU
	rip := c.RIP
	c.RIP -= syscallLen
	t.adopt()
	c.RIP = rip
}

// importFD opens, among guestrun's fds, the file that fd is in the fd
// table of t's stub, for a host call that guestrun itself must make (mmap
// maps into guestrun's memory). The caller closes it.
func (t *Task) importFD(fd int) (int, int64) {
	fl := t.hraw(unix.SYS_FCNTL, uintptr(fd), unix.F_GETFL, 0)
	if fl < 0 {
		return -1, fl
	}
	h, err := unix.Open("/proc/"+strconv.Itoa(t.stub.Pid)+"/fd/"+strconv.Itoa(fd), int(fl)&unix.O_ACCMODE|unix.O_CLOEXEC, 0)
	if err != nil {
		// Not a file that can be opened again: a pipe or a socket,
		// which mmap refuses anyway.
		return -1, -int64(unix.ENODEV)
	}
	return h, 0
}
