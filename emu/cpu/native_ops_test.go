package cpu

import (
	"fmt"
	"testing"
)

// Encodings for the differential tests. Operands are RAX/EAX/AX/AL as the
// destination and RCX/ECX/CX/CL as the source unless noted.

const (
	fAll  = arithFlags
	fOSZP = FlagOF | FlagSF | FlagZF | FlagPF
)

// sizePrefix returns the prefix bytes for an operand size.
func sizePrefix(n int) string {
	switch n {
	case 2:
		return "66 "
	case 8:
		return "48 "
	}
	return ""
}

// opFor encodes the prefix and opcode of an n-byte form of op, an opcode
// whose low bit selects 16/32/64-bit operands over byte ones.
func opFor(n int, op byte) string {
	if n == 1 {
		op &^= 1
	}
	return sizePrefix(n) + fmt.Sprintf("%02x ", op)
}

func immFor(n int, v uint32) string {
	switch n {
	case 1:
		return fmt.Sprintf("%02x", uint8(v))
	case 2:
		return fmt.Sprintf("%02x %02x", uint8(v), uint8(v>>8))
	}
	return fmt.Sprintf("%02x %02x %02x %02x", uint8(v), uint8(v>>8), uint8(v>>16), uint8(v>>24))
}

var sizes = []int{1, 2, 4, 8}

func TestNativeALU(t *testing.T) {
	var cs []ncase
	for _, op := range []byte{0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39, 0x85} {
		for _, n := range sizes {
			cs = append(cs, ncase{code: opFor(n, op) + "c8"})
			// reg, r/m direction: op+2 (not for TEST)
			if op != 0x85 {
				cs = append(cs, ncase{code: opFor(n, op+2) + "c1"})
			}
		}
		cs = append(cs, ncase{code: opFor(1, op) + "e0"}, ncase{code: opFor(1, op) + "d5"},
			ncase{code: "40 " + opFor(1, op) + "f7"}, ncase{code: "4d " + opFor(8, op)[3:] + "c8"})
		grp := (op >> 3) & 7
		if op == 0x85 {
			for _, n := range sizes {
				for _, v := range []uint32{1, 0x80, 0xff, 0x8000, 0x80000000, 0x7fffffff} {
					cs = append(cs, ncase{code: opFor(n, 0xf7) + "c0 " + immFor(n, v)})
				}
			}
			continue
		}
		for _, n := range sizes {
			for _, v := range []uint32{1, 0x7f, 0x80, 0xff, 0x12345678, 0x80000000, 0x7fffffff, 0xffffffff} {
				cs = append(cs, ncase{code: opFor(n, 0x81) + fmt.Sprintf("%02x ", 0xc0|grp<<3) + immFor(n, v)})
				if n > 1 {
					cs = append(cs, ncase{code: sizePrefix(n) + fmt.Sprintf("83 %02x ", 0xc0|grp<<3) + immFor(1, v)})
				}
			}
			// The accumulator short forms.
			cs = append(cs, ncase{code: opFor(n, op+4) + immFor(n, 0x80000001)})
		}
		cs = append(cs, ncase{code: fmt.Sprintf("80 %02x 80", 0xc4|grp<<3)}) // op ah, 0x80
	}
	for _, n := range sizes {
		for _, g := range []byte{0, 1} { // INC, DEC
			cs = append(cs, ncase{code: opFor(n, 0xff) + fmt.Sprintf("%02x", 0xc0|g<<3)})
		}
		for _, g := range []byte{2, 3} { // NOT, NEG
			cs = append(cs, ncase{code: opFor(n, 0xf7) + fmt.Sprintf("%02x", 0xc0|g<<3)})
		}
	}
	cs = append(cs, ncase{code: "fe c4"}, ncase{code: "fe cc"}, ncase{code: "f6 dc"}, ncase{code: "f6 d4"})
	checkNative(t, cs, 120)
}

