/* /proc/self/mem is the process's own memory: reading it at the address of
 * a variable gives the variable, and where nothing is mapped (where Go keeps
 * its heap, past guestrun's window) it fails with EIO. Under guestrun the
 * offsets must be guest addresses, never guestrun's own memory. Only reads:
 * a write would corrupt whatever it reached. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile uint64_t global = 0x1122334455667788ull;

static void peek(int fd, const char *what, uint64_t off, const volatile void *expect)
{
	uint64_t v = 0;
	ssize_t n = pread(fd, &v, sizeof v, (off_t)off);
	if (n < 0)
		printf("%-24s -1 errno %d\n", what, errno);
	else if (expect != NULL)
		printf("%-24s %zd bytes, %s\n", what, n, memcmp(&v, (const void *)expect, sizeof v) == 0 ? "the variable" : "something else");
	else
		printf("%-24s %zd bytes\n", what, n);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int fd = open("/proc/self/mem", O_RDONLY);
	if (fd < 0) {
		printf("open /proc/self/mem: errno %d\n", errno);
		return 0;
	}
	uint64_t *heap = malloc(sizeof *heap);
	*heap = 0x8877665544332211ull;
	uint64_t stack = 0x0102030405060708ull;
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(m, "mmapped!", 8);
	peek(fd, "global", (uint64_t)&global, &global);
	peek(fd, "heap", (uint64_t)heap, heap);
	peek(fd, "stack", (uint64_t)&stack, &stack);
	peek(fd, "mmap", (uint64_t)m, m);
	munmap(m, 4096);
	peek(fd, "unmapped", (uint64_t)m, NULL);
	peek(fd, "go heap", 0xc000000000ull, NULL);
	peek(fd, "window end", 0x40000000000ull, NULL);
	peek(fd, "user 0x7f", 0x7f0000000000ull, NULL);
	peek(fd, "kernel half", 0xffff800000000000ull, NULL);
	return 0;
}
