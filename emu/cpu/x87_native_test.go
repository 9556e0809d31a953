package cpu

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The host FPU is the oracle: random x87 programs run natively and in the
// interpreter, and must store the same values and status words, leave the
// same stack (stale contents of empty registers included) and the same
// EFLAGS. The expectations follow the host, an AMD processor when this was
// written; the few places where the x87 is implementation-defined are
// commented in the handlers. Exceptions stay masked, since an unmasked one
// would raise SIGFPE in the test process, and the transcendental
// instructions are left out, since their hardware results are not always
// correctly rounded (x87_f80_test.go checks ours against math/big).

const (
	x87Out      = 256 // offset of the output area in a program's data
	x87Preamble = 10  // instructions that start every program
)

// x87Prog is machine code built one instruction at a time.
type x87Prog struct {
	code   []byte
	text   []string
	ends   []int    // code offset after each instruction
	body   int      // number of instructions before the epilogue
	ignore [][2]int // data ranges not compared: FIP, FDP and FOP
}

func (p *x87Prog) op(text string, b ...byte) {
	p.code = append(p.code, b...)
	p.text = append(p.text, text)
	p.ends = append(p.ends, len(p.code))
}

// mem emits opcode op with ModRM /reg and operand [rdi+disp32].
func (p *x87Prog) mem(text string, op byte, reg byte, disp int) {
	var d [4]byte
	binary.LittleEndian.PutUint32(d[:], uint32(disp))
	p.op(fmt.Sprintf("%s [%#x]", text, disp), op, 0x80|reg<<3|7, d[0], d[1], d[2], d[3])
}

// prefix returns the program cut after n instructions, with the epilogue.
func (p *x87Prog) prefix(n int) *x87Prog {
	q := &x87Prog{ignore: p.ignore}
	for i := 0; i < n; i++ {
		start := 0
		if i > 0 {
			start = p.ends[i-1]
		}
		q.op(p.text[i], p.code[start:p.ends[i]]...)
	}
	q.epilogue()
	return q
}

// epilogue stores the status word, then FXAM's status word and the value
// of each stack register, popping them.
func (p *x87Prog) epilogue() {
	p.body = len(p.text)
	p.mem("fnstsw", 0xdd, 7, 500)
	for i := 0; i < 8; i++ {
		p.op("fxam", 0xd9, 0xe5)
		p.mem("fnstsw", 0xdd, 7, 400+2*i)
		p.mem("fstp m80", 0xdb, 7, 416+10*i)
	}
	p.mem("fnstsw", 0xdd, 7, 502)
}

// randF80 returns a random register value, special ones included.
func randF80(r *rand.Rand) F80 {
	var x F80
	switch r.Intn(20) {
	case 0:
		x = F80{}
	case 1:
		x = F80{Mant: intBit, Exp: 0x7fff}
	case 2:
		x = F80{Mant: intBit | qnanBit | r.Uint64()>>uint(r.Intn(64))&(qnanBit-1), Exp: 0x7fff}
	case 3:
		x = F80{Mant: intBit | 1 + r.Uint64()>>uint(r.Intn(64))&(qnanBit-1), Exp: 0x7fff}
	case 4:
		x = F80{Mant: r.Uint64() >> uint(r.Intn(64)) &^ intBit, Exp: 0}
	case 5:
		x = F80{Mant: r.Uint64() | intBit, Exp: uint16(r.Intn(100))}
	case 6:
		x = F80{Mant: r.Uint64() | intBit, Exp: uint16(0x7ffe - r.Intn(100))}
	case 7:
		x = F80{Mant: (r.Uint64() | intBit) &^ (1<<uint(r.Intn(64)) - 1), Exp: uint16(f80Bias - 40 + r.Intn(80))}
	case 8:
		x = F80{Mant: ^uint64(0) << uint(r.Intn(64)), Exp: uint16(f80Bias - 70 + r.Intn(140))}
	case 9:
		if r.Intn(10) == 0 {
			x = F80{Mant: r.Uint64() &^ intBit, Exp: uint16(1 + r.Intn(0x7ffe))}
		} else {
			x = F80{Mant: r.Uint64() | intBit, Exp: uint16(f80Bias - 64 + r.Intn(128))}
		}
	default:
		x = F80{Mant: r.Uint64() | intBit, Exp: uint16(f80Bias - 20 + r.Intn(40))}
	}
	if r.Intn(2) == 0 {
		x.Exp |= 0x8000
	}
	return x
}

