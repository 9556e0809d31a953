package mem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// SetBrk implements brk(2) with Linux's rules: it returns the new break, or
// the old one when the request is below BrkStart, would run into another
// mapping (keeping a page free before it), or shrinks over memory that is
// no longer the heap. The memory between BrkStart and the break is the
// read-write anonymous mapping [heap].
func (m *Mem) SetBrk(brk uint64) uint64 {
	m.mu.Lock()
	cur := m.Brk
	if brk < m.BrkStart || brk > WindowSize {
		m.mu.Unlock()
		return cur
	}
	oldEnd, newEnd := pageUp(cur), pageUp(brk)
	switch {
	case newEnd == oldEnd:
		m.Brk = brk
		m.mu.Unlock()
		return brk
	case newEnd < oldEnd:
		if !m.overlaps(newEnd, oldEnd) {
			m.mu.Unlock()
			return cur
		}
		m.Brk = brk
		m.unmapLocked(newEnd, oldEnd)
		m.mu.Unlock()
		m.changed(newEnd, oldEnd)
		return brk
	}
	if i := m.find(oldEnd); i < len(m.vmas) && newEnd+PageSize > startGap(&m.vmas[i]) {
		m.mu.Unlock()
		return cur
	}
	// RLIMIT_DATA bounds the heap and the data segment together
	// (check_data_rlimit), then the new pages count as any mapping's.
	if dl := dataLimit.Load(); dl != unix.RLIM_INFINITY && brk-m.BrkStart+m.EndData-m.StartData > dl ||
		!m.mayExpand(newEnd-oldEnd, true) {
		m.mu.Unlock()
		return cur
	}
	prot := unix.PROT_READ | unix.PROT_WRITE
	if err := unix.Mprotect(unsafe.Slice((*byte)(unsafe.Add(m.base, oldEnd)), newEnd-oldEnd), prot); err != nil {
		m.mu.Unlock()
		return cur
	}
	m.insert(VMA{Start: oldEnd, End: newEnd, Prot: prot, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, Name: "[heap]"})
	m.Brk = brk
	m.mu.Unlock()
	m.changed(oldEnd, newEnd)
	return brk
}
