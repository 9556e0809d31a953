package cpu

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

// Explicit tests of SSE data movement, integer and string instructions and
// their faults (random inputs are covered by TestSSENative).

// xmmBytes makes an XMM value from up to 16 bytes of s.
func xmmBytes(s string) XMM {
	var x XMM
	copy(x.u8()[:], s)
	return x
}

func TestSSEPcmpistri(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		code   string
		s1, s2 string
		ecx    uint64
		cf, zf bool
		sf, of bool
	}{
		// imm 0x0c: unsigned bytes, equal ordered (substring search).
		{"substring", "660f3a63ca0c", "lo", "hello world", 3, true, true, true, false},
		{"substring at 0", "660f3a63ca0c", "he", "hello", 0, true, true, true, true},
		{"substring absent", "660f3a63ca0c", "xyz", "hello", 16, false, true, true, false},
		// A partial match at the end of the block counts (the rest of
		// the needle may be in the next block).
		{"substring tail", "660f3a63ca0c", "abc", "0123456789abxdab", 14, true, false, true, false},
		// imm 0x00: equal any (strpbrk).
		{"equal any", "660f3a63ca00", "aeiou", "xyzbcdai", 6, true, true, true, false},
		{"equal any, empty set", "660f3a63ca00", "", "abc", 16, false, true, true, false},
		// imm 0x04: ranges.
		{"ranges", "660f3a63ca04", "az", "123abc", 3, true, true, true, false},
		// imm 0x18: equal each, negative polarity (strcmp): first mismatch.
		{"equal each", "660f3a63ca18", "hello", "help", 3, true, true, true, false},
		{"equal each, same", "660f3a63ca18", "same", "same", 16, false, true, true, false},
		// imm 0x58: as 0x18 but the most significant index.
		{"equal each msb", "660f3a63ca58", "hello", "help", 4, true, true, true, false},
	} {
		e.c.X[1], e.c.X[2] = xmmBytes(tc.s1), xmmBytes(tc.s2)
		e.c.SetFlags(0)
		e.mustStep(tc.code)
		if e.c.R[RCX] != tc.ecx {
			t.Errorf("%s: ecx = %d, want %d", tc.name, e.c.R[RCX], tc.ecx)
		}
		var f uint64
		for _, b := range []struct {
			on  bool
			bit uint64
		}{{tc.cf, FlagCF}, {tc.zf, FlagZF}, {tc.sf, FlagSF}, {tc.of, FlagOF}} {
			if b.on {
				f |= b.bit
			}
		}
		if got := e.c.Flags() & arithFlags; got != f {
			t.Errorf("%s: flags %#x, want %#x", tc.name, got, f)
		}
	}
}

// TestPcmpistriEachBytes checks the word-at-a-time PCMPISTRI handler for
// equal each on bytes against the general one, on string-like operands
// (a small alphabet with zeros) where equal bytes and ends are common.
func TestPcmpistriEachBytes(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(5, 6))
	for _, imm := range []byte{0x08, 0x0a, 0x18, 0x1a, 0x28, 0x2a, 0x38, 0x3a, 0x48, 0x5a, 0x78, 0x7a} {
		for _, form := range []string{"660f3a63ca", "660f3a630e"} { // xmm1, xmm2 / xmm1, [rsi]
			code := form + hex.EncodeToString([]byte{imm})
			e.load(code)
			e.c.R[RSI] = tData
			b := e.hotBlock()
			in := &b.insts[0]
			if reflect.ValueOf(in.fn).Pointer() != reflect.ValueOf(opPcmpistriEachB).Pointer() {
				t.Fatalf("%s: not decoded to opPcmpistriEachB", code)
			}
			for range 500 {
				var s1, s2 XMM
				for i := range 16 {
					s1.u8()[i] = "\x00abc"[r.IntN(4)]
					s2.u8()[i] = "\x00abc"[r.IntN(4)]
				}
				switch r.IntN(4) {
				case 0:
					s2 = s1
					s2.u8()[r.IntN(16)] = 'd'
				case 1:
					// Long common prefixes, with and without an end.
					for i := range 16 {
						s1.u8()[i] = "abc"[r.IntN(3)]
					}
					s2 = s1
					if k := r.IntN(20); k < 16 {
						s1.u8()[k] = 0
						if r.IntN(2) == 0 {
							s2.u8()[k] = 0
						}
					}
				}
				e.c.X[1], e.c.X[2] = s1, s2
				e.write(tData, s2.u8()[:])
				e.c.R[RCX] = 99
				opPcmpstr(e.c, in)
				wantRCX, wantF := e.c.R[RCX], e.c.Flags()
				e.c.R[RCX] = 99
				in.fn(e.c, in)
				if e.c.R[RCX] != wantRCX || e.c.Flags() != wantF {
					t.Fatalf("%s %q %q: rcx %d flags %#x, want %d %#x", code, s1.u8()[:], s2.u8()[:],
						e.c.R[RCX], e.c.Flags(), wantRCX, wantF)
				}
			}
		}
	}
}

