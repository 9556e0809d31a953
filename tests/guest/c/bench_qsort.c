/* Benchmark: qsort of argv[1] random 64-bit integers, three times. */
#include "common.h"

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)atol(argv[1]) : 2000000;
	uint64_t *v = malloc(n * sizeof *v);
	hash_t h;
	hinit(&h);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < n; i++)
			v[i] = rnd();
		qsort(v, n, sizeof *v, cmp);
		hu64(&h, v[0]);
		hu64(&h, v[n / 2]);
		hu64(&h, v[n - 1]);
	}
	printf("qsort %zu: %016llx\n", n, (unsigned long long)h.h);
	free(v);
	return 0;
}
