/* printf of integers and floating point in many formats. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	long long iv[] = {0, 1, -1, 42, -42, 2147483647, -2147483648LL, 9223372036854775807LL, 1000000007};
	for (unsigned i = 0; i < sizeof iv / sizeof iv[0]; i++)
		printf("%d %5d %-5d| %lld %llx %llo %#llx %+lld %u %c\n", (int)iv[i], (int)iv[i], (int)iv[i],
		       iv[i], iv[i], iv[i], iv[i], iv[i], (unsigned)iv[i], 'A' + (int)(iv[i] & 15));
	double dv[] = {0.0, -0.0, 1.0, -1.5, 3.141592653589793, 1e-300, 6.02214076e23, 0.1, 1.0 / 3, 123456.789,
		       2.5e-5, 1e100};
	for (unsigned i = 0; i < sizeof dv / sizeof dv[0]; i++)
		printf("%f %.3f %e %.10g %g %a %10.2f\n", dv[i], dv[i], dv[i], dv[i], dv[i], dv[i], dv[i]);
	double acc = 0;
	for (int i = 1; i <= 50; i++) {
		acc += 1.0 / (i * i);
		char s[64];
		snprintf(s, sizeof s, "%.17g", acc);
		double back = strtod(s, NULL);
		if (back != acc)
			printf("round trip failed at %d\n", i);
	}
	printf("%.15f %s\n", acc, "done");
	return 0;
}