func TestNativeShift(t *testing.T) {
	var cs []ncase
	for g := byte(0); g < 8; g++ {
		undef := uint64(FlagAF | FlagOF)
		if g < 4 { // rotates: only CF and OF change
			undef = FlagOF
		}
		undef1 := undef &^ FlagOF
		for _, n := range sizes {
			cs = append(cs,
				ncase{code: opFor(n, 0xd1) + fmt.Sprintf("%02x", 0xc0|g<<3), undef: undef1},
				ncase{code: opFor(n, 0xd3) + fmt.Sprintf("%02x", 0xc0|g<<3), undef: undef})
			for _, k := range []uint32{0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 255} {
				u := undef
				if k&countMaskN(n) == 1 {
					u = undef1
				}
				cs = append(cs, ncase{code: opFor(n, 0xc1) + fmt.Sprintf("%02x ", 0xc0|g<<3) + immFor(1, k), undef: u})
			}
		}
		cs = append(cs, ncase{code: fmt.Sprintf("d2 %02x", 0xc4|g<<3), undef: undef}) // ah by cl
	}
	// SHLD/SHRD. With 16-bit operands, counts above 16 give undefined
	// results (checked) and flags (not checked).
	for _, op := range []byte{0xa4, 0xac} {
		for _, n := range []int{2, 4, 8} {
			u := uint64(FlagAF | FlagOF)
			if n == 2 {
				u = fAll
			}
			cs = append(cs, ncase{code: sizePrefix(n) + fmt.Sprintf("0f %02x c8", op+1), undef: u})
			for _, k := range []uint32{0, 1, 2, 15, 16, 17, 30, 31, 32, 63} {
				u := uint64(FlagAF | FlagOF)
				if n == 2 && k&31 > 16 {
					u = fAll
				}
				if k&countMaskN(n) == 1 {
					u = FlagAF
				}
				cs = append(cs, ncase{code: sizePrefix(n) + fmt.Sprintf("0f %02x c8 ", op) + immFor(1, k), undef: u})
			}
		}
	}
	checkNative(t, cs, 120)
}

func countMaskN(n int) uint32 {
	if n == 8 {
		return 63
	}
	return 31
}

func TestNativeMulDiv(t *testing.T) {
	mulUndef := uint64(FlagSF | FlagZF | FlagAF | FlagPF)
	var cs []ncase
	for _, n := range sizes {
		cs = append(cs,
			ncase{code: opFor(n, 0xf7) + "e1", undef: mulUndef}, // mul cl/cx/ecx/rcx
			ncase{code: opFor(n, 0xf7) + "e9", undef: mulUndef}, // imul
		)
		if n > 1 {
			cs = append(cs,
				ncase{code: sizePrefix(n) + "0f af c1", undef: mulUndef},
				ncase{code: sizePrefix(n) + "6b c1 80", undef: mulUndef},
				ncase{code: sizePrefix(n) + "6b c1 03", undef: mulUndef},
				ncase{code: sizePrefix(n) + "69 c1 " + immFor(n, 0x7fff1234), undef: mulUndef})
		}
		divFix := func(n int) func(*nstate) {
			return func(s *nstate) {
				m := sizeMask(uint8(n))
				d := s.R[RCX] & m
				if d == 0 {
					d = 1
					s.R[RCX] |= 1
				}
				if n == 1 {
					s.R[RAX] = s.R[RAX]&^0xff00 | (s.R[RAX]>>8&0xff%d)<<8
					return
				}
				s.R[RDX] = s.R[RDX]&^m | s.R[RDX]&m%d
			}
		}
		idivFix := func(n int) func(*nstate) {
			return func(s *nstate) {
				m := sizeMask(uint8(n))
				if s.R[RCX]&m == 0 {
					s.R[RCX] |= 1
				}
				if n == 1 {
					s.R[RAX] = s.R[RAX]&^0xffff | uint64(uint16(int8(s.R[RAX])))
				} else {
					sign := uint64(0)
					if s.R[RAX]&signBit(uint8(n)) != 0 {
						sign = m
					}
					s.R[RDX] = s.R[RDX]&^m | sign
				}
				if s.R[RCX]&m == m && s.R[RAX]&m == signBit(uint8(n)) {
					s.R[RAX]++
				}
			}
		}
		cs = append(cs,
			ncase{code: opFor(n, 0xf7) + "f1", undef: fAll, fix: divFix(n)},
			ncase{code: opFor(n, 0xf7) + "f9", undef: fAll, fix: idivFix(n)})
	}
	cs = append(cs, ncase{code: "f6 e4", undef: mulUndef}, ncase{code: "f6 ec", undef: mulUndef}) // mul/imul ah
	checkNative(t, cs, 150)
}

