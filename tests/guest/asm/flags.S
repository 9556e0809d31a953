/* Status flags without libc: each test loads operands, sets RFLAGS with
 * popf, runs one instruction, and prints the result and the flags (masked
 * to those the manual defines) as hex through write(2). */
	.globl _start
	.text

/* show: print %rax, %rdx and (%r8 & %r9) as "rax rdx flags\n". */
show:
	lea buf(%rip), %rdi
	mov %rax, %rsi
	call hex64
	movb $' ', (%rdi)
	inc %rdi
	mov %rdx, %rsi
	call hex64
	movb $' ', (%rdi)
	inc %rdi
	mov %r8, %rsi
	and %r9, %rsi
	call hex64
	movb $'\n', (%rdi)
	inc %rdi
	lea buf(%rip), %rsi
	mov %rdi, %rdx
	sub %rsi, %rdx
	mov $1, %eax		/* write(1, buf, len) */
	mov $1, %edi
	syscall
	ret

/* hex64: write %rsi as 16 hex digits at %rdi, advancing %rdi. */
hex64:
	mov $16, %ecx
1:	rol $4, %rsi
	mov %esi, %eax
	and $15, %eax
	lea digits(%rip), %r10
	movb (%r10,%rax), %al
	movb %al, (%rdi)
	inc %rdi
	dec %ecx
	jnz 1b
	ret

/* T insn, a, b, flags-in, mask: rax=a, rbx=b, rdx=0x1111.., flags=fin. */
.macro T insn, a, b, fin, mask
	movabs $\a, %rax
	movabs $\b, %rbx
	movabs $0x1111111111111111, %rdx
	mov %bl, %cl
	push $\fin
	popfq
	\insn
	pushfq
	pop %r8
	mov $\mask, %r9
	call show
.endm

.set ALL, 0x8d5
.set NOAF, 0x8c5
.set CFOF, 0x801

_start:
	T "add %rbx, %rax", 0x7fffffffffffffff, 1, 0, ALL
	T "add %ebx, %eax", 0xffffffff, 1, 0, ALL
	T "add %bx, %ax", 0x8000, 0x8000, 0, ALL
	T "add %bl, %al", 0x7f, 0x01, 0, ALL
	T "adc %rbx, %rax", 0xffffffffffffffff, 0, 1, ALL
	T "adc %ebx, %eax", 0x7fffffff, 0, 1, ALL
	T "sub %rbx, %rax", 0, 1, 0, ALL
	T "sub %ebx, %eax", 0x80000000, 1, 0, ALL
	T "sbb %rbx, %rax", 0, 0, 1, ALL
	T "sbb %bl, %al", 0x80, 0x7f, 1, ALL
	T "cmp %rbx, %rax", 5, 5, 0, ALL
	T "neg %rax", 0x8000000000000000, 0, 0, ALL
	T "neg %eax", 0, 0, ALL, ALL
	T "inc %rax", 0x7fffffffffffffff, 0, 1, ALL
	T "dec %eax", 0, 0, 0, ALL
	T "and %rbx, %rax", 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00, ALL, NOAF
	T "or %ebx, %eax", 0, 0, ALL, NOAF
	T "xor %al, %al", 0x1234, 0, ALL, NOAF
	T "test %rbx, %rax", 0x8000000000000000, 0x8000000000000000, 0, NOAF
	T "imul %rbx, %rax", 0x100000000, 0x100000000, 0, CFOF
	T "imul %ebx, %eax", 0x10000, 0x8000, 0, CFOF
	T "mul %rbx", 0xffffffffffffffff, 0xffffffffffffffff, 0, CFOF
	T "mul %bl", 0x10, 0x10, 0, CFOF
	T "imul %rbx", 0xffffffffffffffff, 2, 0, CFOF
	T "shl %cl, %rax", 0x8000000000000001, 1, 0, ALL-0x10
	T "shl %cl, %eax", 0xc0000000, 2, 0, NOAF-0x800
	T "shl %cl, %rax", 0x1234, 0, ALL, ALL
	T "shl %cl, %rax", 0x1234, 64, ALL, ALL
	T "shr %cl, %rax", 0x8000000000000001, 63, 0, NOAF-0x800
	T "sar %cl, %eax", 0x80000000, 31, 0, NOAF-0x800
	T "sar %cl, %ax", 0x8000, 1, 0, NOAF
	T "rol %cl, %rax", 0x8000000000000000, 1, 0, ALL
	T "ror %cl, %eax", 1, 1, 0, ALL
	T "rcl %cl, %rax", 0x8000000000000000, 1, 0, ALL
	T "rcr %cl, %rax", 1, 1, 1, ALL
	T "rcl %cl, %al", 0x81, 9, 1, ALL-0x800
	T "rcr %cl, %ax", 0x8001, 17, 0, ALL-0x800
	T "bt %rbx, %rax", 0x8000000000000000, 63, 0, 0x41
	T "bts %ebx, %eax", 0, 31, 0, 0x41
	T "btr %rbx, %rax", 0xff, 3, 0, 0x41
	T "btc %rbx, %rax", 0xff, 64, 0, 0x41
	T "bsf %rbx, %rax", 0, 0x100, 0, 0x40
	T "bsr %rbx, %rax", 0, 0x100, 0, 0x40
	T "bsf %rbx, %rax", 0x5555, 0, 0, 0x40
	T "xadd %rbx, %rax", 0xffffffffffffffff, 1, 0, ALL
	T "cmpxchg %rbx, %rdx", 0x1111111111111111, 7, 0, ALL
	T "cmpxchg %rbx, %rdx", 0, 7, 0, ALL
	T "cqo", 0x8000000000000000, 0, 0, ALL
	T "cdq", 0x80000000, 0, 0, ALL
	T "cwd", 0x8000, 0, 0, ALL
	T "cdqe", 0x80000000, 0, 0, ALL
	T "cwde", 0x8000, 0, 0, ALL
	T "cbw", 0x80, 0, 0, ALL
	T "setc %al", 0x1234, 0, 1, ALL
	T "seto %dl", 0, 0, 0x800, ALL
	T "lahf", 0, 0, ALL, ALL
	T "sahf", 0xd500, 0, 0, ALL
	T "cmc", 0, 0, 0, ALL
	T "stc", 0, 0, 0, ALL
	T "clc", 0, 0, ALL, ALL
	T "bswap %rax", 0x0102030405060708, 0, 0, ALL
	T "xchg %rbx, %rax", 1, 2, 0, ALL
	T "lea 8(%rax,%rbx,4), %rax", 0x100, 0x10, 0, ALL
	T "movsx %bl, %rax", 0, 0x80, 0, ALL
	T "movzx %bx, %eax", 0xffffffffffffffff, 0xffff, 0, ALL

	mov $60, %eax		/* exit(0) */
	xor %edi, %edi
	syscall

	.section .rodata
digits:	.ascii "0123456789abcdef"
	.bss
buf:	.space 64
