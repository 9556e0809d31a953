package mem

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadOnlyFileMappedByHost checks that a private file mapping without
// PROT_WRITE is the host's mapping of the file, not a copy in the memfd,
// and that it keeps private-mapping semantics through mprotect, writes,
// decoded-code watches and fork.
func TestReadOnlyFileMappedByHost(t *testing.T) {
	m := newMem(t)
	content := bytes.Repeat([]byte("0123456789abcdef"), 2*P/16+10) // 2 pages and a bit
	f := tempFile(t, content)
	fd := int(f.Fd())
	ro := mustMap(t, m, 0, 3*P, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE, fd, 0)
	if v, _ := m.Lookup(ro); !v.HostShared || v.Name != f.Name() || v.Offset != 0 {
		t.Fatalf("read-only file VMA %+v, want the host's mapping of %s", v, f.Name())
	}
	var st unix.Stat_t
	if err := unix.Fstat(m.FD(), &st); err != nil || st.Blocks != 0 {
		t.Errorf("memfd holds %d blocks for a read-only file mapping", st.Blocks)
	}
	if got := get(t, m, ro+P+2, 4); got != "2345" {
		t.Errorf("file page reads %q", got)
	}
	if got := get(t, m, ro+2*P+160, 8); got != "\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Errorf("rest of the last page reads %q, want zeros", got)
	}
	// Past the end of the file the guest reads zeros, not SIGBUS: a copy.
	past := mustMap(t, m, 0, 4*P, unix.PROT_READ, unix.MAP_PRIVATE, fd, 0)
	if v, _ := m.Lookup(past); v.HostShared {
		t.Error("mapping past the end of the file is the host's")
	}
	if got := get(t, m, past+3*P, 4); got != "\x00\x00\x00\x00" {
		t.Errorf("page past the end of the file reads %q", got)
	}

	// Made writable, the page is private: the file does not change.
	if err := m.Protect(ro, P, rw); err != nil {
		t.Fatal(err)
	}
	m.WatchCode(ro)
	if !m.watching.Load() {
		t.Error("a writable private file page holding code is not watched")
	}
	put(t, m, ro, "MINE")
	if m.watching.Load() {
		t.Error("writing the watched page left it watched")
	}
	b := make([]byte, 4)
	f.ReadAt(b, 0)
	if string(b) != "0123" {
		t.Errorf("private write reached the file: %q", b)
	}

	// The child gets the written page and maps the rest from the file.
	c := forkMem(t, m)
	if len(c.VMAs()) != len(m.VMAs()) {
		t.Fatalf("child's VMAs %+v, parent's %+v", c.VMAs(), m.VMAs())
	}
	if got := get(t, c, ro, 4); got != "MINE" {
		t.Errorf("child's written page: %q", got)
	}
	if got := get(t, c, ro+P+2, 4); got != "2345" {
		t.Errorf("child's file page: %q", got)
	}
	if v, _ := c.Lookup(ro + P); !v.HostShared {
		t.Error("child copied the unwritten read-only file pages")
	}
	if c.Accessible(ro+P, 1, unix.PROT_WRITE) {
		t.Error("read-only file mapping writable in the child")
	}
	// MADV_DONTNEED gives the file's contents back.
	if err := m.Advise(ro, P, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, ro, 4); got != "0123" {
		t.Errorf("after MADV_DONTNEED reads %q", got)
	}
}

// TestForceReadNoneFile checks that /proc/self/mem reads a PROT_NONE private
// file mapping, as Linux's forced access does.
func TestForceReadNoneFile(t *testing.T) {
	m := newMem(t)
	f := tempFile(t, bytes.Repeat([]byte("abcd"), P/4))
	a := mustMap(t, m, 0, P, unix.PROT_NONE, unix.MAP_PRIVATE, int(f.Fd()), 0)
	if v, _ := m.Lookup(a); !v.HostShared {
		t.Fatal("PROT_NONE file mapping is not the host's")
	}
	b := make([]byte, 6)
	if n := m.ForceRead(a+4, b); n != 6 || string(b) != "abcdab" {
		t.Errorf("ForceRead: %d bytes %q", n, b)
	}
}
