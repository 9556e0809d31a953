/* Self-modifying code: decoded code must never be stale, whether the guest
 * rewrites it with stores or a syscall writes into it. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

typedef int (*fn)(void);

int main(void)
{
	unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	int total = 0;
	for (int i = 0; i < 100; i++) {
		unsigned char code[] = { 0xb8, i, 0, 0, 0, 0xc3 }; /* mov eax, i; ret */
		memcpy(p, code, sizeof code);
		total += ((fn)p)();
	}
	printf("stores: %d\n", total);

	int fds[2];
	if (pipe(fds))
		return 1;
	unsigned char code2[] = { 0xb8, 77, 0, 0, 0, 0xc3 };
	write(fds[1], code2, sizeof code2);
	printf("read: %zd\n", read(fds[0], p, sizeof code2));
	printf("after read: %d\n", ((fn)p)());

	unsigned char code4[] = { 0xb8, 88, 0, 0, 0, 0xc3 };
	write(fds[1], code4, sizeof code4);
	struct iovec iov[2] = { { p, 2 }, { p + 2, sizeof code4 - 2 } };
	printf("readv: %zd\n", readv(fds[0], iov, 2));
	printf("after readv: %d\n", ((fn)p)());

	/* Code and data on one page: a store next to the running code. */
	unsigned char code3[] = { 0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x2a, /* movb $42, 1(%rip) -> patches next insn's imm */
				  0xb8, 0x00, 0x00, 0x00, 0x00,             /* mov eax, 0 */
				  0xc3 };
	memcpy(p, code3, sizeof code3);
	printf("patched next: %d\n", ((fn)p)());
	return 0;
}