func TestSSEPcmpestrm(t *testing.T) {
	e := newEnv(t)
	// pcmpestrm xmm1, xmm2, 0x40 (equal any, byte mask): lengths 3 and 5.
	e.c.X[1], e.c.X[2] = xmmBytes("abcdef"), xmmBytes("xbxcaxxxxx")
	e.c.R[RAX], e.c.R[RDX] = 3, 5
	e.mustStep("660f3a60ca40")
	want := xmmBytes("\x00\xff\x00\xff\xff")
	if e.c.X[0] != want {
		t.Errorf("xmm0 = %#x, want %#x", e.c.X[0], want)
	}
	// Negative lengths count by absolute value.
	e.c.R[RAX], e.c.R[RDX] = uint64(0xfffffffd), ^uint64(4)
	e.mustStep("660f3a60ca40")
	if e.c.X[0] != want {
		t.Errorf("negative lengths: xmm0 = %#x, want %#x", e.c.X[0], want)
	}
}

// The legacy SSE encodings fault on misaligned 16-byte operands with #GP,
// which Linux reports as SIGSEGV, SI_KERNEL, address 0.
func TestSSEAlignmentFault(t *testing.T) {
	e := newEnv(t)
	for _, code := range []string{
		"0f280e",   // movaps xmm1, [rsi]
		"0f290e",   // movaps [rsi], xmm1
		"660ffc0e", // paddb xmm1, [rsi]
		"660fda0e", // pminub xmm1, [rsi] (a handler of its own)
		"480fae06", // fxsave64 [rsi]
		"480fae0e", // fxrstor64 [rsi]
	} {
		e.c.R[RSI] = tData + 8
		e.c.X[1] = XMM{1, 2}
		if k := e.step(code); k != StopFault {
			t.Errorf("%s: stop %v, want a fault", code, k)
			continue
		}
		f := e.c.Fault
		if f.Sig != int(unix.SIGSEGV) || f.Code != 0x80 || f.Addr != 0 || e.c.RIP != tCode {
			t.Errorf("%s: fault %+v at %#x", code, f, e.c.RIP)
		}
		if e.c.X[1] != (XMM{1, 2}) {
			t.Errorf("%s: faulting instruction changed xmm1", code)
		}
	}
	// Unaligned forms do not fault.
	for _, code := range []string{"0f100e", "660f3a630e1a"} { // movups, pcmpistri
		e.c.R[RSI] = tData + 8
		e.mustStep(code)
	}
}

