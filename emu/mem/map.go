package mem

import (
	"os"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Backing of the mappings:
//   - anonymous memory, private or shared, lives in the memfd at offset =
//     guest address; a hole in the memfd reads as zeros;
//   - a private file mapping that may be written is a copy of the file in
//     the memfd, with a view of the file kept to read pages again (see
//     source);
//   - a private file mapping that may not be written (a program's code and
//     read-only data) is the host's own private mapping of the file placed
//     over the window (HostShared): nothing is copied, and a page the guest
//     writes after an mprotect becomes the host's copy-on-write page;
//   - a shared file mapping, or any mapping of a device other than
//     /dev/zero, is the host's own mapping of the file placed over the
//     window (HostShared), so that writes reach the file.
// Memfd pages not under a memfd-backed VMA are holes: unmapping punches them.

const (
	protMask = unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC
	protSem  = 0x8 // PROT_SEM: accepted and ignored, as on x86

	mapDroppable = 0x08 // MAP_DROPPABLE, a private anonymous type since Linux 6.11
	mapSync      = 0x80000

	// legacyMask is the kernel's LEGACY_MAP_MASK: the flags that
	// MAP_SHARED_VALIDATE accepts for any file.
	legacyMask = unix.MAP_SHARED | unix.MAP_PRIVATE | unix.MAP_FIXED | unix.MAP_ANONYMOUS |
		unix.MAP_DENYWRITE | unix.MAP_EXECUTABLE | 0x4000000 /* MAP_UNINITIALIZED */ |
		unix.MAP_GROWSDOWN | unix.MAP_LOCKED | unix.MAP_NORESERVE | unix.MAP_POPULATE |
		unix.MAP_NONBLOCK | unix.MAP_STACK | unix.MAP_HUGETLB | unix.MAP_32BIT |
		0x80 /* MAP_ABOVE4G */ | 21<<26 /* MAP_HUGE_2MB */ | 30<<26 /* MAP_HUGE_1GB */

	devZero = 1<<8 | 5 // makedev(1, 5)
)

func pageUp(a uint64) uint64 { return (a + PageSize - 1) &^ (PageSize - 1) }

// Map implements mmap(2) inside the window, with Linux's rules and errors.
// fd is ignored for MAP_ANONYMOUS. name labels an anonymous mapping
// ([stack]); a file mapping shows the file's path, name if set (the loader,
// which maps one file several times, looks the path up once).
func (m *Mem) Map(addr, length uint64, prot, flags, fd int, off uint64, name string) (uint64, error) {
	if off%PageSize != 0 {
		return 0, ErrInval
	}
	var st unix.Stat_t
	anon := flags&unix.MAP_ANONYMOUS != 0
	if !anon {
		if fd < 0 || unix.Fstat(fd, &st) != nil {
			return 0, unix.EBADF
		}
		if flags&unix.MAP_HUGETLB != 0 {
			return 0, ErrInval
		}
	} else if flags&unix.MAP_HUGETLB != 0 {
		// The kernel's pool of huge pages is empty unless configured.
		return 0, ErrNoMem
	}
	if length == 0 {
		return 0, ErrInval
	}
	if length > TaskSize {
		return 0, ErrNoMem
	}
	length = pageUp(length)
	if flags&unix.MAP_FIXED_NOREPLACE != 0 {
		flags |= unix.MAP_FIXED
	}
	prot &= protMask

	m.mu.Lock()
	addr, err := m.place(addr, length, flags)
	// The loader's [stack] is exempt: Linux starts a program with a small
	// stack that grows within RLIMIT_STACK.
	if err == nil && name != "[stack]" && !m.mayExpand(length-m.mappedIn(addr, addr+length), isData(prot, flags)) {
		err = ErrNoMem
	}
	if err != nil {
		m.mu.Unlock()
		return 0, err
	}
	v := VMA{Start: addr, End: addr + length, Prot: prot, Offset: off}
	var probe unsafe.Pointer
	if anon {
		err = m.anonVMA(&v, flags, name)
	} else {
		probe, err = m.fileVMA(&v, flags, fd, &st, name)
	}
	if err != nil {
		m.mu.Unlock()
		return 0, err
	}
	err = m.unmapLocked(v.Start, v.End)
	if err == nil {
		err = m.install(&v, probe)
	}
	if err != nil {
		if probe != nil {
			unix.MunmapPtr(probe, uintptr(length))
		}
		if v.src != nil {
			m.drop(v.src)
		}
		m.clearLocked(v.Start, v.End)
		m.mu.Unlock()
		m.changed(v.Start, v.End)
		return 0, err
	}
	m.insert(v)
	m.mu.Unlock()
	m.changed(v.Start, v.End)
	return addr, nil
}

// anonVMA fills in an anonymous mapping's kind.
func (m *Mem) anonVMA(v *VMA, flags int, name string) error {
	switch flags & unix.MAP_TYPE {
	case unix.MAP_SHARED:
		if flags&unix.MAP_GROWSDOWN != 0 {
			return ErrInval
		}
		m.sharedAnon(v)
	case unix.MAP_PRIVATE, mapDroppable:
		v.Flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | flags&unix.MAP_GROWSDOWN
		v.Offset = 0
		v.Name = name
	default:
		return ErrInval
	}
	return nil
}

// sharedAnon makes v shared anonymous memory, which Linux backs with a
// shmem file it shows as /dev/zero.
func (m *Mem) sharedAnon(v *VMA) {
	v.Flags = unix.MAP_SHARED | unix.MAP_ANONYMOUS
	v.Offset = 0
	v.Name = "/dev/zero (deleted)"
	v.Dev, v.Inode = m.shmDev, m.shmIno
	v.src = &source{}
}

// fileVMA checks a file mapping the way the kernel does and fills in its
// kind. The host kernel itself validates the access by mapping the file
// outside the window: for a host-mapped VMA that probe mapping is returned,
// to be moved into place.
func (m *Mem) fileVMA(v *VMA, flags, fd int, st *unix.Stat_t, name string) (probe unsafe.Pointer, err error) {
	typ := flags & unix.MAP_TYPE
	switch typ {
	case unix.MAP_SHARED:
	case unix.MAP_SHARED_VALIDATE:
		if flags&^legacyMask != 0 {
			return nil, unix.EOPNOTSUPP
		}
		typ = unix.MAP_SHARED
	case unix.MAP_PRIVATE:
	default:
		return nil, ErrInval
	}
	n := uintptr(v.End - v.Start)
	kind := st.Mode & unix.S_IFMT
	regular := kind == unix.S_IFREG || kind == unix.S_IFBLK
	// PROT_EXEC only so that a noexec mount fails with EPERM.
	hp := hostProt(v.Prot) | v.Prot&unix.PROT_EXEC
	if typ == unix.MAP_PRIVATE && regular {
		hp = unix.PROT_READ | v.Prot&unix.PROT_EXEC
	}
	p, err := unix.MmapPtr(fd, int64(v.Offset), nil, n, hp, typ)
	if err != nil {
		return nil, err
	}
	if flags&unix.MAP_GROWSDOWN != 0 {
		unix.MunmapPtr(p, n)
		return nil, ErrInval
	}
	v.Flags = typ
	v.Dev, v.Inode = st.Dev, st.Ino
	v.Name = name
	if name == "" {
		v.Name = FDPath(fd)
	}
	switch {
	case kind == unix.S_IFCHR && st.Rdev == devZero:
		unix.MunmapPtr(p, n)
		if typ == unix.MAP_SHARED {
			m.sharedAnon(v)
		} else {
			v.Flags |= unix.MAP_ANONYMOUS
		}
		return nil, nil
	case typ == unix.MAP_PRIVATE && regular && v.Prot&unix.PROT_WRITE == 0 && v.Offset+uint64(n) <= pageUp(uint64(st.Size)):
		// Within the file only: past its end the host's mapping would
		// raise SIGBUS where the guest reads zeros.
		if hp != hostProt(v.Prot) {
			if err := unix.Mprotect(unsafe.Slice((*byte)(p), n), hostProt(v.Prot)); err != nil {
				unix.MunmapPtr(p, n)
				return nil, err
			}
		}
		v.HostShared = true
		v.src = &source{}
		return p, nil
	case typ == unix.MAP_PRIVATE && regular:
		v.src = &source{view: p, off: v.Offset, size: uint64(n)}
		return nil, nil
	}
	if hp&unix.PROT_EXEC != 0 {
		if err := unix.Mprotect(unsafe.Slice((*byte)(p), n), hp&^unix.PROT_EXEC); err != nil {
			unix.MunmapPtr(p, n)
			return nil, err
		}
	}
	v.HostShared = true
	v.src = &source{}
	m.holdFile(v.src, fd)
	return p, nil
}

// FDPath is the path of an open file as /proc/self/maps shows it.
func FDPath(fd int) string {
	s, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return ""
	}
	return s
}

