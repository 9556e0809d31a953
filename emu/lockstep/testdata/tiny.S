/* A libc-free program for the checker's own tests: moves, arithmetic,
 * loops, calls, the stack, REP string instructions, and raw syscalls
 * (write, mmap, munmap, brk, exit). The labels mark instructions the tests
 * patch in the interpreter's copy to provoke differences. */
	.globl _start, add_here, store_here
	.text
_start:
	xor %eax, %eax
	mov $100, %ecx
1:
add_here:
	add $1, %rax		/* 48 83 c0 01 */
	imul $3, %rax, %rdx
	xor %rdx, %rax
	dec %ecx
	jnz 1b
	mov %rax, %rbp		/* live until the end */

	lea buf(%rip), %rdi
	mov $0x1122334455667788, %rbx
	mov $0x55, %eax
store_here:
	mov %rax, (%rdi)	/* 48 89 07 */
	add $8, %rdi
	mov $64, %ecx
	rep stosb
	lea buf(%rip), %rsi
	lea buf2(%rip), %rdi
	mov $72, %ecx
	rep movsb
	call sum
	push %rax
	pop %r12

	/* mmap 64 KiB, write to it, unmap it */
	mov $9, %eax
	xor %edi, %edi
	mov $0x10000, %esi
	mov $3, %edx		/* PROT_READ|PROT_WRITE */
	mov $0x22, %r10d	/* MAP_PRIVATE|MAP_ANONYMOUS */
	mov $-1, %r8
	xor %r9d, %r9d
	syscall
	mov %rax, %r13
	movq $42, 0x8000(%r13)
	mov 0x8000(%r13), %r14
	mov $11, %eax
	mov %r13, %rdi
	mov $0x10000, %esi
	syscall

	/* grow the break by a page and use it */
	mov $12, %eax
	xor %edi, %edi
	syscall
	mov %rax, %r15
	lea 4096(%rax), %rdi
	mov $12, %eax
	syscall
	movq $7, (%r15)

	mov $1, %eax		/* write */
	mov $1, %edi
	lea msg(%rip), %rsi
	mov $msglen, %edx
	syscall

	mov $60, %eax		/* exit */
	mov $3, %edi
	syscall
	hlt

sum:	/* sums the 72 bytes at buf2 */
	lea buf2(%rip), %rsi
	xor %eax, %eax
	mov $72, %ecx
2:	movzbl (%rsi), %edx
	add %rdx, %rax
	inc %rsi
	loop 2b
	ret

	.section .rodata
msg:	.ascii "tiny done\n"
	.set msglen, . - msg

	.bss
	.balign 16
buf:	.skip 128
buf2:	.skip 128
