package cpu

import (
	"encoding/hex"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Guest layout of the unit tests.
const (
	tCode  = 0x10000 // RWX
	tData  = 0x20000 // RW, 64 KiB
	tStack = 0x40000 // RW, the 64 KiB below it
	tRO    = 0x50000 // read-only page
)

type tenv struct {
	t testing.TB
	m *mem.Mem
	c *CPU
}

func newEnv(t testing.TB) *tenv {
	t.Helper()
	m, err := mem.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	anon := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED
	for _, r := range []struct {
		a, n uint64
		prot int
	}{
		{tCode, 0x10000, unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC},
		{tData, 0x10000, unix.PROT_READ | unix.PROT_WRITE},
		{tStack - 0x10000, 0x10000, unix.PROT_READ | unix.PROT_WRITE},
		{tRO, 0x1000, unix.PROT_READ},
	} {
		if _, err := m.Map(r.a, r.n, r.prot, anon, -1, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	c := New(m, NewCodeCache(m))
	c.R[RSP] = tStack
	return &tenv{t: t, m: m, c: c}
}

func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// hotBlock returns the block at tCode as a superblock, promoted at once if
// it is cold.
func (e *tenv) hotBlock() *Block {
	b := e.c.block(tCode)
	if b.warm.Load() > 0 {
		b = e.c.promote(b)
	}
	return b
}

// load places machine code at tCode and points RIP at it.
func (e *tenv) load(code string) {
	e.t.Helper()
	b := hexBytes(e.t, code)
	if err := e.m.Write(tCode, b); err != nil {
		e.t.Fatal(err)
	}
	e.c.code.Invalidate(tCode, tCode+uint64(len(b)))
	e.c.RIP = tCode
}

// place writes machine code at a (inside the code area) without running it.
func (e *tenv) place(a uint64, code string) {
	e.t.Helper()
	b := hexBytes(e.t, code)
	e.write(a, b)
	e.c.code.Invalidate(a, a+uint64(len(b)))
}

// stepAt runs the instruction at a, which must retire normally.
func (e *tenv) stepAt(a uint64) {
	e.t.Helper()
	e.c.RIP = a
	if k := e.c.Step(); k != 0 {
		e.t.Fatalf("%#x: stopped with %v, fault %+v", a, k, e.c.Fault)
	}
}

// step runs the first instruction of code.
func (e *tenv) step(code string) StopKind {
	e.t.Helper()
	e.load(code)
	return e.c.Step()
}

// mustStep runs one instruction that must retire normally.
func (e *tenv) mustStep(code string) {
	e.t.Helper()
	if k := e.step(code); k != 0 {
		e.t.Fatalf("%s: stopped with %v, fault %+v", code, k, e.c.Fault)
	}
}

// run runs code followed by a SYSCALL until the SYSCALL.
func (e *tenv) run(code string) {
	e.t.Helper()
	e.load(code + "0f05")
	if k := e.c.Run(); k != StopSyscall {
		e.t.Fatalf("%s: stopped with %v at %#x, fault %+v", code, k, e.c.RIP, e.c.Fault)
	}
}

func (e *tenv) write(a uint64, b []byte) {
	e.t.Helper()
	if err := e.m.Write(a, b); err != nil {
		e.t.Fatal(err)
	}
}

func (e *tenv) read(a uint64, n int) []byte {
	e.t.Helper()
	b := make([]byte, n)
	if err := e.m.Read(a, b); err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *tenv) reg(r int, want uint64) {
	e.t.Helper()
	if got := e.c.R[r]; got != want {
		e.t.Errorf("R[%d] = %#x, want %#x", r, got, want)
	}
}

// flags checks the status flags selected by mask.
func (e *tenv) flags(mask, want uint64) {
	e.t.Helper()
	if got := e.c.Flags() & mask; got != want&mask {
		e.t.Errorf("flags&%#x = %#x, want %#x", mask, got, want&mask)
	}
}
