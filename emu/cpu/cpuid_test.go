package cpu

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestCPUIDInstruction(t *testing.T) {
	e := newEnv(t)
	e.c.R[RAX], e.c.R[RCX] = 0xffffffff00000000, 0xdead0000beef
	e.c.R[RBX], e.c.R[RDX] = ^uint64(0), ^uint64(0)
	e.mustStep("0fa2")
	e.reg(RAX, cpuidMaxBasic)
	var v [12]byte
	binary.LittleEndian.PutUint32(v[0:], uint32(e.c.R[RBX]))
	binary.LittleEndian.PutUint32(v[4:], uint32(e.c.R[RDX]))
	binary.LittleEndian.PutUint32(v[8:], uint32(e.c.R[RCX]))
	if string(v[:]) != "GenuineIntel" || e.c.R[RBX]>>32 != 0 || e.c.R[RDX]>>32 != 0 {
		t.Errorf("vendor %q, rbx %#x rdx %#x", v, e.c.R[RBX], e.c.R[RDX])
	}
}

func TestCPUIDFeatures(t *testing.T) {
	eax, _, ecx, edx := CPUID(1, 0)
	if family := eax >> 8 & 0xf; family != 6 {
		t.Errorf("family %d", family)
	}
	for _, b := range []struct {
		name string
		reg  uint32
		bit  uint
		want bool
	}{
		{"FPU", edx, 0, true}, {"TSC", edx, 4, true}, {"CX8", edx, 8, true}, {"CMOV", edx, 15, true},
		{"MMX", edx, 23, true}, {"FXSR", edx, 24, true}, {"SSE", edx, 25, true}, {"SSE2", edx, 26, true},
		{"HTT", edx, 28, false}, {"CLFSH", edx, 19, true},
		{"SSE3", ecx, 0, true}, {"PCLMULQDQ", ecx, 1, true}, {"SSSE3", ecx, 9, true}, {"FMA", ecx, 12, false},
		{"CX16", ecx, 13, true}, {"SSE4.1", ecx, 19, true}, {"SSE4.2", ecx, 20, true}, {"MOVBE", ecx, 22, false},
		{"POPCNT", ecx, 23, true}, {"AES", ecx, 25, false}, {"XSAVE", ecx, 26, false}, {"OSXSAVE", ecx, 27, false},
		{"AVX", ecx, 28, false}, {"F16C", ecx, 29, false}, {"RDRAND", ecx, 30, false},
	} {
		if got := b.reg>>b.bit&1 != 0; got != b.want {
			t.Errorf("leaf 1 %s = %v", b.name, got)
		}
	}
	_, ebx7, ecx7, edx7 := CPUID(7, 0)
	if ebx7 != cpuidERMS || ecx7 != 0 || edx7 != 0 {
		t.Errorf("leaf 7: ebx %#x ecx %#x edx %#x; want ERMS only", ebx7, ecx7, edx7)
	}
	if a, b, c, d := CPUID(0xd, 0); a|b|c|d != 0 {
		t.Errorf("leaf 0xd not empty")
	}
	if a, _, _, _ := CPUID(0x80000000, 0); a != 0x80000008 {
		t.Errorf("max extended leaf %#x", a)
	}
	_, _, ecx, edx = CPUID(0x80000001, 0)
	if ecx != 1|1<<5|1<<8 || edx != 1<<11|1<<20|1<<27|1<<29 {
		t.Errorf("leaf 0x80000001: ecx %#x edx %#x", ecx, edx)
	}
	if a, _, _, _ := CPUID(0x80000008, 0); a&0xffff != 0x3030 {
		t.Errorf("address sizes %#x", a)
	}
	for _, leaf := range []uint32{0xe, 0x40000000, 0x80000009, 0xffffffff} {
		if a, b, c, d := CPUID(leaf, 0); a|b|c|d != 0 {
			t.Errorf("leaf %#x not empty", leaf)
		}
	}
}

func TestCPUIDBrand(t *testing.T) {
	var b []byte
	for leaf := uint32(0x80000002); leaf <= 0x80000004; leaf++ {
		a, bx, c, d := CPUID(leaf, 0)
		for _, r := range []uint32{a, bx, c, d} {
			b = binary.LittleEndian.AppendUint32(b, r)
		}
	}
	if got := strings.TrimRight(string(b), "\x00"); got != "guestrun x86-64 interpreter" {
		t.Errorf("brand %q", got)
	}
}

// Leaf 4 lists the caches as glibc reads them (leaf 2 points there).
func TestCPUIDCaches(t *testing.T) {
	if a, _, _, _ := CPUID(2, 0); a != 0xff01 {
		t.Errorf("leaf 2 eax %#x", a)
	}
	sizes := map[uint32]uint32{}
	for i := uint32(0); ; i++ {
		eax, ebx, ecx, _ := CPUID(4, i)
		if eax&0x1f == 0 {
			if i != 4 {
				t.Errorf("%d caches", i)
			}
			break
		}
		level := eax >> 5 & 7
		size := (ebx>>22 + 1) * (ebx>>12&0x3ff + 1) * (ebx&0xfff + 1) * (ecx + 1)
		if eax&0x1f == 2 {
			level += 10 // instruction cache
		}
		sizes[level] = size
	}
	want := map[uint32]uint32{1: 32 << 10, 11: 32 << 10, 2: 256 << 10, 3: 8 << 20}
	for k, v := range want {
		if sizes[k] != v {
			t.Errorf("cache %d: %d bytes, want %d", k, sizes[k], v)
		}
	}
}