// install gives a new VMA, whose range was just cleared, its contents and
// host protection.
func (m *Mem) install(v *VMA, probe unsafe.Pointer) error {
	p := unsafe.Add(m.base, v.Start)
	n := v.Len()
	if v.HostShared {
		_, err := unix.MremapPtr(probe, uintptr(n), p, uintptr(n), unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED)
		return err
	}
	if err := m.fill(v, v.Start, v.End); err != nil {
		return err
	}
	return unix.Mprotect(unsafe.Slice((*byte)(p), n), hostProt(v.Prot))
}

// place chooses the address of a new mapping as Linux does on x86-64: the
// fixed address, else the hint if it is free, else the highest gap below
// m.MmapBase(), else the lowest one above legacyBase. MAP_32BIT searches [1 GiB,
// 2 GiB) from the bottom.
func (m *Mem) place(addr, length uint64, flags int) (uint64, error) {
	if flags&unix.MAP_FIXED != 0 {
		switch {
		case addr > TaskSize-length:
			return 0, ErrNoMem
		case addr%PageSize != 0:
			return 0, ErrInval
		case !InWindow(addr, length):
			// Valid for Linux, but outside what the window can hold.
			return 0, ErrNoMem
		case addr < MinMapAddr && !lowMapsAllowed():
			return 0, unix.EPERM
		case flags&unix.MAP_FIXED_NOREPLACE != 0 && m.overlaps(addr, addr+length):
			return 0, ErrExists
		}
		return addr, nil
	}
	if addr != 0 && addr < MinMapAddr {
		addr = MinMapAddr
	}
	if flags&unix.MAP_32BIT != 0 {
		if addr != 0 && addr <= 1<<31-length {
			if a := pageUp(addr); a+length <= 1<<31 && m.free(a, length) {
				return a, nil
			}
		}
		if a, ok := m.bottomUp(length, 1<<30, 1<<31); ok {
			return a, nil
		}
		return 0, ErrNoMem
	}
	if addr != 0 {
		addr &^= PageSize - 1
		if InWindow(addr, length) && m.free(addr, length) {
			return addr, nil
		}
	}
	if a, ok := m.topDown(length, MinMapAddr, m.MmapBase()); ok {
		return a, nil
	}
	if a, ok := m.bottomUp(length, legacyBase, WindowSize); ok {
		return a, nil
	}
	return 0, ErrNoMem
}

