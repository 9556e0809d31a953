package signal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"guestrun/emu/cpu"
	"guestrun/emu/mem"
)

// layoutProgram prints the offsets of the frame structures as the system
// headers define them. The kernel's rt_sigframe and ucontext (whose sigset
// is 8 bytes, unlike glibc's) are not in the uapi headers; they are spelled
// out from the header types they are made of.
const layoutProgram = `
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ucontext.h>

struct kucontext {
	unsigned long uc_flags;
	struct kucontext *uc_link;
	stack_t uc_stack;
	struct sigcontext uc_mcontext;
	unsigned long uc_sigmask;
};
struct rt_sigframe {
	char *pretcode;
	struct kucontext uc;
	siginfo_t info;
};
#define P(name, v) printf("%s %zu\n", name, (size_t)(v))
int main(void) {
	P("FrameSize", sizeof(struct rt_sigframe));
	P("FrameUC", offsetof(struct rt_sigframe, uc));
	P("FrameInfo", offsetof(struct rt_sigframe, info));
	P("UCFlags", offsetof(ucontext_t, uc_flags));
	P("UCLink", offsetof(ucontext_t, uc_link));
	P("UCStack", offsetof(ucontext_t, uc_stack));
	P("UCMcontext", offsetof(ucontext_t, uc_mcontext));
	P("UCSigmask", offsetof(ucontext_t, uc_sigmask));
	P("UCSize", sizeof(struct kucontext));
	P("kUCSigmask", offsetof(struct kucontext, uc_sigmask));
	P("SCSize", sizeof(struct sigcontext));
	P("ss_sp", offsetof(stack_t, ss_sp));
	P("ss_flags", offsetof(stack_t, ss_flags));
	P("ss_size", offsetof(stack_t, ss_size));
	P("stack_t", sizeof(stack_t));
#define SC(f) P("sc." #f, offsetof(struct sigcontext, f))
	SC(r8); SC(r9); SC(r10); SC(r11); SC(r12); SC(r13); SC(r14); SC(r15);
	SC(rdi); SC(rsi); SC(rbp); SC(rbx); SC(rdx); SC(rax); SC(rcx); SC(rsp);
	SC(rip); SC(eflags); SC(cs); SC(gs); SC(fs); SC(err); SC(trapno);
	SC(oldmask); SC(cr2); SC(fpstate);
	P("sc.ss", offsetof(struct sigcontext, __pad0));
	P("REG_RIP", REG_RIP * 8); P("REG_EFL", REG_EFL * 8); P("REG_ERR", REG_ERR * 8);
	P("REG_TRAPNO", REG_TRAPNO * 8); P("REG_OLDMASK", REG_OLDMASK * 8); P("REG_CR2", REG_CR2 * 8);
	P("REG_CSGSFS", REG_CSGSFS * 8);
	P("fpregs", offsetof(mcontext_t, fpregs));
	P("InfoSize", sizeof(siginfo_t));
	P("si_signo", offsetof(siginfo_t, si_signo));
	P("si_errno", offsetof(siginfo_t, si_errno));
	P("si_code", offsetof(siginfo_t, si_code));
	P("si_pid", offsetof(siginfo_t, si_pid));
	P("si_uid", offsetof(siginfo_t, si_uid));
	P("si_value", offsetof(siginfo_t, si_value));
	P("si_addr", offsetof(siginfo_t, si_addr));
	P("FPStateSize", sizeof(struct _libc_fpstate));
	P("fx.mxcsr", offsetof(struct _libc_fpstate, mxcsr));
	P("fx.mxcr_mask", offsetof(struct _libc_fpstate, mxcr_mask));
	P("fx.xmm", offsetof(struct _libc_fpstate, _xmm));
	P("fx.reserved", offsetof(struct _libc_fpstate, __glibc_reserved1));
	P("sa_handler", offsetof(struct sigaction, sa_handler));
	P("SA_ONSTACK", SA_ONSTACK);
	P("SA_RESTART", SA_RESTART);
	P("SA_NODEFER", SA_NODEFER);
	P("SA_RESETHAND", SA_RESETHAND);
	P("SA_SIGINFO", SA_SIGINFO);
	return 0;
}
`

