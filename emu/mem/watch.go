package mem

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Code on writable pages. Decoded code must never be stale, so a page that
// holds decoded code and that the guest may write is made read-only on the
// host while the guest still sees it writable. The first write to it faults:
// the CPU calls WriteFault, which gives the page its write access back and
// drops its decoded code, and the instruction runs again. Writes by guestrun
// itself (syscall buffers, signal frames) go through Slice, which does the
// same before handing out the bytes.

// watchSet is the set of write-watched pages.
type watchSet struct {
	mu    sync.Mutex
	pages map[uint64]struct{} // guest page numbers
}

// WatchCode write-protects the page holding addr on the host if the guest
// may write it. The CPU calls it before decoding code from the page.
func (m *Mem) WatchCode(addr uint64) {
	pg := addr / PageSize
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.find(addr)
	if i >= len(m.vmas) || m.vmas[i].Start > addr {
		return
	}
	v := &m.vmas[i]
	// Writes to a shared mapping may come from elsewhere and cannot be
	// watched; a private one's are the guest's own.
	if v.Prot&unix.PROT_WRITE == 0 || v.HostShared && v.Flags&unix.MAP_TYPE != unix.MAP_PRIVATE {
		return
	}
	m.watch.mu.Lock()
	defer m.watch.mu.Unlock()
	if _, ok := m.watch.pages[pg]; ok {
		return
	}
	if m.watch.pages == nil {
		m.watch.pages = map[uint64]struct{}{}
	}
	if unix.Mprotect(m.page(pg), hostProt(v.Prot)&^unix.PROT_WRITE) == nil {
		m.watch.pages[pg] = struct{}{}
		m.watching.Store(true)
	}
}

// WriteFault handles a host write fault at addr: if the page was
// write-watched, it is writable again and its decoded code is gone, and the
// faulting instruction should be retried.
func (m *Mem) WriteFault(addr uint64) bool {
	if !m.watching.Load() {
		return false
	}
	return m.unwatch(addr, addr+1)
}

// unwatch gives the watched pages of [start, end) their host protection back
// and drops their decoded code. It reports whether any page was watched.
func (m *Mem) unwatch(start, end uint64) bool {
	var hit []uint64
	m.mu.Lock()
	m.watch.mu.Lock()
	for pg := start / PageSize; pg <= (end-1)/PageSize && len(m.watch.pages) > 0; pg++ {
		if _, ok := m.watch.pages[pg]; !ok {
			continue
		}
		delete(m.watch.pages, pg)
		hit = append(hit, pg)
		prot := unix.PROT_NONE
		if i := m.find(pg * PageSize); i < len(m.vmas) && m.vmas[i].Start <= pg*PageSize {
			prot = hostProt(m.vmas[i].Prot)
		}
		unix.Mprotect(m.page(pg), prot)
	}
	m.watching.Store(len(m.watch.pages) > 0)
	m.watch.mu.Unlock()
	m.mu.Unlock()
	for _, pg := range hit {
		m.changed(pg*PageSize, (pg+1)*PageSize)
	}
	return len(hit) > 0
}

// forgetWatches drops the watches of [start, end) after an operation that set
// the range's host protection anew.
func (m *Mem) forgetWatches(start, end uint64) {
	if !m.watching.Load() {
		return
	}
	m.watch.mu.Lock()
	defer m.watch.mu.Unlock()
	if end-start > uint64(len(m.watch.pages))*PageSize {
		for pg := range m.watch.pages {
			if pg >= start/PageSize && pg*PageSize < end {
				delete(m.watch.pages, pg)
			}
		}
	} else {
		for pg := start / PageSize; pg*PageSize < end; pg++ {
			delete(m.watch.pages, pg)
		}
	}
	m.watching.Store(len(m.watch.pages) > 0)
}

// page returns the host bytes of guest page pg.
func (m *Mem) page(pg uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(m.base, pg*PageSize)), PageSize)
}
