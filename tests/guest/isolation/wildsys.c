/* Wild pointers handed to system calls: where Go keeps its heap, around the
 * end of guestrun's 4 TiB window, the rest of the user half, the kernel half,
 * non-canonical values, a hole and a read-only page; bad iovec arrays, huge
 * sizes, unterminated paths. The raw syscall results (and errno) must be the
 * kernel's. Buffers that are only partly accessible are in wildsys_partial. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, const char *where, long r)
{
	if (r < 0)
		printf("%-28s %-22s -1 errno %d\n", what, where, errno);
	else
		printf("%-28s %-22s %ld\n", what, where, r);
}

#define T(what, where, call) (errno = 0, show(what, where, (long)(call)))

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + 4096, 4096);
	mprotect(m + 2 * 4096, 4096, PROT_READ);
	char *buf = m, *hole = m + 4096, *ro = m + 2 * 4096;

	int zero = open("/dev/zero", O_RDONLY);
	int file = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(buf, 'd', 64);
	write(file, buf, 64);
	int p[2];
	pipe(p);
	write(p[1], "pipe data", 9);

	const struct {
		const char *name;
		uint64_t addr;
	} wild[] = {
		{"go heap", 0xc000000000ull},
		{"straddling window end", 0x3fffffffff8ull},
		{"window end", 0x40000000000ull},
		{"user 0x7f", 0x7f0000000000ull},
		{"last user page", 0x7ffffffff000ull},
		{"first non-canonical", 0x800000000000ull},
		{"non-canonical 0xdead", 0xdeadbeefdeadbeefull},
		{"kernel half", 0xffff800000000000ull},
		{"-1", ~0ull},
		{"hole", (uint64_t)hole},
		{"read-only page", (uint64_t)ro},
	};

	for (size_t i = 0; i < sizeof wild / sizeof wild[0]; i++) {
		const char *w = wild[i].name;
		void *a = (void *)wild[i].addr;
		struct iovec iov = {a, 16};
		lseek(file, 0, SEEK_SET);
		T("read /dev/zero", w, syscall(SYS_read, zero, a, 16));
		T("read file", w, syscall(SYS_read, file, a, 16));
		T("read pipe", w, syscall(SYS_read, p[0], a, 4));
		T("write pipe", w, syscall(SYS_write, p[1], a, 16));
		T("write file", w, syscall(SYS_write, file, a, 16));
		if (a != ro) /* its bytes would go to the output */
			T("write stdout", w, syscall(SYS_write, 1, a, 16));
		T("pread64", w, syscall(SYS_pread64, file, a, 16, 0));
		T("pwrite64", w, syscall(SYS_pwrite64, file, a, 16, 0));
		T("readv iovec array", w, syscall(SYS_readv, file, a, 1));
		T("writev iovec array", w, syscall(SYS_writev, file, a, 1));
		T("readv iov_base", w, syscall(SYS_readv, zero, &iov, 1));
		T("writev iov_base", w, syscall(SYS_writev, p[1], &iov, 1));
		T("preadv iov_base", w, syscall(SYS_preadv, file, &iov, 1, 0, 0));
		T("getcwd", w, syscall(SYS_getcwd, a, 4096));
		T("stat path", w, syscall(SYS_stat, a, buf));
		T("stat buf", w, syscall(SYS_stat, ".", a));
		T("fstat buf", w, syscall(SYS_fstat, file, a));
		T("open path", w, syscall(SYS_open, a, O_RDONLY));
		T("uname", w, syscall(SYS_uname, a));
		T("clock_gettime", w, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, a));
		T("getrandom", w, syscall(SYS_getrandom, a, 16, 0));
		T("pipe2", w, syscall(SYS_pipe2, a, 0));
		T("rt_sigaction act", w, syscall(SYS_rt_sigaction, SIGUSR1, a, NULL, 8));
		T("rt_sigaction oldact", w, syscall(SYS_rt_sigaction, SIGUSR1, NULL, a, 8));
		T("rt_sigprocmask set", w, syscall(SYS_rt_sigprocmask, SIG_BLOCK, a, NULL, 8));
		T("nanosleep", w, syscall(SYS_nanosleep, a, NULL));
	}

	/* Huge sizes where only the start is used or the size is refused. */
	const struct {
		const char *name;
		uint64_t n;
	} len[] = {
		{"1 GiB", 1ull << 30},
		{"128 TiB", 1ull << 47},
		{"SIZE_MAX", ~0ull},
	};
	for (size_t i = 0; i < sizeof len / sizeof len[0]; i++) {
		const char *w = len[i].name;
		uint64_t n = len[i].n;
		T("getcwd", w, syscall(SYS_getcwd, buf, n));
		T("getrandom up to the hole", w, syscall(SYS_getrandom, buf, n, 0) > 0);
		T("read wild", w, syscall(SYS_read, zero, 0xc000000000ull, n));
		T("write wild", w, syscall(SYS_write, p[1], 0xc000000000ull, n));
	}
	struct iovec two[2] = {{buf, ~0ull >> 1}, {buf, 2}};
	T("readv sum overflows", "", syscall(SYS_readv, zero, two, 2));
	T("readv 1025 iovecs", "", syscall(SYS_readv, zero, buf, 1025));
	T("readv -1 iovecs", "", syscall(SYS_readv, zero, buf, -1));
	T("getcwd size 1", "", syscall(SYS_getcwd, buf, 1));
	T("getcwd size 0", "", syscall(SYS_getcwd, buf, 0));
	T("getcwd NULL", "", syscall(SYS_getcwd, NULL, 4096));

	/* Paths that run into the hole, with and without room for PATH_MAX. */
	char st[256];
	memset(buf, 'a', 4096);
	T("stat 4096 bytes, no NUL", "", syscall(SYS_stat, buf, st));
	T("stat 1000 bytes, no NUL", "", syscall(SYS_stat, hole - 1000, st));
	T("open 4096 bytes, no NUL", "", syscall(SYS_open, buf, O_RDONLY));
	buf[4095] = 0;
	T("stat 4095 bytes", "", syscall(SYS_stat, buf, st));

	/* What is left in the pipe shows what the failed calls consumed. */
	char rest[64];
	long n = read(p[0], rest, sizeof rest);
	printf("left in the pipe: %ld bytes\n", n);
	return 0;
}
