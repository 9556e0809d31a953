/* The mmap family with wild addresses: hints and fixed addresses where Go
 * keeps its heap, inside the top of guestrun's window, in the kernel half and
 * non-canonical; munmap, mprotect, madvise, msync, mincore, mremap and mlock
 * on them (huge lengths are in wildmmap_len). Results and errno must be the
 * kernel's; addresses are printed only when fixed. Not tested:
 * MAP_FIXED mappings above 4 TiB, which Linux allows and guestrun's window
 * cannot hold. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
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

static sigjmp_buf env;
static void on_segv(int sig)
{
	siglongjmp(env, sig);
}

/* touch reports whether a byte at a can be written and read back. A fault
 * anywhere else stays fatal. */
static const char *touch(uint64_t a)
{
	const char *how = "faults";
	signal(SIGSEGV, on_segv);
	if (sigsetjmp(env, 1) == 0) {
		*(volatile char *)a = 1;
		how = *(volatile char *)a == 1 ? "usable" : "wrong";
	}
	signal(SIGSEGV, SIG_DFL);
	return how;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const long anon = MAP_PRIVATE | MAP_ANONYMOUS, rw = PROT_READ | PROT_WRITE;
	const struct {
		const char *name;
		uint64_t addr;
	} wild[] = {
		{"go heap", 0xc000000000ull},
		{"go heap+4K", 0xc000001000ull},
		{"top of window", 0x3ffff000000ull},
		{"last window page", 0x3fffffff000ull},
		{"first non-canonical", 0x800000000000ull},
		{"non-canonical 0xdead", 0xdeadbeefdead0000ull},
		{"kernel half", 0xffff800000000000ull},
		{"last page", 0xfffffffffffff000ull},
		{"unaligned", 0xc000000123ull},
	};
	for (size_t i = 0; i < sizeof wild / sizeof wild[0]; i++) {
		const char *w = wild[i].name;
		uint64_t a = wild[i].addr;
		long r;
		/* Inside the window and canonical: map it, use it, unmap it. */
		int inside = a + 4096 <= 0x40000000000ull;
		show("munmap unmapped", w, sys(SYS_munmap, a, 4096, 0, 0, 0, 0), 0);
		show("mprotect unmapped", w, sys(SYS_mprotect, a, 4096, PROT_READ, 0, 0, 0), 0);
		show("madvise unmapped", w, sys(SYS_madvise, a, 4096, MADV_DONTNEED, 0, 0, 0), 0);
		show("msync unmapped", w, sys(SYS_msync, a, 4096, MS_SYNC, 0, 0, 0), 0);
		show("mlock unmapped", w, sys(SYS_mlock, a, 4096, 0, 0, 0, 0), 0);
		show("mremap unmapped", w, sys(SYS_mremap, a, 4096, 8192, MREMAP_MAYMOVE, 0, 0), 0);
		unsigned char vec[2];
		show("mincore unmapped", w, sys(SYS_mincore, a, 4096, (long)vec, 0, 0, 0), 0);
		show("fixed_noreplace", w, r = sys(SYS_mmap, a, 4096, rw, anon | MAP_FIXED_NOREPLACE, -1, 0), a);
		if (inside && r == (long)a) {
			printf("%-20s %-24s %s\n", "touch", w, touch(a));
			show("mprotect mapped", w, sys(SYS_mprotect, a, 4096, PROT_READ, 0, 0, 0), 0);
			printf("%-20s %-24s %s\n", "touch read-only", w, touch(a));
			show("mincore mapped", w, sys(SYS_mincore, a, 4096, (long)vec, 0, 0, 0), 0);
			show("mincore wild vec", w, sys(SYS_mincore, a, 4096, 0xc000000000l + 0x100000, 0, 0, 0), 0);
			show("fixed_noreplace again", w, sys(SYS_mmap, a, 4096, rw, anon | MAP_FIXED_NOREPLACE, -1, 0), a);
			show("munmap mapped", w, sys(SYS_munmap, a, 4096, 0, 0, 0, 0), 0);
			printf("%-20s %-24s %s\n", "touch unmapped", w, touch(a));
		}
		show("fixed", w, r = sys(SYS_mmap, a, 4096, rw, anon | MAP_FIXED, -1, 0), a);
		if (r == (long)a)
			sys(SYS_munmap, a, 4096, 0, 0, 0, 0);
		/* A hint is only a hint: any address is fine, but not an error. */
		r = sys(SYS_mmap, a, 4096, rw, anon, -1, 0);
		printf("%-20s %-24s %s\n", "hint", w, r < 0 && r > -4096 ? "error" : "mapped");
		if (!(r < 0 && r > -4096))
			sys(SYS_munmap, r, 4096, 0, 0, 0, 0);
	}
	return 0;
}
