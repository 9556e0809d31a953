package mem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// A source stands for the object one mmap call mapped. VMAs split from the
// same call share it, and only they merge with each other, as Linux merges
// only VMAs of the same file.
//
// For a writable private file mapping it also holds a view: a read-only
// host mapping of the file outside the window. Its contents are copied into
// the memfd, and the view lets pages be read again from the file later
// (MADV_DONTNEED, mremap growth) without keeping a file descriptor, which
// the guest would see in its fd table. A read-only one is the host's own
// mapping of the file (map.go) and holds neither a view nor an fd until
// its first fork (holdPath).
//
// A forked child has no view of its private file mappings at first: it
// opens the file by path, checks that it is the same one (dev, ino), and
// maps the view the first time it needs a page again.
//
// A host-shared mapping holds an fd of its object (an O_PATH fd of the
// guest's file, or the memfd of shared anonymous memory a fork moved out of
// the window's memfd), hidden from the guest, so that a forked child can map
// the same object.
type source struct {
	view unsafe.Pointer // the file from offset off, size bytes; nil if none
	off  uint64
	size uint64
	refs int // VMAs pointing at it

	path     string // file to map the view from when view is nil
	dev, ino uint64

	fd    int // held fd of the mapped object, if held
	held  bool
	opath bool // fd is an O_PATH fd of the file (holdFile)

	shm *shmSeg // the SysV segment attached (shm.go), or nil
}

// retain and release count the VMAs in the list that point at a source; the
// last release unmaps the view.
func retain(v *VMA) {
	if v.src != nil {
		v.src.refs++
	}
}

func (m *Mem) release(v *VMA) {
	s := v.src
	if s == nil {
		return
	}
	if s.refs--; s.refs == 0 {
		m.drop(s)
	}
}

// drop frees what a source holds.
func (m *Mem) drop(s *source) {
	if s.view != nil {
		unix.MunmapPtr(s.view, uintptr(s.size))
		s.view = nil
	}
	if s.held {
		m.unhold(s.fd)
		unix.Close(s.fd)
		s.held = false
	}
}

// openView maps the view of a forked child's private file mapping, once.
// If the file is gone or another, the pages read as zeros.
func (s *source) openView() {
	path := s.path
	s.path = ""
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Dev != s.dev || st.Ino != s.ino {
		return
	}
	if p, err := unix.MmapPtr(fd, int64(s.off), nil, uintptr(s.size), unix.PROT_READ, unix.MAP_PRIVATE); err == nil {
		s.view = p
	}
}

// fill copies the file contents of [start, end), a hole in the memfd inside
// v, from v's view. Pages past the end of the file stay zero: the kernel
// stops copying with EFAULT where the view would raise SIGBUS.
func (m *Mem) fill(v *VMA, start, end uint64) error {
	s := v.src
	if s != nil && s.view == nil && s.path != "" {
		s.openView()
	}
	if s == nil || s.view == nil {
		return nil
	}
	off := v.fileOff(start) - s.off
	if need := off + end - start; need > s.size {
		// The mapping grew (mremap): extend the view over the file.
		p, err := unix.MremapPtr(s.view, uintptr(s.size), nil, uintptr(need), unix.MREMAP_MAYMOVE)
		if err != nil {
			return err
		}
		s.view, s.size = p, need
	}
	b := unsafe.Slice((*byte)(unsafe.Add(s.view, off)), end-start)
	for done := 0; done < len(b); {
		n, err := unix.Pwrite(m.fd, b[done:], int64(start)+int64(done))
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EFAULT || n == 0:
			return nil
		case err != nil:
			return err
		}
		done += n
	}
	return nil
}

// moveData copies the memfd contents of [src, src+n) to [dst, dst+n), a hole,
// skipping holes so that untouched memory stays unallocated.
func (m *Mem) moveData(src, dst, n uint64) error {
	return copyData(m.fd, m.fd, src, dst, n)
}

// copyData copies [src, src+n) of file sfd to [dst, dst+n) of file dfd, a
// hole, skipping holes.
func copyData(sfd, dfd int, src, dst, n uint64) error {
	for off := uint64(0); off < n; {
		d, err := unix.Seek(sfd, int64(src+off), unix.SEEK_DATA)
		if err == unix.ENXIO || (err == nil && uint64(d) >= src+n) {
			return nil
		}
		if err != nil {
			return err
		}
		h, err := unix.Seek(sfd, d, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		off = uint64(d) - src
		end := min(uint64(h)-src, n)
		for off < end {
			ro, wo := int64(src+off), int64(dst+off)
			c, err := unix.CopyFileRange(sfd, &ro, dfd, &wo, int(end-off), 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			if c == 0 {
				return unix.EIO
			}
			off += uint64(c)
		}
	}
	return nil
}