var (
	lowOnce sync.Once
	lowOK   bool
)

// lowMapsAllowed reports whether fixed mappings below vm.mmap_min_addr are
// allowed, as they are for a process with CAP_SYS_RAWIO: the host answers
// for one page of guestrun's own address space.
func lowMapsAllowed() bool {
	lowOnce.Do(func() {
		p, _, e := unix.RawSyscall6(unix.SYS_MMAP, PageSize, PageSize, unix.PROT_NONE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uintptr(0), 0)
		if e == 0 {
			unix.RawSyscall(unix.SYS_MUNMAP, p, PageSize, 0)
			lowOK = true
		}
	})
	return lowOK
}

// startGap is where the gap below v ends: a stack keeps a guard gap free.
func startGap(v *VMA) uint64 {
	if v.Flags&unix.MAP_GROWSDOWN != 0 {
		return v.Start - min(v.Start, guardGap)
	}
	return v.Start
}

// free reports whether [addr, addr+length) may hold a new mapping.
func (m *Mem) free(addr, length uint64) bool {
	i := m.find(addr)
	return i == len(m.vmas) || addr+length <= startGap(&m.vmas[i])
}

// gap returns the free range below m.vmas[k] (above the last VMA when k ==
// len(m.vmas)), clipped to [lo, hi).
func (m *Mem) gap(k int, lo, hi uint64) (uint64, uint64) {
	start, end := uint64(0), uint64(WindowSize)
	if k > 0 {
		start = m.vmas[k-1].End
	}
	if k < len(m.vmas) {
		end = startGap(&m.vmas[k])
	}
	return max(start, lo), min(end, hi)
}

