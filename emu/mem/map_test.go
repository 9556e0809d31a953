package mem

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	rw       = unix.PROT_READ | unix.PROT_WRITE
	anonPriv = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	P        = PageSize
)

func newMem(t *testing.T) *Mem {
	t.Helper()
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func mustMap(t *testing.T, m *Mem, addr, n uint64, prot, flags, fd int, off uint64) uint64 {
	t.Helper()
	a, err := m.Map(addr, n, prot, flags, fd, off, "")
	if err != nil {
		t.Fatalf("Map(%#x, %#x, %d, %#x, %d, %#x): %v", addr, n, prot, flags, fd, off, err)
	}
	return a
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Errorf("%s: got error %v, want %v", what, got, want)
	}
}

// spans lists the VMAs as [start, end, prot] triples.
func spans(m *Mem) [][3]uint64 {
	var s [][3]uint64
	for _, v := range m.VMAs() {
		s = append(s, [3]uint64{v.Start, v.End, uint64(v.Prot)})
	}
	return s
}

func wantSpans(t *testing.T, m *Mem, want ...[3]uint64) {
	t.Helper()
	got := spans(m)
	if len(got) != len(want) {
		t.Fatalf("VMAs %x, want %x", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("VMAs %x, want %x", got, want)
		}
	}
}

func put(t *testing.T, m *Mem, addr uint64, s string) {
	t.Helper()
	if err := m.Write(addr, []byte(s)); err != nil {
		t.Fatalf("write at %#x: %v", addr, err)
	}
}

func get(t *testing.T, m *Mem, addr uint64, n int) string {
	t.Helper()
	b := make([]byte, n)
	if err := m.Read(addr, b); err != nil {
		t.Fatalf("read at %#x: %v", addr, err)
	}
	return string(b)
}

func tempFile(t *testing.T, content []byte) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestMapTopDownMerges(t *testing.T) {
	m := newMem(t)
	a := mustMap(t, m, 0, 2*P, rw, anonPriv, -1, 0)
	if a != MmapBase-2*P {
		t.Errorf("first mapping at %#x, want %#x", a, MmapBase-2*P)
	}
	b := mustMap(t, m, 0, P, rw, anonPriv, -1, 0)
	if b != a-P {
		t.Errorf("second mapping at %#x, want %#x", b, a-P)
	}
	wantSpans(t, m, [3]uint64{b, a + 2*P, rw})
	c := mustMap(t, m, 0, P, unix.PROT_READ, anonPriv, -1, 0)
	wantSpans(t, m, [3]uint64{c, b, unix.PROT_READ}, [3]uint64{b, a + 2*P, rw})
}

