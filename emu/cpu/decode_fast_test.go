package cpu

import (
	"debug/elf"
	"math/rand"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// slowDecode decodes code at pc as decodeOne does without the fast path.
func slowDecode(code []byte, pc uint64) (Inst, bool) {
	in := Inst{addr: pc}
	_, ok := (&CPU{}).decodeSlow(&in, code)
	return in, ok
}

// checkFast compares the fast path with x86asm on code at pc.
func checkFast(t *testing.T, code []byte, pc uint64) bool {
	t.Helper()
	fast := Inst{addr: pc}
	if !fastDecode(&fast, code) {
		return true
	}
	slow, ok := slowDecode(code, pc)
	if !ok {
		t.Errorf("% x: fast path decoded %v, x86asm did not", code, fast.op)
		return false
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Errorf("% x (%v): fast -, x86asm +\n%s", code, slow.op, cmp.Diff(fast, slow, cmp.AllowUnexported(Inst{}, arg{})))
		return false
	}
	return true
}

// TestFastDecodeMatches decodes every opcode of the fast path's space with
// each ModRM byte, some REX prefixes and random SIB, displacement and
// immediate bytes, whole or cut short as at the end of executable memory,
// and compares with x86asm.
func TestFastDecodeMatches(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	rexes := []int{-1, 0x40, 0x43, 0x4c, 0x4d}
	fails := 0
	// Legacy prefixes, one set for each opcode and ModRM byte in turn: the
	// FS and GS overrides and SSE's mandatory prefixes, alone and together.
	prefixes := [][]byte{nil, {0x66}, {0xf3}, {0xf2}, {0x64}, {0x65}, {0x66, 0x64}, {0x65, 0xf3}}
	for _, rex := range rexes {
		for op := 0; op < 512; op++ {
			for modrm := 0; modrm < 256; modrm++ {
				code := append([]byte(nil), prefixes[(op+modrm)%len(prefixes)]...)
				if rex >= 0 {
					code = append(code, byte(rex))
				}
				if op >= 256 {
					code = append(code, 0x0f)
				}
				code = append(code, byte(op), byte(modrm))
				for len(code) < maxInstLen {
					code = append(code, byte(r.Intn(256)))
				}
				if modrm%4 == 0 {
					code = code[:r.Intn(maxInstLen)]
				}
				if !checkFast(t, code, uint64(r.Int63n(1<<40))) {
					fails++
				}
				if fails > 20 {
					t.Fatal("too many differences")
				}
			}
		}
	}
}

// TestFastDecodeBusybox compares the fast path with x86asm on a real
// program's code, when there is one: the instructions of a linear sweep,
// and every byte offset of its start.
func TestFastDecodeBusybox(t *testing.T) {
	f, err := elf.Open("/bin/busybox")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	text := f.Section(".text")
	if text == nil {
		t.Skip("no .text")
	}
	data, err := text.Data()
	if err != nil {
		t.Fatal(err)
	}
	data = data[:min(len(data), 1<<19)]
	fails := 0
	for off := 0; off < len(data); {
		code := data[off:min(off+maxInstLen, len(data))]
		if !checkFast(t, code, text.Addr+uint64(off)) {
			fails++
		}
		if fails > 20 {
			t.Fatal("too many differences")
		}
		n := 1
		if off >= 1<<16 {
			if in, ok := slowDecode(code, 0); ok {
				n = int(in.len)
			}
		}
		off += n
	}
}

// BenchmarkDecode measures decodeOne on the instructions of a real
// program's code, and reports the share the fast path decodes.
func BenchmarkDecode(b *testing.B) {
	f, err := elf.Open("/bin/busybox")
	if err != nil {
		b.Skip(err)
	}
	defer f.Close()
	data, err := f.Section(".text").Data()
	if err != nil {
		b.Fatal(err)
	}
	var starts []int
	fast := 0
	for pc := 0; pc < len(data) && len(starts) < 20000; {
		code := data[pc:min(pc+maxInstLen, len(data))]
		in, ok := slowDecode(code, uint64(pc))
		if !ok {
			pc++
			continue
		}
		starts = append(starts, pc)
		if fastDecode(&Inst{}, code) {
			fast++
		}
		pc += int(in.len)
	}
	c := &CPU{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pc := starts[i%len(starts)]
		var in Inst
		c.decodeOne(&in, data[pc:min(pc+maxInstLen, len(data))], uint64(pc), uint64(len(data)))
	}
	b.ReportMetric(float64(fast)/float64(len(starts)), "fast/inst")
}