// topDown finds the highest gap of length bytes in [lo, hi).
func (m *Mem) topDown(length, lo, hi uint64) (uint64, bool) {
	for k := m.find(hi); k >= 0; k-- {
		if s, e := m.gap(k, lo, hi); e > s && e-s >= length {
			return e - length, true
		}
		if k > 0 && m.vmas[k-1].End <= lo {
			break
		}
	}
	return 0, false
}

// bottomUp finds the lowest gap of length bytes in [lo, hi).
func (m *Mem) bottomUp(length, lo, hi uint64) (uint64, bool) {
	for k := m.find(lo); k <= len(m.vmas); k++ {
		s, e := m.gap(k, lo, hi)
		if e > s && e-s >= length {
			return s, true
		}
		if k < len(m.vmas) && m.vmas[k].Start >= hi {
			break
		}
	}
	return 0, false
}

// hostProt is the host protection that gives a guest protection: the host
// needs read access wherever the guest may execute, since the CPU reads code.
func hostProt(p int) int {
	h := p & (unix.PROT_READ | unix.PROT_WRITE)
	if p&unix.PROT_EXEC != 0 {
		h |= unix.PROT_READ
	}
	return h
}

// Unmap implements munmap(2).
func (m *Mem) Unmap(addr, length uint64) error {
	if addr%PageSize != 0 || addr > TaskSize || length > TaskSize-addr {
		return ErrInval
	}
	length = pageUp(length)
	if length == 0 {
		return ErrInval
	}
	if addr >= WindowSize {
		return nil // nothing of ours is mapped there
	}
	end := min(addr+length, WindowSize)
	m.mu.Lock()
	err := m.unmapLocked(addr, end)
	m.mu.Unlock()
	m.changed(addr, end)
	return err
}

// unmapLocked removes every mapping in [start, end) and leaves the range
// zero-filled and inaccessible on the host.
func (m *Mem) unmapLocked(start, end uint64) error {
	if !m.overlaps(start, end) {
		return nil
	}
	m.splitAt(start)
	m.splitAt(end)
	i := m.find(start)
	j := i
	var err error
	for ; j < len(m.vmas) && m.vmas[j].Start < end; j++ {
		v := &m.vmas[j]
		if v.HostShared {
			// Put the memfd back under the range.
			if _, e := unix.MmapPtr(m.fd, int64(v.Start), unsafe.Add(m.base, v.Start), uintptr(v.Len()),
				unix.PROT_NONE, unix.MAP_SHARED|unix.MAP_FIXED); e != nil && err == nil {
				err = e
			}
		} else if e := m.clearLocked(v.Start, v.End); e != nil && err == nil {
			err = e
		}
		m.release(v)
	}
	m.vmas = append(m.vmas[:i], m.vmas[j:]...)
	return err
}

// clearLocked frees the memfd pages of a range and makes it inaccessible.
func (m *Mem) clearLocked(start, end uint64) error {
	if err := m.punch(start, end); err != nil {
		return err
	}
	return unix.Mprotect(unsafe.Slice((*byte)(unsafe.Add(m.base, start)), end-start), unix.PROT_NONE)
}

// punch frees the memfd pages of a range, which then read as zeros.
func (m *Mem) punch(start, end uint64) error {
	return unix.Fallocate(m.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(start), int64(end-start))
}

