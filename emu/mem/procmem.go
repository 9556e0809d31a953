package mem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// /proc/self/mem access. Like the kernel's (which forces access), it reaches
// every mapped page whatever its protection, and stops at the first
// unmapped one.

// IsWindowFile reports whether dev and ino (from fstat) are the window's
// memfd: the guest's /proc/self/mem is opened over it.
func (m *Mem) IsWindowFile(dev, ino uint64) bool { return dev == m.shmDev && ino == m.shmIno }

// ForceRead copies guest memory at addr into b up to the first unmapped
// page and returns how many bytes it copied.
func (m *Mem) ForceRead(addr uint64, b []byte) int {
	return m.forceIO(addr, b, false)
}

// ForceWrite copies b into guest memory at addr up to the first unmapped
// page and returns how many bytes it copied.
func (m *Mem) ForceWrite(addr uint64, b []byte) int {
	n := m.forceIO(addr, b, true)
	if n > 0 {
		m.changed(addr&^(PageSize-1), pageUp(addr+uint64(n)))
	}
	return n
}

func (m *Mem) forceIO(addr uint64, b []byte, write bool) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	done := 0
	for done < len(b) {
		at := addr + uint64(done)
		i := m.find(at)
		if at >= WindowSize || i == len(m.vmas) || m.vmas[i].Start > at {
			break
		}
		v := &m.vmas[i]
		chunk := b[done:min(uint64(len(b)), uint64(done)+v.End-at)]
		n, ok := m.forceChunk(v, at, chunk, write)
		done += n
		if !ok {
			break
		}
	}
	return done
}

// forceChunk moves chunk to or from [at, at+len(chunk)) inside v: through
// the memfd for memory in it, whatever the protection, and through the
// host mapping for a host-shared VMA, which must allow the access.
func (m *Mem) forceChunk(v *VMA, at uint64, chunk []byte, write bool) (int, bool) {
	want := unix.PROT_READ
	if write {
		want = unix.PROT_WRITE
	}
	if v.HostShared && v.Flags&unix.MAP_TYPE == unix.MAP_PRIVATE && hostProt(v.Prot)&want == 0 {
		// A private mapping of a file (a program's code): the host's
		// /proc/self/mem forces the access; a write makes a page of its
		// own.
		n := forceHost(uintptr(m.base)+uintptr(at), chunk, write)
		return n, n == len(chunk)
	}
	if v.HostShared {
		if hostProt(v.Prot)&want != want {
			return 0, false
		}
		h := unsafe.Slice((*byte)(unsafe.Add(m.base, at)), len(chunk))
		if write {
			copy(h, chunk)
		} else {
			copy(chunk, h)
		}
		return len(chunk), true
	}
	for done := 0; done < len(chunk); {
		var n int
		var err error
		if write {
			n, err = unix.Pwrite(m.fd, chunk[done:], int64(at)+int64(done))
		} else {
			n, err = unix.Pread(m.fd, chunk[done:], int64(at)+int64(done))
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return done, false
		}
		done += n
	}
	return len(chunk), true
}

// forceHost writes b at host address addr, or reads it, whatever its
// protection, as the kernel does for /proc/self/mem, and returns how much
// it moved.
func forceHost(addr uintptr, b []byte, write bool) int {
	fd, err := unix.Open("/proc/self/mem", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	done := 0
	for done < len(b) {
		var n int
		if write {
			n, err = unix.Pwrite(fd, b[done:], int64(addr)+int64(done))
		} else {
			n, err = unix.Pread(fd, b[done:], int64(addr)+int64(done))
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			break
		}
		done += n
	}
	return done
}
