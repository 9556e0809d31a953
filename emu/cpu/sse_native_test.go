package cpu

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"unsafe"

	xcpu "golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"
)

// Differential tests of the SSE, SSSE3, SSE4 and MMX instructions against
// the host CPU (x86-64 is the only host): each instruction runs from the
// same random state natively and in the interpreter, and every XMM, MMX and
// general register, the flags, MXCSR and the memory the instruction can
// reach must agree bit for bit. Inputs are biased toward what breaks
// emulators: NaNs (quiet and signalling, with payloads), infinities, zeros
// of both signs, denormals, values near overflow and underflow, strings
// with embedded NULs for PCMPxSTRx, and every rounding mode with DAZ and FZ.

// sseState is the machine state the native stub loads and stores.
type sseState struct {
	X     [16]XMM    // 0
	R     [16]uint64 // 256
	Flags uint64     // 384
	MXCSR uint32     // 392
	_     uint32
	MM    [8]uint64 // 400
}

const (
	sseOffR     = 256
	sseOffFlags = 384
	sseOffMXCSR = 392
	sseOffMM    = 400
	sseBufLen   = 1024 // the memory window RSI and RDI point into
	sseBufRSI   = 64
	sseBufRDI   = 160
)

// sseRegs are the general registers the stub carries: all but RSP, RBP,
// R14 (Go's g) and R15.
var sseRegs = []int{RAX, RCX, RDX, RBX, RSI, RDI, R8, R9, R10, R11, R12, R13}

var sseNative struct {
	once      sync.Once
	mu        sync.Mutex
	page, buf []byte
	err       error
}

// rmRAX appends op with a ModRM naming [RAX+disp32] and register reg.
func rmRAX(p []byte, reg int, disp uint32, op ...byte) []byte {
	p = append(p, op...)
	p = append(p, 0x80|byte(reg&7)<<3)
	return binary.LittleEndian.AppendUint32(p, disp)
}

// sseStub wraps code in a function (state pointer in RAX, Go's
// register ABI) that loads the state, runs code and stores the state.
func sseStub(code []byte) []byte {
	var p []byte
	p = append(p, 0x55, 0x41, 0x56, 0x41, 0x57, 0x41, 0x54, 0x41, 0x55) // push rbp, r14, r15, r12, r13
	p = append(p, 0x50)                                                 // push rax
	p = append(p, 0x48, 0x83, 0xec, 0x08, 0x0f, 0xae, 0x1c, 0x24)       // sub rsp, 8; stmxcsr [rsp]
	p = rmRAX(p, 2, sseOffMXCSR, 0x0f, 0xae)                            // ldmxcsr
	for i := range 8 {
		p = rmRAX(p, i, sseOffMM+8*uint32(i), 0x0f, 0x6f) // movq mmi, m64
	}
	for i := range 16 {
		p = append(p, 0xf3)
		if i >= 8 {
			p = append(p, 0x44)
		}
		p = rmRAX(p, i, 16*uint32(i), 0x0f, 0x6f) // movdqu xmmi, m128
	}
	p = rmRAX(p, 6, sseOffFlags, 0xff) // push m64
	p = append(p, 0x9d)                // popfq
	for _, r := range sseRegs[1:] {
		p = rmRAX(p, r, sseOffR+8*uint32(r), 0x48|byte(r>>3)<<2, 0x8b)
	}
	p = rmRAX(p, RAX, sseOffR, 0x48, 0x8b)
	p = append(p, code...)
	p = append(p, 0x9c, 0x50, 0x48, 0x8b, 0x44, 0x24, 0x18) // pushfq; push rax; mov rax, [rsp+24]
	p = rmRAX(p, 0, sseOffR, 0x8f)                          // pop m64
	p = rmRAX(p, 0, sseOffFlags, 0x8f)
	p = rmRAX(p, 3, sseOffMXCSR, 0x0f, 0xae)                      // stmxcsr
	p = append(p, 0x0f, 0xae, 0x14, 0x24, 0x48, 0x83, 0xc4, 0x08) // ldmxcsr [rsp]; add rsp, 8
	for _, r := range sseRegs[1:] {
		p = rmRAX(p, r, sseOffR+8*uint32(r), 0x48|byte(r>>3)<<2, 0x89)
	}
	for i := range 16 {
		p = append(p, 0xf3)
		if i >= 8 {
			p = append(p, 0x44)
		}
		p = rmRAX(p, i, 16*uint32(i), 0x0f, 0x7f)
	}
	for i := range 8 {
		p = rmRAX(p, i, sseOffMM+8*uint32(i), 0x0f, 0x7f)
	}
	p = append(p, 0x0f, 0x77, 0x66, 0x45, 0x0f, 0xef, 0xff)             // emms; pxor xmm15, xmm15
	p = append(p, 0x48, 0x83, 0xc4, 0x08)                               // add rsp, 8
	p = append(p, 0x41, 0x5d, 0x41, 0x5c, 0x41, 0x5f, 0x41, 0x5e, 0x5d) // pop r13, r12, r15, r14, rbp
	return append(p, 0xfc, 0xc3)                                        // cld; ret
}

// sseRunNative runs code on the host from s, with RSI and RDI holding
// offsets into the host buffer (filled from mem), and returns the final
// state and buffer.
func sseRunNative(t *testing.T, code []byte, s *sseState, mem []byte) {
	sseNative.once.Do(func() {
		sseNative.page, sseNative.err = unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if sseNative.err == nil {
			sseNative.buf, sseNative.err = unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		}
	})
	if sseNative.err != nil {
		t.Skip("no executable page:", sseNative.err)
	}
	sseNative.mu.Lock()
	defer sseNative.mu.Unlock()
	copy(sseNative.page, sseStub(code))
	copy(sseNative.buf, mem)
	base := uint64(uintptr(unsafe.Pointer(&sseNative.buf[0])))
	s.R[RSI] += base
	s.R[RDI] += base
	fv := &struct{ fn uintptr }{uintptr(unsafe.Pointer(&sseNative.page[0]))}
	f := *(*func(*sseState))(unsafe.Pointer(&fv))
	f(s)
	s.R[RSI] -= base
	s.R[RDI] -= base
	copy(mem, sseNative.buf[:len(mem)])
}

