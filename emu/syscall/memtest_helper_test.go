package syscall

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/loader"
	"guestrun/emu/mem"
)

// Guest layout for the memory, time, identity, sysinfo and thread tests: a
// read-write scratch region and a read-only page after it.
const (
	mtScratch = 0x2000_0000
	mtSize    = 1 << 20
	mtRO      = mtScratch + mtSize
	mtHole    = mtRO + mem.PageSize // unmapped
)

type memTask struct {
	*Task
	t *testing.T
}

func newMemTask(t *testing.T) *memTask {
	t.Helper()
	m, err := mem.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	anon := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED
	if _, err := m.Map(mtScratch, mtSize, unix.PROT_READ|unix.PROT_WRITE, anon, -1, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Map(mtRO, mem.PageSize, unix.PROT_READ, anon, -1, 0, ""); err != nil {
		t.Fatal(err)
	}
	p := NewProcess(m, &loader.Image{Auxv: []uint64{6, 4096, 0, 0}}, nil)
	task := &Task{P: p, Tid: unix.Gettid(), Sig: p.Sig.NewThread(nil)}
	p.threads[task.Tid] = task
	return &memTask{Task: task, t: t}
}

// sys runs syscall nr through the table.
func (mt *memTask) sys(nr int, args ...uint64) int64 {
	var a Args
	copy(a[:], args)
	return mt.dispatch(uint64(nr), &a)
}

// must runs a syscall that has to succeed.
func (mt *memTask) must(nr int, args ...uint64) int64 {
	mt.t.Helper()
	r := mt.sys(nr, args...)
	if r < 0 {
		mt.t.Fatalf("%s: %v", Lookup(uint64(nr)).Name, unix.Errno(-r))
	}
	return r
}

// fail runs a syscall that has to fail with e.
func (mt *memTask) fail(e unix.Errno, nr int, args ...uint64) {
	mt.t.Helper()
	if r := mt.sys(nr, args...); r != -int64(e) {
		mt.t.Errorf("%s(%#x) = %d, want %v", Lookup(uint64(nr)).Name, args, r, e)
	}
}

func (mt *memTask) bytes(addr, n uint64) []byte {
	mt.t.Helper()
	b := make([]byte, n)
	if err := mt.P.Mem.Read(addr, b); err != nil {
		mt.t.Fatalf("reading guest %#x: %v", addr, err)
	}
	return b
}

func (mt *memTask) u64(addr uint64) uint64 { return binary.LittleEndian.Uint64(mt.bytes(addr, 8)) }
func (mt *memTask) u32(addr uint64) uint32 { return binary.LittleEndian.Uint32(mt.bytes(addr, 4)) }

func (mt *memTask) put(addr uint64, b []byte) {
	mt.t.Helper()
	if err := mt.P.Mem.Write(addr, b); err != nil {
		mt.t.Fatalf("writing guest %#x: %v", addr, err)
	}
}

func (mt *memTask) putU64(addr, v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	mt.put(addr, b[:])
}

func (mt *memTask) putU32(addr uint64, v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	mt.put(addr, b[:])
}

func (mt *memTask) putString(addr uint64, s string) {
	mt.put(addr, append([]byte(s), 0))
}
