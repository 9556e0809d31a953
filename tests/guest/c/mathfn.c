/* libm on many inputs, printed with %.17g (double), %.9g (float) and
 * %.21Lg (long double, x87). Also rounding modes and exception flags. */
#include <fenv.h>
#include <math.h>
#include "common.h"

static const double xs[] = {
	0.0, -0.0, 1e-310, 1e-20, 0.1, 0.5, 0.7853981633974483, 1.0, 1.5, 2.0,
	2.718281828459045, 3.141592653589793, 10.0, 100.5, 709.0, 710.0, 1e10, 1e22,
	-0.5, -1.0, -3.0, -745.0, -1e300, INFINITY, -INFINITY, NAN,
};
#define NX (sizeof xs / sizeof xs[0])

int main(void)
{
	struct {
		const char *name;
		double (*fn)(double);
	} f1[] = {
		{"sin", sin}, {"cos", cos}, {"tan", tan}, {"asin", asin}, {"acos", acos},
		{"atan", atan}, {"sinh", sinh}, {"cosh", cosh}, {"tanh", tanh}, {"exp", exp},
		{"exp2", exp2}, {"expm1", expm1}, {"log", log}, {"log2", log2}, {"log10", log10},
		{"log1p", log1p}, {"sqrt", sqrt}, {"cbrt", cbrt}, {"floor", floor}, {"ceil", ceil},
		{"round", round}, {"trunc", trunc}, {"rint", rint}, {"erf", erf}, {"erfc", erfc},
		{"tgamma", tgamma}, {"lgamma", lgamma}, {"fabs", fabs}, {"asinh", asinh},
		{"atanh", atanh},
	};
	for (size_t f = 0; f < sizeof f1 / sizeof f1[0]; f++) {
		printf("%s:", f1[f].name);
		for (size_t i = 0; i < NX; i++)
			printf(" %.17g", f1[f].fn(xs[i]));
		printf("\n");
	}
	struct {
		const char *name;
		double (*fn)(double, double);
	} f2[] = {{"pow", pow}, {"atan2", atan2}, {"hypot", hypot}, {"fmod", fmod},
		  {"remainder", remainder}, {"fmin", fmin}, {"fmax", fmax}, {"copysign", copysign},
		  {"nextafter", nextafter}, {"fdim", fdim}};
	static const double ys[] = {0.0, -0.0, 0.5, 1.0, -1.0, 2.0, 3.0, -2.5, 1e-300, 1e300,
				    INFINITY, NAN};
	for (size_t f = 0; f < sizeof f2 / sizeof f2[0]; f++)
		for (size_t j = 0; j < sizeof ys / sizeof ys[0]; j++) {
			printf("%s(x, %g):", f2[f].name, ys[j]);
			for (size_t i = 0; i < NX; i += 2)
				printf(" %.17g", f2[f].fn(xs[i], ys[j]));
			printf("\n");
		}
	/* Many arguments, hashed. glibc picks FMA versions of sin, cos, tan,
	 * atan, exp, log, pow and friends by CPUID, and they may differ from
	 * the SSE2 versions in the last bit for some arguments: a guest whose
	 * CPU lacks FMA would differ from a native run on a CPU with FMA. So
	 * the hash uses only functions whose results do not depend on it (the
	 * values printed above agree between the two versions). */
	hash_t h;
	hinit(&h);
	for (int i = -2000; i < 2000; i++) {
		double x = i * 0.01234567;
		double r[] = {cbrt(x), tanh(x), log(fabs(x) + 1e-9), log10(fabs(x) + 0.5),
			      log1p(fabs(x)), sqrt(fabs(x)), erf(x), hypot(x, 1.5), asinh(x),
			      (double)sinl(x), (double)expl(x / 9), (double)logl(fabs(x) + 1)};
		hbytes(&h, r, sizeof r);
	}
	printf("hash double %016llx\n", (unsigned long long)h.h);
	for (size_t i = 0; i < NX; i++) {
		float x = (float)xs[i];
		printf("float %.9g: %.9g %.9g %.9g %.9g %.9g %.9g\n", x, sinf(x), cosf(x), expf(x),
		       logf(x), sqrtf(x), powf(x, 1.5f));
	}
	long double lx[] = {0.5L, 1.0L, 2.0L, 3.0L, 10.0L, 1e-5L, 100.0L};
	for (size_t i = 0; i < sizeof lx / sizeof lx[0]; i++)
		printf("long %.21Lg: %.21Lg %.21Lg %.21Lg %.21Lg %.21Lg %.21Lg\n", lx[i], sinl(lx[i]),
		       cosl(lx[i]), expl(lx[i]), logl(lx[i]), sqrtl(lx[i]), powl(lx[i], 0.3L));
	int e;
	double m = frexp(123.456, &e);
	double ip, fp = modf(-3.75, &ip);
	printf("frexp %.17g %d ldexp %.17g modf %.17g %.17g ilogb %d logb %g scalbn %g\n", m, e,
	       ldexp(0.75, 10), fp, ip, ilogb(1000.0), logb(0.001), scalbn(3.0, -2));
	printf("lrint %ld llround %lld lround(-2.5) %ld nearbyint %g\n", lrint(2.5), llround(2.5),
	       lround(-2.5), nearbyint(3.5));
	printf("classify %d %d %d %d %d signbit %d %d isnan %d isinf %d\n", fpclassify(0.0),
	       fpclassify(1e-310), fpclassify(1.0), fpclassify(INFINITY), fpclassify(NAN),
	       signbit(-0.0) != 0, signbit(0.0) != 0, isnan(NAN) != 0, isinf(-INFINITY));
	/* Rounding modes change rint and arithmetic. */
	int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
	const char *mn[] = {"nearest", "upward", "downward", "towardzero"};
	volatile double one = 1.0, three = 3.0;
	for (int i = 0; i < 4; i++) {
		fesetround(modes[i]);
		printf("round %s: get %d rint(2.5) %g rint(-2.5) %g 1/3 %.17g lrint(-1.5) %ld\n", mn[i],
		       fegetround() == modes[i], rint(2.5), rint(-2.5), one / three, lrint(-1.5));
	}
	fesetround(FE_TONEAREST);
	feclearexcept(FE_ALL_EXCEPT);
	volatile double z = 0.0, big = 1e308;
	volatile double r1 = one / z;
	printf("divbyzero %d\n", fetestexcept(FE_DIVBYZERO) != 0);
	volatile double r2 = big * 10;
	printf("overflow %d inexact %d\n", fetestexcept(FE_OVERFLOW) != 0,
	       fetestexcept(FE_INEXACT) != 0);
	volatile double r3 = z / z;
	printf("invalid %d\n", fetestexcept(FE_INVALID) != 0);
	feclearexcept(FE_ALL_EXCEPT);
	printf("cleared %d (%g %g %g)\n", fetestexcept(FE_ALL_EXCEPT), r1, r2, r3);
	return 0;
}
