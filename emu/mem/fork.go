package mem

import (
	"bytes"
	"encoding/binary"
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
//
// A private file mapping that cannot be written and still holds what the
// file does (a program's code and read-only data, most of what a fork
// would copy) is not copied: the child maps the file itself, privately,
// over its window (HostShared), as the kernel's fork would share the page
// cache. Mapped without PROT_WRITE, it is the host's mapping of the file
// from the start (map.go); mapped writable and then made read-only, it is
// compared with the file at the first fork and, if equal, becomes one in
// the parent too. Such a mapping is copied again only if pages of its own
// appeared (a write after an mprotect).

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
	// Shm marks an attached SysV segment, which the child attaches again
	// by its id with shmat's flags (shm.go).
	Shm           bool
	Shmid, ShmFlg int
}

// Forked is the memory of a forked child.
type Forked struct {
	FD            int // the child's memfd
	VMAs          []ForkVMA
	BrkStart, Brk uint64
	// MmapBase, StartData and EndData: the program's layout (limits.go).
	MmapBase, StartData, EndData uint64
}

// FDs are the fds the child must inherit: its memfd and the shared objects'.
func (f *Forked) FDs() []int {
	fds := []int{f.FD}
	for _, v := range f.VMAs {
		if v.HostShared && !v.Shm && !slices.Contains(fds, v.FD) {
			fds = append(fds, v.FD)
		}
	}
	return fds
}

// Fork copies the memory of m for a forked child. Other threads of the guest
// may run meanwhile: what they write during the copy may or may not reach
// the child. The caller closes f.FD once the child has it.
func (m *Mem) Fork() (*Forked, error) { return m.fork(false) }

// Share describes m for another guestrun that takes over a guest sharing
// it (a CLONE_VM child whose parent's guestrun ends): the same memfd,
// nothing copied or wiped. The caller closes f.FD, a dup of the memfd.
func (m *Mem) Share() (*Forked, error) { return m.fork(true) }