// Protect implements mprotect(2). Like Linux, it changes the mapped prefix
// of the range before failing at a hole.
func (m *Mem) Protect(addr, length uint64, prot int) error {
	if addr%PageSize != 0 {
		return ErrInval
	}
	grows := prot & (unix.PROT_GROWSDOWN | unix.PROT_GROWSUP)
	prot &^= grows
	if grows == unix.PROT_GROWSDOWN|unix.PROT_GROWSUP || prot&^(protMask|protSem) != 0 {
		return ErrInval
	}
	prot &= protMask
	if length == 0 {
		return nil
	}
	end := addr + pageUp(length)
	if end <= addr {
		return ErrNoMem
	}
	m.mu.Lock()
	i := m.find(addr)
	switch {
	case i == len(m.vmas) || m.vmas[i].Start >= end:
		m.mu.Unlock()
		return ErrNoMem
	case grows&unix.PROT_GROWSDOWN != 0:
		if m.vmas[i].Flags&unix.MAP_GROWSDOWN == 0 {
			m.mu.Unlock()
			return ErrInval
		}
		addr = m.vmas[i].Start
	case m.vmas[i].Start > addr:
		m.mu.Unlock()
		return ErrNoMem
	}
	at := addr
	var err error
	for at < end {
		i := m.find(at)
		if i == len(m.vmas) || m.vmas[i].Start > at {
			err = ErrNoMem
			break
		}
		pe := min(end, m.vmas[i].End)
		// The host checks a file mapping's access (EACCES for writing a
		// file opened read-only) before anything changes.
		if err = unix.Mprotect(unsafe.Slice((*byte)(unsafe.Add(m.base, at)), pe-at), hostProt(prot)); err != nil {
			break
		}
		m.splitAt(at)
		m.splitAt(pe)
		m.vmas[m.find(at)].Prot = prot
		at = pe
	}
	m.mergeAround(addr, at)
	m.mu.Unlock()
	if at > addr {
		m.changed(addr, at)
	}
	return err
}

// coveredLocked reports whether [start, end) is mapped without holes.
func (m *Mem) coveredLocked(start, end uint64) bool {
	for i := m.find(start); start < end; i++ {
		if i >= len(m.vmas) || m.vmas[i].Start > start {
			return false
		}
		start = m.vmas[i].End
	}
	return true
}

func (m *Mem) overlaps(start, end uint64) bool {
	i := m.find(start)
	return i < len(m.vmas) && m.vmas[i].Start < end
}

// splitAt makes a a VMA boundary if it falls inside a VMA.
func (m *Mem) splitAt(a uint64) {
	i := m.find(a)
	if i >= len(m.vmas) || m.vmas[i].Start >= a {
		return
	}
	lo := m.vmas[i]
	hi := lo
	lo.End = a
	hi.Start = a
	if hi.Inode != 0 || hi.isShm() {
		hi.Offset += a - lo.Start
	}
	retain(&hi)
	m.vmas = append(m.vmas, VMA{})
	copy(m.vmas[i+2:], m.vmas[i+1:])
	m.vmas[i] = lo
	m.vmas[i+1] = hi
}

// insert adds v, which overlaps nothing, and merges it with like neighbours.
func (m *Mem) insert(v VMA) {
	retain(&v)
	i := m.find(v.Start)
	m.vmas = append(m.vmas, VMA{})
	copy(m.vmas[i+1:], m.vmas[i:])
	m.vmas[i] = v
	m.mergeAround(v.Start, v.End)
}

// mergeAround joins VMAs touching [start, end) with neighbours that Linux
// would merge.
func (m *Mem) mergeAround(start, end uint64) {
	i := m.find(start)
	if i > 0 {
		i--
	}
	for i+1 < len(m.vmas) && m.vmas[i].Start <= end {
		a, b := &m.vmas[i], &m.vmas[i+1]
		if mergeable(a, b) {
			a.End = b.End
			m.release(b)
			m.vmas = append(m.vmas[:i+1], m.vmas[i+2:]...)
			continue
		}
		i++
	}
}

// mergeable reports whether b continues a: adjacent, with the same
// protection, flags and object, and for a file the next offset.
func mergeable(a, b *VMA) bool {
	if a.End != b.Start || a.Prot != b.Prot || a.Flags != b.Flags || a.Name != b.Name || a.src != b.src ||
		a.HostShared != b.HostShared || a.DontFork != b.DontFork || a.WipeOnFork != b.WipeOnFork ||
		a.Dev != b.Dev || a.Inode != b.Inode {
		return false
	}
	return a.Inode == 0 || a.Offset+a.Len() == b.Offset
}
