package mem

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// forkMem forks m into a second window in this process, as a forked child
// run in its parent's guestrun gets it.
func forkMem(t *testing.T, m *Mem) *Mem {
	t.Helper()
	c, err := m.ForkHere()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestForkPrivateAndShared(t *testing.T) {
	m := newMem(t)
	priv := mustMap(t, m, 0, 4*P, rw, anonPriv, -1, 0)
	shared := mustMap(t, m, 0, 2*P, rw, unix.MAP_SHARED|unix.MAP_ANONYMOUS, -1, 0)
	put(t, m, priv, "private")
	put(t, m, priv+3*P, "last page")
	put(t, m, shared, "shared")
	if err := m.Protect(priv+P, P, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	m.BrkStart, m.Brk = 0x400000, 0x401234

	c := forkMem(t, m)
	if d := cmpVMAs(m.VMAs(), c.VMAs()); d != "" {
		t.Fatal(d)
	}
	if c.BrkStart != m.BrkStart || c.Brk != m.Brk {
		t.Errorf("brk %#x %#x, want %#x %#x", c.BrkStart, c.Brk, m.BrkStart, m.Brk)
	}
	if got := get(t, c, priv, 7); got != "private" {
		t.Errorf("child private: %q", got)
	}
	if got := get(t, c, priv+3*P, 9); got != "last page" {
		t.Errorf("child private last page: %q", got)
	}
	if c.Accessible(priv+P, 1, unix.PROT_WRITE) {
		t.Error("read-only page writable in the child")
	}
	// Copy on write: private memory is each one's own.
	put(t, c, priv, "CHILD!!")
	put(t, m, priv+3*P, "PARENT!!!")
	if got := get(t, m, priv, 7); got != "private" {
		t.Errorf("child's write reached the parent: %q", got)
	}
	if got := get(t, c, priv+3*P, 9); got != "last page" {
		t.Errorf("parent's write reached the child: %q", got)
	}
	// Shared memory is one.
	put(t, c, shared, "from the child")
	if got := get(t, m, shared, 14); got != "from the child" {
		t.Errorf("parent's view of shared memory: %q", got)
	}
	put(t, m, shared+P, "from the parent")
	if got := get(t, c, shared+P, 15); got != "from the parent" {
		t.Errorf("child's view of shared memory: %q", got)
	}
	if len(m.Held()) != 1 || len(c.Held()) != 1 || !c.Holds(c.Held()[0]) {
		t.Errorf("held fds: parent %v, child %v", m.Held(), c.Held())
	}
	// The parent unmaps and maps new memory at the same place: the child
	// keeps the shared object, and the new memory is not it.
	if err := m.Unmap(shared, 2*P); err != nil {
		t.Fatal(err)
	}
	if len(m.Held()) != 0 {
		t.Errorf("parent holds %v after unmapping", m.Held())
	}
	mustMap(t, m, shared, 2*P, rw, unix.MAP_SHARED|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0)
	if got := get(t, m, shared, 6); got != "\x00\x00\x00\x00\x00\x00" {
		t.Errorf("new mapping sees old contents: %q", got)
	}
	put(t, m, shared, "new")
	if got := get(t, c, shared, 14); got != "from the child" {
		t.Errorf("child's shared memory after the parent's unmap: %q", got)
	}
}

func cmpVMAs(a, b []VMA) string {
	if len(a) != len(b) {
		return "different VMA counts"
	}
	for i := range a {
		x, y := a[i], b[i]
		x.src, y.src = nil, nil
		if x != y {
			return "VMA differs"
		}
	}
	return ""
}

func TestForkFiles(t *testing.T) {
	m := newMem(t)
	content := bytes.Repeat([]byte("0123456789abcdef"), 2*P/16)
	f := tempFile(t, content)
	fd := int(f.Fd())
	priv := mustMap(t, m, 0, 2*P, rw, unix.MAP_PRIVATE, fd, 0)
	shared := mustMap(t, m, 0, 2*P, rw, unix.MAP_SHARED, fd, 0)
	put(t, m, priv, "PRIV")
	c := forkMem(t, m)
	if got := get(t, c, priv, 6); got != "PRIV45" {
		t.Errorf("child private file page: %q", got)
	}
	// The child reads its private file pages again from the file.
	if err := c.Advise(priv, P, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, priv, 6); got != "012345" {
		t.Errorf("child private file page after MADV_DONTNEED: %q", got)
	}
	// Shared file pages are the file's.
	put(t, c, shared+P, "WRITTEN")
	if got := get(t, m, shared+P, 7); got != "WRITTEN" {
		t.Errorf("parent's view of the shared file: %q", got)
	}
	b := make([]byte, 7)
	if _, err := unix.Pread(fd, b, P); err != nil || string(b) != "WRITTEN" {
		t.Errorf("file: %q %v", b, err)
	}
}

func TestForkAdvice(t *testing.T) {
	m := newMem(t)
	keep := mustMap(t, m, 0, P, rw, anonPriv, -1, 0)
	gone := mustMap(t, m, 0, P, rw, anonPriv, -1, 0)
	wipe := mustMap(t, m, 0, P, rw, anonPriv, -1, 0)
	for _, a := range []uint64{keep, gone, wipe} {
		put(t, m, a, "data")
	}
	if err := m.Advise(gone, P, unix.MADV_DONTFORK); err != nil {
		t.Fatal(err)
	}
	if err := m.Advise(wipe, P, unix.MADV_WIPEONFORK); err != nil {
		t.Fatal(err)
	}
	c := forkMem(t, m)
	if got := get(t, c, keep, 4); got != "data" {
		t.Errorf("kept: %q", got)
	}
	if _, ok := c.Lookup(gone); ok {
		t.Error("MADV_DONTFORK memory is in the child")
	}
	if got := get(t, c, wipe, 4); got != "\x00\x00\x00\x00" {
		t.Errorf("MADV_WIPEONFORK memory in the child: %q", got)
	}
	if got := get(t, m, wipe, 4); got != "data" {
		t.Errorf("MADV_WIPEONFORK memory in the parent: %q", got)
	}
}

// TestForkCopiesUsedPages checks that the child's memfd holds only the
// pages the parent used.
func TestForkCopiesUsedPages(t *testing.T) {
	m := newMem(t)
	a := mustMap(t, m, 0, 1<<30, rw, anonPriv, -1, 0)
	put(t, m, a+512<<20, "x")
	f, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(f.FD)
	var st unix.Stat_t
	if err := unix.Fstat(f.FD, &st); err != nil {
		t.Fatal(err)
	}
	if st.Blocks*512 > 64*P {
		t.Errorf("child memfd uses %d bytes for one page of data", st.Blocks*512)
	}
}

// TestForkReadOnlyFile checks that a read-only private file mapping that
// holds the file's contents is mapped from the file in the child, and
// copied again once the child wrote to it.
func TestForkReadOnlyFile(t *testing.T) {
	m := newMem(t)
	content := bytes.Repeat([]byte("0123456789abcdef"), 3*P/16)
	f := tempFile(t, content)
	fd := int(f.Fd())
	ro := mustMap(t, m, 0, 2*P, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE, fd, 0)
	changed := mustMap(t, m, 0, P, rw, unix.MAP_PRIVATE, fd, P)
	put(t, m, changed, "CHANGED")
	if err := m.Protect(changed, P, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	fk, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fk.FD)
	for _, v := range fk.VMAs {
		if want := v.Start == ro; v.HostShared != want {
			t.Errorf("VMA at %#x: mapped from the file %v, want %v", v.Start, v.HostShared, want)
		}
	}

	// The parent maps the file too from then on.
	if v, _ := m.Lookup(ro); !v.HostShared {
		t.Error("the parent still has its copy")
	}
	if got := get(t, m, ro+P+2, 4); got != "2345" {
		t.Errorf("parent's read-only file page: %q", got)
	}
	c := forkMem(t, m)
	if d := cmpVMAs(m.VMAs(), c.VMAs()); d != "" {
		t.Fatal(d)
	}
	if got := get(t, c, ro+P+2, 4); got != "2345" {
		t.Errorf("child's read-only file page: %q", got)
	}
	if got := get(t, c, changed, 7); got != "CHANGED" {
		t.Errorf("child's changed page: %q", got)
	}
	if c.Accessible(ro, 1, unix.PROT_WRITE) {
		t.Error("read-only file mapping writable in the child")
	}
	// Back to the file's contents, as a private file mapping.
	if err := m.Advise(ro, 2*P, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, ro, 4); got != "0123" {
		t.Errorf("parent's page after MADV_DONTNEED: %q", got)
	}
	// A forced write (/proc/self/mem) makes a page of the child's own.
	if n := c.ForceWrite(ro+P, []byte("FORCED")); n != 6 {
		t.Fatalf("ForceWrite: %d bytes", n)
	}
	if got := get(t, c, ro+P, 6); got != "FORCED" {
		t.Errorf("child's page after a forced write: %q", got)
	}
	if got := get(t, m, ro+P, 6); got != "012345" {
		t.Errorf("the child's forced write reached the parent: %q", got)
	}
	// Written after an mprotect, the child's page is its own, and its
	// own child gets it.
	if err := c.Protect(ro, P, rw); err != nil {
		t.Fatal(err)
	}
	put(t, c, ro, "MINE")
	if err := c.Protect(ro, P, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, ro, 4); got != "0123" {
		t.Errorf("the child's write reached the parent: %q", got)
	}
	g := forkMem(t, c)
	if got := get(t, g, ro, 4); got != "MINE" {
		t.Errorf("grandchild's page: %q", got)
	}
	if got := get(t, g, ro+P, 6); got != "FORCED" {
		t.Errorf("grandchild's second page: %q", got)
	}
}