var f32Edges = []uint32{
	0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
	0x7fc00000, 0xffc00000, 0x7fc12345, 0x7fa00000, 0xff812345, 0x7f800001,
	0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
	0x4b000000, 0x4b7fffff, 0x4f000000, 0xcf000000, 0xcf000001, 0x5f000000, 0xdf000000,
	0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x3effffff, 0x3f7fffff,
	0x00ffffff, 0x0c800000, 0x72800000, 0x73000000, 0x7f000000, 0x0d000000,
}

var f64Edges = []uint64{
	0, 1 << 63, 0x3ff0000000000000, 0xbff0000000000000, 0x7ff0000000000000, 0xfff0000000000000,
	0x7ff8000000000000, 0xfff8000000000000, 0x7ff8000000012345, 0x7ff4000000000000, 0xfff0000000054321, 0x7ff0000000000001,
	1, 0x800fffffffffffff, 0x0008000000000000, 0x0010000000000000, 0x8010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
	0x4330000000000000, 0x433fffffffffffff, 0x41e0000000000000, 0xc1e0000000000000, 0xc1e0000000200000, 0x41dfffffffc00000,
	0x43e0000000000000, 0xc3e0000000000000, 0xc3e0000000000001, 0x3fe0000000000000, 0xbfe0000000000000, 0x3ff8000000000000,
	0x4004000000000000, 0xc004000000000000, 0x3fdfffffffffffff, 0x001fffffffffffff, 0x0360000000000000, 0x7e50000000000000,
	0x47efffffe0000000, 0x47efffff10000000, 0x3810000000000000, 0x380fffffffffffff, 0x36a0000000000000, 0x369fffffffffffff,
	0x7c90000000000000, 0x7fe0000000000000, 0x0350000000000000,
}

// sseF32 returns an interesting single: an edge value, or a random value
// whose exponent is near the ends of the range or near 1.
func sseF32(r *rand.Rand) uint32 {
	if r.IntN(3) == 0 {
		return f32Edges[r.IntN(len(f32Edges))]
	}
	exps := []uint32{0, 1, 2, 24, 25, 100, 126, 127, 128, 150, 151, 200, 253, 254, 255}
	e := exps[r.IntN(len(exps))]
	if r.IntN(3) == 0 {
		e = uint32(r.IntN(256))
	}
	m := r.Uint32() & mant32
	if r.IntN(4) == 0 {
		m &= 0x7ff000 // short mantissas make exact results and ties
	}
	return r.Uint32()&sign32 | e<<23 | m
}

func sseF64(r *rand.Rand) uint64 {
	if r.IntN(3) == 0 {
		return f64Edges[r.IntN(len(f64Edges))]
	}
	exps := []uint64{0, 1, 2, 53, 54, 700, 896, 897, 1022, 1023, 1024, 1075, 1076, 1150, 1151, 1300, 2045, 2046, 2047}
	e := exps[r.IntN(len(exps))]
	if r.IntN(3) == 0 {
		e = uint64(r.IntN(2048))
	}
	m := r.Uint64() & mant64
	switch r.IntN(4) {
	case 0:
		m &= 0xfffffe0000000 // short mantissa
	case 1:
		m = m&^(1<<29-1) | 1<<28 // a tie when narrowed to single
	}
	return r.Uint64()&sign64 | e<<52 | m
}

// sseValue returns a random 128-bit operand of one of several flavours.
func sseValue(r *rand.Rand) XMM {
	var x XMM
	switch r.IntN(7) {
	case 0:
		x = XMM{r.Uint64(), r.Uint64()}
	case 1:
		a := x.u32()
		for i := range a {
			a[i] = sseF32(r)
		}
	case 2:
		x = XMM{sseF64(r), sseF64(r)}
	case 3, 4: // short strings over a small alphabet, NUL-terminated or not
		b := x.u8()
		for i := range b {
			b[i] = "abcA\x00\x80\xff"[r.IntN(4+r.IntN(4))]
		}
		if r.IntN(2) == 0 {
			b[r.IntN(16)] = 0
		}
	case 5:
		w := x.u16()
		for i := range w {
			w[i] = []uint16{0, 1, 2, 3, 0x7fff, 0x8000, 0xffff, 0x61}[r.IntN(8)]
		}
	case 6:
		d := x.u32()
		for i := range d {
			d[i] = uint32(edgeValues[r.IntN(len(edgeValues))])
		}
	}
	return x
}

func sseInput(r *rand.Rand) (sseState, []byte) {
	var s sseState
	for i := range s.X {
		s.X[i] = sseValue(r)
	}
	for i := range s.MM {
		v := sseValue(r)
		s.MM[i] = v[r.IntN(2)]
	}
	for _, reg := range sseRegs {
		s.R[reg] = randValue(r)
		if r.IntN(3) == 0 {
			s.R[reg] = uint64(int64(r.IntN(41) - 20)) // PCMPESTRx lengths
		}
	}
	s.R[RSI], s.R[RDI] = sseBufRSI, sseBufRDI
	s.Flags = 0x202 | r.Uint64()&arithFlags
	s.MXCSR = 0x1f80 | uint32(r.IntN(4))<<13
	if r.IntN(4) == 0 {
		s.MXCSR |= mxDAZ
	}
	if r.IntN(4) == 0 {
		s.MXCSR |= mxFZ
	}
	if r.IntN(2) == 0 {
		s.MXCSR |= mxPE // takes the interpreter's fast paths
	}
	if r.IntN(4) == 0 {
		s.MXCSR |= r.Uint32() & 0x3f
	}
	buf := make([]byte, sseBufLen)
	for i := 0; i < len(buf); i += 16 {
		v := sseValue(r)
		copy(buf[i:], v.u8()[:])
	}
	return s, buf
}

