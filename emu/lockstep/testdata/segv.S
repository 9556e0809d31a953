/* Faults on purpose: both sides must raise the same SIGSEGV. */
	.globl _start
	.text
_start:
	mov $5, %eax
	xor %edi, %edi
	movl $1, (%rdi)
	hlt
