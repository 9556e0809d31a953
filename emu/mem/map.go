package mem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Map implements mmap(2) inside the window with Linux semantics. fd is -1
// for anonymous mappings; name labels the mapping in /proc/self/maps.
func (m *Mem) Map(addr, length uint64, prot, flags, fd int, off uint64, name string) (uint64, error) {
	if length == 0 || off%PageSize != 0 {
		return 0, ErrInval
	}
	length = (length + PageSize - 1) &^ (PageSize - 1)
	if length == 0 || length > WindowSize {
		return 0, ErrNoMem
	}
	switch flags & unix.MAP_TYPE {
	case unix.MAP_PRIVATE, unix.MAP_SHARED, unix.MAP_SHARED_VALIDATE:
	default:
		return 0, ErrInval
	}
	fixed := flags&(unix.MAP_FIXED|unix.MAP_FIXED_NOREPLACE) != 0

	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case fixed:
		if addr%PageSize != 0 {
			return 0, ErrInval
		}
		if !InWindow(addr, length) || addr < MinMapAddr {
			// A real kernel would map it; the window cannot hold it.
			if flags&unix.MAP_FIXED_NOREPLACE != 0 || addr < MinMapAddr {
				return 0, unix.EPERM
			}
			return 0, ErrNoMem
		}
		if flags&unix.MAP_FIXED == 0 && m.overlaps(addr, addr+length) {
			return 0, ErrExists
		}
	default:
		addr &^= PageSize - 1
		if addr < MinMapAddr || !InWindow(addr, length) || m.overlaps(addr, addr+length) {
			var ok bool
			if addr, ok = m.freeRange(length, flags&unix.MAP_32BIT != 0); !ok {
				return 0, ErrNoMem
			}
		}
	}
	if err := m.unmapLocked(addr, addr+length); err != nil {
		return 0, err
	}
	v := VMA{Start: addr, End: addr + length, Prot: prot, Flags: flags, Offset: off, Name: name}
	if err := m.back(&v, fd); err != nil {
		m.clearLocked(addr, addr+length)
		return 0, err
	}
	m.insert(v)
	m.mu.Unlock()
	m.changed(addr, addr+length)
	m.mu.Lock()
	return addr, nil
}

