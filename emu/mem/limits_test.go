package mem

import (
	"testing"

	"golang.org/x/sys/unix"
)

// withLimits sets the guest's limits for one test (tests using it must not
// run in parallel with each other).
func withLimits(t *testing.T, as, data, stack uint64) {
	SetLimits(as, data, stack)
	t.Cleanup(func() { SetLimits(unix.RLIM_INFINITY, unix.RLIM_INFINITY, StackSize) })
}

func TestLimitAS(t *testing.T) {
	m := newMem(t)
	a := mustMap(t, m, 0, 4*P, unix.PROT_READ, anonPriv, -1, 0)
	withLimits(t, 8*P, unix.RLIM_INFINITY, StackSize)
	b := mustMap(t, m, 0, 4*P, unix.PROT_NONE, anonPriv, -1, 0)
	_, err := m.Map(0, P, unix.PROT_READ, anonPriv, -1, 0, "")
	wantErr(t, "mmap past RLIMIT_AS", err, ErrNoMem)
	// Replacing mapped pages costs nothing.
	mustMap(t, m, a, 4*P, rw, anonPriv|unix.MAP_FIXED, -1, 0)
	_, err = m.Remap(b, 4*P, 5*P, unix.MREMAP_MAYMOVE, 0)
	wantErr(t, "mremap past RLIMIT_AS", err, ErrNoMem)
	if _, err := m.Remap(b, 4*P, 2*P, 0, 0); err != nil {
		t.Fatalf("shrinking: %v", err)
	}
	mustMap(t, m, 0, 2*P, rw, anonPriv, -1, 0)
}

func TestLimitData(t *testing.T) {
	m := newMem(t)
	m.BrkStart, m.Brk = 0x100000, 0x100000
	withLimits(t, unix.RLIM_INFINITY, 4*P, StackSize)
	mustMap(t, m, 0, 2*P, rw, anonPriv, -1, 0)
	// Read-only, shared and stack mappings are not data.
	mustMap(t, m, 0, 8*P, unix.PROT_READ, anonPriv, -1, 0)
	mustMap(t, m, 0, 8*P, rw, unix.MAP_SHARED|unix.MAP_ANONYMOUS, -1, 0)
	mustMap(t, m, 0, 8*P, rw, anonPriv|unix.MAP_GROWSDOWN, -1, 0)
	_, err := m.Map(0, 3*P, rw, anonPriv, -1, 0, "")
	wantErr(t, "mmap past RLIMIT_DATA", err, ErrNoMem)
	if got := m.SetBrk(0x100000 + 3*P); got != 0x100000 {
		t.Errorf("brk past RLIMIT_DATA moved the break to %#x", got)
	}
	if got := m.SetBrk(0x100000 + 2*P); got != 0x100000+2*P {
		t.Errorf("brk within RLIMIT_DATA: %#x", got)
	}
}

func TestStackLayout(t *testing.T) {
	withLimits(t, unix.RLIM_INFINITY, unix.RLIM_INFINITY, 64<<20)
	if got := StackMapSize(); got != 64<<20 {
		t.Errorf("StackMapSize = %#x, want 64 MiB", got)
	}
	SetLimits(unix.RLIM_INFINITY, unix.RLIM_INFINITY, unix.RLIM_INFINITY)
	if got := StackMapSize(); got != maxStack {
		t.Errorf("unlimited StackMapSize = %#x, want %#x", got, uint64(maxStack))
	}
	m := newMem(t)
	m.SetMmapBase(0x7000_0000)
	if a := mustMap(t, m, 0, P, rw, anonPriv, -1, 0); a != 0x7000_0000-P {
		t.Errorf("mmap below base %#x: %#x", 0x7000_0000, a)
	}
}

func TestForceIO(t *testing.T) {
	m := newMem(t)
	a := mustMap(t, m, 0, 2*P, rw, anonPriv, -1, 0)
	put(t, m, a+P-4, "abcdefgh")
	if err := m.Protect(a, P, unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	if n := m.ForceRead(a+P-4, b); n != 8 || string(b) != "abcdefgh" {
		t.Errorf("ForceRead across PROT_NONE = %d %q", n, b)
	}
	if n := m.ForceWrite(a+2*P-2, []byte("wxyz")); n != 2 {
		t.Errorf("ForceWrite into a hole wrote %d bytes, want 2", n)
	}
	if got := get(t, m, a+2*P-2, 2); got != "wx" {
		t.Errorf("after ForceWrite: %q", got)
	}
	if n := m.ForceRead(a+2*P, b); n != 0 {
		t.Errorf("ForceRead of a hole = %d", n)
	}
	if n := m.ForceRead(WindowSize-4, b); n != 0 {
		t.Errorf("ForceRead at the window's end = %d", n)
	}
}

func TestLengthsPastUserHalf(t *testing.T) {
	m := newMem(t)
	a := mustMap(t, m, 0, P, rw, anonPriv, -1, 0)
	put(t, m, a, "keep")
	wantErr(t, "madvise past TASK_SIZE", m.Advise(a, 1<<47, unix.MADV_DONTNEED), ErrInval)
	wantErr(t, "madvise beyond TASK_SIZE", m.Advise(1<<47, P, unix.MADV_DONTNEED), ErrNoMem)
	if got := get(t, m, a, 4); got != "keep" {
		t.Errorf("madvise past TASK_SIZE dropped the contents: %q", got)
	}
	_, err := m.Remap(a, P, 1<<47, unix.MREMAP_MAYMOVE, 0)
	wantErr(t, "mremap to 128 TiB", err, ErrInval)
}

func TestLimitSparesStack(t *testing.T) {
	m := newMem(t)
	withLimits(t, P, P, StackSize)
	if _, err := m.Map(StackTop-StackSize, StackSize, rw, anonPriv|unix.MAP_FIXED|unix.MAP_GROWSDOWN, -1, 0, "[stack]"); err != nil {
		t.Errorf("the loader's stack under a small RLIMIT_AS: %v", err)
	}
}
