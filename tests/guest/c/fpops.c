/* Scalar floating point: SSE arithmetic and conversions on edge values
 * (NaN, infinities, denormals, -0, values beyond integer range), ordered and
 * unordered comparisons, and x87 long double arithmetic. */
#include <float.h>
#include <math.h>
#include "common.h"

static const double dv[] = {
	0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.7, -3.7, 1e-310, -1e-310,
	2.2250738585072014e-308, 1e300, -1e300, 9.2233720368547758e18, -9.2233720368547758e18,
	1.8446744073709552e19, 4294967296.0, 2147483647.5, -2147483648.5, 4503599627370497.0,
	DBL_MAX, INFINITY, -INFINITY, NAN,
};
#define ND (sizeof dv / sizeof dv[0])

static uint64_t bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}
static uint32_t fbits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

/* Conversions with the instructions' own out-of-range results. */
static int64_t cvttsd2si64(double d)
{
	int64_t r;
	__asm__("cvttsd2si %1, %0" : "=r"(r) : "x"(d));
	return r;
}
static int32_t cvttsd2si32(double d)
{
	int32_t r;
	__asm__("cvttsd2si %1, %0" : "=r"(r) : "x"(d));
	return r;
}
static int64_t cvtsd2si64(double d)
{
	int64_t r;
	__asm__("cvtsd2si %1, %0" : "=r"(r) : "x"(d));
	return r;
}
static uint64_t sqrtsd(double d)
{
	__asm__("sqrtsd %0, %0" : "+x"(d));
	return bits(d);
}
static unsigned comisd(double a, double b)
{
	uint64_t f;
	__asm__("comisd %2, %1\n\tpushfq\n\tpop %0" : "=r"(f) : "x"(a), "x"(b) : "cc");
	return (unsigned)(f & 0x8d5);
}
static unsigned ucomisd(double a, double b)
{
	uint64_t f;
	__asm__("ucomisd %2, %1\n\tpushfq\n\tpop %0" : "=r"(f) : "x"(a), "x"(b) : "cc");
	return (unsigned)(f & 0x8d5);
}
static uint64_t cmpsd(double a, double b, int pred)
{
	double r = a;
	switch (pred) {
	case 0: __asm__("cmpeqsd %1, %0" : "+x"(r) : "x"(b)); break;
	case 1: __asm__("cmpltsd %1, %0" : "+x"(r) : "x"(b)); break;
	case 2: __asm__("cmplesd %1, %0" : "+x"(r) : "x"(b)); break;
	case 3: __asm__("cmpunordsd %1, %0" : "+x"(r) : "x"(b)); break;
	case 4: __asm__("cmpneqsd %1, %0" : "+x"(r) : "x"(b)); break;
	case 5: __asm__("cmpnltsd %1, %0" : "+x"(r) : "x"(b)); break;
	case 6: __asm__("cmpnlesd %1, %0" : "+x"(r) : "x"(b)); break;
	default: __asm__("cmpordsd %1, %0" : "+x"(r) : "x"(b)); break;
	}
	return bits(r);
}
static uint64_t minsd(double a, double b)
{
	__asm__("minsd %1, %0" : "+x"(a) : "x"(b));
	return bits(a);
}
static uint64_t maxsd(double a, double b)
{
	__asm__("maxsd %1, %0" : "+x"(a) : "x"(b));
	return bits(a);
}
static uint32_t mxcsr_after(double a, double b, int op)
{
	uint32_t m = 0x1f80, out;
	__asm__ volatile("ldmxcsr %0" : : "m"(m));
	volatile double r;
	switch (op) {
	case 0: r = a + b; break;
	case 1: r = a * b; break;
	case 2: r = a / b; break;
	default: r = (double)(float)a; break;
	}
	(void)r;
	__asm__ volatile("stmxcsr %0" : "=m"(out));
	return out & 0x3f;
}

