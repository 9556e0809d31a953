/* The mmap family with huge lengths (0 up to SIZE_MAX) at a fixed address
 * where Go keeps its heap: mmap, munmap, mprotect, madvise, mremap. Results
 * and errno must be the kernel's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, const char *where, long r, uint64_t fixed)
{
	if (r < 0 && r > -4096)
		printf("%-20s %-24s -1 errno %ld\n", what, where, -r);
	else if (fixed != 0 && (uint64_t)r == fixed)
		printf("%-20s %-24s =addr\n", what, where);
	else if (fixed != 0)
		printf("%-20s %-24s other address\n", what, where);
	else
		printf("%-20s %-24s %ld\n", what, where, r);
}

/* Raw syscalls: libc wrappers check some arguments themselves. */
static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);
	return r < 0 ? -errno : r;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const long anon = MAP_PRIVATE | MAP_ANONYMOUS;
	const struct {
		const char *name;
		uint64_t n;
	} len[] = {
		{"0", 0},
		{"1 TiB", 1ull << 40},
		{"128 TiB", 1ull << 47},
		{"2^63", 1ull << 63},
		{"SIZE_MAX", ~0ull},
		{"SIZE_MAX-4095", ~0ull - 4095},
	};
	for (size_t i = 0; i < sizeof len / sizeof len[0]; i++) {
		const char *w = len[i].name;
		uint64_t n = len[i].n;
		long r = sys(SYS_mmap, 0, n, PROT_NONE, anon | MAP_NORESERVE, -1, 0);
		if (r < 0 && r > -4096) {
			show("mmap length", w, r, 0);
		} else {
			printf("%-20s %-24s mapped\n", "mmap length", w);
			sys(SYS_munmap, r, n, 0, 0, 0, 0);
		}
		show("munmap length", w, sys(SYS_munmap, 0xc000000000l, n, 0, 0, 0, 0), 0);
		show("mprotect length", w, sys(SYS_mprotect, 0xc000000000l, n, PROT_READ, 0, 0, 0), 0);
		show("madvise length", w, sys(SYS_madvise, 0xc000000000l, n, MADV_DONTNEED, 0, 0, 0), 0);
		show("mremap to length", w, sys(SYS_mremap, 0xc000000000l, 4096, n, MREMAP_MAYMOVE, 0, 0), 0);
	}
	return 0;
}
