/* Benchmark: an integer loop (hashing, branches, shifts). argv[1] is the
 * number of iterations. */
#include "common.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000000;
	uint64_t a = 1, b = 2, c = 3;
	for (long i = 0; i < n; i++) {
		a += b ^ (uint64_t)i;
		b = (b << 7 | b >> 57) + c;
		c ^= a >> 3;
		if (a & 1)
			c += 0x9e3779b97f4a7c15ull;
		else
			b -= c;
	}
	printf("intloop %ld: %016llx\n", n, (unsigned long long)(a ^ b ^ c));
	return 0;
}