func (m *Mem) fork(share bool) (*Forked, error) {
	var fd int
	var err error
	if share {
		fd, err = unix.FcntlInt(uintptr(m.fd), unix.F_DUPFD_CLOEXEC, m.FDFloor)
	} else {
		fd, err = m.newMemfd("guestrun-mem")
	}
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.unshareAnon(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := &Forked{FD: fd, BrkStart: m.BrkStart, Brk: m.Brk, MmapBase: m.MmapBase(), StartData: m.StartData, EndData: m.EndData}
	srcs := map[*source]int{}
	pagemap := -1
	defer func() {
		if pagemap >= 0 {
			unix.Close(pagemap)
		}
	}()
	for i := range m.vmas {
		v := &m.vmas[i]
		if v.DontFork && !share {
			continue
		}
		fv := ForkVMA{Start: v.Start, End: v.End, Prot: v.Prot, Flags: v.Flags, Offset: v.Offset, Name: v.Name,
			Dev: v.Dev, Inode: v.Inode, HostShared: v.HostShared, WipeOnFork: v.WipeOnFork && !share, FD: -1}
		if s := v.src; s != nil {
			if srcs[s] == 0 {
				srcs[s] = len(srcs) + 1
			}
			fv.Src = srcs[s]
			fv.SrcOff, fv.SrcSize = s.off, s.size
		}
		switch {
		case forkShm(v, &fv):
		case v.HostShared && (v.Flags&unix.MAP_TYPE == unix.MAP_SHARED || !m.ownPages(v, &pagemap)) &&
			(v.src.held || v.Flags&unix.MAP_TYPE == unix.MAP_PRIVATE && v.Inode != 0 && m.holdPath(v.src, v)):
			// A private file mapping holds an fd of its file from its
			// first fork on.
			fv.FD, fv.Reopen = v.src.fd, v.src.opath
		case m.asFile(v):
			fv.HostShared = true
			fv.FD, fv.Reopen = v.src.fd, v.src.opath
			m.mapFile(v)
		case v.HostShared:
			// No fd of the object was kept (no fd was free), or the
			// private mapping has pages of its own: the child gets a
			// copy, in its own memfd from then on.
			fv.HostShared = false
			if effectiveProt(v.Prot)&unix.PROT_READ != 0 {
				err = pwriteAll(fd, m.hostBytes(v.Start, v.End), v.Start)
			}
		case share:
			// The data is in the memfd already.
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

// asFile reports whether the child can map v's file itself rather than a
// copy of v: a private file mapping, readable and not writable, whose
// contents are the file's (checked: the loader or a write before an
// mprotect may have changed them). It holds an fd of the file in v's source
// for the child.
func (m *Mem) asFile(v *VMA) bool {
	s := v.src
	if s == nil || v.Inode == 0 || v.Flags&(unix.MAP_TYPE|unix.MAP_ANONYMOUS) != unix.MAP_PRIVATE ||
		v.Prot&unix.PROT_WRITE != 0 || effectiveProt(v.Prot)&unix.PROT_READ == 0 {
		return false
	}
	if s.view == nil && s.path != "" {
		s.openView()
	}
	if s.view == nil || v.Offset < s.off || v.Offset+v.Len() > s.off+s.size {
		return false
	}
	if !s.held && !m.holdPath(s, v) {
		return false
	}
	// The view faults past the end of the file.
	var st unix.Stat_t
	if unix.Fstat(s.fd, &st) != nil || st.Dev != v.Dev || st.Ino != v.Inode || v.Offset+v.Len() > pageUp(uint64(st.Size)) {
		return false
	}
	view := unsafe.Slice((*byte)(unsafe.Add(s.view, v.Offset-s.off)), v.Len())
	return bytes.Equal(view, m.hostBytes(v.Start, v.End))
}

// mapFile makes v, which asFile accepted, the host's private mapping of its
// file here too, as in the child: the next forks need not compare it again,
// and its copy in the memfd goes. If that fails v stays as it is.
func (m *Mem) mapFile(v *VMA) {
	f, err := reopen(v.src.fd, v.Prot)
	if err != nil {
		return
	}
	defer unix.Close(f)
	if _, err := unix.MmapPtr(f, int64(v.Offset), unsafe.Add(m.base, v.Start), uintptr(v.Len()), hostProt(v.Prot),
		unix.MAP_PRIVATE|unix.MAP_FIXED); err != nil {
		return
	}
	v.HostShared = true
	m.punch(v.Start, v.End)
}

// holdPath keeps an O_PATH fd of v's file in s, found by its path and
// checked to be the same file, as holdFile does.
func (m *Mem) holdPath(s *source, v *VMA) bool {
	p, err := unix.Open(v.Name, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	var st unix.Stat_t
	if unix.Fstat(p, &st) != nil || st.Dev != v.Dev || st.Ino != v.Inode {
		unix.Close(p)
		return false
	}
	h, err := unix.FcntlInt(uintptr(p), unix.F_DUPFD_CLOEXEC, m.FDFloor)
	unix.Close(p)
	if err != nil {
		return false
	}
	s.fd, s.held, s.opath = h, true, true
	m.addHeld(h)
	return true
}

// ownPages reports whether v, a private mapping of a host object, has pages
// of its own, written since it was mapped, which a child mapping the object
// would lack. pagemap is /proc/self/pagemap, opened on first use.
func (m *Mem) ownPages(v *VMA, pagemap *int) bool {
	if *pagemap < 0 {
		fd, err := unix.Open("/proc/self/pagemap", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return true
		}
		*pagemap = fd
	}
	const (
		present = 1 << 63
		swapped = 1 << 62
		file    = 1 << 61 // a page of the object, or shared anonymous
	)
	first := (uintptr(m.base) + uintptr(v.Start)) / PageSize
	var buf [512 * 8]byte
	for n := v.Len() / PageSize; n > 0; {
		k := min(n, uint64(len(buf)/8))
		b := buf[:k*8]
		if c, err := unix.Pread(*pagemap, b, int64(first*8)); err != nil || c != len(b) {
			return true
		}
		for i := 0; i < len(b); i += 8 {
			e := binary.LittleEndian.Uint64(b[i:])
			if e&swapped != 0 || e&present != 0 && e&file == 0 {
				return true
			}
		}
		n -= k
		first += uintptr(k)
	}
	return false
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
// gave its parent; the fds of f are inherited and now the Mem's. On error
// they are closed.
func Restore(f *Forked, fdFloor int) (*Mem, error) {
	m, err := Attach(f.FD)
	if err != nil {
		closeFDs(f.FDs(), nil)
		return nil, err
	}
	m.FDFloor = fdFloor
	m.BrkStart, m.Brk = f.BrkStart, f.Brk
	m.SetMmapBase(f.MmapBase)
	m.StartData, m.EndData = f.StartData, f.EndData
	srcs := map[int]*source{}
	for _, fv := range f.VMAs {
		v := VMA{Start: fv.Start, End: fv.End, Prot: fv.Prot, Flags: fv.Flags, Offset: fv.Offset, Name: fv.Name,
			Dev: fv.Dev, Inode: fv.Inode, HostShared: fv.HostShared, WipeOnFork: fv.WipeOnFork}
		if fv.Src != 0 {
			s := srcs[fv.Src]
			if s == nil {
				s = &source{off: fv.SrcOff, size: fv.SrcSize}
				srcs[fv.Src] = s
			}
			// The VMAs of one private file mapping may be some mapped
			// from the file, some copies.
			if fv.HostShared && !fv.Shm && !s.held {
				s.fd, s.held, s.opath = fv.FD, true, fv.Reopen
				unix.FcntlInt(uintptr(fv.FD), unix.F_SETFD, unix.FD_CLOEXEC)
				m.addHeld(fv.FD)
			}
			if fv.Inode != 0 && fv.Flags&unix.MAP_TYPE == unix.MAP_PRIVATE && fv.Flags&unix.MAP_ANONYMOUS == 0 {
				s.path, s.dev, s.ino = fv.Name, fv.Dev, fv.Inode
			}
			v.src = s
		}
		p := unsafe.Add(m.base, v.Start)
		switch {
		case fv.Shm:
			err = restoreShm(&fv, v.src, p)
		case v.HostShared:
			err = mapObject(fv, p)
		default:
			err = unix.Mprotect(m.hostBytes(v.Start, v.End), hostProt(v.Prot))
		}
		retain(&v)
		m.vmas = append(m.vmas, v)
		if err != nil {
			// Those not taken yet first: Close closes the others.
			closeFDs(f.FDs(), append(m.Held(), f.FD))
			m.Close()
			return nil, err
		}
	}
	return m, nil
}

// closeFDs closes the fds of fds that are not in except.
func closeFDs(fds, except []int) {
	for _, fd := range fds {
		if !slices.Contains(except, fd) {
			unix.Close(fd)
		}
	}
}

// ForkHere is Fork for a child that this process runs (a forked guest
// interpreted here, like a CLONE_VM child, until it is handed over): the
// child's memory is a second window. Each Mem closes the fds it holds, so
// the child's are dups.
func (m *Mem) ForkHere() (*Mem, error) {
	f, err := m.Fork()
	if err != nil {
		return nil, err
	}
	dups := map[int]int{}
	for _, fd := range f.FDs()[1:] {
		d, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, m.FDFloor)
		if err != nil {
			unix.Close(f.FD)
			for _, d := range dups {
				unix.Close(d)
			}
			return nil, err
		}
		dups[fd] = d
	}
	for i := range f.VMAs {
		if fv := &f.VMAs[i]; fv.HostShared && !fv.Shm {
			fv.FD = dups[fv.FD]
		}
	}
	return Restore(f, m.FDFloor)
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
