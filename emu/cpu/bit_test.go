package cpu

import "testing"

func TestBitMemory(t *testing.T) {
	e := newEnv(t)
	c := e.c
	base := uint64(tData + 0x100)
	for _, tc := range []struct {
		code   string
		off    uint64 // bit offset register (RCX)
		addr   uint64 // byte that holds the bit
		bit    uint   // bit within that byte
		change int    // 0 test, 1 set, 2 reset, 3 complement
	}{
		{"48 0f a3 0f", 0, base, 0, 0},
		{"48 0f a3 0f", 100, base + 12, 4, 0},
		{"48 0f a3 0f", ^uint64(0), base - 1, 7, 0},  // bit -1
		{"0f a3 0f", 0xffffffdf, base - 5, 7, 0},     // dword, bit -33
		{"66 0f a3 0f", 0xdead_ffff, base - 1, 7, 0}, // word, bit -1; upper bits ignored
		{"48 0f ab 0f", 65, base + 8, 1, 1},
		{"48 0f b3 0f", 1<<63 | 5, 0, 5, 2}, // 2^60 bytes below: faults
		{"0f b3 0f", 31, base + 3, 7, 2},
		{"48 0f bb 0f", 64*3 + 9, base + 25, 1, 3},
		{"f0 48 0f ab 0f", 1000, base + 125, 0, 1},
		{"f0 0f bb 0f", 0x80000000, 0, 0, 3}, // 256 MiB below: faults
		{"66 0f ab 0f", 17, base + 2, 1, 1},
		{"0f ba 27 25", 0, base, 5, 0},        // bt dword [rdi], 37: the immediate wraps
		{"48 0f ba 2f 41", 0, base, 1, 1},     // bts qword [rdi], 65
		{"f0 0f ba 37 07", 0, base, 7, 2},     // lock btr
		{"66 0f ba 3f 1f", 0, base + 1, 7, 3}, // btc word [rdi], 31
	} {
		for _, init := range []byte{0x00, 0xff, 0x5a} {
			c.R[RDI], c.R[RCX] = base, tc.off
			buf := make([]byte, 0x200)
			for i := range buf {
				buf[i] = init
			}
			e.write(tData, buf)
			c.SetFlags(FlagZF | FlagSF)
			k := e.step(tc.code)
			if tc.addr < tData || tc.addr >= tData+0x200 {
				if k != StopFault || c.Fault.Sig != 11 {
					t.Errorf("%s: want a fault, got %v %+v", tc.code, k, c.Fault)
				}
				continue
			}
			if k != 0 {
				t.Fatalf("%s: %v %+v", tc.code, k, c.Fault)
			}
			old := init >> tc.bit & 1
			e.flags(FlagCF|FlagZF|FlagSF, uint64(old)|FlagZF|FlagSF)
			want := init
			switch tc.change {
			case 1:
				want |= 1 << tc.bit
			case 2:
				want &^= 1 << tc.bit
			case 3:
				want ^= 1 << tc.bit
			}
			got := e.read(tData, 0x200)
			for i, b := range got {
				w := init
				if tData+uint64(i) == tc.addr {
					w = want
				}
				if b != w {
					t.Errorf("%s off %d init %#x: byte %#x = %#x, want %#x", tc.code, int64(tc.off), init, tData+uint64(i), b, w)
				}
			}
		}
	}
}

func TestBitScanMemory(t *testing.T) {
	e := newEnv(t)
	c := e.c
	c.R[RDI] = tData
	e.write(tData, le64(0x0000_1000_0000_0000))
	c.R[RAX] = 0xffff_ffff_ffff_ffff
	e.mustStep("48 0f bc 07") // bsf rax, [rdi]
	e.reg(RAX, 44)
	e.mustStep("f3 48 0f bd 07") // lzcnt rax, [rdi]
	e.reg(RAX, 19)
	e.mustStep("f3 0f b8 07") // popcnt eax, [rdi]
	e.reg(RAX, 0)
	e.flags(FlagZF, FlagZF)
	// bsf with a zero source leaves even a 32-bit destination whole.
	c.R[RAX] = 0xffff_ffff_ffff_ffff
	e.mustStep("0f bc 07")
	e.reg(RAX, 0xffff_ffff_ffff_ffff)
	e.flags(FlagZF, FlagZF)
}
