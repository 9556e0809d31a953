/* Deep recursion (the stack grows by megabytes), mutual recursion, and
 * calls through function pointers and variadic functions. */
#include <stdarg.h>
#include "common.h"

static uint64_t deep(uint64_t n, volatile char *prev)
{
	volatile char frame[512];
	frame[0] = (char)n;
	frame[511] = prev ? prev[0] : 0;
	if (n == 0)
		return 1;
	return deep(n - 1, frame) + (uint64_t)frame[0] + (uint64_t)(unsigned char)frame[511];
}

static int is_even(unsigned n);
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }

static uint64_t ack(uint64_t m, uint64_t n)
{
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ack(m - 1, 1);
	return ack(m - 1, ack(m, n - 1));
}

static long sum(int count, ...)
{
	va_list ap;
	va_start(ap, count);
	long s = 0;
	for (int i = 0; i < count; i++)
		s += i % 3 == 2 ? (long)va_arg(ap, double) : va_arg(ap, long);
	va_end(ap);
	return s;
}

typedef uint64_t (*op)(uint64_t, uint64_t);
static uint64_t o_add(uint64_t a, uint64_t b) { return a + b; }
static uint64_t o_mul(uint64_t a, uint64_t b) { return a * b + 1; }
static uint64_t o_xor(uint64_t a, uint64_t b) { return (a ^ b) * 3; }

int main(void)
{
	/* About 10000 * 600 bytes = 6 MB of stack. */
	printf("deep %llu\n", (unsigned long long)deep(10000, NULL));
	printf("even %d %d\n", is_even(100001), is_even(50000));
	printf("ack(2,300) %llu ack(3,6) %llu\n", (unsigned long long)ack(2, 300),
	       (unsigned long long)ack(3, 6));
	printf("varargs %ld\n", sum(9, 1L, 2L, 3.9, 4L, 5L, 6.5, 7L, 8L, 9.99));
	op ops[] = {o_add, o_mul, o_xor};
	uint64_t acc = 1;
	for (int i = 0; i < 100000; i++)
		acc = ops[(acc >> 7) % 3](acc, (uint64_t)i);
	printf("indirect %016llx\n", (unsigned long long)acc);
	return 0;
}
