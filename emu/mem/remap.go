package mem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Remap implements mremap(2). Memfd-backed memory that moves is copied
// (only its allocated pages), since its contents must stay at offset = guest
// address; host-mapped files move with the host's mremap.
func (m *Mem) Remap(old, oldLen, newLen uint64, flags int, newAddr uint64) (uint64, error) {
	const mayMove, fixed, dontUnmap = unix.MREMAP_MAYMOVE, unix.MREMAP_FIXED, unix.MREMAP_DONTUNMAP
	switch {
	case flags&^(mayMove|fixed|dontUnmap) != 0,
		flags&fixed != 0 && flags&mayMove == 0,
		flags&dontUnmap != 0 && (flags&mayMove == 0 || oldLen != newLen),
		old%PageSize != 0:
		return 0, ErrInval
	}
	oldLen, newLen = pageUp(oldLen), pageUp(newLen)
	if newLen == 0 || newLen > TaskSize {
		return 0, ErrInval
	}
	r := remapping{m: m}
	m.mu.Lock()
	addr, err := r.remap(old, oldLen, newLen, flags, newAddr)
	m.mu.Unlock()
	for _, c := range r.changes {
		m.changed(c[0], c[1])
	}
	return addr, err
}

// remapping collects the ranges one mremap changed, to report after the
// lock is dropped.
type remapping struct {
	m       *Mem
	changes [][2]uint64
}

func (r *remapping) unmap(start, end uint64) error {
	if start >= end {
		return nil
	}
	r.changes = append(r.changes, [2]uint64{start, end})
	return r.m.unmapLocked(start, end)
}

func (r *remapping) remap(old, oldLen, newLen uint64, flags int, newAddr uint64) (uint64, error) {
	m := r.m
	i := m.find(old)
	if i == len(m.vmas) || m.vmas[i].Start > old {
		return 0, ErrFault
	}
	if oldLen == 0 && m.vmas[i].Flags&unix.MAP_TYPE != unix.MAP_SHARED {
		// Duplicating a private mapping makes no sense; Linux refuses.
		return 0, ErrInval
	}
	if flags&(unix.MREMAP_FIXED|unix.MREMAP_DONTUNMAP) != 0 {
		switch {
		case newAddr%PageSize != 0, newLen > TaskSize, newAddr > TaskSize-newLen,
			old < newAddr+newLen && newAddr < old+oldLen:
			return 0, ErrInval
		case flags&unix.MREMAP_FIXED != 0 && !InWindow(newAddr, newLen):
			return 0, ErrNoMem
		}
		if flags&unix.MREMAP_FIXED != 0 {
			if err := r.unmap(newAddr, newAddr+newLen); err != nil {
				return 0, err
			}
		}
		if oldLen > newLen {
			if err := r.unmap(old+newLen, old+oldLen); err != nil {
				return 0, err
			}
			oldLen = newLen
		}
		v, err := m.resizable(old, oldLen)
		if err != nil {
			return 0, err
		}
		grown := newLen - oldLen
		if flags&unix.MREMAP_DONTUNMAP != 0 {
			grown = newLen // the old range stays mapped
		}
		if !m.mayExpand(grown, isData(v.Prot, v.Flags)) {
			return 0, ErrNoMem
		}
		dest := newAddr
		if flags&unix.MREMAP_FIXED == 0 {
			if dest, err = m.place(newAddr, newLen, 0); err != nil {
				return 0, err
			}
		}
		return dest, r.move(v, old, oldLen, dest, newLen, flags&unix.MREMAP_DONTUNMAP != 0)
	}
	if oldLen >= newLen {
		return old, r.unmap(old+newLen, min(old+oldLen, WindowSize))
	}
	v, err := m.resizable(old, oldLen)
	if err != nil {
		return 0, err
	}
	if !m.mayExpand(newLen-oldLen, isData(v.Prot, v.Flags)) {
		return 0, ErrNoMem
	}
	if old+oldLen == v.End && oldLen > 0 {
		if ok, err := r.grow(v, newLen-oldLen); ok || err != nil {
			return old, err
		}
	}
	if flags&unix.MREMAP_MAYMOVE == 0 {
		return 0, ErrNoMem
	}
	dest, err := m.place(0, newLen, 0)
	if err != nil {
		return 0, err
	}
	return dest, r.move(v, old, oldLen, dest, newLen, false)
}

