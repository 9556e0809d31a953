/* Number parsing and formatting in stdio and stdlib: strtol family on
 * every base and edge, sscanf, integer printf flags, snprintf truncation. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include "common.h"

int main(void)
{
	static const char *in[] = {"0", "-0", "42", "-42", "+7", "  12abc", "0x1F", "0X1f", "017",
				   "08", "0b101", "9223372036854775807", "9223372036854775808",
				   "-9223372036854775808", "-9223372036854775809",
				   "18446744073709551615", "18446744073709551616", "-1", "zz", "",
				   "  -0x80000000", "2147483648", "z", "1e5", "\t\n 99"};
	static const int bases[] = {0, 2, 8, 10, 16, 36};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
			char *e1, *e2;
			errno = 0;
			long l = strtol(in[i], &e1, bases[b]);
			int err1 = errno;
			errno = 0;
			unsigned long long u = strtoull(in[i], &e2, bases[b]);
			int err2 = errno;
			printf("%-24s base %2d: strtol %ld end+%ld errno %d; strtoull %llu end+%ld errno %d\n",
			       in[i], bases[b], l, (long)(e1 - in[i]), err1, u, (long)(e2 - in[i]), err2);
		}
	printf("atoi %d atol %ld atoll %lld\n", atoi(" -123x"), atol("99999999999"), atoll("-5"));
	/* sscanf. */
	int a, b2, n;
	unsigned x;
	double d;
	char s[32], c;
	int r = sscanf("12 0x1f 3.5e2 word q rest", "%d %x %lf %31s %c%n", &a, &x, &d, s, &c, &n);
	printf("sscanf %d: %d %u %g %s %c consumed %d\n", r, a, x, d, s, c, n);
	r = sscanf("2024-02-29T13:45:07", "%4d-%2d-%2dT%2d:%2d:%2d", &a, &b2, &n, &a, &b2, &n);
	printf("sscanf date %d\n", r);
	r = sscanf("abc", "%d", &a);
	printf("sscanf fail %d\n", r);
	r = sscanf("", "%d", &a);
	printf("sscanf empty %d\n", r);
	char set[16];
	r = sscanf("aaabbbccc", "%[ab]%n", set, &n);
	printf("sscanf set %d %s %d\n", r, set, n);
	int64_t i64;
	uint16_t u16;
	r = sscanf("-9000000000 65535", "%" SCNd64 " %" SCNu16, &i64, &u16);
	printf("sscanf inttypes %d %" PRId64 " %" PRIu16 "\n", r, i64, u16);
	/* Integer formatting. */
	static const long long iv[] = {0, 1, -1, 42, -42, 255, 65535, INT_MAX, INT_MIN, LLONG_MAX,
				       LLONG_MIN};
	for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++)
		printf("[%lld] [%5lld] [%-5lld] [%05lld] [%+lld] [% lld] [%llx] [%#llx] [%llo] [%#llo] [%llX] [%.3lld] [%hhd] [%hd] [%lu]\n",
		       iv[i], iv[i], iv[i], iv[i], iv[i], iv[i], (unsigned long long)iv[i],
		       (unsigned long long)iv[i], (unsigned long long)iv[i], (unsigned long long)iv[i],
		       (unsigned long long)iv[i], iv[i], (signed char)iv[i], (short)iv[i],
		       (unsigned long)iv[i]);
	printf("[%s] [%10s] [%-10s] [%.2s] [%c] [%5c] [%%] [%*d] [%-*d] [%.*s]\n", "str", "right",
	       "left", "truncate", 'x', 'y', 7, 3, 7, 3, 4, "precision");
	char buf[8];
	int len = snprintf(buf, sizeof buf, "%s", "0123456789");
	printf("snprintf truncated to '%s' would be %d\n", buf, len);
	len = snprintf(NULL, 0, "%d-%s", 12345, "abc");
	printf("snprintf NULL %d\n", len);
	/* Big formatted output through stdout's buffer. */
	hash_t h;
	hinit(&h);
	char line[128];
	for (int i = 0; i < 5000; i++) {
		int m = snprintf(line, sizeof line, "%d:%x:%o:%s:%c|", i * 7919, i, i, i & 1 ? "odd" : "even",
				 'a' + i % 26);
		hbytes(&h, line, (size_t)m);
	}
	printf("formatted %016llx\n", (unsigned long long)h.h);
	return 0;
}
