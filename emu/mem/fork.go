package mem

import (
	"slices"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Fork support. A forked guest is a new guestrun process with a memfd of its
// own: its private memory is copied into it, allocated pages only, so that
// the cost follows the memory the guest uses. Shared memory stays shared:
// each shared object is mapped by both processes from an fd the child
// inherits. Shared anonymous memory still in the window's memfd is first
// moved to a memfd of its own (in the parent too), since the window's memfd
// is one process's: its pages at an address are reused by the next mapping
// there.

// ForkVMA is one mapping of a forked child.
type ForkVMA struct {
	Start, End             uint64
	Prot, Flags            int
	Offset                 uint64
	Name                   string
	Dev, Inode             uint64
	HostShared, WipeOnFork bool
	// Src numbers the mmap call the VMA comes from, from 1, so that the
	// child knows which VMAs may merge; 0 for private anonymous memory.
	Src int
	// FD is the inherited fd a host-shared VMA is mapped from; with
	// Reopen an O_PATH fd of its file, to open again.
	FD     int
	Reopen bool
	// SrcOff and SrcSize are the file range of a private file mapping's
	// view.
	SrcOff, SrcSize uint64
}

// Forked is the memory of a forked child.
type Forked struct {
	FD            int // the child's memfd
	VMAs          []ForkVMA
	BrkStart, Brk uint64
}

// FDs are the fds the child must inherit: its memfd and the shared objects'.
func (f *Forked) FDs() []int {
	fds := []int{f.FD}
	for _, v := range f.VMAs {
		if v.HostShared && !slices.Contains(fds, v.FD) {
			fds = append(fds, v.FD)
		}
	}
	return fds
}

// Fork copies the memory of m for a forked child. Other threads of the guest
// may run meanwhile: what they write during the copy may or may not reach
// the child. The caller closes f.FD once the child has it.
func (m *Mem) Fork() (*Forked, error) {
	fd, err := m.newMemfd("guestrun-mem")
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.unshareAnon(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := &Forked{FD: fd, BrkStart: m.BrkStart, Brk: m.Brk}
	srcs := map[*source]int{}
	for i := range m.vmas {
		v := &m.vmas[i]
		if v.DontFork {
			continue
		}
		fv := ForkVMA{Start: v.Start, End: v.End, Prot: v.Prot, Flags: v.Flags, Offset: v.Offset, Name: v.Name,
			Dev: v.Dev, Inode: v.Inode, HostShared: v.HostShared, WipeOnFork: v.WipeOnFork, FD: -1}
		if s := v.src; s != nil {
			if srcs[s] == 0 {
				srcs[s] = len(srcs) + 1
			}
			fv.Src = srcs[s]
			fv.SrcOff, fv.SrcSize = s.off, s.size
		}
		switch {
		case v.HostShared && v.src.held:
			fv.FD, fv.Reopen = v.src.fd, v.src.opath
		case v.HostShared:
			// No fd of the object was kept (no fd was free): the child
			// gets a copy, shared in its own memfd from then on.
			fv.HostShared = false
			if effectiveProt(v.Prot)&unix.PROT_READ != 0 {
				err = pwriteAll(fd, m.hostBytes(v.Start, v.End), v.Start)
			}
		case !v.WipeOnFork:
			err = copyData(m.fd, fd, v.Start, v.Start, v.Len())
		}
		if err != nil {
			unix.Close(fd)
			return nil, err
		}
		f.VMAs = append(f.VMAs, fv)
	}
	return f, nil
}

// unshareAnon moves shared anonymous memory out of the window's memfd, each
// mmap call's to a memfd of its own, at offset = guest address, which the
// range then maps as a host-shared VMA.
func (m *Mem) unshareAnon() error {
	for i := range m.vmas {
		v := &m.vmas[i]
		if v.HostShared || v.Flags&unix.MAP_TYPE != unix.MAP_SHARED {
			continue
		}
		s := v.src
		if !s.held {
			fd, err := m.newMemfd("guestrun-shm")
			if err != nil {
				return err
			}
			s.fd, s.held = fd, true
			m.addHeld(fd)
		}
		fd := s.fd
		if err := copyData(m.fd, fd, v.Start, v.Start, v.Len()); err != nil {
			return err
		}
		if _, err := unix.MmapPtr(fd, int64(v.Start), unsafe.Add(m.base, v.Start), uintptr(v.Len()),
			hostProt(v.Prot), unix.MAP_SHARED|unix.MAP_FIXED); err != nil {
			return err
		}
		m.punch(v.Start, v.End)
		v.HostShared = true
		v.Offset = v.Start
	}
	return nil
}

// newMemfd makes a memfd the size of the window, at FDFloor or above.
func (m *Mem) newMemfd(name string) (int, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return -1, err
	}
	if err := unix.Ftruncate(fd, WindowSize); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if m.FDFloor > 0 {
		if h, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, m.FDFloor); err == nil {
			unix.Close(fd)
			fd = h
		}
	}
	return fd, nil
}

