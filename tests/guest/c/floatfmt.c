/* printf and strtod of floating point: %f %e %g %a at many precisions,
 * denormals, infinities, NaN, long double, and round trips. */
#include <float.h>
#include <math.h>
#include "common.h"

static const double dv[] = {
	0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, -2.5, 3.14159265358979323846,
	1e-300, 1e300, 123456789.123456789, 9007199254740993.0, 1.0 / 3.0, 2.0 / 3.0,
	0.000123456, 1e21, 1e22, 1e-7, 5e-324, 2.2250738585072014e-308,
	2.2250738585072009e-308, 1.7976931348623157e308, 4.9406564584124654e-324,
	0.9999999999999999, 999999.9999999, 0.05, 0.15, 0.25, 0.35, 1e15 + 0.3,
	-123.456e-10, 6.02214076e23,
};

int main(void)
{
	static const char *fmts[] = {"%f", "%.0f", "%.1f", "%.3f", "%.17f", "%e", "%.0e", "%.3e",
				     "%.20e", "%g", "%.1g", "%.6g", "%.17g", "%#g", "%a", "%.3a",
				     "%A", "%+.2f", "% e", "%012.4f", "%-14g|", "%#.0f", "%#x"};
	char buf[512];
	for (size_t i = 0; i < sizeof dv / sizeof dv[0]; i++) {
		double d = dv[i];
		printf("[%zu]", i);
		for (size_t f = 0; f + 1 < sizeof fmts / sizeof fmts[0]; f++) {
			snprintf(buf, sizeof buf, fmts[f], d);
			printf(" %s", buf);
		}
		printf("\n");
		/* Round trip through the shortest exact form. */
		snprintf(buf, sizeof buf, "%.17g", d);
		double back = strtod(buf, NULL);
		printf("  roundtrip %s %s\n", buf, memcmp(&back, &d, 8) ? "CHANGED" : "ok");
	}
	double specials[] = {INFINITY, -INFINITY, NAN, -NAN, HUGE_VAL};
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
		printf("special %f %e %g %a %F %E %G %10.3f|%-10f|\n", specials[i], specials[i],
		       specials[i], specials[i], specials[i], specials[i], specials[i], specials[i],
		       specials[i]);
	/* Every denormal power of two, and neighbours of boundaries. */
	for (int e = -1074; e <= -1020; e += 3) {
		double d = ldexp(1.0, e);
		printf("2^%d = %.17g %a %.5e\n", e, d, d, nextafter(d, 1.0));
	}
	/* Floats through varargs promotion. */
	float fv[] = {0.1f, 1.0f / 3.0f, FLT_MAX, FLT_MIN, FLT_TRUE_MIN, 16777217.0f, -0.0f};
	for (size_t i = 0; i < sizeof fv / sizeof fv[0]; i++)
		printf("float %.9g %a %f %e\n", fv[i], fv[i], fv[i], fv[i]);
	/* Long double: x87 extended precision. */
	long double lv[] = {1.0L / 3.0L, 3.14159265358979323846264338327950288L, LDBL_MAX, LDBL_MIN,
			    LDBL_TRUE_MIN, 1e4000L, -1e-4000L, 0.1L, 12345678901234567890.0L,
			    (long double)INFINITY, (long double)NAN};
	for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
		printf("long %.4Lf %.25Le %Lg %.21Lg %La\n", fabsl(lv[i]) < 1e30L ? lv[i] : 0.0L,
		       lv[i], lv[i], lv[i], lv[i]);
	for (int i = 0; i < 40; i++) {
		long double x = (long double)i / 7.0L + (long double)i * 1e10L;
		printf("ld %d %.22Lg %.20Lf\n", i, x, x * x);
	}
	/* Many values with fixed precision: exercises the dtoa paths. */
	hash_t h;
	hinit(&h);
	for (int i = 0; i < 1000; i++) {
		uint64_t bits = rnd();
		double d;
		memcpy(&d, &bits, 8);
		int n = snprintf(buf, sizeof buf, "%.17g %a %.3f", d, d, fmod(d, 1e6));
		hbytes(&h, buf, (size_t)n);
		double back = strtod(buf, NULL);
		if (!isnan(d) && memcmp(&back, &d, 8))
			printf("roundtrip failed %s\n", buf);
	}
	printf("random hash %016llx\n", (unsigned long long)h.h);
	/* strtod on awkward inputs. */
	static const char *in[] = {"1e-400", "1e400", "0x1.fffffffffffffp1023", "0x1p-1074",
				   "nan(123)", "-inf", "infinity", "  +3.5e+2xyz", ".5", "5.",
				   "2.4703282292062327e-324", "2.4703282292062328e-324",
				   "1.00000000000000011102230246251565404236316680908203125",
				   "0.1e-1", "-0", "1e", "e5", "0x", "123456789012345678901234567890"};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		char *end;
		double d = strtod(in[i], &end);
		float f = strtof(in[i], NULL);
		long double l = strtold(in[i], NULL);
		printf("strtod(%s) = %.17g %a end+%ld f=%.9g l=%.21Lg\n", in[i], d, d,
		       (long)(end - in[i]), f, l);
	}
	return 0;
}