// x87RandData returns the 512-byte data area: F80s at 0, float64s at 128,
// float32s at 192, integers at 224, control words at x87Out.
func x87RandData(r *rand.Rand) []byte {
	d := make([]byte, 512)
	for i := 0; i < 8; i++ {
		x := randF80(r)
		binary.LittleEndian.PutUint64(d[16*i:], x.Mant)
		binary.LittleEndian.PutUint16(d[16*i+8:], x.Exp)
	}
	for i := 0; i < 8; i++ {
		var v uint64
		switch r.Intn(4) {
		case 0:
			v = r.Uint64()
		case 1:
			v = 0x3ff0000000000000 + uint64(r.Intn(64)-32)<<52 | r.Uint64()>>12 | uint64(r.Intn(2))<<63
		case 2:
			v = uint64(r.Intn(256))<<52>>uint(r.Intn(2)) | r.Uint64()>>12
		default:
			v = 0x7ff0000000000000 | r.Uint64()>>uint(r.Intn(64)+12) | uint64(r.Intn(2))<<63
		}
		binary.LittleEndian.PutUint64(d[128+8*i:], v)
	}
	for i := 0; i < 8; i++ {
		v := r.Uint32()
		if r.Intn(2) == 0 {
			v = 0x3f800000 + uint32(r.Intn(64)-32)<<23 | r.Uint32()>>9 | uint32(r.Intn(2))<<31
		}
		binary.LittleEndian.PutUint32(d[192+4*i:], v)
	}
	for i := 0; i < 4; i++ {
		v := r.Uint64() >> uint(r.Intn(64))
		if r.Intn(2) == 0 {
			v = -v
		}
		binary.LittleEndian.PutUint64(d[224+8*i:], v)
	}
	for i := 0; i < 8; i++ {
		cw := uint16(0x3f | []uint16{0, 2, 3, 3}[r.Intn(4)]<<8 | uint16(r.Intn(4))<<10)
		binary.LittleEndian.PutUint16(d[x87Out+2*i:], cw)
	}
	return d
}