// nativeLayout compiles and runs layoutProgram.
func nativeLayout(t *testing.T) map[string]uint64 {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc to read the system headers")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "layout.c")
	if err := os.WriteFile(src, []byte(layoutProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "layout")
	if out, err := exec.Command(cc, "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("compiling the layout program: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		m[f[0]] = v
	}
	return m
}

func TestFrameLayoutMatchesHeaders(t *testing.T) {
	native := nativeLayout(t)
	want := map[string]uint64{
		"FrameSize": FrameSize, "FrameUC": FrameUC, "FrameInfo": FrameInfo,
		"UCFlags": UCFlags, "UCLink": UCLink, "UCStack": UCStack, "UCMcontext": UCMcontext,
		"UCSigmask": UCSigmask, "kUCSigmask": UCSigmask, "UCSize": UCSize, "SCSize": SCSize,
		"ss_sp": 0, "ss_flags": 8, "ss_size": 16, "stack_t": 24,
		"sc.rip": SCRip, "sc.eflags": SCEflags, "sc.cs": SCCS, "sc.gs": SCCS + 2, "sc.fs": SCCS + 4,
		"sc.ss": SCCS + 6, "sc.err": SCErr, "sc.trapno": SCTrapno, "sc.oldmask": SCOldmask,
		"sc.cr2": SCCR2, "sc.fpstate": SCFPState,
		"REG_RIP": SCRip, "REG_EFL": SCEflags, "REG_ERR": SCErr, "REG_TRAPNO": SCTrapno,
		"REG_OLDMASK": SCOldmask, "REG_CR2": SCCR2, "REG_CSGSFS": SCCS, "fpregs": SCFPState,
		"InfoSize": InfoSize, "si_signo": 0, "si_errno": 4, "si_code": 8,
		"si_pid": 16, "si_uid": 20, "si_value": 24, "si_addr": 16,
		"FPStateSize": FPStateSize, "fx.mxcsr": fxMXCSR, "fx.mxcr_mask": fxMXCSRMask,
		"fx.xmm": fxXMM, "fx.reserved": fxReserved, "sa_handler": 0,
		"SA_ONSTACK": SAOnStack, "SA_RESTART": SARestart,
		"SA_NODEFER": SANoDefer, "SA_RESETHAND": SAResetHand, "SA_SIGINFO": SASigInfo,
	}
	names := [...]string{"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
		"rdi", "rsi", "rbp", "rbx", "rdx", "rax", "rcx", "rsp"}
	for i, n := range names {
		want["sc."+n] = uint64(8 * i)
	}
	for k, v := range want {
		got, ok := native[k]
		if !ok {
			t.Errorf("%s: not printed by the layout program", k)
			continue
		}
		if got != v {
			t.Errorf("%s: headers say %d, guestrun uses %d", k, got, v)
		}
	}
	// scRegs must name the registers in the order of the names above.
	regs := map[string]int{"r8": cpu.R8, "r9": cpu.R9, "r10": cpu.R10, "r11": cpu.R11,
		"r12": cpu.R12, "r13": cpu.R13, "r14": cpu.R14, "r15": cpu.R15, "rdi": cpu.RDI,
		"rsi": cpu.RSI, "rbp": cpu.RBP, "rbx": cpu.RBX, "rdx": cpu.RDX, "rax": cpu.RAX,
		"rcx": cpu.RCX, "rsp": cpu.RSP}
	for i, n := range names {
		if scRegs[i] != regs[n] {
			t.Errorf("sigcontext slot %d is %s, scRegs has register %d", i, n, scRegs[i])
		}
	}
}

func TestLayout(t *testing.T) {
	// Measured natively: the FP state is 448 bytes above the ucontext, and
	// RSP+8 is 16-byte aligned at handler entry.
	for _, sp := range []uint64{0x7fff0000, 0x7fff0008, 0x7ffeff37, 0x7fff0fff} {
		frame, fp, ok := Layout(sp, false, &AltStack{})
		if !ok {
			t.Fatalf("sp %#x: no frame", sp)
		}
		if fp-(frame+FrameUC) != 448 || (frame+8)%16 != 0 || fp%64 != 0 {
			t.Errorf("sp %#x: frame %#x fp %#x", sp, frame, fp)
		}
		if fp+FPStateSize > sp-redZone {
			t.Errorf("sp %#x: FP state %#x reaches into the red zone", sp, fp)
		}
	}
	alt := AltStack{SP: 0x10000, Size: 0x4000}
	frame, fp, ok := Layout(0x7fff0000, true, &alt)
	if !ok || fp != 0x14000-FPStateSize || frame != fp-456 {
		t.Errorf("entering the alternate stack: frame %#x fp %#x ok %v", frame, fp, ok)
	}
	// Nested on the alternate stack: below the current sp.
	frame, _, ok = Layout(0x13000, true, &alt)
	if !ok || frame >= 0x13000-redZone-FPStateSize {
		t.Errorf("nested on the alternate stack: frame %#x ok %v", frame, ok)
	}
	// Overflowing the alternate stack fails.
	if _, _, ok := Layout(0x10100, true, &alt); ok {
		t.Errorf("overflowing the alternate stack gave a frame")
	}
	small := AltStack{SP: 0x10000, Size: 0x200}
	if _, _, ok := Layout(0x7fff0000, true, &small); ok {
		t.Errorf("a too small alternate stack gave a frame")
	}
	// Without SA_ONSTACK the alternate stack is not used.
	if frame, _, _ := Layout(0x7fff0000, false, &alt); frame < 0x7ffe0000 {
		t.Errorf("without SA_ONSTACK: frame %#x", frame)
	}
	// With SS_AUTODISARM a thread on the stack is not "on" it: a new frame
	// starts again from the top.
	auto := AltStack{SP: 0x10000, Size: 0x4000, Flags: SSAutoDisarm}
	if _, fp, _ := Layout(0x13000, true, &auto); fp != 0x14000-FPStateSize {
		t.Errorf("SS_AUTODISARM: fp %#x", fp)
	}
}

func TestAltStackSet(t *testing.T) {
	var a AltStack
	if s := a.State(0x1000); s.Flags != SSDisable {
		t.Errorf("no stack: flags %#x", s.Flags)
	}
	if e := a.Set(AltStack{SP: 0x10000, Size: MinSigStkSz - 1}, 0x7fff0000); e == 0 {
		t.Errorf("a too small stack was accepted")
	}
	if e := a.Set(AltStack{SP: 0x10000, Size: 0x4000, Flags: 7}, 0x7fff0000); e == 0 {
		t.Errorf("bad flags were accepted")
	}
	if e := a.Set(AltStack{SP: 0x10000, Size: 0x4000}, 0x7fff0000); e != 0 {
		t.Fatal(e)
	}
	if s := a.State(0x12000); s.Flags != SSOnStack || s.SP != 0x10000 || s.Size != 0x4000 {
		t.Errorf("on the stack: %+v", s)
	}
	if e := a.Set(AltStack{Flags: SSDisable}, 0x12000); e == 0 {
		t.Errorf("changing the stack while on it was accepted")
	}
	if e := a.Set(AltStack{SP: 5, Size: 7, Flags: SSDisable}, 0x7fff0000); e != 0 || a.Size != 0 || a.SP != 0 {
		t.Errorf("SS_DISABLE: %v %+v", e, a)
	}
	a.Set(AltStack{SP: 0x10000, Size: 0x4000, Flags: SSAutoDisarm}, 0)
	if s := a.State(0x12000); s.Flags != SSAutoDisarm {
		t.Errorf("SS_AUTODISARM on the stack: flags %#x", s.Flags)
	}
	a.Disarm()
	if a != (AltStack{Flags: SSDisable}) {
		t.Errorf("after Disarm: %+v", a)
	}
}

func newTestCPU(t *testing.T) *cpu.CPU {
	t.Helper()
	m, err := mem.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return cpu.New(m, cpu.NewCodeCache(m))
}

func TestFrameRoundTrip(t *testing.T) {
	c := newTestCPU(t)
	for i := range c.R {
		c.R[i] = 0x1111111111111111 * uint64(i+1)
	}
	c.RIP = 0x401234
	c.SetFlags(cpu.FlagCF | cpu.FlagZF | cpu.FlagDF | cpu.FlagID)
	c.X[3] = cpu.XMM{0x0123456789abcdef, 0xfedcba9876543210}
	c.MXCSR = 0x1fa0
	c.FPU.Control = 0x27f
	const frame, fp = 0x1008, 0x1008 + 456
	b := make([]byte, fp-frame+FPStateSize)
	info := KillInfo(10, SITKill, 1234, 1000)
	PutFrame(b, c, frame, &FrameArgs{
		Restorer: 0x400500, Info: &info, Stack: AltStack{SP: 0x9000, Size: 0x2000, Flags: SSDisable},
		Mask: Bit(10) | Bit(12), Trap: Trap{Trapno: 14, Err: 6, CR2: 0xdead}, FP: fp,
	})
	le := binary.LittleEndian
	uc := b[FrameUC:]
	sc := uc[UCMcontext:]
	check := func(what string, got, want uint64) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %#x, want %#x", what, got, want)
		}
	}
	check("pretcode", le.Uint64(b), 0x400500)
	check("uc_flags", le.Uint64(uc[UCFlags:]), 6)
	check("ss_sp", le.Uint64(uc[UCStack:]), 0x9000)
	check("ss_flags", uint64(le.Uint32(uc[UCStack+8:])), SSDisable)
	check("ss_size", le.Uint64(uc[UCStack+16:]), 0x2000)
	check("rax", le.Uint64(sc[13*8:]), c.R[cpu.RAX])
	check("r8", le.Uint64(sc[0:]), c.R[cpu.R8])
	check("rsp", le.Uint64(sc[15*8:]), c.R[cpu.RSP])
	check("rip", le.Uint64(sc[SCRip:]), 0x401234)
	check("eflags", le.Uint64(sc[SCEflags:]), c.Flags())
	check("cs", uint64(le.Uint16(sc[SCCS:])), 0x33)
	check("ss", uint64(le.Uint16(sc[SCCS+6:])), 0x2b)
	check("trapno", le.Uint64(sc[SCTrapno:]), 14)
	check("err", le.Uint64(sc[SCErr:]), 6)
	check("cr2", le.Uint64(sc[SCCR2:]), 0xdead)
	check("oldmask", le.Uint64(sc[SCOldmask:]), uint64(Bit(10)|Bit(12)))
	check("fpstate", le.Uint64(sc[SCFPState:]), fp)
	check("uc_sigmask", le.Uint64(uc[UCSigmask:]), uint64(Bit(10)|Bit(12)))
	si := b[FrameInfo:]
	check("si_signo", uint64(le.Uint32(si)), 10)
	if code := int32(le.Uint32(si[8:])); code != SITKill {
		t.Errorf("si_code %d", code)
	}
	check("si_pid", uint64(le.Uint32(si[16:])), 1234)
	check("si_uid", uint64(le.Uint32(si[20:])), 1000)
	fx := b[fp-frame:]
	check("mxcsr", uint64(le.Uint32(fx[fxMXCSR:])), 0x1fa0)
	check("fcw", uint64(le.Uint16(fx[0:])), 0x27f)
	check("xmm3.lo", le.Uint64(fx[fxXMM+48:]), 0x0123456789abcdef)
	check("xmm3.hi", le.Uint64(fx[fxXMM+56:]), 0xfedcba9876543210)

	// A handler edits the context; sigreturn takes it back, flags only
	// for the bits a program may change.
	le.PutUint64(sc[SCRip:], 0x401240)
	le.PutUint64(sc[13*8:], 42)
	le.PutUint64(sc[SCEflags:], cpu.FlagOF|1<<14 /* NT */)
	le.PutUint64(fx[fxXMM+48:], 7)
	rbx := c.R[cpu.RBX]
	ResetFPState(c)
	check("reset fcw", uint64(c.FPU.Control), 0x37f)
	check("reset xmm3", c.X[3][1], 0)
	c.R = [16]uint64{}
	gotFP := GetContext(sc[:SCSize], c)
	if !GetFPState(fx[:FPStateSize], c) {
		t.Fatal("GetFPState refused the frame")
	}
	check("restored fp", gotFP, fp)
	check("restored rip", c.RIP, 0x401240)
	check("restored rax", c.R[cpu.RAX], 42)
	check("restored rbx", c.R[cpu.RBX], rbx)
	check("restored flags", c.Flags(), cpu.FlagOF|cpu.FlagID|0x202)
	check("restored mxcsr", uint64(c.MXCSR), 0x1fa0)
	check("restored fcw", uint64(c.FPU.Control), 0x27f)
	check("restored xmm3", c.X[3][0], 7)

	le.PutUint32(fx[fxMXCSR:], 0x10000)
	if GetFPState(fx[:FPStateSize], c) {
		t.Errorf("GetFPState accepted reserved MXCSR bits")
	}
}
