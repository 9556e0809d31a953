package cpu

import (
	"fmt"
	"testing"
)

// condFromFlags evaluates condition code cc from materialised flags.
func condFromFlags(cc uint8, f uint64) bool {
	cf, zf, sf, of, pf := f&FlagCF != 0, f&FlagZF != 0, f&FlagSF != 0, f&FlagOF != 0, f&FlagPF != 0
	var r bool
	switch cc >> 1 {
	case 0:
		r = of
	case 1:
		r = cf
	case 2:
		r = zf
	case 3:
		r = cf || zf
	case 4:
		r = sf
	case 5:
		r = pf
	case 6:
		r = sf != of
	case 7:
		r = zf || sf != of
	}
	return r != (cc&1 != 0)
}

// TestJcc runs each Jcc after a flag-setting instruction and compares the
// branch with the condition evaluated on the materialised flags, which the
// native tests validate.
func TestJcc(t *testing.T) {
	e := newEnv(t)
	c := e.c
	vals := []uint64{0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 63, ^uint64(0), 5}
	setters := []string{"48 39 c8", "39 c8", "38 c8", "48 01 c8", "48 85 c8", "ff c0", "48 29 c8", "d1 e0", "48 0f af c1", "48 0f bc c1"}
	for _, set := range setters {
		for cc := uint8(0); cc < 16; cc++ {
			for _, form := range []string{fmt.Sprintf("%02x 02", 0x70+cc), fmt.Sprintf("0f %02x 02 00 00 00", 0x80+cc)} {
				e.load(set + form)
				for _, a := range vals {
					for _, b := range vals {
						c.R[RAX], c.R[RCX] = a, b
						e.stepAt(tCode)
						next := c.RIP
						// Flags() materialises a copy; the lazy state stays.
						taken := condFromFlags(cc, c.Flags())
						if c.cond(cc) != taken {
							t.Fatalf("%s: cond(%x) disagrees with the flags", set, cc)
						}
						e.stepAt(next)
						want := next + uint64(len(hexBytes(t, form)))
						if taken {
							want += 2
						}
						if c.RIP != want {
							t.Fatalf("%s; j%x with %#x, %#x: rip %#x, want %#x", set, cc, a, b, c.RIP, want)
						}
					}
				}
			}
		}
	}
}

func TestLoopJrcxz(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RCX] = 2
	e.mustStep("e2 fe") // loop .
	if c.RIP != tCode || c.R[RCX] != 1 {
		t.Errorf("loop: rip %#x rcx %d", c.RIP, c.R[RCX])
	}
	e.mustStep("e2 fe")
	if c.RIP != tCode+2 || c.R[RCX] != 0 {
		t.Errorf("loop end: rip %#x rcx %d", c.RIP, c.R[RCX])
	}
	// The 32-bit form counts in ECX and zero-extends.
	c.R[RCX] = 0x100000001
	e.mustStep("67 e2 fd")
	if c.RIP != tCode+3 || c.R[RCX] != 0 {
		t.Errorf("addr32 loop: rip %#x rcx %#x", c.RIP, c.R[RCX])
	}
	c.R[RCX] = 5
	c.SetFlags(0)
	e.mustStep("e1 fe") // loope: ZF clear, falls through
	if c.RIP != tCode+2 || c.R[RCX] != 4 {
		t.Errorf("loope: rip %#x", c.RIP)
	}
	e.mustStep("e0 fe") // loopne: taken
	if c.RIP != tCode {
		t.Errorf("loopne: rip %#x", c.RIP)
	}
	c.R[RCX] = 0
	e.mustStep("e3 fe") // jrcxz .
	if c.RIP != tCode {
		t.Errorf("jrcxz: rip %#x", c.RIP)
	}
	c.R[RCX] = 1 << 32
	e.mustStep("67 e3 fd") // jecxz .
	if c.RIP != tCode {
		t.Errorf("jecxz: rip %#x", c.RIP)
	}
	e.mustStep("e3 fe")
	if c.RIP != tCode+2 {
		t.Errorf("jrcxz not taken: rip %#x", c.RIP)
	}
}