int main(void)
{
	hash_t h;
	for (size_t i = 0; i < ND; i++) {
		double a = dv[i];
		float f = (float)a;
		printf("%-24.17g %016llx f=%08x tsi64 %lld tsi32 %d si64 %lld sqrt %016llx "
		       "i64->d %016llx u64 %llu f->d %016llx\n",
		       a, (unsigned long long)bits(a), fbits(f), (long long)cvttsd2si64(a),
		       cvttsd2si32(a), (long long)cvtsd2si64(a), (unsigned long long)sqrtsd(a),
		       (unsigned long long)bits((double)(int64_t)bits(a)),
		       (unsigned long long)(a >= 0 && a < 1.8446744073709552e19 ? (uint64_t)a : 0),
		       (unsigned long long)bits((double)f));
	}
	for (size_t i = 0; i < ND; i++) {
		hinit(&h);
		for (size_t j = 0; j < ND; j++) {
			double a = dv[i], b = dv[j];
			volatile double va = a, vb = b;
			hu64(&h, bits(va + vb));
			hu64(&h, bits(va - vb));
			hu64(&h, bits(va * vb));
			hu64(&h, bits(va / vb));
			hu64(&h, fbits((float)va + (float)vb));
			hu64(&h, fbits((float)va / (float)vb));
			hu64(&h, comisd(a, b) | ucomisd(a, b) << 12);
			for (int p = 0; p < 8; p++)
				hu64(&h, cmpsd(a, b, p));
			hu64(&h, minsd(a, b));
			hu64(&h, maxsd(a, b));
			hu64(&h, (uint64_t)((va < vb) | (va <= vb) << 1 | (va == vb) << 2 | (va != vb) << 3 |
					    (va > vb) << 4 | (va >= vb) << 5));
			for (int op = 0; op < 4; op++)
				hu64(&h, mxcsr_after(a, b, op));
		}
		printf("pairs with %-24.17g: %016llx\n", dv[i], (unsigned long long)h.h);
	}
	/* Integer to floating conversions. */
	static const int64_t iv[] = {0, 1, -1, 2147483647, -2147483648LL, 9007199254740993LL,
				     INT64_MAX, INT64_MIN, 123456789012345LL};
	for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++)
		printf("int %lld: d %016llx f %08x u->d %016llx u->f %08x\n", (long long)iv[i],
		       (unsigned long long)bits((double)iv[i]), fbits((float)iv[i]),
		       (unsigned long long)bits((double)(uint64_t)iv[i]), fbits((float)(uint64_t)iv[i]));
	/* x87: long double arithmetic, conversions and comparisons. */
	long double lv[] = {0.0L, 1.0L, -1.0L, 0.1L, 1.0L / 3.0L, 1e308L * 10.0L, 1e-4940L,
			    18446744073709551615.0L, -9223372036854775808.0L, (long double)INFINITY,
			    (long double)NAN};
	for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++) {
		long double x = lv[i];
		volatile long double vx = x, three = 3.0L;
		unsigned char raw[10];
		memcpy(raw, &x, 10);
		printf("ld %.21Lg raw", x);
		for (int k = 9; k >= 0; k--)
			printf("%02x", raw[k]);
		long double s = vx * three + vx / three - vx;
		printf(" expr %.21Lg d %.17g ll %lld cmp %d%d%d sqrt %.21Lg\n", s, (double)x,
		       isnan(x) || isinf(x) || fabsl(x) > 9e18L ? 0LL : (long long)x,
		       vx < three, vx == three, vx > three, sqrtl(fabsl(x)));
	}
	long double acc = 1.0L;
	for (int i = 1; i < 60; i++)
		acc = acc * (long double)i / (long double)(i + 1) + 1.0L / (long double)i;
	printf("x87 loop %.21Lg\n", acc);
	/* Float-heavy loop compiled to SSE. */
	double s = 0;
	float fs = 0;
	for (int i = 1; i < 20000; i++) {
		s += 1.0 / ((double)i * i);
		fs += 1.0f / (float)i;
	}
	printf("sums %.17g %.9g\n", s, fs);
	return 0;
}
