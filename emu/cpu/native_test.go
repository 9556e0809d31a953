package cpu

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The host is an x86-64 CPU, so it is the oracle: these tests run single
// register-only instructions natively and under the interpreter from the
// same state and compare registers and flags.

// nativeRegs are the registers a native test may use: not RSP, RBP, R14
// (Go's g) or R15.
var nativeRegs = []int{RAX, RCX, RDX, RBX, RSI, RDI, R8, R9, R10, R11, R12, R13}

// nstate is the register file the native stub loads and saves.
type nstate struct {
	R     [16]uint64
	Flags uint64 // offset 128
}

var native struct {
	once sync.Once
	mu   sync.Mutex
	page []byte
	err  error
}

// movRAX encodes MOV between reg and [RAX+disp8]; store selects the
// direction.
func movRAX(reg int, disp uint8, store bool) []byte {
	rex := byte(0x48)
	if reg >= 8 {
		rex |= 4
	}
	op := byte(0x8b)
	if store {
		op = 0x89
	}
	return []byte{rex, op, 0x40 | byte(reg&7)<<3, disp}
}

// nativeStub returns code wrapped in the stub that loads the registers and
// flags from an nstate (pointer in RAX) and stores them back after it.
func nativeStub(code []byte) []byte {
	var p []byte
	p = append(p, 0x55, 0x41, 0x56, 0x41, 0x57, 0x41, 0x54, 0x41, 0x55) // push rbp, r14, r15, r12, r13
	p = append(p, 0x50)                                                 // push rax
	p = append(p, 0xff, 0xb0, 0x80, 0, 0, 0, 0x9d)                      // push [rax+128]; popfq
	for _, r := range nativeRegs[1:] {
		p = append(p, movRAX(r, uint8(8*r), false)...)
	}
	p = append(p, 0x48, 0x8b, 0x00) // mov rax, [rax]
	p = append(p, code...)
	p = append(p, 0x9c, 0x50, 0x48, 0x8b, 0x44, 0x24, 0x10) // pushfq; push rax; mov rax, [rsp+16]
	p = append(p, 0x8f, 0x00, 0x8f, 0x80, 0x80, 0, 0, 0)    // pop [rax]; pop [rax+128]
	for _, r := range nativeRegs[1:] {
		p = append(p, movRAX(r, uint8(8*r), true)...)
	}
	p = append(p, 0x48, 0x83, 0xc4, 0x08)                               // add rsp, 8
	p = append(p, 0x41, 0x5d, 0x41, 0x5c, 0x41, 0x5f, 0x41, 0x5e, 0x5d) // pop r13, r12, r15, r14, rbp
	p = append(p, 0x68, 0x02, 0x02, 0, 0, 0x9d, 0xc3)                   // push 0x202; popfq (DF, AC clear); ret
	return p
}

// runNative executes code with the registers and flags of s and stores the
// results back into s.
func runNative(t *testing.T, code []byte, s *nstate) {
	native.once.Do(func() {
		native.page, native.err = unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	})
	if native.err != nil {
		t.Skip("no executable page:", native.err)
	}
	p := nativeStub(code)
	native.mu.Lock()
	defer native.mu.Unlock()
	if !bytes.Equal(native.page[:len(p)], p) {
		copy(native.page, p)
	}
	fv := &struct{ fn uintptr }{uintptr(unsafe.Pointer(&native.page[0]))}
	f := *(*func(*nstate))(unsafe.Pointer(&fv))
	f(s)
}

// edgeValues bias the random inputs toward carry and overflow boundaries.
var edgeValues = []uint64{0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff, 0x8000000000000000,
	0xffffffffffffffff, 0xfffffffffffffffe, 0x8000000000000001, 63, 64, 31, 32, 7, 8, 15, 16, 17, 9}

func randValue(r *rand.Rand) uint64 {
	switch r.IntN(4) {
	case 0:
		return edgeValues[r.IntN(len(edgeValues))]
	case 1:
		return r.Uint64() & 0xff
	case 2:
		// An edge value in the low bits with random upper bits.
		e := edgeValues[r.IntN(len(edgeValues))]
		sz := []uint64{0xff, 0xffff, 0xffffffff}[r.IntN(3)]
		return r.Uint64()&^sz | e&sz
	}
	return r.Uint64()
}

// ncase is an instruction for the differential test.
type ncase struct {
	code  string
	undef uint64 // flags the manual leaves undefined
	// fix, if set, adjusts the inputs (to avoid #DE, for one).
	fix func(s *nstate)
}

// checkNative runs each case with random inputs natively and in the
// interpreter and reports differences in the registers and the defined
// flags. Differences in undefined flags are logged when verbose.
func checkNative(t *testing.T, cases []ncase, iters int) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(1, 2))
	undefSeen := map[string]int{}
	for _, tc := range cases {
		code := hexBytes(t, tc.code)
		e.load(tc.code)
		fails := 0
		for range iters {
			var in nstate
			for _, reg := range nativeRegs {
				in.R[reg] = randValue(r)
			}
			in.Flags = 0x202 | r.Uint64()&arithFlags
			if tc.fix != nil {
				tc.fix(&in)
			}
			want := in
			runNative(t, code, &want)

			c := e.c
			for _, reg := range nativeRegs {
				c.R[reg] = in.R[reg]
			}
			c.SetFlags(in.Flags)
			c.RIP = tCode
			for c.RIP != tCode+uint64(len(code)) {
				if k := c.Step(); k != 0 {
					t.Fatalf("%s: stopped with %v, fault %+v", tc.code, k, c.Fault)
				}
			}
			bad := ""
			for _, reg := range nativeRegs {
				if c.R[reg] != want.R[reg] {
					bad += fmt.Sprintf(" R%d=%#x want %#x;", reg, c.R[reg], want.R[reg])
				}
			}
			got := c.Flags()
			if d := (got ^ want.Flags) &^ tc.undef; d != 0 {
				bad += fmt.Sprintf(" flags=%#x want %#x (diff %#x);", got, want.Flags, d)
			}
			if d := (got ^ want.Flags) & tc.undef; d != 0 {
				undefSeen[fmt.Sprintf("%s: undefined flags differ %#x", tc.code, d)]++
			}
			if bad != "" {
				t.Errorf("%s in %x flags %#x:%s", tc.code, in.R[:14], in.Flags, bad)
				if fails++; fails > 3 {
					break
				}
			}
		}
	}
	if testing.Verbose() {
		for k, n := range undefSeen {
			t.Logf("%s (%d times)", k, n)
		}
	}
}