// resizable returns a copy of the VMA holding [old, old+oldLen), which
// must be one VMA.
func (m *Mem) resizable(old, oldLen uint64) (VMA, error) {
	i := m.find(old)
	if i == len(m.vmas) || m.vmas[i].Start > old {
		return VMA{}, ErrFault
	}
	v := m.vmas[i]
	if oldLen > v.End-old {
		return VMA{}, ErrFault
	}
	return v, nil
}

// grow extends v in place by delta bytes if the range after it is free.
func (r *remapping) grow(v VMA, delta uint64) (bool, error) {
	m := r.m
	end := v.End + delta
	if end < v.End || !InWindow(v.End, delta) || m.overlaps(v.End, end) {
		return false, nil
	}
	p := unsafe.Add(m.base, v.End)
	if v.HostShared {
		// The host can only grow its mapping into unmapped space: take the
		// memfd away from behind it first, and put it back on failure.
		if err := unix.MunmapPtr(p, uintptr(delta)); err != nil {
			return false, err
		}
		if _, err := unix.MremapPtr(unsafe.Add(m.base, v.Start), uintptr(v.Len()), nil, uintptr(v.Len()+delta), 0); err != nil {
			_, err := unix.MmapPtr(m.fd, int64(v.End), p, uintptr(delta), unix.PROT_NONE, unix.MAP_SHARED|unix.MAP_FIXED)
			return false, err
		}
	} else {
		if err := m.fill(&v, v.End, end); err != nil {
			m.punch(v.End, end)
			return false, err
		}
		if err := unix.Mprotect(unsafe.Slice((*byte)(p), delta), hostProt(v.Prot)); err != nil {
			m.punch(v.End, end)
			return false, err
		}
	}
	r.changes = append(r.changes, [2]uint64{v.End, end})
	i := m.find(v.Start)
	m.vmas[i].End = end
	m.mergeAround(v.Start, end)
	return true, nil
}

// move maps [old, old+oldLen) of v at [dest, dest+newLen), a free range,
// and unmaps the old range unless dontUnmap. An oldLen of 0 duplicates a
// shared mapping.
func (r *remapping) move(v VMA, old, oldLen, dest, newLen uint64, dontUnmap bool) error {
	m := r.m
	nv := v
	nv.Start, nv.End = dest, dest+newLen
	nv.Offset = 0
	if v.Inode != 0 {
		nv.Offset = v.fileOff(old)
	}
	if nv.Name == "[heap]" {
		nv.Name = "" // Linux names only the memory around the break
	}
	dp := unsafe.Add(m.base, dest)
	if v.HostShared {
		fl := unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED
		if dontUnmap {
			fl |= unix.MREMAP_DONTUNMAP
		}
		if _, err := unix.MremapPtr(unsafe.Add(m.base, old), uintptr(oldLen), dp, uintptr(newLen), fl); err != nil {
			return err
		}
		// Insert first: unmapping the old range may drop the last
		// reference to the source.
		m.insert(nv)
		if oldLen > 0 && !dontUnmap {
			// The host left a hole behind; unmapping puts the memfd back.
			r.unmap(old, old+oldLen)
		}
	} else {
		if oldLen == 0 {
			// A shared mapping in the memfd has one place only.
			return ErrInval
		}
		n := min(oldLen, newLen)
		err := m.moveData(old, dest, n)
		if err == nil && newLen > n {
			err = m.fill(&nv, dest+n, dest+newLen)
		}
		if err == nil {
			err = unix.Mprotect(unsafe.Slice((*byte)(dp), newLen), hostProt(nv.Prot))
		}
		if err != nil {
			m.clearLocked(dest, dest+newLen)
			return err
		}
		m.insert(nv)
		switch {
		case !dontUnmap:
			r.unmap(old, old+oldLen)
		case v.Flags&unix.MAP_TYPE == unix.MAP_PRIVATE:
			// What stays behind is as fresh as after MADV_DONTNEED.
			m.punch(old, old+oldLen)
			m.fill(&v, old, old+oldLen)
			r.changes = append(r.changes, [2]uint64{old, old + oldLen})
		}
	}
	r.changes = append(r.changes, [2]uint64{dest, dest + newLen})
	return nil
}