func TestNativeBits(t *testing.T) {
	var cs []ncase
	btUndef := uint64(FlagOF | FlagSF | FlagAF | FlagPF)
	for _, n := range []int{2, 4, 8} {
		p := sizePrefix(n)
		for _, op := range []string{"a3", "ab", "b3", "bb"} {
			cs = append(cs, ncase{code: p + "0f " + op + " c8", undef: btUndef})
		}
		for g := 4; g < 8; g++ {
			for _, k := range []uint32{0, 5, 31, 63, 200} {
				cs = append(cs, ncase{code: p + fmt.Sprintf("0f ba %02x ", 0xc0|g<<3) + immFor(1, k), undef: btUndef})
			}
		}
		cs = append(cs,
			ncase{code: p + "0f bc c1", undef: fAll &^ FlagZF},
			ncase{code: p + "0f bd c1", undef: fAll &^ FlagZF},
			ncase{code: "f3 " + p + "0f bc c1", undef: btUndef},
			ncase{code: "f3 " + p + "0f bd c1", undef: btUndef},
			ncase{code: "f3 " + p + "0f b8 c1"},
		)
	}
	checkNative(t, cs, 150)
}

func TestNativeMove(t *testing.T) {
	var cs []ncase
	for cc := 0; cc < 16; cc++ {
		for _, n := range []int{2, 4, 8} {
			cs = append(cs, ncase{code: sizePrefix(n) + fmt.Sprintf("0f %02x c1", 0x40+cc)})
		}
		cs = append(cs, ncase{code: fmt.Sprintf("0f %02x c0", 0x90+cc)}, ncase{code: fmt.Sprintf("0f %02x c4", 0x90+cc)})
	}
	for _, s := range []string{
		"66 98", "98", "48 98", "66 99", "99", "48 99",
		"0f c8", "48 0f c8", "41 0f c9", "66 0f c8",
		"86 c8", "66 87 c8", "87 c8", "48 87 c8", "86 e0", "91", "87 c0",
		"0f b6 c1", "48 0f b6 c1", "0f b6 c5", "66 0f b6 c1", "0f b7 c1", "48 0f b7 c1",
		"0f be c1", "48 0f be c1", "66 0f be c1", "0f bf c1", "48 0f bf c1", "48 63 c1", "63 c1",
		"8d 04 88", "48 8d 44 08 f8", "67 48 8d 04 08", "66 8d 04 08", "67 8d 44 48 10", "48 8d 04 cd 08 00 00 00",
		"89 c8", "66 89 c8", "88 e1", "88 cc", "48 89 c8", "48 b8 88 77 66 55 44 33 22 11",
		"c7 c0 ff ff ff ff", "48 c7 c0 ff ff ff ff", "66 b8 34 12", "b4 12", "b0 12",
		"9f", "f5", "f8", "f9",
	} {
		cs = append(cs, ncase{code: s})
	}
	// SAHF loads SF ZF AF PF CF from AH.
	cs = append(cs, ncase{code: "9e"})
	// CMPXCHG and XADD on registers, with equal operands half the time.
	for _, n := range sizes {
		eq := func(s *nstate) {
			if s.R[RBX]&1 != 0 {
				s.R[RAX] = s.R[RDX]
			}
		}
		op := byte(0xb1)
		if n == 1 {
			op = 0xb0
		}
		cs = append(cs,
			ncase{code: sizePrefix(n) + fmt.Sprintf("0f %02x ca", op), fix: eq},
			ncase{code: sizePrefix(n) + fmt.Sprintf("0f %02x ca", op+0x10)}) // XADD
	}
	checkNative(t, cs, 120)
}

// TestNativePopf checks which RFLAGS bits POPF may change in user mode.
func TestNativePopf(t *testing.T) {
	// All bits but TF, which would trap after the next instruction.
	all := func(s *nstate) { s.R[RAX] = 0xffffffff &^ FlagTF }
	checkNative(t, []ncase{{code: "50 9d", fix: all}, {code: "66 50 66 9d", fix: all}}, 5)
}