func pwriteAll(fd int, b []byte, off uint64) error {
	for len(b) > 0 {
		n, err := unix.Pwrite(fd, b, int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b, off = b[n:], off+uint64(n)
	}
	return nil
}

// Restore rebuilds a forked child's memory in this process from what Fork
// gave its parent; the fds of f are inherited and now the Mem's.
func Restore(f *Forked, fdFloor int) (*Mem, error) {
	m, err := Attach(f.FD)
	if err != nil {
		return nil, err
	}
	m.FDFloor = fdFloor
	m.BrkStart, m.Brk = f.BrkStart, f.Brk
	srcs := map[int]*source{}
	for _, fv := range f.VMAs {
		v := VMA{Start: fv.Start, End: fv.End, Prot: fv.Prot, Flags: fv.Flags, Offset: fv.Offset, Name: fv.Name,
			Dev: fv.Dev, Inode: fv.Inode, HostShared: fv.HostShared, WipeOnFork: fv.WipeOnFork}
		if fv.Src != 0 {
			s := srcs[fv.Src]
			if s == nil {
				s = &source{off: fv.SrcOff, size: fv.SrcSize}
				switch {
				case fv.HostShared:
					s.fd, s.held, s.opath = fv.FD, true, fv.Reopen
					unix.FcntlInt(uintptr(fv.FD), unix.F_SETFD, unix.FD_CLOEXEC)
					m.addHeld(fv.FD)
				case fv.Inode != 0 && fv.Flags&unix.MAP_TYPE == unix.MAP_PRIVATE && fv.Flags&unix.MAP_ANONYMOUS == 0:
					s.path, s.dev, s.ino = fv.Name, fv.Dev, fv.Inode
				}
				srcs[fv.Src] = s
			}
			v.src = s
		}
		p := unsafe.Add(m.base, v.Start)
		if v.HostShared {
			err = mapObject(fv, p)
		} else {
			err = unix.Mprotect(m.hostBytes(v.Start, v.End), hostProt(v.Prot))
		}
		if err != nil {
			m.Close()
			return nil, err
		}
		retain(&v)
		m.vmas = append(m.vmas, v)
	}
	return m, nil
}

// mapObject maps a host-shared VMA of a forked child from its object's fd.
func mapObject(fv ForkVMA, p unsafe.Pointer) error {
	fd := fv.FD
	if fv.Reopen {
		f, err := reopen(fd, fv.Prot)
		if err != nil {
			return err
		}
		defer unix.Close(f)
		fd = f
	}
	_, err := unix.MmapPtr(fd, int64(fv.Offset), p, uintptr(fv.End-fv.Start), hostProt(fv.Prot), fv.Flags&unix.MAP_TYPE|unix.MAP_FIXED)
	return err
}

// holdFile keeps an O_PATH fd of the file that fd, a guest's fd, names, at
// FDFloor or above, for a forked child to open again. O_PATH, because
// closing it at the last unmap must not release the guest's POSIX locks on
// the file, which closing any other fd of it does. Without a free fd, s
// holds nothing.
func (m *Mem) holdFile(s *source, fd int) {
	p, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	h, err := unix.FcntlInt(uintptr(p), unix.F_DUPFD_CLOEXEC, m.FDFloor)
	unix.Close(p)
	if err != nil {
		return
	}
	s.fd, s.held, s.opath = h, true, true
	m.addHeld(h)
}

// reopen opens the file behind an O_PATH fd for a mapping with prot.
func reopen(fd, prot int) (int, error) {
	path := "/proc/self/fd/" + strconv.Itoa(fd)
	if prot&unix.PROT_WRITE == 0 {
		if f, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
			return f, nil
		}
	}
	// Read-write if the file allows it, so that a later mprotect may
	// add PROT_WRITE as for the parent.
	if f, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0); err == nil {
		return f, nil
	}
	return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
}

func (m *Mem) addHeld(fd int) {
	var s []int
	if old := m.held.Load(); old != nil {
		s = slices.Clone(*old)
	}
	s = append(s, fd)
	m.held.Store(&s)
}

func (m *Mem) unhold(fd int) {
	if old := m.held.Load(); old != nil {
		s := slices.DeleteFunc(slices.Clone(*old), func(h int) bool { return h == fd })
		m.held.Store(&s)
	}
}

// Holds reports whether fd is one the Mem keeps open, which the guest must
// not see.
func (m *Mem) Holds(fd int) bool {
	if s := m.held.Load(); s != nil {
		return slices.Contains(*s, fd)
	}
	return false
}

// Held returns the fds the Mem keeps open.
func (m *Mem) Held() []int {
	if s := m.held.Load(); s != nil {
		return slices.Clone(*s)
	}
	return nil
}
