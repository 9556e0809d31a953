// Package loader puts a program into a fresh guest address space the way the
// Linux kernel's execve does: ELF segments, the interpreter for dynamic
// programs, #! scripts, and the initial stack with argv, envp and auxv.
package loader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Error is a load failure that the command line prints as one line. Errno is
// what execve would have returned to a guest.
type Error struct {
	Path  string
	Msg   string
	Errno unix.Errno
}

func (e *Error) Error() string { return quotePath(e.Path) + ": " + e.Msg }

// quotePath quotes a path with control characters or invalid UTF-8, which
// would otherwise break the one-line message.
func quotePath(p string) string {
	if !utf8.ValidString(p) || strings.ContainsFunc(p, unicode.IsControl) {
		return strconv.Quote(p)
	}
	return p
}

func fail(path string, errno unix.Errno, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...), Errno: errno}
}

// ELF constants the loader needs.
const (
	ptLoad   = 1
	ptInterp = 3
	ptPhdr   = 6
	ptStack  = 0x6474e551

	etExec = 2
	etDyn  = 3

	emX8664 = 62

	ehdrSize = 64
	phdrSize = 56
	maxPhdrs = 65536 / phdrSize
)

// phdr is one ELF64 program header.
type phdr struct {
	Type, Flags                             uint32
	Off, Vaddr, Paddr, Filesz, Memsz, Align uint64
}

// elfFile is a parsed, validated ELF64 x86-64 executable.
type elfFile struct {
	path      string
	f         *os.File
	size      int64
	typ       uint16
	entry     uint64
	phoff     uint64
	phdrs     []phdr
	interp    string
	execStack bool
}

