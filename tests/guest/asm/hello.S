/* write(1, msg, len) then exit(0) with raw syscalls only. */
	.globl _start
	.text
_start:
	mov $1, %eax		/* write */
	mov $1, %edi
	lea msg(%rip), %rsi
	mov $msglen, %edx
	syscall
	mov $60, %eax		/* exit */
	xor %edi, %edi
	syscall
	hlt

	.section .rodata
msg:	.ascii "hello from asm\n"
	.set msglen, . - msg
