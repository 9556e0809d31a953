package syscall

import (
	"encoding/binary"
	"io"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
)

// Test guest layout: a read-write region, then a read-only page, then an
// unmapped page.
const (
	testBase = 0x1000_0000
	testSize = 1 << 20
	testRO   = testBase + testSize // one read-only page
	testHole = testRO + mem.PageSize
)

// testTask is a Task over a fresh guest address space, with a bump
// allocator for guest memory.
type testTask struct {
	*Task
	t    *testing.T
	next uint64
}

func newTestTask(t *testing.T) *testTask {
	t.Helper()
	m, err := mem.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if _, err := m.Map(testBase, testSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Map(testRO, mem.PageSize, unix.PROT_READ,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0, ""); err != nil {
		t.Fatal(err)
	}
	img := &loader.Image{
		Path: "/bin/sh",
		Argv: []string{"sh", "-c", "true"},
		Auxv: []uint64{6, 4096, 0, 0},
	}
	p := NewProcess(m, img, dbg.New(0, io.Discard))
	return &testTask{Task: p.NewMainTask(), t: t, next: testBase}
}

// call runs syscall nr through the table.
func (tt *testTask) call(nr uint64, args ...uint64) int64 {
	var a Args
	copy(a[:], args)
	return tt.dispatch(nr, &a)
}

// ok runs a syscall that must succeed.
func (tt *testTask) ok(nr uint64, args ...uint64) int64 {
	tt.t.Helper()
	r := tt.call(nr, args...)
	if r < 0 {
		tt.t.Fatalf("syscall %s: %v", Lookup(nr).Name, unix.Errno(-r))
	}
	return r
}

// fails runs a syscall that must fail with e.
func (tt *testTask) fails(e unix.Errno, nr uint64, args ...uint64) {
	tt.t.Helper()
	if r := tt.call(nr, args...); r != -int64(e) {
		tt.t.Fatalf("syscall %s = %d, want %v", Lookup(nr).Name, r, e)
	}
}

// alloc returns n bytes of guest memory, 16-byte aligned.
func (tt *testTask) alloc(n uint64) uint64 {
	a := tt.next
	tt.next = (tt.next + n + 15) &^ 15
	if tt.next > testBase+testSize {
		tt.t.Fatal("test guest memory exhausted")
	}
	return a
}

// mem returns guest bytes for the test to read or fill.
func (tt *testTask) mem(addr, n uint64) []byte {
	b, err := tt.P.Mem.Slice(addr, n, unix.PROT_READ)
	if err != nil {
		tt.t.Fatalf("guest %#x+%d: %v", addr, n, err)
	}
	return b
}

// str puts a NUL-terminated string in guest memory.
func (tt *testTask) str(s string) uint64 {
	a := tt.alloc(uint64(len(s)) + 1)
	copy(tt.mem(a, uint64(len(s))+1), s+"\x00")
	return a
}

// data puts bytes in guest memory.
func (tt *testTask) data(b []byte) uint64 {
	a := tt.alloc(uint64(len(b)))
	copy(tt.mem(a, uint64(len(b))), b)
	return a
}

func (tt *testTask) u32(addr uint64) uint32 { return binary.LittleEndian.Uint32(tt.mem(addr, 4)) }
func (tt *testTask) u64(addr uint64) uint64 { return binary.LittleEndian.Uint64(tt.mem(addr, 8)) }

// iovec builds a guest iovec array over the given buffers.
func (tt *testTask) iovec(bufs ...[2]uint64) uint64 {
	a := tt.alloc(uint64(len(bufs)) * 16)
	for i, b := range bufs {
		binary.LittleEndian.PutUint64(tt.mem(a+uint64(i)*16, 8), b[0])
		binary.LittleEndian.PutUint64(tt.mem(a+uint64(i)*16+8, 8), b[1])
	}
	return a
}

// closeFD closes a host fd at the end of the test.
func closeFD(t *testing.T, fd int64) {
	t.Cleanup(func() { unix.Close(int(fd)) })
}

// at is AT_FDCWD as a syscall argument.
const at = uint64(atFDCWD)
