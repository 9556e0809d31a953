package gdbstub

import (
	"encoding/binary"

	"guestrun/emu/cpu"
)

// The register file gdb sees: the amd64 GNU/Linux layout of gdbserver, with
// the target description that names it. The 'g' packet is the registers in
// this order, little-endian.

type reg struct {
	name string
	size int // bytes
}

// regs are gdb's register numbers 0..59. A literal, so that it costs nothing
// at start.
var regs = [...]reg{
	{"rax", 8}, {"rbx", 8}, {"rcx", 8}, {"rdx", 8}, {"rsi", 8}, {"rdi", 8}, {"rbp", 8}, {"rsp", 8},
	{"r8", 8}, {"r9", 8}, {"r10", 8}, {"r11", 8}, {"r12", 8}, {"r13", 8}, {"r14", 8}, {"r15", 8},
	{"rip", 8},
	{"eflags", 4}, {"cs", 4}, {"ss", 4}, {"ds", 4}, {"es", 4}, {"fs", 4}, {"gs", 4},
	{"st0", 10}, {"st1", 10}, {"st2", 10}, {"st3", 10}, {"st4", 10}, {"st5", 10}, {"st6", 10}, {"st7", 10},
	{"fctrl", 4}, {"fstat", 4}, {"ftag", 4}, {"fiseg", 4}, {"fioff", 4}, {"foseg", 4}, {"fooff", 4}, {"fop", 4},
	{"xmm0", 16}, {"xmm1", 16}, {"xmm2", 16}, {"xmm3", 16}, {"xmm4", 16}, {"xmm5", 16}, {"xmm6", 16}, {"xmm7", 16},
	{"xmm8", 16}, {"xmm9", 16}, {"xmm10", 16}, {"xmm11", 16}, {"xmm12", 16}, {"xmm13", 16}, {"xmm14", 16}, {"xmm15", 16},
	{"mxcsr", 4}, {"orig_rax", 8}, {"fs_base", 8}, {"gs_base", 8},
}

// Register numbers with special handling.
const (
	regRIP    = 16
	regEflags = 17
	regCS     = 18
	regSS     = 19
	regST0    = 24
	regFctrl  = 32
	regFstat  = 33
	regFtag   = 34
	regXMM0   = 40
	regMXCSR  = 56
	regOrigAX = 57
	regFSBase = 58
	regGSBase = 59
)

// gprs maps gdb's general register numbers to the CPU's encoding order.
var gprs = [16]int{cpu.RAX, cpu.RBX, cpu.RCX, cpu.RDX, cpu.RSI, cpu.RDI, cpu.RBP, cpu.RSP,
	cpu.R8, cpu.R9, cpu.R10, cpu.R11, cpu.R12, cpu.R13, cpu.R14, cpu.R15}

// Linux's user-mode selectors on x86-64.
const (
	userCS = 0x33
	userSS = 0x2b
)

// readReg returns register n's bytes.
func readReg(c *cpu.CPU, n int) []byte {
	le := binary.LittleEndian
	b := make([]byte, regs[n].size)
	var fx [512]byte
	switch {
	case n < 16:
		le.PutUint64(b, c.R[gprs[n]])
	case n == regRIP:
		le.PutUint64(b, c.RIP)
	case n == regEflags:
		le.PutUint32(b, uint32(c.Flags()))
	case n == regCS:
		le.PutUint32(b, userCS)
	case n == regSS:
		le.PutUint32(b, userSS)
	case n >= regST0 && n < regST0+8:
		c.FXSave(&fx)
		copy(b, fx[32+16*(n-regST0):])
	case n == regFctrl:
		le.PutUint32(b, uint32(c.FPU.Control))
	case n == regFstat:
		le.PutUint32(b, uint32(c.FPU.StatusWord()))
	case n == regFtag:
		le.PutUint32(b, uint32(c.FPU.TagWord()))
	case n >= regXMM0 && n < regXMM0+16:
		x := c.X[n-regXMM0]
		le.PutUint64(b, x[0])
		le.PutUint64(b[8:], x[1])
	case n == regMXCSR:
		le.PutUint32(b, c.MXCSR)
	case n == regOrigAX:
		le.PutUint64(b, ^uint64(0))
	case n == regFSBase:
		le.PutUint64(b, c.FSBase)
	case n == regGSBase:
		le.PutUint64(b, c.GSBase)
	}
	// Segment selectors other than cs and ss, and the x87 instruction and
	// operand pointers, read as zero.
	return b
}

// writeReg sets register n from its bytes. Read-only registers (selectors,
// orig_rax, the x87 pointers) ignore writes, as they would not change what
// the program does.
func writeReg(c *cpu.CPU, n int, b []byte) {
	le := binary.LittleEndian
	switch {
	case n < 16:
		c.R[gprs[n]] = le.Uint64(b)
	case n == regRIP:
		c.RIP = le.Uint64(b)
	case n == regEflags:
		c.SetFlags(uint64(le.Uint32(b)))
	case n >= regST0 && n < regST0+8, n == regFctrl, n == regFstat, n == regFtag:
		var fx [512]byte
		c.FXSave(&fx)
		switch n {
		case regFctrl:
			copy(fx[0:2], b)
		case regFstat:
			copy(fx[2:4], b)
		case regFtag:
			// The FXSAVE image keeps only empty versus in use.
			tw := le.Uint16(b)
			fx[4] = 0
			for p := range 8 {
				if tw>>(2*p)&3 != 3 {
					fx[4] |= 1 << p
				}
			}
		default:
			copy(fx[32+16*(n-regST0):], b[:10])
		}
		c.FXRestore(&fx)
	case n >= regXMM0 && n < regXMM0+16:
		c.X[n-regXMM0] = cpu.XMM{le.Uint64(b), le.Uint64(b[8:])}
	case n == regMXCSR:
		var fx [512]byte
		c.FXSave(&fx)
		copy(fx[24:28], b)
		c.FXRestore(&fx)
	case n == regFSBase:
		c.FSBase = le.Uint64(b)
	case n == regGSBase:
		c.GSBase = le.Uint64(b)
	}
}