// openELF opens and validates an ELF executable. Like the kernel, it looks
// only at the ELF header and program headers.
func openELF(path string) (*elfFile, error) {
	// Like execve, refuse anything but a regular file before opening it:
	// opening a FIFO blocks and opening a device has side effects.
	st, err := os.Stat(path)
	if err != nil {
		return nil, openError(path, err)
	}
	if err := checkRegular(path, st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, openError(path, err)
	}
	if st, err = f.Stat(); err == nil {
		err = checkRegular(path, st)
	} else {
		err = openError(path, err)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	e, err := parseELF(path, f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	return e, nil
}

func checkRegular(path string, st os.FileInfo) error {
	switch {
	case st.IsDir():
		return fail(path, unix.EACCES, "is a directory")
	case !st.Mode().IsRegular():
		return fail(path, unix.EACCES, "not a regular file")
	}
	return nil
}

func openError(path string, err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return fail(path, errno, "%s", ErrnoText(errno))
	}
	return fail(path, unix.ENOENT, "%v", err)
}

// ErrnoText is strerror with a capital letter, as shells and strace print it.
func ErrnoText(e unix.Errno) string {
	s := e.Error()
	if s == "" || strings.HasPrefix(s, "errno ") {
		return "Unknown error " + strconv.Itoa(int(e))
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// readerAt is the part of *os.File the parser needs, so tests and fuzzers can
// feed it bytes.
type readerAt interface {
	ReadAt(b []byte, off int64) (int, error)
}

func parseELF(path string, r readerAt, size int64) (*elfFile, error) {
	var h [ehdrSize]byte
	n, _ := r.ReadAt(h[:], 0)
	if n < 4 || string(h[:4]) != "\x7fELF" {
		if n >= 2 && string(h[:2]) == "#!" {
			return nil, errScript
		}
		return nil, fail(path, unix.ENOEXEC, "not an ELF executable")
	}
	if n < ehdrSize {
		return nil, fail(path, unix.ENOEXEC, "truncated ELF header")
	}
	switch {
	case h[4] == 1:
		return nil, fail(path, unix.ENOEXEC, "32-bit ELF is not supported: guestrun runs x86-64 programs")
	case h[4] != 2:
		return nil, fail(path, unix.ENOEXEC, "invalid ELF class %d", h[4])
	case h[5] != 1:
		return nil, fail(path, unix.ENOEXEC, "big-endian ELF is not supported")
	}
	le := binary.LittleEndian
	e := &elfFile{path: path, size: size}
	if f, ok := r.(*os.File); ok {
		e.f = f
	}
	e.typ = le.Uint16(h[16:])
	if m := le.Uint16(h[18:]); m != emX8664 {
		return nil, fail(path, unix.ENOEXEC, "ELF for machine %d is not x86-64", m)
	}
	if e.typ != etExec && e.typ != etDyn {
		return nil, fail(path, unix.ENOEXEC, "ELF type %d is not an executable", e.typ)
	}
	e.entry = le.Uint64(h[24:])
	e.phoff = le.Uint64(h[32:])
	phentsize := le.Uint16(h[54:])
	phnum := le.Uint16(h[56:])
	if phentsize != phdrSize {
		return nil, fail(path, unix.ENOEXEC, "invalid ELF: program header size %d", phentsize)
	}
	if phnum == 0 || int(phnum) > maxPhdrs {
		return nil, fail(path, unix.ENOEXEC, "invalid ELF: %d program headers", phnum)
	}
	tbl := make([]byte, int(phnum)*phdrSize)
	if e.phoff > uint64(size) || uint64(len(tbl)) > uint64(size)-e.phoff {
		return nil, fail(path, unix.ENOEXEC, "truncated ELF: program headers past the end of the file")
	}
	if n, _ := r.ReadAt(tbl, int64(e.phoff)); n != len(tbl) {
		return nil, fail(path, unix.ENOEXEC, "truncated ELF: cannot read program headers")
	}
	var loads int
	for i := 0; i < int(phnum); i++ {
		b := tbl[i*phdrSize:]
		p := phdr{
			Type: le.Uint32(b), Flags: le.Uint32(b[4:]), Off: le.Uint64(b[8:]), Vaddr: le.Uint64(b[16:]),
			Paddr: le.Uint64(b[24:]), Filesz: le.Uint64(b[32:]), Memsz: le.Uint64(b[40:]), Align: le.Uint64(b[48:]),
		}
		switch p.Type {
		case ptLoad:
			if err := checkLoad(path, &p, size); err != nil {
				return nil, err
			}
			loads++
		case ptInterp:
			if e.interp != "" {
				break // the kernel uses the first
			}
			if p.Filesz < 2 || p.Filesz > unix.PathMax || p.Off > uint64(size) || p.Filesz > uint64(size)-p.Off {
				return nil, fail(path, unix.ENOEXEC, "invalid ELF: bad PT_INTERP")
			}
			s := make([]byte, p.Filesz)
			if n, _ := r.ReadAt(s, int64(p.Off)); n != len(s) || s[len(s)-1] != 0 {
				return nil, fail(path, unix.ENOEXEC, "invalid ELF: bad PT_INTERP")
			}
			// The kernel uses the path up to its first NUL.
			s = s[:bytes.IndexByte(s, 0)]
			if len(s) == 0 {
				return nil, fail(path, unix.ENOENT, "invalid ELF: empty PT_INTERP")
			}
			e.interp = string(s)
		case ptStack:
			e.execStack = p.Flags&1 != 0
		}
		e.phdrs = append(e.phdrs, p)
	}
	if loads == 0 {
		return nil, fail(path, unix.ENOEXEC, "invalid ELF: no loadable segment")
	}
	return e, nil
}

func checkLoad(path string, p *phdr, size int64) error {
	switch {
	case p.Filesz > p.Memsz:
		return fail(path, unix.ENOEXEC, "invalid ELF: segment file size exceeds memory size")
	case p.Filesz > 0 && (p.Off > uint64(size) || p.Filesz > uint64(size)-p.Off):
		return fail(path, unix.ENOEXEC, "truncated ELF: segment past the end of the file")
	case p.Vaddr%mem.PageSize != p.Off%mem.PageSize:
		return fail(path, unix.ENOEXEC, "invalid ELF: segment offset and address disagree modulo the page size")
	case !mem.InWindow(p.Vaddr, p.Memsz):
		return fail(path, unix.ENOMEM, "invalid ELF: segment at %#x+%#x does not fit the guest address space", p.Vaddr, p.Memsz)
	}
	return nil
}

// span returns the page-aligned range the PT_LOAD segments cover.
func (e *elfFile) span() (lo, hi uint64) {
	lo = ^uint64(0)
	for _, p := range e.phdrs {
		if p.Type != ptLoad {
			continue
		}
		lo = min(lo, p.Vaddr&^(mem.PageSize-1))
		hi = max(hi, pageUp(p.Vaddr+p.Memsz))
	}
	return lo, hi
}

func pageUp(a uint64) uint64 { return (a + mem.PageSize - 1) &^ (mem.PageSize - 1) }

// progProt converts ELF segment flags to PROT bits.
func progProt(flags uint32) int {
	var p int
	if flags&4 != 0 {
		p |= unix.PROT_READ
	}
	if flags&2 != 0 {
		p |= unix.PROT_WRITE
	}
	if flags&1 != 0 {
		p |= unix.PROT_EXEC
	}
	return p
}

// mapInto maps the segments at bias and returns the end of the highest one.
func (e *elfFile) mapInto(m *mem.Mem, bias uint64) (uint64, error) {
	var end uint64
	fd := -1
	name := "" // what /proc/self/maps shows, looked up once for all segments
	if e.f != nil {
		fd = int(e.f.Fd())
		name = mem.FDPath(fd)
	}
	for _, p := range e.phdrs {
		if p.Type != ptLoad || p.Memsz == 0 {
			continue
		}
		prot := progProt(p.Flags)
		va := bias + p.Vaddr
		start := va &^ (mem.PageSize - 1)
		fileEnd := va + p.Filesz
		memEnd := va + p.Memsz
		off := p.Off &^ (mem.PageSize - 1)
		if p.Filesz > 0 {
			// The rest of the last file page may be the start of .bss,
			// to be cleared. Without that, a segment the program cannot
			// write is mapped as it is: the host maps the file rather
			// than copying it (mem's private file mappings).
			tail := memEnd > fileEnd && pageUp(fileEnd) > fileEnd
			mprot := prot
			if tail {
				mprot |= unix.PROT_WRITE
			}
			if _, err := m.Map(start, pageUp(fileEnd)-start, mprot, unix.MAP_PRIVATE|unix.MAP_FIXED, fd, off, name); err != nil {
				return 0, fail(e.path, unix.ENOMEM, "mapping segment at %#x: %v", va, err)
			}
			if tail {
				b, _ := m.Slice(fileEnd, pageUp(fileEnd)-fileEnd, unix.PROT_WRITE)
				clear(b)
			}
			if mprot != prot {
				if err := m.Protect(start, pageUp(fileEnd)-start, prot); err != nil {
					return 0, fail(e.path, unix.ENOMEM, "protecting segment at %#x: %v", va, err)
				}
			}
		}
		bss := pageUp(fileEnd)
		if p.Filesz == 0 {
			// A segment of only zeros starts on the page it is in, which
			// the previous segment may already hold.
			bss = start
			if v, ok := m.Lookup(start); ok {
				bss = pageUp(va)
				if err := zeroTail(m, v, va, min(bss, memEnd)); err != nil {
					return 0, fail(e.path, unix.ENOMEM, "clearing .bss at %#x: %v", va, err)
				}
			}
		}
		if pageUp(memEnd) > bss {
			if _, err := m.Map(bss, pageUp(memEnd)-bss, prot, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0, ""); err != nil {
				return 0, fail(e.path, unix.ENOMEM, "mapping .bss at %#x: %v", bss, err)
			}
		}
		end = max(end, memEnd)
	}
	return end, nil
}

// zeroTail clears [from, to) inside the mapping v, whatever its protection.
func zeroTail(m *mem.Mem, v mem.VMA, from, to uint64) error {
	page := from &^ (mem.PageSize - 1)
	if err := m.Protect(page, mem.PageSize, v.Prot|unix.PROT_WRITE); err != nil {
		return err
	}
	b, err := m.Slice(from, to-from, unix.PROT_WRITE)
	if err != nil {
		return err
	}
	clear(b)
	return m.Protect(page, mem.PageSize, v.Prot)
}

// phdrAddr is where the program headers are in guest memory.
func (e *elfFile) phdrAddr(bias uint64) uint64 {
	for _, p := range e.phdrs {
		if p.Type == ptPhdr {
			return bias + p.Vaddr
		}
	}
	for _, p := range e.phdrs {
		if p.Type == ptLoad && p.Off <= e.phoff && e.phoff < p.Off+p.Filesz {
			return bias + p.Vaddr + (e.phoff - p.Off)
		}
	}
	return 0
}