func TestSSEMoves(t *testing.T) {
	e := newEnv(t)
	full := XMM{0x1111111111111111, 0x2222222222222222}

	// movq xmm1, rax zero-extends.
	e.c.X[1], e.c.R[RAX] = full, 0x1234
	e.mustStep("66480f6ec8")
	if e.c.X[1] != (XMM{0x1234, 0}) {
		t.Errorf("movq xmm1, rax: %#x", e.c.X[1])
	}
	// movss xmm1, [rsi] clears the upper lanes; movss xmm1, xmm2 keeps them.
	e.write(tData, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	e.c.X[1], e.c.R[RSI] = full, tData
	e.mustStep("f30f100e")
	if e.c.X[1] != (XMM{0x04030201, 0}) {
		t.Errorf("movss xmm1, [rsi]: %#x", e.c.X[1])
	}
	e.c.X[1], e.c.X[2] = full, XMM{0xaaaaaaaabbbbbbbb, 0xcccc}
	e.mustStep("f30f10ca")
	if e.c.X[1] != (XMM{0x11111111bbbbbbbb, 0x2222222222222222}) {
		t.Errorf("movss xmm1, xmm2: %#x", e.c.X[1])
	}
	// pmovmskb eax, xmm1.
	e.c.X[1] = XMM{0x8000000000000080, 0xff00000000000000}
	e.c.R[RAX] = ^uint64(0)
	e.mustStep("660fd7c1")
	e.reg(RAX, 0x8081)
}

func TestSSEMMX(t *testing.T) {
	e := newEnv(t)
	e.c.FPU.ST[1] = F80{Mant: 0x01ff01ff01ff01ff}
	e.c.FPU.ST[2] = F80{Mant: 0x0101010101010101}
	e.c.FPU.Top, e.c.FPU.Tag = 3, 0xffff
	e.mustStep("0ffcca") // paddb mm1, mm2
	if st := e.c.FPU.ST[1]; st.Mant != 0x0200020002000200 || st.Exp != 0xffff {
		t.Errorf("paddb mm1, mm2: %+v", st)
	}
	if e.c.FPU.Top != 0 || e.c.FPU.Tag != 0 {
		t.Errorf("MMX instruction left top %d tag %#x", e.c.FPU.Top, e.c.FPU.Tag)
	}
	e.mustStep("0f77") // emms
	if e.c.FPU.Tag != 0xffff {
		t.Errorf("emms left tag %#x", e.c.FPU.Tag)
	}
}

func TestSSECrc32(t *testing.T) {
	e := newEnv(t)
	// CRC-32C of "123456789" is 0xe3069283 with the usual inversions.
	e.write(tData, []byte("123456789"))
	e.c.R[RAX] = 0xffffffff
	for i := range 9 {
		e.c.R[RSI] = tData + uint64(i)
		e.mustStep("f20f38f006") // crc32 eax, byte [rsi]
	}
	e.reg(RAX, 0xe3069283^0xffffffff)
}

func TestSSEMXCSR(t *testing.T) {
	e := newEnv(t)
	e.c.R[RSI] = tData
	e.write(tData, []byte{0xc0, 0x9f, 0, 0}) // FZ, DAZ, all masked
	e.mustStep("0fae16")                     // ldmxcsr [rsi]
	if e.c.MXCSR != 0x9fc0 {
		t.Errorf("MXCSR = %#x", e.c.MXCSR)
	}
	e.mustStep("0fae1e") // stmxcsr [rsi]
	if got := binary.LittleEndian.Uint32(e.read(tData, 4)); got != 0x9fc0 {
		t.Errorf("stmxcsr stored %#x", got)
	}
	e.write(tData, []byte{0x80, 0x1f, 1, 0}) // reserved bit 16
	if k := e.step("0fae16"); k != StopFault || e.c.Fault.Sig != int(unix.SIGSEGV) || e.c.Fault.Code != 0x80 {
		t.Errorf("ldmxcsr with a reserved bit: %v %+v", k, e.c.Fault)
	}
	if e.c.MXCSR != 0x9fc0 {
		t.Errorf("faulting ldmxcsr changed MXCSR to %#x", e.c.MXCSR)
	}
}

func TestFXSaveRestore(t *testing.T) {
	e := newEnv(t)
	c := e.c
	for i := range c.X {
		c.X[i] = XMM{uint64(i) * 0x0101010101010101, ^uint64(i)}
	}
	c.MXCSR = 0x7fa5
	c.FPU.Control, c.FPU.Status, c.FPU.Top = 0x27f, 0x4001, 6
	c.FPU.ST[6] = F80{Mant: 1 << 63, Exp: 0x3fff} // ST(0) = 1.0, valid
	c.FPU.ST[7] = F80{}                           // ST(1) = +0, zero
	c.FPU.Tag = 0x4fff                            // R6 valid, R7 zero, the rest empty
	fill := make([]byte, 512)
	for i := range fill {
		fill[i] = 0xa5
	}
	e.write(tData, fill)
	c.R[RSI] = tData
	e.mustStep("480fae06") // fxsave64 [rsi]
	b := e.read(tData, 512)
	le := binary.LittleEndian
	if le.Uint16(b[0:]) != 0x27f || le.Uint16(b[2:]) != 0x4001|6<<11 || b[4] != 0xc0 {
		t.Errorf("fxsave header % x", b[:8])
	}
	if le.Uint32(b[24:]) != 0x7fa5 || le.Uint32(b[28:]) != 0xffff {
		t.Errorf("fxsave MXCSR % x", b[24:32])
	}
	if le.Uint64(b[32:]) != 1<<63 || le.Uint16(b[40:]) != 0x3fff {
		t.Errorf("fxsave ST(0) % x", b[32:48])
	}
	if le.Uint64(b[160+16*3:]) != 0x0303030303030303 || le.Uint64(b[168+16*15:]) != ^uint64(15) {
		t.Errorf("fxsave XMM area wrong")
	}
	if b[416] != 0xa5 || b[511] != 0xa5 {
		t.Errorf("fxsave wrote past byte 416")
	}

	saved := *c
	c.X = [16]XMM{}
	c.MXCSR = 0x1f80
	c.FPU.reset()
	e.mustStep("480fae0e") // fxrstor64 [rsi]
	if c.X != saved.X || c.MXCSR != saved.MXCSR || c.FPU.Control != 0x27f || c.FPU.Status != 0x4001 || c.FPU.Top != 6 {
		t.Errorf("fxrstor: mxcsr %#x fpu %+v", c.MXCSR, c.FPU)
	}
	if c.FPU.Tag != 0x4fff {
		t.Errorf("fxrstor rebuilt tag %#x, want 0x4fff", c.FPU.Tag)
	}

	// A reserved MXCSR bit in the image faults and changes nothing.
	b[26] = 1
	e.write(tData, b)
	c.MXCSR = 0x1f80
	if k := e.step("480fae0e"); k != StopFault || e.c.Fault.Code != 0x80 || c.MXCSR != 0x1f80 {
		t.Errorf("fxrstor with reserved MXCSR bits: %v %+v", k, e.c.Fault)
	}
}

// AVX (not advertised), LOCK on SSE, and register forms that exist only
// with memory are #UD.
func TestSSEUndefined(t *testing.T) {
	e := newEnv(t)
	for _, code := range []string{
		"c5e858cb",   // vaddps xmm1, xmm2, xmm3
		"f0660ffcca", // lock paddb xmm1, xmm2
		"660f12c1",   // movlpd xmm0, xmm1
		"0f2bc1",     // movntps xmm0, xmm1
		"660f38dcca", // aesenc (AES-NI not advertised)
	} {
		if k := e.step(code); k != StopFault || e.c.Fault.Sig != int(unix.SIGILL) {
			t.Errorf("%s: %v %+v", code, k, e.c.Fault)
		}
	}
}

// Handlers must not allocate.
func TestSSENoAllocs(t *testing.T) {
	e := newEnv(t)
	for _, code := range []string{"f20f58ca", "660ffcca", "660f3a63ca0c", "0f100e", "f30f53ca", "f2480f2dc1", "660f3a0bca04", "0ffcca"} {
		e.load(code)
		e.c.R[RSI] = tData
		e.c.MXCSR = 0x1f80 | mxRU
		b := e.hotBlock()
		in := &b.insts[0]
		if n := testing.AllocsPerRun(100, func() { in.fn(e.c, in) }); n != 0 {
			t.Errorf("%s allocates %v times", code, n)
		}
	}
}
