/* Buffers that are only partly accessible, and huge lengths from a valid
 * start. The kernel checks the whole range against the end of the user half
 * (access_ok), then transfers until it faults: some calls return the bytes
 * done, some EFAULT; some leave a partial copy behind. Each probe starts
 * with the same memory, and prints whether the bytes before the hole
 * changed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static char *buf, *hole, *ro;
static int zero, null, file, p[2];

static void reset(void)
{
	memset(buf, 'x', 4096);
	lseek(file, 0, SEEK_SET);
	char drain[256];
	while (read(p[0], drain, sizeof drain) > 0)
		;
	write(p[1], "0123456789abcdef", 16);
}

static void show(const char *what, long r)
{
	int e = errno;
	int changed = 0;
	for (char *c = hole - 64; c < hole; c++)
		changed |= *c != 'x';
	if (r < 0)
		printf("%-36s -1 errno %d", what, e);
	else
		printf("%-36s %ld", what, r);
	printf("%s\n", changed ? " (bytes before the hole changed)" : "");
}

#define T(what, call) (reset(), errno = 0, show(what, (long)(call)))

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + 4096, 4096);
	mprotect(m + 2 * 4096, 4096, PROT_READ);
	buf = m, hole = m + 4096, ro = m + 2 * 4096;
	zero = open("/dev/zero", O_RDONLY);
	null = open("/dev/null", O_RDWR);
	file = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char data[64];
	memset(data, 'd', sizeof data);
	write(file, data, sizeof data);
	pipe(p);
	fcntl(p[0], F_SETFL, O_NONBLOCK);

	char *h8 = hole - 8;
	struct iovec iov = {h8, 16};
	T("read file, 8 of 16 bytes mapped", syscall(SYS_read, file, h8, 16));
	T("read pipe, 8 of 16 bytes mapped", syscall(SYS_read, p[0], h8, 16));
	T("write file, 8 of 16 bytes mapped", syscall(SYS_write, file, h8, 16));
	T("write pipe, 8 of 16 bytes mapped", syscall(SYS_write, p[1], h8, 16));
	T("write /dev/null, 8 of 16 mapped", syscall(SYS_write, null, h8, 16));
	T("readv /dev/zero, 8 of 16 mapped", syscall(SYS_readv, zero, &iov, 1));
	T("preadv file, 8 of 16 mapped", syscall(SYS_preadv, file, &iov, 1, 0, 0));
	T("writev pipe, 8 of 16 mapped", syscall(SYS_writev, p[1], &iov, 1));
	T("getcwd, 8 bytes mapped", syscall(SYS_getcwd, h8, 4096));
	T("fstat, 8 bytes mapped", syscall(SYS_fstat, file, h8));
	T("clock_gettime, 8 bytes mapped", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, h8));
	T("path runs into the hole", syscall(SYS_open, h8, O_RDONLY));
	T("stat bad path, read-only buffer", syscall(SYS_stat, "/nonexistent", ro));

	const struct {
		const char *name;
		uint64_t n;
	} len[] = {
		{"1 GiB", 1ull << 30},
		{"2 GiB", 1ull << 31},
		{"128 TiB", 1ull << 47},
		{"SSIZE_MAX", ~0ull >> 1},
		{"SIZE_MAX", ~0ull},
	};
	for (size_t i = 0; i < sizeof len / sizeof len[0]; i++) {
		char what[64];
		uint64_t n = len[i].n;
		struct iovec big = {buf, n};
		snprintf(what, sizeof what, "read /dev/zero %s", len[i].name);
		T(what, syscall(SYS_read, zero, buf, n));
		snprintf(what, sizeof what, "read file %s", len[i].name);
		T(what, syscall(SYS_read, file, buf, n));
		snprintf(what, sizeof what, "write /dev/null %s", len[i].name);
		T(what, syscall(SYS_write, null, buf, n));
		snprintf(what, sizeof what, "write pipe %s", len[i].name);
		T(what, syscall(SYS_write, p[1], buf, n));
		snprintf(what, sizeof what, "readv /dev/zero %s", len[i].name);
		T(what, syscall(SYS_readv, zero, &big, 1));
	}
	return 0;
}