func TestMapFixedReplacesAndSplits(t *testing.T) {
	m := newMem(t)
	a := uint64(0x100000)
	mustMap(t, m, a, 4*P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	for i := uint64(0); i < 4; i++ {
		put(t, m, a+i*P, "page")
	}
	mustMap(t, m, a+P, P, unix.PROT_READ, anonPriv|unix.MAP_FIXED, -1, 0)
	wantSpans(t, m, [3]uint64{a, a + P, rw}, [3]uint64{a + P, a + 2*P, unix.PROT_READ}, [3]uint64{a + 2*P, a + 4*P, rw})
	if got := get(t, m, a+P, 4); got != "\x00\x00\x00\x00" {
		t.Errorf("replaced page reads %q, want zeros", got)
	}
	if got := get(t, m, a+3*P, 4); got != "page" {
		t.Errorf("kept page reads %q", got)
	}
	if err := m.Write(a+P, []byte{1}); !errors.Is(err, ErrFault) {
		t.Errorf("write to read-only page: %v, want EFAULT", err)
	}
	_, err := m.Map(a+3*P, 2*P, rw, anonPriv|unix.MAP_FIXED_NOREPLACE, -1, 0, "")
	wantErr(t, "MAP_FIXED_NOREPLACE over a mapping", err, ErrExists)
	if got := mustMap(t, m, a+4*P, P, rw, anonPriv|unix.MAP_FIXED_NOREPLACE, -1, 0); got != a+4*P {
		t.Errorf("MAP_FIXED_NOREPLACE on free range at %#x", got)
	}
	wantSpans(t, m, [3]uint64{a, a + P, rw}, [3]uint64{a + P, a + 2*P, unix.PROT_READ}, [3]uint64{a + 2*P, a + 5*P, rw})
}

func TestMapPlacement(t *testing.T) {
	m := newMem(t)
	if a := mustMap(t, m, 0x7000_0000, P, rw, anonPriv, -1, 0); a != 0x7000_0000 {
		t.Errorf("free hint gave %#x", a)
	}
	if a := mustMap(t, m, 0x7000_0800, P, rw, anonPriv, -1, 0); a == 0x7000_0000 || a == 0x7000_0800 {
		t.Errorf("taken hint gave %#x", a)
	}
	if a := mustMap(t, m, 0x1000, P, rw, anonPriv, -1, 0); a != MinMapAddr {
		t.Errorf("hint below mmap_min_addr gave %#x, want %#x", a, MinMapAddr)
	}
	if a := mustMap(t, m, WindowSize+0x1000000, P, rw, anonPriv, -1, 0); !InWindow(a, P) {
		t.Errorf("hint outside the window gave %#x", a)
	}
	for i := 0; i < 3; i++ {
		if a := mustMap(t, m, 0, 3*P, rw, anonPriv|unix.MAP_32BIT, -1, 0); a < 1<<30 || a+3*P > 1<<31 {
			t.Errorf("MAP_32BIT mapping at %#x", a)
		}
	}
	// A stack keeps its guard gap free of new mappings.
	m = newMem(t)
	top := uint64(MmapBase)
	mustMap(t, m, top-P, P, rw, anonPriv|unix.MAP_FIXED|unix.MAP_GROWSDOWN, -1, 0)
	if a := mustMap(t, m, 0, P, rw, anonPriv, -1, 0); a > top-P-guardGap-P {
		t.Errorf("mapping at %#x inside the stack guard gap", a)
	}
}

func TestMapErrors(t *testing.T) {
	m := newMem(t)
	ro, err := os.Open("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	wo, err := os.OpenFile(filepath.Join(t.TempDir(), "wo"), os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer wo.Close()
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	rofd, wofd := int(ro.Fd()), int(wo.Fd())
	for _, c := range []struct {
		name  string
		addr  uint64
		n     uint64
		prot  int
		flags int
		fd    int
		off   uint64
		want  error
	}{
		{"length 0", 0, 0, rw, anonPriv, -1, 0, ErrInval},
		{"length 0, bad fd", 0, 0, rw, unix.MAP_PRIVATE, 99999, 0, unix.EBADF},
		{"offset not aligned", 0, P, rw, unix.MAP_PRIVATE, 99999, 1, ErrInval},
		{"huge length", 0, 1 << 63, rw, anonPriv, -1, 0, ErrNoMem},
		{"fixed, not aligned", 0x100001, P, rw, anonPriv | unix.MAP_FIXED, -1, 0, ErrInval},
		{"fixed beyond TASK_SIZE", 1 << 47, P, rw, anonPriv | unix.MAP_FIXED, -1, 0, ErrNoMem},
		{"fixed beyond the window", WindowSize, P, rw, anonPriv | unix.MAP_FIXED, -1, 0, ErrNoMem},
		{"fixed across the window's end", WindowSize - P, 2 * P, rw, anonPriv | unix.MAP_FIXED, -1, 0, ErrNoMem},
		{"no type", 0, P, rw, unix.MAP_ANONYMOUS, -1, 0, ErrInval},
		{"type 0xf", 0, P, rw, 0xf, rofd, 0, ErrInval},
		{"shared validate anonymous", 0, P, rw, unix.MAP_SHARED_VALIDATE | unix.MAP_ANONYMOUS, -1, 0, ErrInval},
		{"shared validate MAP_SYNC", 0, P, unix.PROT_READ, unix.MAP_SHARED_VALIDATE | mapSync, rofd, 0, unix.EOPNOTSUPP},
		{"shared validate unknown flag", 0, P, unix.PROT_READ, unix.MAP_SHARED_VALIDATE | 0x800000, rofd, 0, unix.EOPNOTSUPP},
		{"private of write-only fd", 0, P, unix.PROT_READ, unix.MAP_PRIVATE, wofd, 0, unix.EACCES},
		{"shared writable of read-only fd", 0, P, rw, unix.MAP_SHARED, rofd, 0, unix.EACCES},
		{"directory", 0, P, unix.PROT_READ, unix.MAP_PRIVATE, int(dir.Fd()), 0, unix.ENODEV},
		{"pipe", 0, P, unix.PROT_READ, unix.MAP_PRIVATE, int(pr.Fd()), 0, unix.ENODEV},
		{"file MAP_GROWSDOWN", 0, P, unix.PROT_READ, unix.MAP_PRIVATE | unix.MAP_GROWSDOWN, rofd, 0, ErrInval},
		{"shared anonymous MAP_GROWSDOWN", 0, P, rw, unix.MAP_SHARED | unix.MAP_ANONYMOUS | unix.MAP_GROWSDOWN, -1, 0, ErrInval},
		{"anonymous MAP_HUGETLB", 0, P, rw, anonPriv | unix.MAP_HUGETLB, -1, 0, ErrNoMem},
		{"file MAP_HUGETLB", 0, P, unix.PROT_READ, unix.MAP_PRIVATE | unix.MAP_HUGETLB, rofd, 0, ErrInval},
		{"file offset overflow", 0, P, unix.PROT_READ, unix.MAP_PRIVATE, rofd, 1<<64 - P, unix.EOVERFLOW},
	} {
		_, err := m.Map(c.addr, c.n, c.prot, c.flags, c.fd, c.off, "")
		wantErr(t, c.name, err, c.want)
	}
	if vs := m.VMAs(); len(vs) != 0 {
		t.Errorf("failed maps left VMAs: %+v", vs)
	}
	// A failed MAP_FIXED leaves what was there.
	a := mustMap(t, m, 0x200000, P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	put(t, m, a, "keep")
	_, err = m.Map(a, P, rw, unix.MAP_SHARED|unix.MAP_FIXED, rofd, 0, "")
	wantErr(t, "failed MAP_FIXED", err, unix.EACCES)
	if got := get(t, m, a, 4); got != "keep" {
		t.Errorf("failed MAP_FIXED changed the old mapping: %q", got)
	}
}

func TestUnmap(t *testing.T) {
	m := newMem(t)
	a := mustMap(t, m, 0x300000, 3*P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	put(t, m, a+P, "x")
	if err := m.Unmap(a+P, 1); err != nil {
		t.Fatal(err)
	}
	wantSpans(t, m, [3]uint64{a, a + P, rw}, [3]uint64{a + 2*P, a + 3*P, rw})
	if _, err := m.Slice(a+P, 1, unix.PROT_READ); !errors.Is(err, ErrFault) {
		t.Errorf("Slice of unmapped memory: %v, want EFAULT", err)
	}
	if _, err := m.Slice(a+P-1, 2, unix.PROT_READ); !errors.Is(err, ErrFault) {
		t.Errorf("Slice across into unmapped memory: %v, want EFAULT", err)
	}
	// Mapping again gives fresh zeros.
	mustMap(t, m, a+P, P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	if got := get(t, m, a+P, 1); got != "\x00" {
		t.Errorf("remapped page reads %q", got)
	}
	wantSpans(t, m, [3]uint64{a, a + 3*P, rw})
	wantErr(t, "unaligned", m.Unmap(a+1, P), ErrInval)
	wantErr(t, "length 0", m.Unmap(a, 0), ErrInval)
	wantErr(t, "beyond TASK_SIZE", m.Unmap(TaskSize, P), ErrInval)
	wantErr(t, "past the window", m.Unmap(WindowSize, P), nil)
	wantErr(t, "across the window's end", m.Unmap(WindowSize-P, 2*P), nil)
	wantErr(t, "nothing mapped", m.Unmap(0x10000000, P), nil)
}

func TestProtect(t *testing.T) {
	m := newMem(t)
	a := mustMap(t, m, 0x400000, 4*P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	if err := m.Protect(a+P, 2*P, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	wantSpans(t, m, [3]uint64{a, a + P, rw}, [3]uint64{a + P, a + 3*P, unix.PROT_READ}, [3]uint64{a + 3*P, a + 4*P, rw})
	if err := m.Write(a+P, []byte{1}); err == nil {
		t.Error("write to read-only page succeeded")
	}
	if err := m.Protect(a, 4*P, rw); err != nil {
		t.Fatal(err)
	}
	wantSpans(t, m, [3]uint64{a, a + 4*P, rw})

	// A hole: the part before it changes, then ENOMEM.
	if err := m.Unmap(a+2*P, P); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "range with a hole", m.Protect(a, 4*P, unix.PROT_READ), ErrNoMem)
	wantSpans(t, m, [3]uint64{a, a + 2*P, unix.PROT_READ}, [3]uint64{a + 3*P, a + 4*P, rw})

	wantErr(t, "unmapped", m.Protect(0x10000000, P, unix.PROT_READ), ErrNoMem)
	wantErr(t, "length 0", m.Protect(0x10000000, 0, unix.PROT_READ), nil)
	wantErr(t, "unaligned", m.Protect(a+1, P, unix.PROT_READ), ErrInval)
	wantErr(t, "bad prot", m.Protect(a, P, 0x10), ErrInval)
	wantErr(t, "PROT_SEM", m.Protect(a, P, unix.PROT_READ|protSem), nil)
	wantErr(t, "GROWSDOWN and GROWSUP", m.Protect(a, P, unix.PROT_GROWSDOWN|unix.PROT_GROWSUP), ErrInval)
	wantErr(t, "GROWSDOWN on a plain mapping", m.Protect(a, P, unix.PROT_READ|unix.PROT_GROWSDOWN), ErrInval)
	wantErr(t, "overflow", m.Protect(a, 1<<64-100, unix.PROT_READ), ErrNoMem)
	wantErr(t, "beyond the window", m.Protect(WindowSize, P, unix.PROT_READ), ErrNoMem)

	s := mustMap(t, m, 0x500000, 2*P, rw, anonPriv|unix.MAP_FIXED|unix.MAP_GROWSDOWN, -1, 0)
	if err := m.Protect(s+P, P, unix.PROT_READ|unix.PROT_GROWSDOWN); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Lookup(s); v.Prot != unix.PROT_READ || v.End != s+2*P {
		t.Errorf("PROT_GROWSDOWN left %+v", v)
	}
}

func TestPrivateFileMapping(t *testing.T) {
	m := newMem(t)
	content := bytes.Repeat([]byte("0123456789abcdef"), 2*P/16+10) // 2 pages and a bit
	f := tempFile(t, content)
	fd := int(f.Fd())
	a := mustMap(t, m, 0, 4*P, rw, unix.MAP_PRIVATE, fd, P)
	if got := get(t, m, a, 16); got != string(content[P:P+16]) {
		t.Errorf("mapping at offset reads %q", got)
	}
	if got := get(t, m, a+P+160, 32); got != string(bytes.Repeat([]byte{0}, 32)) {
		t.Errorf("past the end of file reads %q, want zeros", got)
	}
	put(t, m, a, "PRIVATE")
	b := make([]byte, 7)
	f.ReadAt(b, P)
	if string(b) != string(content[P:P+7]) {
		t.Errorf("private write reached the file: %q", b)
	}
	var st unix.Stat_t
	unix.Fstat(fd, &st)
	v, _ := m.Lookup(a)
	if v.Name != f.Name() || v.Inode != st.Ino || v.Dev != st.Dev || v.Offset != P || v.Flags != unix.MAP_PRIVATE {
		t.Errorf("VMA %+v, want name %s inode %d offset %#x", v, f.Name(), st.Ino, P)
	}
	// Splitting keeps the file offsets; undoing it merges again.
	if err := m.Protect(a+P, P, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Lookup(a + 2*P); v.Offset != 3*P {
		t.Errorf("offset after split %#x, want %#x", v.Offset, 3*P)
	}
	if err := m.Protect(a+P, P, rw); err != nil {
		t.Fatal(err)
	}
	wantSpans(t, m, [3]uint64{a, a + 4*P, rw})

	// MADV_DONTNEED reads the file again, as Linux does.
	f.WriteAt([]byte("NEW"), P)
	if err := m.Advise(a, P, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, a, 7); got != "NEW3456" {
		t.Errorf("after MADV_DONTNEED reads %q", got)
	}
	// Two separate mappings of the file stay apart.
	c := mustMap(t, m, a+4*P, P, rw, unix.MAP_PRIVATE|unix.MAP_FIXED, fd, 5*P)
	if len(m.VMAs()) != 2 || c != a+4*P {
		t.Errorf("separate mmaps merged: %x", spans(m))
	}
	// The view of the file goes with the last piece of its mapping.
	v, _ = m.Lookup(a)
	src := v.src
	m.Protect(a+P, P, unix.PROT_READ)
	m.Unmap(a, 2*P)
	if src.view == nil || src.refs != 1 {
		t.Errorf("view released early: refs %d", src.refs)
	}
	m.Unmap(a+2*P, 2*P)
	if src.view != nil || src.refs != 0 {
		t.Errorf("view kept after unmap: refs %d", src.refs)
	}
}

func TestSharedFileMapping(t *testing.T) {
	m := newMem(t)
	f := tempFile(t, bytes.Repeat([]byte{'a'}, 2*P))
	a := mustMap(t, m, 0, 2*P, rw, unix.MAP_SHARED, int(f.Fd()), 0)
	put(t, m, a+P, "shared")
	b := make([]byte, 6)
	f.ReadAt(b, P)
	if string(b) != "shared" {
		t.Errorf("file has %q after a shared write", b)
	}
	f.WriteAt([]byte("file"), 0)
	if got := get(t, m, a, 4); got != "file" {
		t.Errorf("mapping shows %q after a file write", got)
	}
	v, _ := m.Lookup(a)
	if !v.HostShared || v.Flags != unix.MAP_SHARED {
		t.Errorf("VMA %+v", v)
	}
	// Read-only fd: mprotect to writable is refused by the host.
	ro, err := os.Open(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	r := mustMap(t, m, 0, P, unix.PROT_READ, unix.MAP_SHARED, int(ro.Fd()), 0)
	wantErr(t, "mprotect writable, read-only fd", m.Protect(r, P, rw), unix.EACCES)
	// MADV_DONTNEED keeps a shared mapping's contents.
	if err := m.Advise(a, 2*P, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, a+P, 6); got != "shared" {
		t.Errorf("after MADV_DONTNEED reads %q", got)
	}
	// Unmapping puts the memfd back: an anonymous mapping there is fresh.
	if err := m.Unmap(a, 2*P); err != nil {
		t.Fatal(err)
	}
	mustMap(t, m, a, 2*P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	if got := get(t, m, a+P, 6); got != "\x00\x00\x00\x00\x00\x00" {
		t.Errorf("anonymous memory after a shared file mapping reads %q", got)
	}
	f.ReadAt(b, P)
	if string(b) != "shared" {
		t.Errorf("file changed after unmap: %q", b)
	}
}

func TestDevZero(t *testing.T) {
	m := newMem(t)
	z, err := os.OpenFile("/dev/zero", os.O_RDWR, 0)
	if err != nil {
		t.Skip(err)
	}
	defer z.Close()
	a := mustMap(t, m, 0, P, rw, unix.MAP_PRIVATE, int(z.Fd()), 0)
	put(t, m, a, "x")
	v, _ := m.Lookup(a)
	if v.HostShared || v.Flags != unix.MAP_PRIVATE|unix.MAP_ANONYMOUS || v.Name != "/dev/zero" {
		t.Errorf("private /dev/zero VMA %+v", v)
	}
	s := mustMap(t, m, 0, P, rw, unix.MAP_SHARED, int(z.Fd()), 0)
	if v, _ := m.Lookup(s); v.HostShared || v.Flags != unix.MAP_SHARED|unix.MAP_ANONYMOUS || v.Name != "/dev/zero (deleted)" {
		t.Errorf("shared /dev/zero VMA %+v", v)
	}
}

func TestAdvise(t *testing.T) {
	m := newMem(t)
	a := mustMap(t, m, 0x600000, 3*P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	put(t, m, a, "anon")
	put(t, m, a+2*P, "keep")
	if err := m.Advise(a, P, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, a, 4); got != "\x00\x00\x00\x00" {
		t.Errorf("after MADV_DONTNEED reads %q", got)
	}
	if got := get(t, m, a+2*P, 4); got != "keep" {
		t.Errorf("MADV_DONTNEED went too far: %q", got)
	}
	s := mustMap(t, m, 0, P, rw, unix.MAP_SHARED|unix.MAP_ANONYMOUS, -1, 0)
	put(t, m, s, "shm")
	if err := m.Advise(s, P, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, s, 3); got != "shm" {
		t.Errorf("shared anonymous after MADV_DONTNEED reads %q", got)
	}
	if err := m.Advise(s, P, unix.MADV_REMOVE); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, s, 3); got != "\x00\x00\x00" {
		t.Errorf("shared anonymous after MADV_REMOVE reads %q", got)
	}
	wantErr(t, "MADV_REMOVE private", m.Advise(a, P, unix.MADV_REMOVE), ErrInval)
	wantErr(t, "MADV_FREE shared", m.Advise(s, P, unix.MADV_FREE), ErrInval)
	wantErr(t, "unknown advice", m.Advise(a, P, 999), ErrInval)
	wantErr(t, "unknown advice, length 0", m.Advise(a, 0, 999), ErrInval)
	wantErr(t, "unaligned", m.Advise(a+1, P, unix.MADV_DONTNEED), ErrInval)
	wantErr(t, "length 0", m.Advise(a, 0, unix.MADV_DONTNEED), nil)
	wantErr(t, "beyond the window", m.Advise(WindowSize, P, unix.MADV_NORMAL), ErrNoMem)

	// A hole: ENOMEM, but the mapped parts are still done.
	if err := m.Unmap(a+P, P); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "range with a hole", m.Advise(a, 3*P, unix.MADV_DONTNEED), ErrNoMem)
	if got := get(t, m, a+2*P, 4); got != "\x00\x00\x00\x00" {
		t.Errorf("page after the hole reads %q", got)
	}

	if err := m.Advise(a+2*P, P, unix.MADV_WIPEONFORK); err != nil {
		t.Fatal(err)
	}
	if err := m.Advise(a, P, unix.MADV_DONTFORK); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Lookup(a + 2*P); !v.WipeOnFork || v.DontFork {
		t.Errorf("VMA after MADV_WIPEONFORK %+v", v)
	}
	if v, _ := m.Lookup(a); !v.DontFork {
		t.Errorf("VMA after MADV_DONTFORK %+v", v)
	}
	wantErr(t, "MADV_WIPEONFORK shared", m.Advise(s, P, unix.MADV_WIPEONFORK), ErrInval)
}

func TestRemap(t *testing.T) {
	m := newMem(t)
	const mayMove = unix.MREMAP_MAYMOVE
	a := mustMap(t, m, 0x700000, 2*P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	put(t, m, a+P, "data")

	// Growing into free space stays in place.
	if got, err := m.Remap(a, 2*P, 3*P, 0, 0); err != nil || got != a {
		t.Fatalf("grow in place: %#x, %v", got, err)
	}
	wantSpans(t, m, [3]uint64{a, a + 3*P, rw})
	put(t, m, a+2*P, "new")

	// Growing against another mapping needs MAYMOVE and copies.
	mustMap(t, m, a+3*P, P, unix.PROT_READ, anonPriv|unix.MAP_FIXED, -1, 0)
	_, err := m.Remap(a, 3*P, 4*P, 0, 0)
	wantErr(t, "grow without room", err, ErrNoMem)
	b, err := m.Remap(a, 3*P, 4*P, mayMove, 0)
	if err != nil || b == a {
		t.Fatalf("grow by moving: %#x, %v", b, err)
	}
	if get(t, m, b+P, 4) != "data" || get(t, m, b+2*P, 3) != "new" || get(t, m, b+3*P, 1) != "\x00" {
		t.Error("moved mapping lost its contents")
	}
	if m.Accessible(a, 1, unix.PROT_READ) {
		t.Error("old range still mapped after a move")
	}

	// Shrinking unmaps the tail.
	if got, err := m.Remap(b, 4*P, P+1, 0, 0); err != nil || got != b {
		t.Fatalf("shrink: %#x, %v", got, err)
	}
	if v, _ := m.Lookup(b); v.End != b+2*P {
		t.Errorf("after shrink %+v", v)
	}

	// MREMAP_FIXED replaces what is at the target.
	c := uint64(0x900000)
	mustMap(t, m, c, 4*P, unix.PROT_READ, anonPriv|unix.MAP_FIXED, -1, 0)
	if got, err := m.Remap(b, 2*P, 2*P, mayMove|unix.MREMAP_FIXED, c+P); err != nil || got != c+P {
		t.Fatalf("MREMAP_FIXED: %#x, %v", got, err)
	}
	wantSpans(t, m, [3]uint64{a + 3*P, a + 4*P, unix.PROT_READ}, [3]uint64{c, c + P, unix.PROT_READ},
		[3]uint64{c + P, c + 3*P, rw}, [3]uint64{c + 3*P, c + 4*P, unix.PROT_READ})
	if got := get(t, m, c+2*P, 4); got != "data" {
		t.Errorf("after MREMAP_FIXED reads %q", got)
	}

	// MREMAP_DONTUNMAP leaves a fresh private mapping behind.
	d, err := m.Remap(c+P, 2*P, 2*P, mayMove|unix.MREMAP_DONTUNMAP, 0)
	if err != nil {
		t.Fatal(err)
	}
	if get(t, m, d+P, 4) != "data" || get(t, m, c+2*P, 4) != "\x00\x00\x00\x00" {
		t.Error("MREMAP_DONTUNMAP contents wrong")
	}

	for _, e := range []struct {
		name            string
		old, oldN, newN uint64
		flags           int
		newAddr         uint64
		want            error
	}{
		{"unmapped", 0x10000000, P, 2 * P, mayMove, 0, ErrFault},
		{"unmapped shrink", 0x10000000, 2 * P, P, 0, 0, ErrFault},
		{"across VMAs", c, 4 * P, 5 * P, mayMove, 0, ErrFault},
		{"new length 0", c, P, 0, mayMove, 0, ErrInval},
		{"FIXED without MAYMOVE", c, P, P, unix.MREMAP_FIXED, 0x20000000, ErrInval},
		{"bad flag", c, P, P, 8, 0, ErrInval},
		{"DONTUNMAP growing", c, P, 2 * P, mayMove | unix.MREMAP_DONTUNMAP, 0, ErrInval},
		{"unaligned", c + 1, P, P, mayMove, 0, ErrInval},
		{"unaligned target", c, P, P, mayMove | unix.MREMAP_FIXED, 0x20000800, ErrInval},
		{"overlapping target", c, 2 * P, 2 * P, mayMove | unix.MREMAP_FIXED, c + P, ErrInval},
		{"target beyond TASK_SIZE", c, P, P, mayMove | unix.MREMAP_FIXED, 1 << 47, ErrInval},
		{"target beyond the window", c, P, P, mayMove | unix.MREMAP_FIXED, WindowSize, ErrNoMem},
		{"duplicate private", c, 0, P, mayMove, 0, ErrInval},
	} {
		_, err := m.Remap(e.old, e.oldN, e.newN, e.flags, e.newAddr)
		wantErr(t, "mremap "+e.name, err, e.want)
	}
}

func TestRemapFiles(t *testing.T) {
	m := newMem(t)
	content := bytes.Repeat([]byte("abcdefgh"), 4*P/8)
	f := tempFile(t, content)
	fd := int(f.Fd())

	// A private file mapping grows with the file's next pages.
	a := mustMap(t, m, 0x800000, P, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_FIXED, fd, P)
	mustMap(t, m, a+P, P, unix.PROT_READ, anonPriv|unix.MAP_FIXED, -1, 0)
	b, err := m.Remap(a, P, 3*P, unix.MREMAP_MAYMOVE, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, b+2*P, 8); got != "abcdefgh" {
		t.Errorf("grown private file mapping reads %q", got)
	}
	if v, _ := m.Lookup(b); v.Offset != P || v.Inode == 0 {
		t.Errorf("moved file VMA %+v", v)
	}

	// A shared one moves with the host's mapping and still writes through.
	s := mustMap(t, m, 0xa00000, P, rw, unix.MAP_SHARED|unix.MAP_FIXED, fd, 0)
	mustMap(t, m, s+P, P, unix.PROT_READ, anonPriv|unix.MAP_FIXED, -1, 0)
	s2, err := m.Remap(s, P, 2*P, unix.MREMAP_MAYMOVE, 0)
	if err != nil {
		t.Fatal(err)
	}
	put(t, m, s2+P, "MOVED")
	bb := make([]byte, 5)
	f.ReadAt(bb, P)
	if string(bb) != "MOVED" {
		t.Errorf("file after write through moved mapping: %q", bb)
	}
	if m.Accessible(s, 1, unix.PROT_READ) {
		t.Error("old shared range still mapped")
	}
	// ... and grows in place when there is room.
	if err := m.Unmap(s2+2*P, P); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Remap(s2, 2*P, 3*P, 0, 0); err != nil || got != s2 {
		t.Fatalf("shared grow in place: %#x, %v", got, err)
	}
	if got := get(t, m, s2+2*P, 4); got != "abcd" {
		t.Errorf("grown shared mapping reads %q", got)
	}
	// Duplicating a shared file mapping shows the same pages.
	dup, err := m.Remap(s2, 0, P, unix.MREMAP_MAYMOVE, 0)
	if err != nil {
		t.Fatal(err)
	}
	put(t, m, s2, "DUP")
	if got := get(t, m, dup, 3); got != "DUP" {
		t.Errorf("duplicate reads %q", got)
	}
}

func TestBrk(t *testing.T) {
	m := newMem(t)
	start := uint64(0x1000000)
	m.BrkStart, m.Brk = start, start
	if got := m.SetBrk(start + 10); got != start+10 {
		t.Fatalf("brk grow: %#x", got)
	}
	put(t, m, start+P-1, "x")
	v, ok := m.Lookup(start)
	if !ok || v.Name != "[heap]" || v.End != start+P || v.Prot != rw {
		t.Errorf("heap VMA %+v", v)
	}
	if got := m.SetBrk(start + 3*P); got != start+3*P {
		t.Fatalf("brk grow: %#x", got)
	}
	wantSpans(t, m, [3]uint64{start, start + 3*P, rw})
	if got := m.SetBrk(start - 1); got != start+3*P {
		t.Errorf("brk below start gave %#x", got)
	}
	if got := m.SetBrk(start + 5); got != start+5 {
		t.Errorf("brk shrink gave %#x", got)
	}
	wantSpans(t, m, [3]uint64{start, start + P, rw})
	// Growing again gives zeroed memory.
	m.SetBrk(start + 2*P)
	if get(t, m, start+P, 1) != "\x00" {
		t.Error("regrown heap not zeroed")
	}
	// Another mapping, and the page before it, stop the break.
	mustMap(t, m, start+8*P, P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	if got := m.SetBrk(start + 7*P + 1); got != start+2*P {
		t.Errorf("brk into the gap before a mapping gave %#x", got)
	}
	if got := m.SetBrk(start + 7*P); got != start+7*P {
		t.Errorf("brk up to the gap gave %#x", got)
	}
	if got := m.SetBrk(WindowSize + P); got != start+7*P {
		t.Errorf("brk beyond the window gave %#x", got)
	}
	// Anonymous memory mapped inside the heap shows as [heap] too; memory
	// just below BrkStart does not.
	mustMap(t, m, start+P, P, unix.PROT_NONE, anonPriv|unix.MAP_FIXED, -1, 0)
	mustMap(t, m, start-P, P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	for _, v := range m.VMAs() {
		if heap := v.Start >= start && v.Start < start+7*P; heap != (v.Name == "[heap]") {
			t.Errorf("VMA %#x-%#x named %q", v.Start, v.End, v.Name)
		}
	}
	m.Unmap(start-P, P)
	// Shrinking over memory that is no longer there fails.
	m.Unmap(start, 7*P)
	if got := m.SetBrk(start); got != start+7*P {
		t.Errorf("brk shrink over unmapped heap gave %#x", got)
	}
}

func TestSyncMincoreCovered(t *testing.T) {
	m := newMem(t)
	a := mustMap(t, m, 0xb00000, 3*P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	put(t, m, a, "x")
	vec, err := m.Mincore(a, 3*P)
	if err != nil || len(vec) != 3 || vec[0]&1 != 1 || vec[1]&1 != 0 {
		t.Errorf("mincore: %v %v", vec, err)
	}
	m.Unmap(a+P, P)
	vec, err = m.Mincore(a, 3*P)
	wantErr(t, "mincore hole", err, ErrNoMem)
	if len(vec) != 1 {
		t.Errorf("mincore before the hole: %v", vec)
	}
	_, err = m.Mincore(a+1, P)
	wantErr(t, "mincore unaligned", err, ErrInval)
	wantErr(t, "msync", m.Sync(a, P, unix.MS_SYNC), nil)
	wantErr(t, "msync hole", m.Sync(a, 3*P, unix.MS_SYNC), ErrNoMem)
	wantErr(t, "msync both", m.Sync(a, P, unix.MS_SYNC|unix.MS_ASYNC), ErrInval)
	wantErr(t, "msync bad flag", m.Sync(a, P, 8), ErrInval)
	if !m.Covered(a, P) || m.Covered(a, 2*P) {
		t.Error("Covered wrong")
	}
}

func TestOnChange(t *testing.T) {
	m := newMem(t)
	var got [][2]uint64
	m.OnChange(func(s, e uint64) { got = append(got, [2]uint64{s, e}) })
	a := mustMap(t, m, 0xc00000, 2*P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	m.Protect(a, 2*P, unix.PROT_READ)
	m.Advise(a+P, P, unix.MADV_DONTNEED)
	b, _ := m.Remap(a, 2*P, 2*P, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, 0xd00000)
	m.Unmap(b, 2*P)
	want := [][2]uint64{{a, a + 2*P}, {a, a + 2*P}, {a + P, a + 2*P}, {0xd00000, 0xd00000 + 2*P}, {a, a + 2*P}, {b, b + 2*P}}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("changes %x lack %x", got, w)
		}
	}
}

func TestConcurrentMaps(t *testing.T) {
	m := newMem(t)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				a, err := m.Map(0, 3*P, rw, anonPriv, -1, 0, "")
				if err != nil {
					t.Error(err)
					return
				}
				if err := m.Write(a+P, []byte{1, 2, 3}); err != nil {
					t.Error(err)
				}
				m.Protect(a, P, unix.PROT_READ)
				m.Protect(a, 3*P, rw)
				n := uint64(3 * P)
				if b, err := m.Remap(a, 3*P, 4*P, unix.MREMAP_MAYMOVE, 0); err != nil {
					t.Error(err)
				} else {
					a, n = b, 4*P
				}
				if !m.Accessible(a, n, unix.PROT_READ) {
					t.Error("remapped memory not accessible")
				}
				m.Unmap(a, n)
			}
		}()
	}
	wg.Wait()
	if vs := m.VMAs(); len(vs) != 0 {
		t.Errorf("left VMAs %x", spans(m))
	}
}
