/* Benchmark: the syscall round trip, argv[1] getppid calls through
 * syscall(2), so that no libc caches the answer. With BENCH_TIME set,
 * stderr gives the nanoseconds per call, for scripts/bench.sh. */
#include "common.h"
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	long first = syscall(SYS_getppid), differ = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		differ += syscall(SYS_getppid) != first;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("getppid %ld: %ld differ\n", n, differ);
	if (getenv("BENCH_TIME")) {
		double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
		fprintf(stderr, "bench_getppid: ns/op %.1f\n", n ? ns / n : 0);
	}
	return differ != 0;
}