// x87RandProg returns n random x87 instructions, then an epilogue that
// stores the status word and every stack register. trans adds the
// transcendental instructions.
func x87RandProg(r *rand.Rand, n int, trans bool) *x87Prog {
	p := &x87Prog{}
	// Start from zeroed registers, as a fresh emulated CPU has them.
	p.op("fninit", 0xdb, 0xe3)
	for i := 0; i < 8; i++ {
		p.op("fldz", 0xd9, 0xee)
	}
	p.op("fninit", 0xdb, 0xe3) // x87Preamble instructions so far
	out := x87Out + 32
	f80 := func() int { return 16 * r.Intn(8) }
	f64 := func() int { return 128 + 8*r.Intn(8) }
	f32 := func() int { return 192 + 4*r.Intn(8) }
	i16 := func() int { return 224 + 2*r.Intn(16) }
	i32 := func() int { return 224 + 4*r.Intn(8) }
	i64 := func() int { return 224 + 8*r.Intn(4) }
	st := func() byte { return byte(r.Intn(8)) }
	var envs, saves, bcds []int
	dst := func(n int) int {
		o := out
		out += n
		if out > 396 {
			out = x87Out + 32
			o = out
			out += n
			envs, saves, bcds = nil, nil, nil
		}
		return o
	}
	names := []string{"add", "mul", "com", "comp", "sub", "subr", "div", "divr"}
	for i := 0; i < n; i++ {
		switch k := r.Intn(40); {
		case k < 6:
			switch r.Intn(7) {
			case 0, 1:
				p.mem("fld m80", 0xdb, 5, f80())
			case 2:
				p.mem("fld m64", 0xdd, 0, f64())
			case 3:
				p.mem("fld m32", 0xd9, 0, f32())
			case 4:
				switch r.Intn(3) {
				case 0:
					p.mem("fild m16", 0xdf, 0, i16())
				case 1:
					p.mem("fild m32", 0xdb, 0, i32())
				default:
					p.mem("fild m64", 0xdf, 5, i64())
				}
			case 5:
				j := st()
				p.op(fmt.Sprintf("fld st%d", j), 0xd9, 0xc0+j)
			default:
				j := byte(r.Intn(7))
				p.op(fmt.Sprintf("fldconst %d", j), 0xd9, 0xe8+j)
			}
		case k < 14:
			o := byte(r.Intn(8))
			switch r.Intn(6) {
			case 0:
				p.mem("f"+names[o]+" m32", 0xd8, o, f32())
			case 1:
				p.mem("f"+names[o]+" m64", 0xdc, o, f64())
			case 2:
				if r.Intn(2) == 0 {
					p.mem("fi"+names[o]+" m16", 0xde, o, i16())
				} else {
					p.mem("fi"+names[o]+" m32", 0xda, o, i32())
				}
			case 3:
				j := st()
				p.op(fmt.Sprintf("d8 f%s st0,st%d", names[o], j), 0xd8, 0xc0+o<<3+j)
			case 4:
				j := st()
				o = []byte{0, 1, 4, 5, 6, 7}[r.Intn(6)]
				p.op(fmt.Sprintf("dc /%d st%d,st0", o, j), 0xdc, 0xc0+o<<3+j)
			default:
				j := st()
				o = []byte{0, 1, 4, 5, 6, 7}[r.Intn(6)]
				p.op(fmt.Sprintf("de /%d st%d,st0", o, j), 0xde, 0xc0+o<<3+j)
			}
		case k < 20:
			ops := []byte{0xe0, 0xe1, 0xe4, 0xe5, 0xfa, 0xfc, 0xfd, 0xf4, 0xf8, 0xf5, 0xf6, 0xf7, 0xd0}
			if trans {
				ops = append(ops, 0xf0, 0xf1, 0xf9, 0xf3, 0xfe, 0xff, 0xfb, 0xf2)
			}
			b := ops[r.Intn(len(ops))]
			p.op(fmt.Sprintf("d9 %x", b), 0xd9, b)
		case k < 26:
			switch r.Intn(9) {
			case 0:
				p.mem("fst m32", 0xd9, byte(2+r.Intn(2)), dst(4))
			case 1:
				p.mem("fst m64", 0xdd, byte(2+r.Intn(2)), dst(8))
			case 2:
				p.mem("fstp m80", 0xdb, 7, dst(10))
			case 3:
				switch r.Intn(3) {
				case 0:
					p.mem("fist m16", 0xdf, byte(1+r.Intn(3)), dst(2))
				case 1:
					p.mem("fist m32", 0xdb, byte(1+r.Intn(3)), dst(4))
				default:
					if r.Intn(2) == 0 {
						p.mem("fistp m64", 0xdf, 7, dst(8))
					} else {
						p.mem("fisttp m64", 0xdd, 1, dst(8))
					}
				}
			case 4:
				j := st()
				p.op(fmt.Sprintf("fst(p) st%d", j), 0xdd, 0xd0+byte(r.Intn(2))*8+j)
			case 5:
				o := dst(10)
				p.mem("fbstp", 0xdf, 6, o)
				bcds = append(bcds, o)
			case 6:
				if len(bcds) > 0 {
					p.mem("fbld", 0xdf, 4, bcds[r.Intn(len(bcds))])
				}
			case 7:
				p.mem("fnstsw m", 0xdd, 7, dst(2))
			default:
				p.op("fnstsw ax", 0xdf, 0xe0)
			}
		case k < 31:
			j := st()
			switch r.Intn(8) {
			case 0:
				p.op(fmt.Sprintf("fcom(p) st%d", j), 0xd8, 0xd0+byte(r.Intn(2))*8+j)
			case 1:
				p.op(fmt.Sprintf("fucom(p) st%d", j), 0xdd, 0xe0+byte(r.Intn(2))*8+j)
			case 2:
				p.op(fmt.Sprintf("fcomi st%d", j), 0xdb+byte(r.Intn(2))*4, 0xf0+j)
			case 3:
				p.op(fmt.Sprintf("fucomi st%d", j), 0xdb+byte(r.Intn(2))*4, 0xe8+j)
			case 4:
				p.op("fcompp", 0xde, 0xd9)
			case 5:
				p.op("fucompp", 0xda, 0xe9)
			case 6:
				p.mem("fcom m64", 0xdc, byte(2+r.Intn(2)), f64())
			default:
				p.op("fnstsw ax", 0xdf, 0xe0)
			}
		case k < 36:
			j := st()
			switch r.Intn(7) {
			case 0:
				p.op(fmt.Sprintf("fxch st%d", j), 0xd9, 0xc8+j)
			case 1:
				b := []byte{0xda, 0xdb}[r.Intn(2)]
				p.op(fmt.Sprintf("fcmov %x %d", b, j), b, 0xc0+byte(r.Intn(4))*8+j)
			case 2:
				p.op(fmt.Sprintf("ffree st%d", j), 0xdd, 0xc0+j)
			case 3:
				p.mem("fldcw", 0xd9, 5, x87Out+2*r.Intn(8))
			case 4:
				p.op("fnclex", 0xdb, 0xe2)
			case 5:
				p.mem("fnstcw", 0xd9, 7, dst(2))
			default:
				switch r.Intn(4) {
				case 0:
					o := dst(28)
					p.mem("fnstenv", 0xd9, 6, o)
					p.ignore = append(p.ignore, [2]int{o + 12, o + 24})
					envs = append(envs, o)
				case 1:
					o := dst(108)
					p.mem("fnsave", 0xdd, 6, o)
					p.ignore = append(p.ignore, [2]int{o + 12, o + 24})
					envs = append(envs, o)
					saves = append(saves, o)
				case 2:
					if len(envs) > 0 {
						p.mem("fldenv", 0xd9, 4, envs[r.Intn(len(envs))])
					}
				default:
					if len(saves) > 0 {
						p.mem("frstor", 0xdd, 4, saves[r.Intn(len(saves))])
					}
				}
			}
		default:
			// Bias towards pops so that the stack does not just overflow.
			j := st()
			p.op(fmt.Sprintf("fstp st%d", j), 0xdd, 0xd8+j)
		}
	}
	p.epilogue()
	return p
}

