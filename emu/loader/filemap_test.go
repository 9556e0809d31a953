package loader

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// A segment the program cannot write is the host's mapping of the file, not
// a copy; one whose last file page starts .bss still gets that page's tail
// cleared, and keeps its protection.
func TestSegmentsMappedFromFile(t *testing.T) {
	const roBss = 0x600000
	b := addLoad(smallELF(""), 4, 0, roBss, 0x40, 0x2000) // R, .bss after 0x40 bytes
	path := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := mem.New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := Load(m, path, []string{"prog"}, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	v, ok := m.Lookup(testVaddr)
	if !ok || !v.HostShared || v.Prot != unix.PROT_READ|unix.PROT_EXEC || v.Name != path {
		t.Errorf("code segment %+v, want the host's mapping of %s", v, path)
	}
	got := make([]byte, 4)
	if err := m.Read(testVaddr, got); err != nil || string(got) != "\x7fELF" {
		t.Errorf("code segment reads %q, %v", got, err)
	}
	if v, ok := m.Lookup(roBss); !ok || v.Prot != unix.PROT_READ || v.Name != path {
		t.Errorf("segment with .bss %+v", v)
	}
	tail := make([]byte, mem.PageSize-0x40)
	if err := m.Read(roBss+0x40, tail); err != nil {
		t.Fatal(err)
	}
	for i, c := range tail {
		if c != 0 {
			t.Fatalf(".bss byte %#x is %#x, want 0", 0x40+i, c)
		}
	}
	if m.Accessible(roBss, 1, unix.PROT_WRITE) {
		t.Error("read-only segment with .bss left writable")
	}
}