// back gives a new VMA its host contents and protection.
func (m *Mem) back(v *VMA, fd int) error {
	p := unsafe.Add(m.base, v.Start)
	n := v.End - v.Start
	if fd < 0 {
		// The range was just cleared, so it reads as zeros already.
		return unix.Mprotect(unsafe.Slice((*byte)(p), n), hostProt(v.Prot))
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	v.Dev, v.Inode = st.Dev, st.Ino
	if v.Flags&unix.MAP_TYPE != unix.MAP_PRIVATE {
		// Writes must reach the file, so the host maps the file itself.
		if _, err := unix.MmapPtr(fd, int64(v.Offset), p, uintptr(n), hostProt(v.Prot), unix.MAP_SHARED|unix.MAP_FIXED); err != nil {
			return err
		}
		v.HostShared = true
		return nil
	}
	// A private file mapping is a copy of the file in the memfd.
	b := unsafe.Slice((*byte)(p), n)
	if err := unix.Mprotect(b, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		return err
	}
	for done := uint64(0); done < n; {
		r, err := unix.Pread(fd, b[done:], int64(v.Offset+done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if r == 0 {
			break
		}
		done += uint64(r)
	}
	return unix.Mprotect(b, hostProt(v.Prot))
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
	if addr%PageSize != 0 || length == 0 {
		return ErrInval
	}
	end := addr + (length+PageSize-1)&^(PageSize-1)
	if !InWindow(addr, end-addr) {
		if addr >= WindowSize {
			return nil // nothing of ours is mapped there
		}
		end = WindowSize
	}
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
	for j < len(m.vmas) && m.vmas[j].Start < end {
		v := &m.vmas[j]
		if v.HostShared {
			// Put the memfd back under the range.
			if _, err := unix.MmapPtr(m.fd, int64(v.Start), unsafe.Add(m.base, v.Start), uintptr(v.End-v.Start),
				unix.PROT_NONE, unix.MAP_SHARED|unix.MAP_FIXED); err != nil {
				return err
			}
		} else if err := m.clearLocked(v.Start, v.End); err != nil {
			return err
		}
		j++
	}
	m.vmas = append(m.vmas[:i], m.vmas[j:]...)
	return nil
}

// clearLocked frees the memfd pages of a range and makes it inaccessible.
func (m *Mem) clearLocked(start, end uint64) error {
	if err := unix.Fallocate(m.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(start), int64(end-start)); err != nil {
		return err
	}
	return unix.Mprotect(unsafe.Slice((*byte)(unsafe.Add(m.base, start)), end-start), unix.PROT_NONE)
}

// Protect implements mprotect(2).
func (m *Mem) Protect(addr, length uint64, prot int) error {
	if addr%PageSize != 0 {
		return ErrInval
	}
	if prot&^(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC|unix.PROT_GROWSDOWN|unix.PROT_GROWSUP) != 0 {
		return ErrInval
	}
	prot &^= unix.PROT_GROWSDOWN | unix.PROT_GROWSUP
	end := addr + (length+PageSize-1)&^(PageSize-1)
	if length == 0 {
		return nil
	}
	if !InWindow(addr, end-addr) {
		return ErrNoMem
	}
	m.mu.Lock()
	if !m.coveredLocked(addr, end) {
		m.mu.Unlock()
		return ErrNoMem
	}
	m.splitAt(addr)
	m.splitAt(end)
	for i := m.find(addr); i < len(m.vmas) && m.vmas[i].Start < end; i++ {
		m.vmas[i].Prot = prot
	}
	err := unix.Mprotect(unsafe.Slice((*byte)(unsafe.Add(m.base, addr)), end-addr), hostProt(prot))
	m.mergeAround(addr, end)
	m.mu.Unlock()
	m.changed(addr, end)
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
	if lo.Name != "" && lo.Flags&unix.MAP_ANONYMOUS == 0 {
		hi.Offset += a - lo.Start
	}
	m.vmas = append(m.vmas, VMA{})
	copy(m.vmas[i+2:], m.vmas[i+1:])
	m.vmas[i] = lo
	m.vmas[i+1] = hi
}

// insert adds v, which overlaps nothing, and merges it with like neighbours.
func (m *Mem) insert(v VMA) {
	i := m.find(v.Start)
	m.vmas = append(m.vmas, VMA{})
	copy(m.vmas[i+1:], m.vmas[i:])
	m.vmas[i] = v
	m.mergeAround(v.Start, v.End)
}

// mergeAround joins VMAs touching [start, end) with neighbours that Linux
// would merge: same protection and flags, and contiguous backing.
func (m *Mem) mergeAround(start, end uint64) {
	i := m.find(start)
	if i > 0 {
		i--
	}
	for i+1 < len(m.vmas) && m.vmas[i].Start <= end {
		a, b := &m.vmas[i], &m.vmas[i+1]
		if a.End == b.Start && mergeable(a, b) {
			a.End = b.End
			m.vmas = append(m.vmas[:i+1], m.vmas[i+2:]...)
			continue
		}
		i++
	}
}

func mergeable(a, b *VMA) bool {
	if a.Prot != b.Prot || a.Flags&^(unix.MAP_FIXED|unix.MAP_FIXED_NOREPLACE|unix.MAP_POPULATE) != b.Flags&^(unix.MAP_FIXED|unix.MAP_FIXED_NOREPLACE|unix.MAP_POPULATE) ||
		a.Name != b.Name || a.HostShared || b.HostShared || a.Dev != b.Dev || a.Inode != b.Inode {
		return false
	}
	if a.Flags&unix.MAP_ANONYMOUS != 0 {
		return true
	}
	return a.Offset+(a.End-a.Start) == b.Offset
}

// freeRange finds a gap of length bytes, top-down from MmapBase as Linux does,
// or bottom-up below 2 GiB for MAP_32BIT.
func (m *Mem) freeRange(length uint64, low bool) (uint64, bool) {
	if low {
		a := uint64(0x40000000)
		for _, v := range m.vmas {
			if v.Start >= a+length {
				break
			}
			if v.End > a {
				a = v.End
			}
		}
		return a, a+length <= 1<<31
	}
	top := uint64(MmapBase)
	for i := len(m.vmas) - 1; i >= 0; i-- {
		v := m.vmas[i]
		if v.Start >= top {
			continue
		}
		if v.End+length <= top {
			break
		}
		top = v.Start
	}
	if top < length || top-length < MinMapAddr {
		return 0, false
	}
	return top - length, true
}