type x87Result struct {
	rax, flags uint64
	data       []byte
}

// same reports whether two runs agree, ignoring the given data ranges.
func (r *x87Result) same(o *x87Result, ignore [][2]int) bool {
	for _, ig := range ignore {
		for i := ig[0]; i < ig[1]; i++ {
			r.data[i], o.data[i] = 0, 0
		}
	}
	return r.rax == o.rax && r.flags&arithFlags == o.flags&arithFlags && string(r.data) == string(o.data)
}

// x87Host holds the executable page programs run from natively.
var x87Host struct {
	once sync.Once
	page []byte
	err  error
}

// runX87Native runs p on the host with the data in RDI, RAX zero and the
// flags of XOR EAX,EAX, and leaves the FPU initialised.
func runX87Native(t *testing.T, p *x87Prog, data []byte) x87Result {
	x87Host.once.Do(func() {
		x87Host.page, x87Host.err = unix.Mmap(-1, 0, 1<<14, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	})
	if x87Host.err != nil {
		t.Skip("no executable page:", x87Host.err)
	}
	code := []byte{0x48, 0x89, 0xc7, 0x31, 0xc0} // mov rdi, rax; xor eax, eax
	code = append(code, p.code...)
	code = append(code,
		0x48, 0x89, 0x87, 0x00, 0x02, 0x00, 0x00, // mov [rdi+512], rax
		0x9c, 0x59, // pushfq; pop rcx
		0x48, 0x89, 0x8f, 0x08, 0x02, 0x00, 0x00, // mov [rdi+520], rcx
		0xdb, 0xe3, 0xc3) // fninit; ret
	copy(x87Host.page, code)
	buf := make([]byte, 528)
	copy(buf, data)
	fv := &struct{ fn uintptr }{uintptr(unsafe.Pointer(&x87Host.page[0]))}
	f := *(*func(*byte))(unsafe.Pointer(&fv))
	f(&buf[0])
	return x87Result{binary.LittleEndian.Uint64(buf[512:]), binary.LittleEndian.Uint64(buf[520:]), buf[:512]}
}

// runX87Emu runs p in the interpreter on e, from the same state.
func runX87Emu(e *tenv, p *x87Prog, data []byte) x87Result {
	e.t.Helper()
	code := append(p.code[:len(p.code):len(p.code)], 0x0f, 0x05) // SYSCALL stops Run
	if err := e.m.Write(tCode, code); err != nil {
		e.t.Fatal(err)
	}
	e.c.code.Invalidate(tCode, tCode+uint64(len(code)))
	if err := e.m.Write(tData, data); err != nil {
		e.t.Fatal(err)
	}
	c := e.c
	c.FPU.Reset()
	c.RIP, c.R[RDI], c.R[RAX] = tCode, tData, 0
	c.SetFlags(0x246)
	if k := c.Run(); k != StopSyscall {
		e.t.Fatalf("stopped with %v at %#x: %+v", k, c.RIP, c.Fault)
	}
	res := x87Result{rax: c.R[RAX], flags: c.Flags(), data: make([]byte, 512)}
	if err := e.m.Read(tData, res.data); err != nil {
		e.t.Fatal(err)
	}
	return res
}

// x87Stack formats what an epilogue stored: each register with FXAM's
// status word, then the status word.
func x87Stack(d []byte) string {
	var sb strings.Builder
	for j := 0; j < 8; j++ {
		fmt.Fprintf(&sb, "%04x:%016x(%04x) ", binary.LittleEndian.Uint16(d[416+10*j+8:]), binary.LittleEndian.Uint64(d[416+10*j:]), binary.LittleEndian.Uint16(d[400+2*j:]))
	}
	fmt.Fprintf(&sb, "sw %04x", binary.LittleEndian.Uint16(d[500:]))
	return sb.String()
}

func TestX87Native(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewSource(1))
	n := 3000
	if testing.Short() {
		n = 300
	}
	bad := 0
	for i := 0; i < n && bad < 3; i++ {
		p := x87RandProg(r, 5+r.Intn(30), false)
		d := x87RandData(r)
		want, got := runX87Native(t, p, d), runX87Emu(e, p, d)
		if want.same(&got, p.ignore) {
			continue
		}
		bad++
		// Report the first instruction after which the runs differ.
		for k := x87Preamble + 1; k <= p.body; k++ {
			q := p.prefix(k)
			w, g := runX87Native(t, q, d), runX87Emu(e, q, d)
			if w.same(&g, q.ignore) {
				continue
			}
			t.Errorf("program %d: %s\nafter %q:\nwant %s rax %#x flags %#x\n got %s rax %#x flags %#x",
				i, strings.Join(q.text[:k], "; "), q.text[k-1], x87Stack(w.data), w.rax, w.flags&arithFlags, x87Stack(g.data), g.rax, g.flags&arithFlags)
			break
		}
	}
}