// targetXML describes the registers above to gdb (qXfer:features:read).
const targetXML = `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>i386:x86-64</architecture>
<osabi>GNU/Linux</osabi>
<feature name="org.gnu.gdb.i386.core">
<flags id="i386_eflags" size="4">
<field name="CF" start="0" end="0"/><field name="" start="1" end="1"/><field name="PF" start="2" end="2"/>
<field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
<field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/><field name="DF" start="10" end="10"/>
<field name="OF" start="11" end="11"/><field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
<field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/><field name="VIF" start="19" end="19"/>
<field name="VIP" start="20" end="20"/><field name="ID" start="21" end="21"/>
</flags>
<reg name="rax" bitsize="64" type="int64"/><reg name="rbx" bitsize="64" type="int64"/>
<reg name="rcx" bitsize="64" type="int64"/><reg name="rdx" bitsize="64" type="int64"/>
<reg name="rsi" bitsize="64" type="int64"/><reg name="rdi" bitsize="64" type="int64"/>
<reg name="rbp" bitsize="64" type="data_ptr"/><reg name="rsp" bitsize="64" type="data_ptr"/>
<reg name="r8" bitsize="64" type="int64"/><reg name="r9" bitsize="64" type="int64"/>
<reg name="r10" bitsize="64" type="int64"/><reg name="r11" bitsize="64" type="int64"/>
<reg name="r12" bitsize="64" type="int64"/><reg name="r13" bitsize="64" type="int64"/>
<reg name="r14" bitsize="64" type="int64"/><reg name="r15" bitsize="64" type="int64"/>
<reg name="rip" bitsize="64" type="code_ptr"/>
<reg name="eflags" bitsize="32" type="i386_eflags"/>
<reg name="cs" bitsize="32" type="int32"/><reg name="ss" bitsize="32" type="int32"/>
<reg name="ds" bitsize="32" type="int32"/><reg name="es" bitsize="32" type="int32"/>
<reg name="fs" bitsize="32" type="int32"/><reg name="gs" bitsize="32" type="int32"/>
<reg name="st0" bitsize="80" type="i387_ext"/><reg name="st1" bitsize="80" type="i387_ext"/>
<reg name="st2" bitsize="80" type="i387_ext"/><reg name="st3" bitsize="80" type="i387_ext"/>
<reg name="st4" bitsize="80" type="i387_ext"/><reg name="st5" bitsize="80" type="i387_ext"/>
<reg name="st6" bitsize="80" type="i387_ext"/><reg name="st7" bitsize="80" type="i387_ext"/>
<reg name="fctrl" bitsize="32" type="int" group="float"/><reg name="fstat" bitsize="32" type="int" group="float"/>
<reg name="ftag" bitsize="32" type="int" group="float"/><reg name="fiseg" bitsize="32" type="int" group="float"/>
<reg name="fioff" bitsize="32" type="int" group="float"/><reg name="foseg" bitsize="32" type="int" group="float"/>
<reg name="fooff" bitsize="32" type="int" group="float"/><reg name="fop" bitsize="32" type="int" group="float"/>
</feature>
<feature name="org.gnu.gdb.i386.sse">
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v16i8" type="int8" count="16"/>
<vector id="v8i16" type="int16" count="8"/>
<vector id="v4i32" type="int32" count="4"/>
<vector id="v2i64" type="int64" count="2"/>
<union id="vec128">
<field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>
<field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/>
<field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/>
<field name="uint128" type="uint128"/>
</union>
<flags id="i386_mxcsr" size="4">
<field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/><field name="ZE" start="2" end="2"/>
<field name="OE" start="3" end="3"/><field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
<field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/><field name="DM" start="8" end="8"/>
<field name="ZM" start="9" end="9"/><field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
<field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
</flags>
<reg name="xmm0" bitsize="128" type="vec128"/><reg name="xmm1" bitsize="128" type="vec128"/>
<reg name="xmm2" bitsize="128" type="vec128"/><reg name="xmm3" bitsize="128" type="vec128"/>
<reg name="xmm4" bitsize="128" type="vec128"/><reg name="xmm5" bitsize="128" type="vec128"/>
<reg name="xmm6" bitsize="128" type="vec128"/><reg name="xmm7" bitsize="128" type="vec128"/>
<reg name="xmm8" bitsize="128" type="vec128"/><reg name="xmm9" bitsize="128" type="vec128"/>
<reg name="xmm10" bitsize="128" type="vec128"/><reg name="xmm11" bitsize="128" type="vec128"/>
<reg name="xmm12" bitsize="128" type="vec128"/><reg name="xmm13" bitsize="128" type="vec128"/>
<reg name="xmm14" bitsize="128" type="vec128"/><reg name="xmm15" bitsize="128" type="vec128"/>
<reg name="mxcsr" bitsize="32" type="i386_mxcsr" group="vector"/>
</feature>
<feature name="org.gnu.gdb.i386.linux">
<reg name="orig_rax" bitsize="64" type="int" group="system"/>
</feature>
<feature name="org.gnu.gdb.i386.segments">
<reg name="fs_base" bitsize="64" type="int"/>
<reg name="gs_base" bitsize="64" type="int"/>
</feature>
</target>
`
