package cpu

import "golang.org/x/arch/x86/x86asm"

// The processor guestrun presents: a Nehalem-class Intel core (SSE4.2,
// POPCNT, PCLMULQDQ; no AVX, XSAVE, AES, BMI, MOVBE, RDRAND or FSGSBASE)
// that also has LZCNT and PREFETCHW. Every feature bit set here is
// implemented by the interpreter. The table lives in CPUID alone, exported
// for the lockstep checker.

func init() {
	defSel(unlocked(fixed(opCpuid)), x86asm.CPUID)
}

func opCpuid(c *CPU, in *Inst) {
	a, b, cx, d := CPUID(uint32(c.R[RAX]), uint32(c.R[RCX]))
	c.R[RAX], c.R[RBX], c.R[RCX], c.R[RDX] = uint64(a), uint64(b), uint64(cx), uint64(d)
}

const (
	cpuidMaxBasic = 0xd
	cpuidMaxExt   = 0x80000008

	// Leaf 1 EDX.
	cpuidFPU   = 1 << 0
	cpuidTSC   = 1 << 4
	cpuidCX8   = 1 << 8
	cpuidCMOV  = 1 << 15
	cpuidCLFSH = 1 << 19
	cpuidMMX   = 1 << 23
	cpuidFXSR  = 1 << 24
	cpuidSSE   = 1 << 25
	cpuidSSE2  = 1 << 26

	// Leaf 1 ECX.
	cpuidSSE3      = 1 << 0
	cpuidPCLMULQDQ = 1 << 1
	cpuidSSSE3     = 1 << 9
	cpuidCX16      = 1 << 13
	cpuidSSE41     = 1 << 19
	cpuidSSE42     = 1 << 20
	cpuidPOPCNT    = 1 << 23

	// Leaf 7 EBX.
	cpuidERMS = 1 << 9

	// Leaf 0x80000001 ECX and EDX.
	cpuidLAHF      = 1 << 0
	cpuidABM       = 1 << 5
	cpuidPREFETCHW = 1 << 8
	cpuidSYSCALL   = 1 << 11
	cpuidNX        = 1 << 20
	cpuidRDTSCP    = 1 << 27
	cpuidLM        = 1 << 29
)

// cpuBrand is the 48-byte brand string of leaves 0x80000002..4.
var cpuBrand = func() (b [48]byte) {
	copy(b[:], "guestrun x86-64 interpreter")
	return
}()

// cacheLeaf describes one cache level for leaf 4: type (1 data,
// 2 instruction, 3 unified), level, ways, sets; 64-byte lines, one
// partition, not shared.
type cacheLeaf struct {
	typ, level, ways, sets uint32
	inclusive              bool
}

var cpuCaches = [...]cacheLeaf{
	{1, 1, 8, 64, false},   // 32 KiB L1d
	{2, 1, 8, 64, false},   // 32 KiB L1i
	{3, 2, 8, 512, false},  // 256 KiB L2
	{3, 3, 16, 8192, true}, // 8 MiB L3
}

// CPUID returns the registers CPUID reports for a leaf (EAX) and subleaf
// (ECX). Leaves past the maximum return zeros (Intel hardware would repeat
// the highest basic leaf).
func CPUID(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32) {
	switch leaf {
	case 0:
		// "GenuineIntel" in EBX, EDX, ECX.
		return cpuidMaxBasic, 0x756e6547, 0x6c65746e, 0x49656e69
	case 1:
		// Family 6, model 0x1e, stepping 5; 64-byte CLFLUSH lines, one
		// logical processor.
		return 0x000106e5, 0x00010800,
			cpuidSSE3 | cpuidPCLMULQDQ | cpuidSSSE3 | cpuidCX16 | cpuidSSE41 | cpuidSSE42 | cpuidPOPCNT,
			cpuidFPU | cpuidTSC | cpuidCX8 | cpuidCMOV | cpuidCLFSH | cpuidMMX | cpuidFXSR | cpuidSSE | cpuidSSE2
	case 2:
		// One round; descriptor 0xff: use leaf 4.
		return 0x0000ff01, 0, 0, 0
	case 4:
		if int(subleaf) >= len(cpuCaches) {
			return 0, 0, 0, 0
		}
		k := cpuCaches[subleaf]
		eax = k.typ | k.level<<5 | 1<<8 // self-initialising
		ebx = (k.ways-1)<<22 | 63       // 64-byte lines
		ecx = k.sets - 1
		if k.inclusive {
			edx = 1 << 1
		}
		return eax, ebx, ecx, edx
	case 7:
		if subleaf == 0 {
			return 0, cpuidERMS, 0, 0
		}
	case 0x80000000:
		return cpuidMaxExt, 0, 0, 0
	case 0x80000001:
		return 0, 0, cpuidLAHF | cpuidABM | cpuidPREFETCHW, cpuidSYSCALL | cpuidNX | cpuidRDTSCP | cpuidLM
	case 0x80000002, 0x80000003, 0x80000004:
		p := cpuBrand[16*(leaf-0x80000002):]
		w := func(i int) uint32 {
			return uint32(p[i]) | uint32(p[i+1])<<8 | uint32(p[i+2])<<16 | uint32(p[i+3])<<24
		}
		return w(0), w(4), w(8), w(12)
	case 0x80000006:
		// 256 KiB L2, 8-way (code 6), 64-byte lines.
		return 0, 0, 256<<16 | 6<<12 | 64, 0
	case 0x80000008:
		// 48 physical and 48 linear address bits.
		return 48<<8 | 48, 0, 0, 0
	}
	return 0, 0, 0, 0
}
