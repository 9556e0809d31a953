/* A fixed sequence of raw syscalls with arguments of many kinds, for the
 * -strace test (tests/guest/cli_test.go); natively it just prints and exits. */
	.globl _start
	.text
_start:
	mov $1, %eax			/* write(1, msg, 13) */
	mov $1, %edi
	lea msg(%rip), %rsi
	mov $msglen, %edx
	syscall

	mov $257, %eax			/* openat(AT_FDCWD, missing, O_RDONLY|O_CLOEXEC) */
	mov $-100, %edi
	lea missing(%rip), %rsi
	mov $0x80000, %edx
	syscall

	mov $257, %eax			/* openat(AT_FDCWD, "/dev/null", O_RDONLY) */
	mov $-100, %edi
	lea devnull(%rip), %rsi
	xor %edx, %edx
	syscall
	mov %rax, %r12

	xor %eax, %eax			/* read(fd, buf, 16) = 0 */
	mov %r12, %rdi
	lea buf(%rip), %rsi
	mov $16, %edx
	syscall

	mov $5, %eax			/* fstat(fd, &st) */
	mov %r12, %rdi
	lea statbuf(%rip), %rsi
	syscall

	mov $3, %eax			/* close(fd) */
	mov %r12, %rdi
	syscall

	mov $9, %eax			/* mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) */
	xor %edi, %edi
	mov $8192, %esi
	mov $3, %edx
	mov $0x22, %r10d
	mov $-1, %r8
	xor %r9d, %r9d
	syscall
	mov %rax, %r13

	mov $10, %eax			/* mprotect(p, 4096, PROT_READ) */
	mov %r13, %rdi
	mov $4096, %esi
	mov $1, %edx
	syscall

	mov $11, %eax			/* munmap(p, 8192) */
	mov %r13, %rdi
	mov $8192, %esi
	syscall

	mov $14, %eax			/* rt_sigprocmask(SIG_BLOCK, [INT TERM], oldset, 8) */
	xor %edi, %edi
	lea sigset(%rip), %rsi
	lea oldset(%rip), %rdx
	mov $8, %r10d
	syscall

	mov $21, %eax			/* access(missing, R_OK|W_OK) */
	lea missing(%rip), %rdi
	mov $6, %esi
	syscall

	mov $231, %eax			/* exit_group(3) */
	mov $3, %edi
	syscall
	hlt

	.section .rodata
msg:	.ascii "hello\tworld\n\001"
	.set msglen, . - msg
missing: .asciz "/nonexistent/file"
devnull: .asciz "/dev/null"
sigset:	.quad (1 << 1) | (1 << 14)	/* SIGINT, SIGTERM */

	.bss
	.align 16
buf:	.space 16
statbuf: .space 144
oldset:	.space 8