// TestX87FXSaveNative compares FXSaveArea with the host's FXSAVE after
// random programs; it shows the stale contents of empty registers too.
func TestX87FXSaveNative(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 300; i++ {
		p := x87RandProg(r, 5+r.Intn(30), false)
		body := &x87Prog{}
		for k := 0; k < p.body; k++ {
			start := 0
			if k > 0 {
				start = p.ends[k-1]
			}
			body.op(p.text[k], p.code[start:p.ends[k]]...)
		}
		body.body = len(body.text)
		d := x87RandData(r)
		runX87Emu(e, body, d)
		var got [512]byte
		e.c.FPU.FXSaveArea(got[:])
		body.op("fxsave [rdi]", 0x0f, 0xae, 0x07)
		want := runX87Native(t, body, d).data
		// FOP, FIP and FDP (6-23) are not tracked; MXCSR (24-31) is not
		// the FPU's.
		for _, rg := range [][2]int{{0, 6}, {32, 160}} {
			if w, g := want[rg[0]:rg[1]], got[rg[0]:rg[1]]; string(w) != string(g) {
				t.Fatalf("program %d: %s\nFXSAVE[%d:%d]\nwant % x\n got % x", i, strings.Join(p.text[:p.body], "; "), rg[0], rg[1], w, g)
			}
		}
	}
}
