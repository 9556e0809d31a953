package mem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Advice values newer than x/sys/unix knows.
const (
	madvDontneedLocked = 24
	madvCollapse       = 25
)

// Advise implements madvise(2). Advice that only tunes the kernel's paging is
// accepted and ignored; advice that changes contents or fork behaviour is
// carried out. Like Linux it applies to the mapped parts of the range and
// fails with ENOMEM if the range has holes.
func (m *Mem) Advise(addr, length uint64, advice int) error {
	switch advice {
	case unix.MADV_NORMAL, unix.MADV_RANDOM, unix.MADV_SEQUENTIAL, unix.MADV_WILLNEED,
		unix.MADV_DONTNEED, madvDontneedLocked, unix.MADV_FREE, unix.MADV_REMOVE,
		unix.MADV_DONTFORK, unix.MADV_DOFORK, unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK,
		unix.MADV_MERGEABLE, unix.MADV_UNMERGEABLE, unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE,
		unix.MADV_DONTDUMP, unix.MADV_DODUMP, unix.MADV_COLD, unix.MADV_PAGEOUT,
		unix.MADV_POPULATE_READ, unix.MADV_POPULATE_WRITE, madvCollapse:
	default:
		// Including MADV_HWPOISON and MADV_SOFT_OFFLINE, which need a
		// kernel built for them, and the guard regions of Linux 6.13,
		// which glibc replaces with PROT_NONE when refused.
		return ErrInval
	}
	if addr%PageSize != 0 {
		return ErrInval
	}
	n := pageUp(length)
	if length != 0 && n == 0 {
		return ErrInval
	}
	end := addr + n
	if end < addr {
		return ErrInval
	}
	if end == addr {
		return nil
	}
	if dropsPages(advice) && addr < TaskSize && end > TaskSize {
		// Linux refuses to drop the pages of [vvar], which a native
		// process has near the top of the user half, before touching
		// anything.
		return ErrInval
	}
	if addr >= WindowSize {
		return ErrNoMem
	}
	var err error
	if end > WindowSize {
		end, err = WindowSize, ErrNoMem
	}
	m.mu.Lock()
	at := addr
	var changed bool
	for at < end {
		i := m.find(at)
		if i == len(m.vmas) || m.vmas[i].Start >= end {
			err = ErrNoMem
			break
		}
		if m.vmas[i].Start > at {
			err = ErrNoMem
			at = m.vmas[i].Start
		}
		pe := min(end, m.vmas[i].End)
		c, e := m.adviseOne(i, at, pe, advice)
		if e != nil {
			err = e
			break
		}
		changed = changed || c
		at = pe
	}
	m.mergeAround(addr, at)
	m.mu.Unlock()
	if changed {
		m.changed(addr, at)
	}
	return err
}

// dropsPages reports advice that Linux refuses (EINVAL) for VM_PFNMAP
// mappings such as [vvar].
func dropsPages(advice int) bool {
	return advice == unix.MADV_DONTNEED || advice == madvDontneedLocked || advice == unix.MADV_FREE
}

