package cpu

import (
	"reflect"
	"testing"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// tFar is a code page away from tCode's, for callees.
const tFar = tCode + 0x2000

func isHandler(in *Inst, h handler) bool {
	return reflect.ValueOf(in.fn).Pointer() == reflect.ValueOf(h).Pointer()
}

func TestColdBlockEndsAtJcc(t *testing.T) {
	e := newEnv(t)
	// add rax, 1; cmp rax, 5; jne +2; nop; nop; syscall
	e.load("4883c001 4883f805 7502 90 90 0f05")
	b := e.c.block(tCode)
	if b.end != tCode+10 || b.warm.Load() != promoteAfter {
		t.Fatalf("cold block: end %#x warm %d, want end %#x warm %d", b.end, b.warm.Load(), tCode+10, promoteAfter)
	}
	h := e.hotBlock()
	if !b.dead.Load() || h.end != tCode+14 || h.warm.Load() != 0 {
		t.Fatalf("superblock: end %#x warm %d, cold one dead %v", h.end, h.warm.Load(), b.dead.Load())
	}
	if e.c.block(tCode) != h {
		t.Fatal("the cache still has the cold block")
	}
}

// A loop calling a function on another page becomes one block, which goes
// through the CALL and the RET and is dropped when the callee's page
// changes.
func TestSuperblockThroughCall(t *testing.T) {
	e := newEnv(t)
	// mov ecx, 100; xor eax, eax; L: call tFar; dec ecx; jnz L; syscall
	e.load("b964000000 31c0 e8f41f0000 ffc9 75f7 0f05")
	// tFar: add rax, rcx; ret
	e.place(tFar, "4801c8 c3")
	if k := e.c.Run(); k != StopSyscall {
		t.Fatalf("stopped with %v at %#x", k, e.c.RIP)
	}
	e.reg(RAX, 5050)
	e.reg(RCX, 0)
	e.reg(RSP, tStack)
	b := e.c.block(tCode + 7)
	var ops []x86asm.Op
	for i := range b.insts {
		ops = append(ops, b.insts[i].op)
	}
	if len(b.insts) < 4 || !isHandler(&b.insts[0], callThrough) || !isHandler(&b.insts[2], retThrough) {
		t.Fatalf("loop block: %v, want CALL, ADD, RET run through", ops)
	}
	if got := b.insts[len(b.insts)-1].seq; got != 6 {
		t.Errorf("last instruction's seq %d, want 6", got)
	}
	e.c.code.Invalidate(tFar, tFar+1)
	if !b.dead.Load() {
		t.Error("a change to the callee's page left the block")
	}
}

// A RET that does not return to its block's CALL leaves the block there.
func TestSuperblockRetElsewhere(t *testing.T) {
	e := newEnv(t)
	e.c.promoteAfter = 1
	// call tFar; ud2 (not reached)
	e.load("e8fb1f0000 0f0b")
	// tCode+0x20: inc esi; syscall
	e.place(tCode+0x20, "ffc6 0f05")
	// tFar: mov [rsp], rbx; ret
	e.place(tFar, "48891c24 c3")
	e.c.R[RBX] = tCode + 0x20
	if k := e.c.Run(); k != StopSyscall {
		t.Fatalf("stopped with %v at %#x, fault %+v", k, e.c.RIP, e.c.Fault)
	}
	e.reg(RSI, 1)
	e.reg(RSP, tStack)
	if e.c.RIP != tCode+0x24 {
		t.Errorf("RIP %#x, want %#x", e.c.RIP, tCode+0x24)
	}
	if b := e.c.block(tCode); !isHandler(&b.insts[0], callThrough) {
		t.Error("the block did not go through the CALL")
	}
}

// A fault in a callee run through reports the callee's instruction, after
// the CALL's push, as the CPU would.
func TestSuperblockFaultInCallee(t *testing.T) {
	e := newEnv(t)
	e.c.promoteAfter = 1
	// call tFar; syscall
	e.load("e8fb1f0000 0f05")
	// tFar: mov rax, [0]; ret
	e.place(tFar, "488b042500000000 c3")
	if k := e.c.Run(); k != StopFault || e.c.Fault.Sig != int(unix.SIGSEGV) {
		t.Fatalf("stopped with %v, fault %+v", k, e.c.Fault)
	}
	if e.c.RIP != tFar {
		t.Errorf("RIP %#x, want %#x", e.c.RIP, uint64(tFar))
	}
	e.reg(RSP, tStack-8)
	if got := e.read(tStack-8, 8); got[0] != 5 || got[1] != 0 {
		t.Errorf("pushed % x, want the return address %#x", got, tCode+5)
	}
}

// A JMP to itself is followed once at most: the decode ends.
func TestSuperblockJumpToItself(t *testing.T) {
	e := newEnv(t)
	e.c.promoteAfter = 1
	// nop; jmp $
	e.load("90 ebfe")
	b := e.hotBlock()
	if n := len(b.insts); n == 0 || n > maxBlockInsts || b.start != tCode {
		t.Fatalf("block of %d instructions", n)
	}
	if pg := uint64(tCode) / mem.PageSize; len(e.c.code.pages[pg]) == 0 {
		t.Error("the block is not filed under its page")
	}
}
