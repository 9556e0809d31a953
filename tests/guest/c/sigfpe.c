/* Dies of SIGFPE from integer division: argv[1] is div0 (x / 0) or intmin
 * (INT64_MIN / -1, which overflows the quotient). */
#include <limits.h>
#include "common.h"

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "div0";
	volatile int64_t a = 10, b = 0;
	if (!strcmp(how, "intmin")) {
		a = INT64_MIN;
		b = -1;
	}
	printf("dividing (%s)\n", how);
	fflush(stdout);
	printf("%lld\n", (long long)(a / b));
	printf("not reached\n");
	return 0;
}
