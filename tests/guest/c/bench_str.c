/* Benchmark: string functions (memcpy, strlen, strchr, strcmp, memset,
 * strstr) on mixed lengths, argv[1] rounds. */
#include "common.h"

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 20000;
	static char a[8192], b[8192];
	for (int i = 0; i < 8191; i++)
		a[i] = (char)('a' + (i * 7) % 26);
	uint64_t acc = 0;
	for (long r = 0; r < rounds; r++) {
		size_t len = (size_t)(16 + (r * 131) % 8000);
		a[len] = 0;
		memcpy(b, a, len + 1);
		acc += strlen(b);
		acc += (uint64_t)(strchr(b, 'z') - b);
		acc += (uint64_t)(strcmp(a, b) == 0);
		b[len / 2] = 'A';
		acc += (uint64_t)(strcmp(a, b) > 0);
		char *p = strstr(b, "hovc");
		acc += p ? (uint64_t)(p - b) : 1;
		memset(b, 'x', len);
		acc += (uint64_t)(memchr(b, 0, len + 1) != NULL);
		a[len] = (char)('a' + (len * 7) % 26);
	}
	printf("str %ld: %llu\n", rounds, (unsigned long long)acc);
	return 0;
}
