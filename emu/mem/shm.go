package mem

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SysV shared memory. An attached segment is the host's own attachment of
// it placed over the window, a host-shared VMA like a shared file mapping:
// munmap puts the memfd back under it, mprotect is the host's (which refuses
// write access to a read-only attachment). The host attaches the segment
// outside the window first, which checks the id and the permissions, and
// the attachment is then moved into place. A forked child attaches the
// segment again by its id.

// A shmSeg is one shmat call's attachment: the VMAs split from it share it
// through their source.
type shmSeg struct {
	id   int
	flg  int    // shmat's SHM_RDONLY and SHM_EXEC
	size uint64 // the segment's size, in whole pages
}

const (
	shmRemap = 0o40000
	shmExec  = 0o100000

	// shmHostFlags are the shmat flags the host attachment is made with.
	shmHostFlags = unix.SHM_RDONLY | shmExec
)

// shmProbe attaches segment id outside the window and returns the
// attachment, its size in pages and the segment's key.
func shmProbe(id, flg int) (unsafe.Pointer, uint64, int32, error) {
	b, err := unix.SysvShmAttach(id, 0, flg&shmHostFlags)
	if err != nil {
		return nil, 0, 0, err
	}
	p := unsafe.Pointer(&b[0])
	var ds unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &ds); err != nil {
		unix.SysvShmDetach(b)
		return nil, 0, 0, err
	}
	return p, pageUp(ds.Segsz), ds.Perm.Key, nil
}

// Shmat implements shmat(2): it attaches segment id at addr, or where mmap
// would place it for 0, and returns the address.
func (m *Mem) Shmat(id int, addr uint64, flg int) (uint64, error) {
	flags := unix.MAP_SHARED
	if addr != 0 {
		// SHMLBA is the page size on x86.
		if addr%PageSize != 0 {
			if flg&unix.SHM_RND == 0 {
				return 0, ErrInval
			}
			addr &^= PageSize - 1
			if addr == 0 && flg&shmRemap != 0 {
				return 0, ErrInval
			}
		}
		flags |= unix.MAP_FIXED
	} else if flg&shmRemap != 0 {
		return 0, ErrInval
	}
	prot := unix.PROT_READ | unix.PROT_WRITE
	if flg&unix.SHM_RDONLY != 0 {
		prot = unix.PROT_READ
	}
	if flg&shmExec != 0 {
		prot |= unix.PROT_EXEC
	}
	probe, size, key, err := shmProbe(id, flg)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	switch {
	case addr != 0 && flg&shmRemap == 0 && (addr+size < addr || m.overlaps(addr, addr+size)):
		err = ErrInval
	default:
		addr, err = m.place(addr, size, flags)
		if err == nil && !m.mayExpand(size-m.mappedIn(addr, addr+size), false) {
			err = ErrNoMem
		}
	}
	if err != nil {
		m.mu.Unlock()
		unix.Syscall(unix.SYS_SHMDT, uintptr(probe), 0, 0)
		return 0, err
	}
	v := VMA{Start: addr, End: addr + size, Prot: prot, Flags: unix.MAP_SHARED, HostShared: true,
		src: &source{shm: &shmSeg{id: id, flg: flg & shmHostFlags, size: size}}}
	m.shmVMA(&v, id, key)
	err = m.unmapLocked(v.Start, v.End)
	if err == nil {
		err = m.install(&v, probe)
	}
	if err != nil {
		unix.Syscall(unix.SYS_SHMDT, uintptr(probe), 0, 0)
		m.clearLocked(v.Start, v.End)
		m.mu.Unlock()
		m.changed(v.Start, v.End)
		return 0, err
	}
	// The host attachment of SHM_EXEC is executable; the guest's code is
	// read, never run. Dropping a right cannot fail.
	unix.Mprotect(m.hostBytes(v.Start, v.End), hostProt(prot))
	m.insert(v)
	m.mu.Unlock()
	m.changed(v.Start, v.End)
	return addr, nil
}

// shmVMA labels a segment's VMA as Linux shows it in /proc/pid/maps: a
// deleted shmem file named after the key, whose inode number is the id.
func (m *Mem) shmVMA(v *VMA, id int, key int32) {
	v.Name = fmt.Sprintf("/SYSV%08x (deleted)", uint32(key))
	v.Dev, v.Inode = m.shmDev, uint64(id)
}

// HasShm reports whether a SysV segment is attached: unmapping the memory
// detaches it, which other processes see in shm_nattch.
func (m *Mem) HasShm() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.vmas {
		if m.vmas[i].isShm() {
			return true
		}
	}
	return false
}

// isShm reports whether v is an attached SysV segment.
func (v *VMA) isShm() bool { return v.src != nil && v.src.shm != nil }

// Shmdt implements shmdt(2): it detaches the segment attached at addr,
// whatever parts of that attachment remain within the segment's size.
func (m *Mem) Shmdt(addr uint64) error {
	if addr%PageSize != 0 {
		return ErrInval
	}
	m.mu.Lock()
	var seg *source
	var ranges [][2]uint64
	for i := m.find(addr); i < len(m.vmas); i++ {
		v := &m.vmas[i]
		if seg != nil && v.End-addr > seg.shm.size {
			break
		}
		if !v.isShm() || v.Start < addr || v.Start-addr != v.Offset || seg != nil && v.src != seg {
			continue
		}
		seg = v.src
		ranges = append(ranges, [2]uint64{v.Start, v.End})
	}
	if seg == nil {
		m.mu.Unlock()
		return ErrInval
	}
	var err error
	for _, r := range ranges {
		if e := m.unmapLocked(r[0], r[1]); e != nil && err == nil {
			err = e
		}
	}
	m.mu.Unlock()
	for _, r := range ranges {
		m.changed(r[0], r[1])
	}
	return err
}

// forkShm describes v, if it is an attached segment, for a forked child.
func forkShm(v *VMA, fv *ForkVMA) bool {
	if !v.isShm() {
		return false
	}
	s := v.src.shm
	fv.Shm, fv.Shmid, fv.ShmFlg = true, s.id, s.flg
	return true
}

// restoreShm attaches a forked child's segment again for its VMA fv, at p:
// the host attaches the whole segment elsewhere, and the VMA's part of it is
// moved into place.
func restoreShm(fv *ForkVMA, s *source, p unsafe.Pointer) error {
	probe, size, _, err := shmProbe(fv.Shmid, fv.ShmFlg)
	if err != nil {
		return err
	}
	if s.shm == nil {
		s.shm = &shmSeg{id: fv.Shmid, flg: fv.ShmFlg, size: size}
	}
	n := fv.End - fv.Start
	if fv.Offset+n > size {
		unix.MunmapPtr(probe, uintptr(size))
		return ErrInval
	}
	_, err = unix.MremapPtr(unsafe.Add(probe, fv.Offset), uintptr(n), p, uintptr(n), unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED)
	if err != nil {
		unix.MunmapPtr(probe, uintptr(size))
		return err
	}
	// What the VMA does not cover goes.
	if fv.Offset > 0 {
		unix.MunmapPtr(probe, uintptr(fv.Offset))
	}
	if rest := size - fv.Offset - n; rest > 0 {
		unix.MunmapPtr(unsafe.Add(probe, fv.Offset+n), uintptr(rest))
	}
	return unix.Mprotect(unsafe.Slice((*byte)(p), n), hostProt(fv.Prot))
}