// adviseOne applies advice to [start, end) inside m.vmas[i]; it reports
// whether the contents changed.
func (m *Mem) adviseOne(i int, start, end uint64, advice int) (bool, error) {
	v := &m.vmas[i]
	private := v.Flags&unix.MAP_TYPE == unix.MAP_PRIVATE
	switch advice {
	case unix.MADV_DONTNEED, madvDontneedLocked:
		if v.HostShared {
			return true, unix.Madvise(m.hostBytes(start, end), advice)
		}
		if !private {
			return false, nil // the shared object keeps its contents
		}
		// Private pages go back to what they were mapped from: zeros or
		// the file.
		if err := m.punch(start, end); err != nil {
			return false, err
		}
		return true, m.fill(v, start, end)
	case unix.MADV_FREE:
		if !private || v.HostShared || v.Flags&unix.MAP_ANONYMOUS == 0 {
			return false, ErrInval
		}
		// Freeing at once is one of the outcomes Linux allows.
		return true, m.punch(start, end)
	case unix.MADV_REMOVE:
		if private {
			if v.Inode == 0 {
				return false, ErrInval
			}
			return false, unix.EACCES
		}
		if v.HostShared {
			return true, unix.Madvise(m.hostBytes(start, end), advice)
		}
		return true, m.punch(start, end)
	case unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK:
		if !private || v.Inode != 0 || v.HostShared {
			return false, ErrInval
		}
		m.setFlag(start, end, func(v *VMA) { v.WipeOnFork = advice == unix.MADV_WIPEONFORK })
	case unix.MADV_DONTFORK, unix.MADV_DOFORK:
		m.setFlag(start, end, func(v *VMA) { v.DontFork = advice == unix.MADV_DONTFORK })
	case unix.MADV_POPULATE_READ, unix.MADV_POPULATE_WRITE:
		want := unix.PROT_READ
		if advice == unix.MADV_POPULATE_WRITE {
			want = unix.PROT_WRITE
		}
		if effectiveProt(v.Prot)&want != want {
			return false, ErrNoMem
		}
	}
	return false, nil
}

// setFlag changes an attribute of the VMAs covering [start, end).
func (m *Mem) setFlag(start, end uint64, set func(*VMA)) {
	m.splitAt(start)
	m.splitAt(end)
	set(&m.vmas[m.find(start)])
}

func (m *Mem) hostBytes(start, end uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(m.base, start)), end-start)
}

// Sync implements msync(2): host-mapped files are synced by the host; the
// memfd needs nothing.
func (m *Mem) Sync(addr, length uint64, flags int) error {
	if flags&^(unix.MS_ASYNC|unix.MS_INVALIDATE|unix.MS_SYNC) != 0 || addr%PageSize != 0 ||
		flags&unix.MS_ASYNC != 0 && flags&unix.MS_SYNC != 0 {
		return ErrInval
	}
	end := addr + pageUp(length)
	if end < addr {
		return ErrNoMem
	}
	if end == addr {
		return nil
	}
	if !InWindow(addr, end-addr) {
		return ErrNoMem
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	for at := addr; at < end; {
		i := m.find(at)
		if i == len(m.vmas) || m.vmas[i].Start >= end {
			return ErrNoMem
		}
		v := &m.vmas[i]
		if v.Start > at {
			err = ErrNoMem
			at = v.Start
		}
		pe := min(end, v.End)
		if v.HostShared && flags&unix.MS_SYNC != 0 {
			if e := unix.Msync(m.hostBytes(at, pe), flags); e != nil {
				return e
			}
		}
		at = pe
	}
	return err
}

// Mincore implements mincore(2): it returns one byte per page of the range
// telling whether the page is resident, up to the first hole, and ENOMEM if
// there is one.
func (m *Mem) Mincore(addr, length uint64) ([]byte, error) {
	if addr%PageSize != 0 {
		return nil, ErrInval
	}
	n := pageUp(length)
	if n == 0 || addr+n < addr {
		if length == 0 {
			return nil, nil
		}
		return nil, ErrNoMem
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mapped := uint64(0)
	for mapped < n && InWindow(addr+mapped, 1) {
		i := m.find(addr + mapped)
		if i == len(m.vmas) || m.vmas[i].Start > addr+mapped {
			break
		}
		mapped = min(m.vmas[i].End-addr, n)
	}
	var err error
	if mapped < n {
		err = ErrNoMem
	}
	vec := make([]byte, mapped/PageSize)
	if mapped > 0 {
		if _, _, e := unix.RawSyscall(unix.SYS_MINCORE, uintptr(m.base)+uintptr(addr), uintptr(mapped),
			uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
			return nil, e
		}
	}
	return vec, err
}

// Covered reports whether [addr, addr+length) is mapped without holes, for
// the calls (mlock) that only check the range.
func (m *Mem) Covered(addr, length uint64) bool {
	if !InWindow(addr, length) {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.coveredLocked(addr, addr+length)
}
