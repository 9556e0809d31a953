/* A small program with symbols for the gdb test (cli_test.go): a global
 * string, a function called with known arguments, an exit code. It runs as
 * an ordinary comparison too. */
#include <stdio.h>

const char greeting[] = "hello from the guest";
volatile int counter;

__attribute__((noinline)) int bump(int n)
{
	counter += n;
	return counter * 2;
}

int main(void)
{
	int r = 0;
	for (int i = 1; i <= 3; i++)
		r += bump(i);
	printf("%s: %d\n", greeting, r);
	return r & 7;
}
