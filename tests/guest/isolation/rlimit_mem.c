/* RLIMIT_AS and RLIMIT_DATA are the guest's: with a limit a little above
 * what the process uses (the sum of /proc/self/maps), mmap, mremap and brk
 * fail with ENOMEM past it, as in Linux, and guestrun itself, whose address
 * space is far larger, goes on. RLIMIT_DATA counts only private writable
 * memory that is not the stack. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define MB (1ul << 20)

/* usage sums the mappings of /proc/self/maps: all of them, or the data
 * ones (rw-p, not the stack). */
static unsigned long usage(int data)
{
	static char line[512];
	unsigned long total = 0, lo, hi;
	FILE *f = fopen("/proc/self/maps", "r");
	while (fgets(line, sizeof line, f)) {
		char perm[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) != 3)
			continue;
		if (data && (strcmp(perm, "rw-p") != 0 || strstr(line, "[stack]")))
			continue;
		total += hi - lo;
	}
	fclose(f);
	return total;
}

static void *map(unsigned long n, int prot, int flags)
{
	return mmap(NULL, n, prot, flags | MAP_ANONYMOUS, -1, 0);
}

static void result(const char *what, int ok)
{
	printf("%-40s %s\n", what, ok ? "ok" : strerror(errno));
	errno = 0;
}

int main(void)
{
	static char outbuf[4096];
	setvbuf(stdout, outbuf, _IOLBF, sizeof outbuf);
	printf("RLIMIT_AS\n");
	/* The first fopen allocates its buffer after guestrun has made the
	 * maps file's contents (Linux makes them at each read). */
	usage(0);
	struct rlimit r = {usage(0) + 16 * MB, RLIM_INFINITY};
	setrlimit(RLIMIT_AS, &r);
	char *a = map(8 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	result("mmap 8 MiB", a != MAP_FAILED);
	result("mmap 12 MiB more", map(12 * MB, PROT_NONE, MAP_PRIVATE) != MAP_FAILED);
	result("mmap 12 MiB shared", map(12 * MB, PROT_READ, MAP_SHARED) != MAP_FAILED);
	result("mremap 8 to 20 MiB", mremap(a, 8 * MB, 20 * MB, MREMAP_MAYMOVE) != MAP_FAILED);
	result("mremap 8 to 4 MiB", mremap(a, 8 * MB, 4 * MB, 0) != MAP_FAILED);
	result("mmap 12 MiB after shrinking", map(12 * MB, PROT_NONE, MAP_PRIVATE) != MAP_FAILED);
	result("sbrk 8 MiB more", sbrk(8 * MB) != (void *)-1);
	r.rlim_cur = RLIM_INFINITY;
	setrlimit(RLIMIT_AS, &r);
	result("mmap 64 MiB without the limit", map(64 * MB, PROT_NONE, MAP_PRIVATE) != MAP_FAILED);

	printf("RLIMIT_DATA\n");
	r.rlim_cur = usage(1) + 16 * MB;
	setrlimit(RLIMIT_DATA, &r);
	result("mmap 8 MiB read-write", map(8 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE) != MAP_FAILED);
	result("mmap 12 MiB read-write more", map(12 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE) != MAP_FAILED);
	result("mmap 12 MiB read-only", map(12 * MB, PROT_READ, MAP_PRIVATE) != MAP_FAILED);
	result("mmap 12 MiB shared read-write", map(12 * MB, PROT_READ | PROT_WRITE, MAP_SHARED) != MAP_FAILED);
	result("sbrk 12 MiB", sbrk(12 * MB) != (void *)-1);
	result("sbrk 1 MiB", sbrk(1 * MB) != (void *)-1);
	return 0;
}