// sseCheck runs each case iters times and reports the first differences.
func sseCheck(t *testing.T, cases [][2]string, iters int) {
	if !xcpu.X86.HasSSE42 || !xcpu.X86.HasSSSE3 || !xcpu.X86.HasPCLMULQDQ {
		t.Skip("host lacks SSSE3, SSE4.2 or PCLMULQDQ")
	}
	e := newEnv(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range cases {
		name, code := tc[0], hexBytes(t, tc[1])
		e.load(tc[1])
		fails := 0
		for range iters {
			in, buf := sseInput(r)
			switch name {
			case "ldmxcsr [rsi+1]":
				// A valid value with every exception masked.
				binary.LittleEndian.PutUint32(buf[sseBufRSI+1:], 0x1f80|r.Uint32()&0xe07f)
			case "fxrstor64 [rsi]":
				// Masked x87 exceptions and no pending ones, so that the
				// host can go on; a valid MXCSR.
				binary.LittleEndian.PutUint32(buf[sseBufRSI:], 0x037f)
				binary.LittleEndian.PutUint32(buf[sseBufRSI+24:], 0x1f80|r.Uint32()&0xe07f)
			}
			want, wbuf := in, append([]byte(nil), buf...)
			sseRunNative(t, code, &want, wbuf)

			c := e.c
			c.X = in.X
			for _, reg := range sseRegs {
				c.R[reg] = in.R[reg]
			}
			c.R[RSI] += tData
			c.R[RDI] += tData
			for i, v := range in.MM {
				c.FPU.ST[i] = F80{Mant: v, Exp: 0xffff}
			}
			// The stub's MMX loads leave this x87 state.
			c.FPU.Control, c.FPU.Status, c.FPU.Top, c.FPU.Tag = 0x37f, 0, 0, 0
			c.SetFlags(in.Flags)
			c.MXCSR = in.MXCSR
			e.write(tData, buf)
			c.RIP = tCode
			if k := c.Step(); k != 0 {
				t.Errorf("%s: stopped with %v, fault %+v", name, k, c.Fault)
				break
			}
			c.R[RSI] -= tData
			c.R[RDI] -= tData
			bad := ""
			for i := range c.X {
				if c.X[i] != want.X[i] {
					bad += fmt.Sprintf("\n  xmm%d = %016x_%016x want %016x_%016x (in %016x_%016x)", i, c.X[i][1], c.X[i][0], want.X[i][1], want.X[i][0], in.X[i][1], in.X[i][0])
				}
			}
			for _, reg := range sseRegs {
				if c.R[reg] != want.R[reg] {
					bad += fmt.Sprintf("\n  R%d = %#x want %#x (in %#x)", reg, c.R[reg], want.R[reg], in.R[reg])
				}
			}
			for i := range in.MM {
				if got := c.FPU.ST[i].Mant; got != want.MM[i] {
					bad += fmt.Sprintf("\n  mm%d = %#x want %#x (in %#x)", i, got, want.MM[i], in.MM[i])
				}
			}
			if got := c.Flags() & arithFlags; got != want.Flags&arithFlags {
				bad += fmt.Sprintf("\n  flags = %#x want %#x (in %#x)", got, want.Flags&arithFlags, in.Flags&arithFlags)
			}
			if c.MXCSR != want.MXCSR {
				bad += fmt.Sprintf("\n  mxcsr = %#x want %#x (in %#x)", c.MXCSR, want.MXCSR, in.MXCSR)
			}
			if got := e.read(tData, sseBufLen); string(got) != string(wbuf) {
				for i := range got {
					if got[i] != wbuf[i] && !sseIgnored(name, i) {
						bad += fmt.Sprintf("\n  mem[%d] = %#x want %#x", i, got[i], wbuf[i])
					}
				}
			}
			if bad != "" {
				t.Errorf("%s (%s):%s\n  xmm1 in %016x_%016x xmm2 in %016x_%016x", name, tc[1], bad, in.X[1][1], in.X[1][0], in.X[2][1], in.X[2][0])
				if fails++; fails >= 3 {
					break
				}
			}
		}
	}
}

// sseIgnored reports memory the interpreter may legitimately store
// differently from the host: FXSAVE's last-instruction pointers (not
// tracked) and MXCSR_MASK (the host may have more MXCSR bits).
func sseIgnored(name string, i int) bool {
	if name != "fxsave64 [rsi]" {
		return false
	}
	i -= sseBufRSI
	return i >= 6 && i < 24 || i >= 28 && i < 32
}

func TestSSENative(t *testing.T) {
	iters := 200
	if testing.Short() {
		iters = 30
	}
	sseCheck(t, sseCases, iters)
}

// sseCases are the instructions checked against the host: Intel syntax and
// encoding. Memory operands use [rsi+disp]; RSI is 16-byte aligned.
var sseCases = [][2]string{
	{"movaps xmm1, xmm2", "0f28ca"},
	{"movaps xmm1, [rsi]", "0f280e"},
	{"movaps [rsi], xmm9", "440f290e"},
	{"movups xmm1, [rsi+1]", "0f104e01"},
	{"movups [rsi+3], xmm1", "0f114e03"},
	{"movapd xmm10, xmm2", "66440f28d2"},
	{"movupd xmm1, [rsi+5]", "660f104e05"},
	{"movdqa xmm1, [rsi]", "660f6f0e"},
	{"movdqa [rsi], xmm1", "660f7f0e"},
	{"movdqu xmm1, [rsi+7]", "f30f6f4e07"},
	{"movdqu [rsi+9], xmm12", "f3440f7f6609"},
	{"movdqu xmm1, xmm2", "f30f6fca"},
	{"movss xmm1, xmm2", "f30f10ca"},
	{"movss xmm1, [rsi+1]", "f30f104e01"},
	{"movss [rsi+2], xmm1", "f30f114e02"},
	{"movsd xmm1, xmm2", "f20f10ca"},
	{"movsd xmm1, [rsi+3]", "f20f104e03"},
	{"movsd [rsi+4], xmm1", "f20f114e04"},
	{"movd xmm1, eax", "660f6ec8"},
	{"movd eax, xmm1", "660f7ec8"},
	{"movd xmm1, [rsi+1]", "660f6e4e01"},
	{"movd [rsi+1], xmm1", "660f7e4e01"},
	{"movq xmm1, rax", "66480f6ec8"},
	{"movq rax, xmm1", "66480f7ec8"},
	{"movq xmm1, [rsi+2]", "f30f7e4e02"},
	{"movq [rsi+2], xmm1", "660fd64e02"},
	{"movq xmm1, xmm2", "f30f7eca"},
	{".byte 0x66,0x0f,0xd6,0xca", "660fd6ca"},
	{"movq xmm8, r9", "664d0f6ec1"},
	{"movq r10, xmm11", "664d0f7eda"},
	{"movlps xmm1, [rsi]", "0f120e"},
	{"movlps [rsi], xmm1", "0f130e"},
	{"movhps xmm1, [rsi]", "0f160e"},
	{"movhps [rsi], xmm1", "0f170e"},
	{"movlpd xmm1, [rsi]", "660f120e"},
	{"movlpd [rsi], xmm1", "660f130e"},
	{"movhpd xmm1, [rsi]", "660f160e"},
	{"movhpd [rsi], xmm1", "660f170e"},
	{"movhlps xmm1, xmm2", "0f12ca"},
	{"movlhps xmm1, xmm2", "0f16ca"},
	{"movntdq [rsi], xmm1", "660fe70e"},
	{"movntps [rsi], xmm1", "0f2b0e"},
	{"movntpd [rsi], xmm1", "660f2b0e"},
	{"movnti [rsi], eax", "0fc306"},
	{"movnti [rsi], rax", "480fc306"},
	{"movntdqa xmm1, [rsi]", "660f382a0e"},
	{"lddqu xmm1, [rsi+1]", "f20ff04e01"},
	{"movmskps eax, xmm1", "0f50c1"},
	{"movmskpd eax, xmm1", "660f50c1"},
	{"pmovmskb eax, xmm1", "660fd7c1"},
	{"pmovmskb r8d, xmm9", "66450fd7c1"},
	{"maskmovdqu xmm1, xmm2", "660ff7ca"},
	{"paddb xmm1, xmm2", "660ffcca"},
	{"paddb xmm1, [rsi]", "660ffc0e"},
	{"paddw xmm1, xmm2", "660ffdca"},
	{"paddd xmm1, xmm2", "660ffeca"},
	{"paddq xmm1, xmm2", "660fd4ca"},
	{"psubb xmm1, xmm2", "660ff8ca"},
	{"psubw xmm1, xmm2", "660ff9ca"},
	{"psubd xmm1, xmm2", "660ffaca"},
	{"psubq xmm1, xmm2", "660ffbca"},
	{"paddsb xmm1, xmm2", "660fecca"},
	{"paddsw xmm1, xmm2", "660fedca"},
	{"paddusb xmm1, xmm2", "660fdcca"},
	{"paddusw xmm1, xmm2", "660fddca"},
	{"psubsb xmm1, xmm2", "660fe8ca"},
	{"psubsw xmm1, xmm2", "660fe9ca"},
	{"psubusb xmm1, xmm2", "660fd8ca"},
	{"psubusw xmm1, xmm2", "660fd9ca"},
	{"pmullw xmm1, xmm2", "660fd5ca"},
	{"pmulhw xmm1, xmm2", "660fe5ca"},
	{"pmulhuw xmm1, xmm2", "660fe4ca"},
	{"pmuludq xmm1, xmm2", "660ff4ca"},
	{"pmulld xmm1, xmm2", "660f3840ca"},
	{"pmuldq xmm1, xmm2", "660f3828ca"},
	{"pmaddwd xmm1, xmm2", "660ff5ca"},
	{"psadbw xmm1, xmm2", "660ff6ca"},
	{"pavgb xmm1, xmm2", "660fe0ca"},
	{"pavgw xmm1, xmm2", "660fe3ca"},
	{"pminub xmm1, xmm2", "660fdaca"},
	{"pmaxub xmm1, xmm2", "660fdeca"},
	{"pminsw xmm1, xmm2", "660feaca"},
	{"pmaxsw xmm1, xmm2", "660feeca"},
	{"pminsb xmm1, xmm2", "660f3838ca"},
	{"pmaxsb xmm1, xmm2", "660f383cca"},
	{"pminuw xmm1, xmm2", "660f383aca"},
	{"pmaxuw xmm1, xmm2", "660f383eca"},
	{"pminud xmm1, xmm2", "660f383bca"},
	{"pmaxud xmm1, xmm2", "660f383fca"},
	{"pminsd xmm1, xmm2", "660f3839ca"},
	{"pmaxsd xmm1, xmm2", "660f383dca"},
	{"pcmpeqb xmm1, xmm2", "660f74ca"},
	{"pcmpeqb xmm1, [rsi]", "660f740e"},
	{"pcmpeqw xmm1, xmm2", "660f75ca"},
	{"pcmpeqd xmm1, xmm2", "660f76ca"},
	{"pcmpeqq xmm1, xmm2", "660f3829ca"},
	{"pcmpgtb xmm1, xmm2", "660f64ca"},
	{"pcmpgtw xmm1, xmm2", "660f65ca"},
	{"pcmpgtd xmm1, xmm2", "660f66ca"},
	{"pcmpgtq xmm1, xmm2", "660f3837ca"},
	{"pand xmm1, xmm2", "660fdbca"},
	{"pandn xmm1, xmm2", "660fdfca"},
	{"por xmm1, xmm2", "660febca"},
	{"pxor xmm1, xmm2", "660fefca"},
	{"pxor xmm1, xmm1", "660fefc9"},
	{"psllw xmm1, 3", "660f71f103"},
	{"psllw xmm1, 17", "660f71f111"},
	{"psllw xmm1, xmm2", "660ff1ca"},
	{"pslld xmm1, 31", "660f72f11f"},
	{"pslld xmm1, xmm2", "660ff2ca"},
	{"psllq xmm1, 63", "660f73f13f"},
	{"psllq xmm1, [rsi]", "660ff30e"},
	{"psrlw xmm1, 5", "660f71d105"},
	{"psrlw xmm1, xmm2", "660fd1ca"},
	{"psrld xmm1, 7", "660f72d107"},
	{"psrld xmm1, xmm2", "660fd2ca"},
	{"psrlq xmm1, 33", "660f73d121"},
	{"psrlq xmm1, xmm2", "660fd3ca"},
	{"psraw xmm1, 9", "660f71e109"},
	{"psraw xmm1, xmm2", "660fe1ca"},
	{"psrad xmm1, 40", "660f72e128"},
	{"psrad xmm1, xmm2", "660fe2ca"},
	{"pslldq xmm1, 5", "660f73f905"},
	{"pslldq xmm1, 8", "660f73f908"},
	{"pslldq xmm1, 13", "660f73f90d"},
	{"pslldq xmm1, 16", "660f73f910"},
	{"psrldq xmm1, 3", "660f73d903"},
	{"psrldq xmm1, 8", "660f73d908"},
	{"psrldq xmm1, 15", "660f73d90f"},
	{"punpcklbw xmm1, xmm2", "660f60ca"},
	{"punpcklwd xmm1, xmm2", "660f61ca"},
	{"punpckldq xmm1, xmm2", "660f62ca"},
	{"punpcklqdq xmm1, xmm2", "660f6cca"},
	{"punpckhbw xmm1, xmm2", "660f68ca"},
	{"punpckhwd xmm1, xmm2", "660f69ca"},
	{"punpckhdq xmm1, xmm2", "660f6aca"},
	{"punpckhqdq xmm1, xmm2", "660f6dca"},
	{"packsswb xmm1, xmm2", "660f63ca"},
	{"packssdw xmm1, xmm2", "660f6bca"},
	{"packuswb xmm1, xmm2", "660f67ca"},
	{"packusdw xmm1, xmm2", "660f382bca"},
	{"pshufd xmm1, xmm2, 0x1b", "660f70ca1b"},
	{"pshufd xmm1, [rsi], 0xe4", "660f700ee4"},
	{"pshuflw xmm1, xmm2, 0x72", "f20f70ca72"},
	{"pshufhw xmm1, xmm2, 0x8d", "f30f70ca8d"},
	{"pinsrw xmm1, eax, 3", "660fc4c803"},
	{"pinsrw xmm1, [rsi+1], 7", "660fc44e0107"},
	{"pextrw eax, xmm1, 5", "660fc5c105"},
	{"pextrw [rsi+1], xmm1, 6", "660f3a154e0106"},
	{"pshufb xmm1, xmm2", "660f3800ca"},
	{"pshufb xmm1, [rsi]", "660f38000e"},
	{"palignr xmm1, xmm2, 0", "660f3a0fca00"},
	{"palignr xmm1, xmm2, 5", "660f3a0fca05"},
	{"palignr xmm1, xmm2, 16", "660f3a0fca10"},
	{"palignr xmm1, xmm2, 21", "660f3a0fca15"},
	{"palignr xmm1, xmm2, 40", "660f3a0fca28"},
	{"phaddw xmm1, xmm2", "660f3801ca"},
	{"phaddd xmm1, xmm2", "660f3802ca"},
	{"phaddsw xmm1, xmm2", "660f3803ca"},
	{"phsubw xmm1, xmm2", "660f3805ca"},
	{"phsubd xmm1, xmm2", "660f3806ca"},
	{"phsubsw xmm1, xmm2", "660f3807ca"},
	{"pabsb xmm1, xmm2", "660f381cca"},
	{"pabsw xmm1, xmm2", "660f381dca"},
	{"pabsd xmm1, xmm2", "660f381eca"},
	{"psignb xmm1, xmm2", "660f3808ca"},
	{"psignw xmm1, xmm2", "660f3809ca"},
	{"psignd xmm1, xmm2", "660f380aca"},
	{"pmulhrsw xmm1, xmm2", "660f380bca"},
	{"pmaddubsw xmm1, xmm2", "660f3804ca"},
	{"pmovzxbw xmm1, xmm2", "660f3830ca"},
	{"pmovzxbw xmm1, [rsi+1]", "660f38304e01"},
	{"pmovzxbd xmm1, xmm2", "660f3831ca"},
	{"pmovzxbq xmm1, [rsi+3]", "660f38324e03"},
	{"pmovzxwd xmm1, xmm2", "660f3833ca"},
	{"pmovzxwq xmm1, xmm2", "660f3834ca"},
	{"pmovzxdq xmm1, [rsi+5]", "660f38354e05"},
	{"pmovsxbw xmm1, xmm2", "660f3820ca"},
	{"pmovsxbd xmm1, [rsi+1]", "660f38214e01"},
	{"pmovsxbq xmm1, xmm2", "660f3822ca"},
	{"pmovsxwd xmm1, xmm2", "660f3823ca"},
	{"pmovsxwq xmm1, [rsi+2]", "660f38244e02"},
	{"pmovsxdq xmm1, xmm2", "660f3825ca"},
	{"pinsrb xmm1, eax, 3", "660f3a20c803"},
	{"pinsrb xmm1, [rsi], 15", "660f3a200e0f"},
	{"pinsrd xmm1, eax, 2", "660f3a22c802"},
	{"pinsrd xmm1, [rsi+1], 3", "660f3a224e0103"},
	{"pinsrq xmm1, rax, 1", "66480f3a22c801"},
	{"pinsrq xmm1, [rsi+1], 0", "66480f3a224e0100"},
	{"pextrb eax, xmm1, 3", "660f3a14c803"},
	{"pextrb rax, xmm1, 14", "660f3a14c80e"},
	{"pextrb [rsi+1], xmm1, 9", "660f3a144e0109"},
	{"pextrd eax, xmm1, 3", "660f3a16c803"},
	{"pextrd [rsi+1], xmm1, 1", "660f3a164e0101"},
	{"pextrq rax, xmm1, 1", "66480f3a16c801"},
	{"pextrq [rsi+1], xmm1, 1", "66480f3a164e0101"},
	{".byte 0x66,0x0f,0x3a,0x15,0xc8,0x03", "660f3a15c803"},
	{"ptest xmm1, xmm2", "660f3817ca"},
	{"ptest xmm1, [rsi]", "660f38170e"},
	{"pblendw xmm1, xmm2, 0x55", "660f3a0eca55"},
	{"blendps xmm1, xmm2, 5", "660f3a0cca05"},
	{"blendpd xmm1, xmm2, 2", "660f3a0dca02"},
	{"pblendvb xmm1, xmm2", "660f3810ca"},
	{"blendvps xmm1, xmm2", "660f3814ca"},
	{"blendvpd xmm1, [rsi]", "660f38150e"},
	{"mpsadbw xmm1, xmm2, 5", "660f3a42ca05"},
	{"mpsadbw xmm1, xmm2, 2", "660f3a42ca02"},
	{"phminposuw xmm1, xmm2", "660f3841ca"},
	{"pclmulqdq xmm1, xmm2, 0x00", "660f3a44ca00"},
	{"pclmulqdq xmm1, xmm2, 0x11", "660f3a44ca11"},
	{"pclmulqdq xmm1, [rsi], 0x10", "660f3a440e10"},
	{"crc32 eax, bl", "f20f38f0c3"},
	{"crc32 eax, bx", "66f20f38f1c3"},
	{"crc32 eax, ebx", "f20f38f1c3"},
	{"crc32 rax, rbx", "f2480f38f1c3"},
	{"crc32 rax, bl", "f2480f38f0c3"},
	{"crc32 eax, byte ptr [rsi+1]", "f20f38f04601"},
	{"crc32 eax, word ptr [rsi+1]", "66f20f38f14601"},
	{"crc32 eax, dword ptr [rsi+1]", "f20f38f14601"},
	{"crc32 rax, qword ptr [rsi+1]", "f2480f38f14601"},
	{"crc32 eax, ah", "f20f38f0c4"},
	{"pcmpistri xmm1, xmm2, 0x00", "660f3a63ca00"},
	{"pcmpistri xmm1, xmm2, 0x01", "660f3a63ca01"},
	{"pcmpistri xmm1, xmm2, 0x02", "660f3a63ca02"},
	{"pcmpistri xmm1, xmm2, 0x03", "660f3a63ca03"},
	{"pcmpistri xmm1, xmm2, 0x04", "660f3a63ca04"},
	{"pcmpistri xmm1, xmm2, 0x05", "660f3a63ca05"},
	{"pcmpistri xmm1, xmm2, 0x06", "660f3a63ca06"},
	{"pcmpistri xmm1, xmm2, 0x07", "660f3a63ca07"},
	{"pcmpistri xmm1, xmm2, 0x08", "660f3a63ca08"},
	{"pcmpistri xmm1, xmm2, 0x09", "660f3a63ca09"},
	{"pcmpistri xmm1, xmm2, 0x0a", "660f3a63ca0a"},
	{"pcmpistri xmm1, xmm2, 0x0b", "660f3a63ca0b"},
	{"pcmpistri xmm1, xmm2, 0x0c", "660f3a63ca0c"},
	{"pcmpistri xmm1, xmm2, 0x0d", "660f3a63ca0d"},
	{"pcmpistri xmm1, xmm2, 0x0e", "660f3a63ca0e"},
	{"pcmpistri xmm1, xmm2, 0x0f", "660f3a63ca0f"},
	{"pcmpistri xmm1, xmm2, 0x10", "660f3a63ca10"},
	{"pcmpistri xmm1, xmm2, 0x1a", "660f3a63ca1a"},
	{"pcmpistri xmm1, xmm2, 0x30", "660f3a63ca30"},
	{"pcmpistri xmm1, xmm2, 0x3a", "660f3a63ca3a"},
	{"pcmpistri xmm1, xmm2, 0x3c", "660f3a63ca3c"},
	{"pcmpistri xmm1, xmm2, 0x40", "660f3a63ca40"},
	{"pcmpistri xmm1, xmm2, 0x4c", "660f3a63ca4c"},
	{"pcmpistri xmm1, xmm2, 0x12", "660f3a63ca12"},
	{"pcmpistri xmm1, xmm2, 0x14", "660f3a63ca14"},
	{"pcmpistri xmm1, xmm2, 0x18", "660f3a63ca18"},
	{"pcmpistri xmm1, [rsi+3], 0x1a", "660f3a634e031a"},
	{"pcmpistri xmm1, xmm2, 0x7f", "660f3a63ca7f"},
	{"pcmpistrm xmm1, xmm2, 0x00", "660f3a62ca00"},
	{"pcmpistrm xmm1, xmm2, 0x44", "660f3a62ca44"},
	{"pcmpistrm xmm1, xmm2, 0x49", "660f3a62ca49"},
	{"pcmpistrm xmm1, xmm2, 0x3e", "660f3a62ca3e"},
	{"pcmpistrm xmm1, [rsi+1], 0x7a", "660f3a624e017a"},
	{"pcmpestri xmm1, xmm2, 0x00", "660f3a61ca00"},
	{"pcmpestri xmm1, xmm2, 0x05", "660f3a61ca05"},
	{"pcmpestri xmm1, xmm2, 0x0a", "660f3a61ca0a"},
	{"pcmpestri xmm1, xmm2, 0x0c", "660f3a61ca0c"},
	{"pcmpestri xmm1, xmm2, 0x0d", "660f3a61ca0d"},
	{"pcmpestri xmm1, xmm2, 0x38", "660f3a61ca38"},
	{"pcmpestri xmm1, xmm2, 0x72", "660f3a61ca72"},
	{"pcmpestri xmm1, [rsi+1], 0x1a", "660f3a614e011a"},
	{".byte 0x66,0x48,0x0f,0x3a,0x61,0xca,0x0c", "66480f3a61ca0c"},
	{".byte 0x66,0x48,0x0f,0x3a,0x61,0xca,0x35", "66480f3a61ca35"},
	{"pcmpestrm xmm1, xmm2, 0x08", "660f3a60ca08"},
	{"pcmpestrm xmm1, xmm2, 0x45", "660f3a60ca45"},
	{"pcmpestrm xmm1, [rsi], 0x6c", "660f3a600e6c"},
	{"addss xmm1, xmm2", "f30f58ca"},
	{"addss xmm1, [rsi+1]", "f30f584e01"},
	{"addsd xmm1, xmm2", "f20f58ca"},
	{"addsd xmm1, [rsi+1]", "f20f584e01"},
	{"addps xmm1, xmm2", "0f58ca"},
	{"addps xmm1, [rsi]", "0f580e"},
	{"addpd xmm1, xmm2", "660f58ca"},
	{"subss xmm1, xmm2", "f30f5cca"},
	{"subsd xmm1, xmm2", "f20f5cca"},
	{"subps xmm1, xmm2", "0f5cca"},
	{"subpd xmm1, xmm2", "660f5cca"},
	{"mulss xmm1, xmm2", "f30f59ca"},
	{"mulsd xmm1, xmm2", "f20f59ca"},
	{"mulsd xmm1, [rsi+1]", "f20f594e01"},
	{"mulps xmm1, xmm2", "0f59ca"},
	{"mulpd xmm1, xmm2", "660f59ca"},
	{"divss xmm1, xmm2", "f30f5eca"},
	{"divsd xmm1, xmm2", "f20f5eca"},
	{"divps xmm1, xmm2", "0f5eca"},
	{"divpd xmm1, xmm2", "660f5eca"},
	{"sqrtss xmm1, xmm2", "f30f51ca"},
	{"sqrtsd xmm1, xmm2", "f20f51ca"},
	{"sqrtps xmm1, xmm2", "0f51ca"},
	{"sqrtpd xmm1, xmm2", "660f51ca"},
	{"minss xmm1, xmm2", "f30f5dca"},
	{"minsd xmm1, xmm2", "f20f5dca"},
	{"minps xmm1, xmm2", "0f5dca"},
	{"minpd xmm1, xmm2", "660f5dca"},
	{"maxss xmm1, xmm2", "f30f5fca"},
	{"maxsd xmm1, xmm2", "f20f5fca"},
	{"maxps xmm1, xmm2", "0f5fca"},
	{"maxpd xmm1, xmm2", "660f5fca"},
	{"cmpss xmm1, xmm2, 0", "f30fc2ca00"},
	{"cmpss xmm1, xmm2, 1", "f30fc2ca01"},
	{"cmpss xmm1, xmm2, 2", "f30fc2ca02"},
	{"cmpss xmm1, xmm2, 3", "f30fc2ca03"},
	{"cmpss xmm1, xmm2, 4", "f30fc2ca04"},
	{"cmpss xmm1, xmm2, 5", "f30fc2ca05"},
	{"cmpss xmm1, xmm2, 6", "f30fc2ca06"},
	{"cmpss xmm1, xmm2, 7", "f30fc2ca07"},
	{"cmpsd xmm1, xmm2, 0", "f20fc2ca00"},
	{"cmpsd xmm1, xmm2, 1", "f20fc2ca01"},
	{"cmpsd xmm1, xmm2, 2", "f20fc2ca02"},
	{"cmpsd xmm1, xmm2, 3", "f20fc2ca03"},
	{"cmpsd xmm1, xmm2, 4", "f20fc2ca04"},
	{"cmpsd xmm1, xmm2, 5", "f20fc2ca05"},
	{"cmpsd xmm1, xmm2, 6", "f20fc2ca06"},
	{"cmpsd xmm1, xmm2, 7", "f20fc2ca07"},
	{"cmpps xmm1, xmm2, 1", "0fc2ca01"},
	{"cmpps xmm1, xmm2, 3", "0fc2ca03"},
	{"cmpps xmm1, xmm2, 4", "0fc2ca04"},
	{"cmpps xmm1, [rsi], 6", "0fc20e06"},
	{"cmppd xmm1, xmm2, 0", "660fc2ca00"},
	{"cmppd xmm1, xmm2, 2", "660fc2ca02"},
	{"cmppd xmm1, xmm2, 5", "660fc2ca05"},
	{"cmppd xmm1, xmm2, 7", "660fc2ca07"},
	{"comiss xmm1, xmm2", "0f2fca"},
	{"comisd xmm1, xmm2", "660f2fca"},
	{"ucomiss xmm1, xmm2", "0f2eca"},
	{"ucomisd xmm1, xmm2", "660f2eca"},
	{"ucomisd xmm1, [rsi+1]", "660f2e4e01"},
	{"andps xmm1, xmm2", "0f54ca"},
	{"andnps xmm1, xmm2", "0f55ca"},
	{"orps xmm1, xmm2", "0f56ca"},
	{"xorps xmm1, xmm2", "0f57ca"},
	{"andpd xmm1, xmm2", "660f54ca"},
	{"andnpd xmm1, xmm2", "660f55ca"},
	{"orpd xmm1, xmm2", "660f56ca"},
	{"xorpd xmm1, xmm2", "660f57ca"},
	{"shufps xmm1, xmm2, 0x1b", "0fc6ca1b"},
	{"shufps xmm1, xmm2, 0xc6", "0fc6cac6"},
	{"shufpd xmm1, xmm2, 1", "660fc6ca01"},
	{"shufpd xmm1, xmm2, 2", "660fc6ca02"},
	{"unpcklps xmm1, xmm2", "0f14ca"},
	{"unpckhps xmm1, xmm2", "0f15ca"},
	{"unpcklpd xmm1, xmm2", "660f14ca"},
	{"unpckhpd xmm1, xmm2", "660f15ca"},
	{"haddps xmm1, xmm2", "f20f7cca"},
	{"haddpd xmm1, xmm2", "660f7cca"},
	{"hsubps xmm1, xmm2", "f20f7dca"},
	{"hsubpd xmm1, xmm2", "660f7dca"},
	{"addsubps xmm1, xmm2", "f20fd0ca"},
	{"addsubpd xmm1, xmm2", "660fd0ca"},
	{"movshdup xmm1, xmm2", "f30f16ca"},
	{"movsldup xmm1, xmm2", "f30f12ca"},
	{"movddup xmm1, xmm2", "f20f12ca"},
	{"movddup xmm1, [rsi+1]", "f20f124e01"},
	{"roundss xmm1, xmm2, 0", "660f3a0aca00"},
	{"roundss xmm1, xmm2, 1", "660f3a0aca01"},
	{"roundss xmm1, xmm2, 2", "660f3a0aca02"},
	{"roundss xmm1, xmm2, 3", "660f3a0aca03"},
	{"roundss xmm1, xmm2, 4", "660f3a0aca04"},
	{"roundss xmm1, xmm2, 9", "660f3a0aca09"},
	{"roundsd xmm1, xmm2, 0", "660f3a0bca00"},
	{"roundsd xmm1, xmm2, 1", "660f3a0bca01"},
	{"roundsd xmm1, xmm2, 2", "660f3a0bca02"},
	{"roundsd xmm1, xmm2, 3", "660f3a0bca03"},
	{"roundsd xmm1, xmm2, 4", "660f3a0bca04"},
	{"roundsd xmm1, [rsi+1], 12", "660f3a0b4e010c"},
	{"roundps xmm1, xmm2, 0", "660f3a08ca00"},
	{"roundps xmm1, xmm2, 5", "660f3a08ca05"},
	{"roundpd xmm1, xmm2, 2", "660f3a09ca02"},
	{"roundpd xmm1, xmm2, 11", "660f3a09ca0b"},
	{"insertps xmm1, xmm2, 0x5a", "660f3a21ca5a"},
	{"insertps xmm1, xmm2, 0xc0", "660f3a21cac0"},
	{"insertps xmm1, [rsi+1], 0x30", "660f3a214e0130"},
	{"extractps eax, xmm1, 2", "660f3a17c802"},
	{"extractps [rsi+1], xmm1, 3", "660f3a174e0103"},
	{"dpps xmm1, xmm2, 0xff", "660f3a40caff"},
	{"dpps xmm1, xmm2, 0x53", "660f3a40ca53"},
	{"dppd xmm1, xmm2, 0x33", "660f3a41ca33"},
	{"dppd xmm1, xmm2, 0x12", "660f3a41ca12"},
	{"cvtsi2ss xmm1, eax", "f30f2ac8"},
	{"cvtsi2ss xmm1, rax", "f3480f2ac8"},
	{"cvtsi2sd xmm1, eax", "f20f2ac8"},
	{"cvtsi2sd xmm1, rax", "f2480f2ac8"},
	{"cvtsi2sd xmm1, dword ptr [rsi+1]", "f20f2a4e01"},
	{"cvtsi2ss xmm1, qword ptr [rsi+1]", "f3480f2a4e01"},
	{"cvtss2si eax, xmm1", "f30f2dc1"},
	{"cvtss2si rax, xmm1", "f3480f2dc1"},
	{"cvtsd2si eax, xmm1", "f20f2dc1"},
	{"cvtsd2si rax, xmm1", "f2480f2dc1"},
	{"cvttss2si eax, xmm1", "f30f2cc1"},
	{"cvttss2si rax, xmm1", "f3480f2cc1"},
	{"cvttsd2si eax, xmm1", "f20f2cc1"},
	{"cvttsd2si rax, [rsi+1]", "f2480f2c4601"},
	{"cvtss2sd xmm1, xmm2", "f30f5aca"},
	{"cvtsd2ss xmm1, xmm2", "f20f5aca"},
	{"cvtdq2ps xmm1, xmm2", "0f5bca"},
	{"cvtdq2pd xmm1, xmm2", "f30fe6ca"},
	{"cvtdq2pd xmm1, [rsi+1]", "f30fe64e01"},
	{"cvtps2dq xmm1, xmm2", "660f5bca"},
	{"cvttps2dq xmm1, xmm2", "f30f5bca"},
	{"cvtpd2dq xmm1, xmm2", "f20fe6ca"},
	{"cvttpd2dq xmm1, xmm2", "660fe6ca"},
	{"cvtps2pd xmm1, xmm2", "0f5aca"},
	{"cvtpd2ps xmm1, xmm2", "660f5aca"},
	{"ldmxcsr [rsi+1]", "0fae5601"},
	{"fxsave64 [rsi]", "480fae06"},
	{"fxrstor64 [rsi]", "480fae0e"},
	{"stmxcsr [rsi+1]", "0fae5e01"},
	{"paddb mm1, mm2", "0ffcca"},
	{"paddw mm1, [rsi+1]", "0ffd4e01"},
	{"psubusb mm1, mm2", "0fd8ca"},
	{"pmulhuw mm1, mm2", "0fe4ca"},
	{"pmuludq mm1, mm2", "0ff4ca"},
	{"pmaddwd mm1, mm2", "0ff5ca"},
	{"psadbw mm1, mm2", "0ff6ca"},
	{"pavgw mm1, mm2", "0fe3ca"},
	{"pminub mm1, mm2", "0fdaca"},
	{"pcmpeqb xmm1, [rsi]", "660f740e"},
	{"pcmpeqd xmm1, [rsi]", "660f760e"},
	{"pminub xmm1, [rsi]", "660fda0e"},
	{"pmaxub xmm1, [rsi]", "660fde0e"},
	{"psubb xmm1, [rsi]", "660ff80e"},
	{"pand xmm1, [rsi]", "660fdb0e"},
	{"pandn xmm1, [rsi]", "660fdf0e"},
	{"por xmm1, [rsi]", "660feb0e"},
	{"pxor xmm1, [rsi]", "660fef0e"},
	{"pcmpgtw mm1, mm2", "0f65ca"},
	{"pandn mm1, mm2", "0fdfca"},
	{"psllq mm1, 7", "0f73f107"},
	{"psrad mm1, mm2", "0fe2ca"},
	{"psrlw mm1, [rsi]", "0fd10e"},
	{"punpcklbw mm1, mm2", "0f60ca"},
	{"punpckhbw mm1, mm2", "0f68ca"},
	{"punpckhwd mm1, mm2", "0f69ca"},
	{"punpckhdq mm1, mm2", "0f6aca"},
	{"punpckldq mm1, mm2", "0f62ca"},
	{"packsswb mm1, mm2", "0f63ca"},
	{"packssdw mm1, mm2", "0f6bca"},
	{"packuswb mm1, mm2", "0f67ca"},
	{"pshufb mm1, mm2", "0f3800ca"},
	{"palignr mm1, mm2, 3", "0f3a0fca03"},
	{"palignr mm1, mm2, 12", "0f3a0fca0c"},
	{"phaddw mm1, mm2", "0f3801ca"},
	{"phsubd mm1, mm2", "0f3806ca"},
	{"phaddsw mm1, mm2", "0f3803ca"},
	{"pabsb mm1, mm2", "0f381cca"},
	{"psignw mm1, mm2", "0f3809ca"},
	{"pmulhrsw mm1, mm2", "0f380bca"},
	{"pmaddubsw mm1, mm2", "0f3804ca"},
	{"pshufw mm1, mm2, 0x1b", "0f70ca1b"},
	{"pinsrw mm1, eax, 2", "0fc4c802"},
	{"pextrw eax, mm1, 3", "0fc5c103"},
	{"pmovmskb eax, mm1", "0fd7c1"},
	{"movd mm1, eax", "0f6ec8"},
	{"movd eax, mm1", "0f7ec8"},
	{"movq mm1, rax", "480f6ec8"},
	{"movq rax, mm1", "480f7ec8"},
	{"movq mm1, [rsi+1]", "0f6f4e01"},
	{"movq [rsi+1], mm1", "0f7f4e01"},
	{"movq mm1, mm2", "0f6fca"},
	{"movd mm1, [rsi+1]", "0f6e4e01"},
	{"movq2dq xmm1, mm2", "f30fd6ca"},
	{"movdq2q mm1, xmm2", "f20fd6ca"},
	{"movntq [rsi], mm1", "0fe70e"},
	{"maskmovq mm1, mm2", "0ff7ca"},
	{"cvtpi2ps xmm1, mm2", "0f2aca"},
	{"cvtpi2pd xmm1, mm2", "660f2aca"},
	{"cvtps2pi mm1, xmm2", "0f2dca"},
	{"cvttps2pi mm1, xmm2", "0f2cca"},
	{"cvtpd2pi mm1, xmm2", "660f2dca"},
	{"cvttpd2pi mm1, xmm2", "660f2cca"},
}
