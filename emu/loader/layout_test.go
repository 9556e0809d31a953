package loader

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// RLIMIT_STACK sizes the stack and moves mmap's space below it, and the
// data segment's bounds are recorded for RLIMIT_DATA.
func TestStackLimitLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(path, smallELF(""), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, stack := range []uint64{8 << 20, 64 << 20, 16 << 10, unix.RLIM_INFINITY} {
		mem.SetLimits(unix.RLIM_INFINITY, unix.RLIM_INFINITY, stack)
		m, err := mem.New()
		if err != nil {
			t.Fatal(err)
		}
		img, err := Load(m, path, []string{"prog"}, nil, Options{})
		if err != nil {
			m.Close()
			t.Fatal(err)
		}
		size := mem.StackMapSize()
		if img.StackLo != mem.StackTop-size || m.MmapBase() != img.StackLo-mmapGap {
			t.Errorf("stack limit %#x: stack from %#x, mmap base %#x", stack, img.StackLo, m.MmapBase())
		}
		if stack == 8<<20 && m.MmapBase() != mem.MmapBase {
			t.Errorf("default mmap base %#x, want %#x", m.MmapBase(), uint64(mem.MmapBase))
		}
		if m.EndData < m.StartData || m.EndData > m.BrkStart {
			t.Errorf("data segment [%#x, %#x), break at %#x", m.StartData, m.EndData, m.BrkStart)
		}
		m.Close()
	}
	mem.SetLimits(unix.RLIM_INFINITY, unix.RLIM_INFINITY, mem.StackSize)
}
