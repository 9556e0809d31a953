package lockstep

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Making and keeping the native address space a copy of the guest's. The
// native child never maps anything itself: its mappings inside the guest
// window are created by injected mmap calls that mirror the guest's VMA list,
// and filled from the guest's memory.

const chunk = 1 << 20

// memDiff is a memory difference found by a comparison.
type memDiff struct {
	addr          uint64
	native, guest []byte
}

// mirrorInitial replaces everything the kernel mapped for the native child
// inside the guest window with copies of the guest's mappings.
func (l *checker) mirrorInitial() error {
	n := l.n
	l.checkLayout()
	if err := n.injectOK("munmap", unix.SYS_MUNMAP, 0, mem.WindowSize, 0, 0, 0, 0); err != nil {
		return err
	}
	for _, v := range l.g.m.VMAs() {
		if err := l.mapFresh(&v, v.Start, v.End); err != nil {
			return err
		}
	}
	return nil
}

// checkLayout compares the mappings the kernel made for the program inside
// the guest window (those of a non-PIE static program: the kernel puts
// everything else above the window) with the guest's, and the start of the
// break, and records the differences as warnings.
func (l *checker) checkLayout() {
	if l.g.img.Interp != "" {
		return // the kernel puts the interpreter above the window
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", l.n.pid))
	if err != nil {
		return
	}
	type span struct {
		lo, hi uint64
		prot   int
	}
	var kern, guest []span
	add := func(list []span, s span) []span {
		if k := len(list) - 1; k >= 0 && list[k].hi == s.lo && list[k].prot == s.prot {
			list[k].hi = s.hi
			return list
		}
		return append(list, s)
	}
	for _, line := range strings.Split(string(maps), "\n") {
		var lo, hi uint64
		var perms string
		if _, err := fmt.Sscanf(line, "%x-%x %s", &lo, &hi, &perms); err != nil || lo >= mem.WindowSize {
			continue
		}
		prot := 0
		for i, p := range []int{unix.PROT_READ, unix.PROT_WRITE, unix.PROT_EXEC} {
			if len(perms) > i && perms[i] != '-' {
				prot |= p
			}
		}
		kern = add(kern, span{lo, hi, prot})
	}
	if len(kern) == 0 {
		return
	}
	for _, v := range l.g.m.VMAs() {
		if v.Name != "[stack]" {
			guest = add(guest, span{v.Start, v.End, v.Prot})
		}
	}
	show := func(list []span) string {
		var b strings.Builder
		for _, s := range list {
			fmt.Fprintf(&b, " %#x-%#x:%d", s.lo, s.hi, s.prot)
		}
		return b.String()
	}
	if !slices.Equal(kern, guest) {
		l.warn("the kernel maps the program as%s; guestrun as%s", show(kern), show(guest))
	}
	if b := nativeStartBrk(l.n.pid); b != 0 && b != l.g.m.BrkStart {
		l.warn("the kernel starts the break at %#x, guestrun at %#x", b, l.g.m.BrkStart)
	}
}

// nativeStartBrk reads start_brk from /proc/pid/stat, 0 if unknown.
func nativeStartBrk(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	// Fields from the state (3rd) on; start_brk is the 47th.
	f := strings.Fields(s[i+1:])
	if len(f) < 45 {
		return 0
	}
	v, _ := strconv.ParseUint(f[44], 10, 64)
	return v
}

// mapFresh maps [lo, hi) of guest VMA v anew in the child and copies its
// contents.
func (l *checker) mapFresh(v *mem.VMA, lo, hi uint64) error {
	flags := uint64(unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED)
	if err := l.n.injectOK("mmap", unix.SYS_MMAP, lo, hi-lo, uint64(v.Prot), flags, ^uint64(0), 0); err != nil {
		return err
	}
	// The new mapping reads as zeros: copy only what is not.
	return l.g.extents(v, lo, hi, func(a, b uint64) error {
		for a < b {
			end := min(b, a+chunk)
			buf := l.gbuf[:end-a]
			if err := l.g.readRaw(v, a, buf); err != nil {
				return err
			}
			for p := uint64(0); p < uint64(len(buf)); p += mem.PageSize {
				q := min(p+mem.PageSize, uint64(len(buf)))
				if !allZero(buf[p:q]) {
					if err := l.n.write(a+p, buf[p:q]); err != nil {
						return err
					}
				}
			}
			a = end
		}
		return nil
	})
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// extents calls f for the parts of [lo, hi) of v that may hold data: the
// memfd's data extents (its holes read as zeros), or all of a host-shared
// mapping.
func (g *guest) extents(v *mem.VMA, lo, hi uint64, f func(a, b uint64) error) error {
	if v.HostShared {
		return f(lo, hi)
	}
	fd := g.m.FD()
	for off := lo; off < hi; {
		d, err := unix.Seek(fd, int64(off), unix.SEEK_DATA)
		if err == unix.ENXIO {
			return nil
		}
		if err != nil {
			return f(off, hi)
		}
		if uint64(d) >= hi {
			return nil
		}
		h, err := unix.Seek(fd, d, unix.SEEK_HOLE)
		end := hi
		if err == nil && uint64(h) < hi {
			end = uint64(h)
		}
		if err := f(uint64(d), end); err != nil {
			return err
		}
		off = end
	}
	return nil
}

// vmaAt finds the VMA containing a in a sorted list.
func vmaAt(vs []mem.VMA, a uint64) (*mem.VMA, bool) {
	i := sort.Search(len(vs), func(i int) bool { return vs[i].End > a })
	if i < len(vs) && vs[i].Start <= a {
		return &vs[i], true
	}
	return nil, false
}

// sameBacking reports whether two VMAs show the same memory at a: only their
// protection may differ.
func sameBacking(b, a *mem.VMA, at uint64) bool {
	const ign = unix.MAP_FIXED | unix.MAP_FIXED_NOREPLACE | unix.MAP_POPULATE
	if b.Flags&^ign != a.Flags&^ign || b.Name != a.Name || b.HostShared != a.HostShared || b.Dev != a.Dev ||
		b.Inode != a.Inode {
		return false
	}
	if a.Flags&unix.MAP_ANONYMOUS == 0 && a.Name != "" {
		return b.Offset+(at-b.Start) == a.Offset+(at-a.Start)
	}
	return true
}

// mirrorLayout applies to the child what a guest syscall did to the guest's
// mappings: unmapped ranges are unmapped, new ones (and [forceLo, forceHi),
// the range a mmap returned) mapped afresh with their contents, and
// protection changes repeated.
func (l *checker) mirrorLayout(before, after []mem.VMA, forceLo, forceHi uint64) error {
	var pts []uint64
	for _, v := range before {
		pts = append(pts, v.Start, v.End)
	}
	for _, v := range after {
		pts = append(pts, v.Start, v.End)
	}
	if forceHi > forceLo {
		pts = append(pts, forceLo, forceHi)
	}
	slices.Sort(pts)
	pts = slices.Compact(pts)
	const (
		actUnmap = iota + 1
		actFresh
		actProtect
	)
	type seg struct {
		lo, hi uint64
		act    int
		v      *mem.VMA
	}
	var segs []seg
	for i := 0; i+1 < len(pts); i++ {
		lo, hi := pts[i], pts[i+1]
		bv, bok := vmaAt(before, lo)
		av, aok := vmaAt(after, lo)
		var act int
		switch {
		case !aok && !bok:
			continue
		case !aok:
			act = actUnmap
		case !bok || !sameBacking(bv, av, lo) || lo >= forceLo && hi <= forceHi:
			act = actFresh
		case bv.Prot != av.Prot:
			act = actProtect
		default:
			continue
		}
		if k := len(segs) - 1; k >= 0 && segs[k].hi == lo && segs[k].act == act &&
			(act == actUnmap || segs[k].v.Prot == av.Prot && (act == actProtect || segs[k].v == av)) {
			segs[k].hi = hi
			continue
		}
		segs = append(segs, seg{lo, hi, act, av})
	}
	for _, s := range segs {
		var err error
		switch s.act {
		case actUnmap:
			err = l.n.injectOK("munmap", unix.SYS_MUNMAP, s.lo, s.hi-s.lo, 0, 0, 0, 0)
		case actFresh:
			err = l.mapFresh(s.v, s.lo, s.hi)
		case actProtect:
			err = l.n.injectOK("mprotect", unix.SYS_MPROTECT, s.lo, s.hi-s.lo, uint64(s.v.Prot), 0, 0, 0)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// syncMemory compares the guest's writable memory with the child's. With
// fix, differing pages are copied to the child; otherwise the first
// difference is returned. With holes, pages the guest never wrote are
// compared too (as zeros); without, only the guest's data pages are.
func (l *checker) syncMemory(fix, holes bool, lo, hi uint64) (*memDiff, error) {
	for _, v := range l.g.m.VMAs() {
		if v.Prot&unix.PROT_WRITE == 0 || v.End <= lo || v.Start >= hi {
			continue
		}
		a, b := max(v.Start, lo), min(v.End, hi)
		var d *memDiff
		cmp := func(a, b uint64) error {
			var err error
			d, err = l.compareRange(&v, a, b, fix)
			if d != nil && err == nil {
				err = errFound
			}
			return err
		}
		var err error
		if holes {
			err = cmp(a, b)
		} else {
			err = l.g.extents(&v, a, b, cmp)
		}
		if err == errFound {
			return d, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

type foundError struct{}

func (foundError) Error() string { return "found" }

var errFound error = foundError{}

// compareRange compares [a, b) of guest VMA v with the child, page by page.
func (l *checker) compareRange(v *mem.VMA, a, b uint64, fix bool) (*memDiff, error) {
	for a < b {
		end := min(b, a+chunk)
		gb, nb := l.gbuf[:end-a], l.nbuf[:end-a]
		if err := l.g.readRaw(v, a, gb); err != nil {
			return nil, err
		}
		if err := l.n.read(a, nb); err != nil {
			return nil, err
		}
		if !bytes.Equal(gb, nb) {
			for p := uint64(0); p < uint64(len(gb)); p += mem.PageSize {
				q := min(p+mem.PageSize, uint64(len(gb)))
				if bytes.Equal(gb[p:q], nb[p:q]) {
					continue
				}
				if !fix {
					return newMemDiff(a+p, nb[p:q], gb[p:q]), nil
				}
				if err := l.n.write(a+p, gb[p:q]); err != nil {
					return nil, err
				}
			}
		}
		a = end
	}
	return nil, nil
}

// newMemDiff describes the first differing bytes of two equal-length views
// that start at addr.
func newMemDiff(addr uint64, native, guest []byte) *memDiff {
	i := 0
	for i < len(native) && native[i] == guest[i] {
		i++
	}
	i &^= 7
	j := min(i+16, len(native))
	return &memDiff{addr: addr + uint64(i), native: append([]byte(nil), native[i:j]...),
		guest: append([]byte(nil), guest[i:j]...)}
}
