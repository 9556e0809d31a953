package cpu

import "golang.org/x/arch/x86/x86asm"

func init() {
	defBranch(opSyscall, x86asm.SYSCALL)
}
