/* The smallest guest: exit_group(42). Checks the harness itself. */
	.globl _start
	.text
_start:
	mov $231, %eax		/* exit_group */
	mov $42, %edi
	syscall
	hlt
