/* Division and overflow: div/idiv at every width, C division of all integer
 * types, 128-bit arithmetic (libgcc), and the overflow builtins. */
#include <limits.h>
#include "common.h"

typedef struct { uint64_t q, r; } qr;

static qr div64(uint64_t hi, uint64_t lo, uint64_t d)
{
	__asm__("divq %[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");
	return (qr){lo, hi};
}
static qr idiv64(uint64_t hi, uint64_t lo, uint64_t d)
{
	__asm__("idivq %[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");
	return (qr){lo, hi};
}
static qr div32(uint64_t hi, uint64_t lo, uint64_t d)
{
	__asm__("divl %k[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");
	return (qr){lo, hi};
}
static qr idiv32(uint64_t hi, uint64_t lo, uint64_t d)
{
	__asm__("idivl %k[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");
	return (qr){lo, hi};
}
static qr div16(uint64_t hi, uint64_t lo, uint64_t d)
{
	__asm__("divw %w[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");
	return (qr){lo, hi};
}
static qr idiv16(uint64_t hi, uint64_t lo, uint64_t d)
{
	__asm__("idivw %w[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");
	return (qr){lo, hi};
}
/* Byte division divides ax: quotient in al, remainder in ah. */
static qr div8(uint64_t hi, uint64_t lo, uint64_t d)
{
	(void)hi;
	__asm__("divb %b[d]" : "+a"(lo) : [d] "q"(d) : "cc");
	return (qr){lo, 0};
}
static qr idiv8(uint64_t hi, uint64_t lo, uint64_t d)
{
	(void)hi;
	__asm__("idivb %b[d]" : "+a"(lo) : [d] "q"(d) : "cc");
	return (qr){lo, 0};
}

/* Whether the quotient fits: the cases where the CPU would raise #DE. */
static int ufits(unsigned __int128 n, uint64_t d, int bits)
{
	if (d == 0)
		return 0;
	unsigned __int128 q = n / d;
	return bits == 64 ? (q >> 64) == 0 : (q >> bits) == 0;
}
static int sfits(__int128 n, int64_t d, int bits)
{
	if (d == 0)
		return 0;
	if (bits == 64 && n == ((__int128)INT64_MIN << 64 >> 64) && d == -1)
		return 0;
	__int128 q = n / d;
	__int128 lim = (__int128)1 << (bits - 1);
	return q >= -lim && q < lim;
}

static int64_t sx(uint64_t v, int bits)
{
	return bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static const uint64_t v[] = {
	0, 1, 2, 3, 7, 10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
	0x8000000000000000ull, 0xfffffffffffffffeull, 0xffffffffffffffffull,
	0x123456789abcdefull, 0xfedcba9876543210ull,
};
#define NV (sizeof v / sizeof v[0])

int main(void)
{
	struct {
		const char *name;
		qr (*fn)(uint64_t, uint64_t, uint64_t);
		int bits, sign;
	} ops[] = {
		{"div64", div64, 64, 0}, {"idiv64", idiv64, 64, 1},
		{"div32", div32, 32, 0}, {"idiv32", idiv32, 32, 1},
		{"div16", div16, 16, 0}, {"idiv16", idiv16, 16, 1},
		{"div8", div8, 8, 0}, {"idiv8", idiv8, 8, 1},
	};
	for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
		int bits = ops[o].bits;
		uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
		for (size_t i = 0; i < NV; i++)
			for (size_t j = 0; j < NV; j++)
				for (int hisel = 0; hisel < 3; hisel++) {
					/* The dividend's high half: zero, the sign
					 * extension of the low half, or a small value. */
					uint64_t lo = v[i], d = v[j] & m, hi;
					if (bits == 8) {
						lo &= 0xffff;
						hi = 0;
						if (hisel)
							continue;
					} else if (hisel == 0)
						hi = 0;
					else if (hisel == 1)
						hi = sx(lo, bits) < 0 ? m : 0;
					else
						hi = 3;
					int ok;
					if (bits == 8) {
						if (ops[o].sign)
							ok = sfits((int16_t)lo, (int8_t)d, 8);
						else
							ok = ufits(lo, d, 8);
					} else if (ops[o].sign) {
						__int128 n = ((__int128)sx(hi & m, bits) << bits) |
							     (lo & m);
						ok = sfits(n, sx(d, bits), bits);
					} else {
						unsigned __int128 n =
							((unsigned __int128)(hi & m) << bits) | (lo & m);
						ok = ufits(n, d, bits);
					}
					if (!ok)
						continue;
					/* Bits above the operand size must survive
					 * for 8 and 16-bit forms, and be cleared for 32. */
					uint64_t junk = bits < 32 ? 0x5a5a5a5a5a5a0000ull : 0;
					uint64_t lm = bits == 8 ? 0xffff : m;
					qr r = ops[o].fn(hi | (bits == 16 ? junk : 0),
							 (lo & lm) | junk, d);
					printf("%s %016llx:%016llx / %016llx = %016llx r %016llx\n",
					       ops[o].name, (unsigned long long)hi,
					       (unsigned long long)lo, (unsigned long long)d,
					       (unsigned long long)r.q, (unsigned long long)r.r);
				}
	}

	/* C division of each type, with the compiler's choice of instructions
	 * (constant divisors become multiplications). */
	hash_t h;
	hinit(&h);
	for (size_t i = 0; i < NV; i++)
		for (size_t j = 0; j < NV; j++) {
			uint64_t a = v[i], b = v[j];
			if (b) {
				hu64(&h, a / b);
				hu64(&h, a % b);
			}
			if ((uint32_t)b) {
				hu64(&h, (uint32_t)a / (uint32_t)b);
				hu64(&h, (uint32_t)a % (uint32_t)b);
			}
			if (b && !((int64_t)a == INT64_MIN && (int64_t)b == -1)) {
				hu64(&h, (uint64_t)((int64_t)a / (int64_t)b));
				hu64(&h, (uint64_t)((int64_t)a % (int64_t)b));
			}
			if ((int32_t)b && !((int32_t)a == INT32_MIN && (int32_t)b == -1)) {
				hu64(&h, (uint64_t)((int32_t)a / (int32_t)b));
				hu64(&h, (uint64_t)((int32_t)a % (int32_t)b));
			}
			if ((int16_t)b) {
				hu64(&h, (uint64_t)((int16_t)a / (int16_t)b));
				hu64(&h, (uint64_t)((int16_t)a % (int16_t)b));
			}
			if ((int8_t)b) {
				hu64(&h, (uint64_t)((int8_t)a / (int8_t)b));
				hu64(&h, (uint64_t)((int8_t)a % (int8_t)b));
			}
		}
	printf("C division hash %016llx\n", (unsigned long long)h.h);
	for (size_t i = 0; i < NV; i++) {
		uint64_t a = v[i];
		printf("const %llu: /3=%llu /7=%llu /10=%llu %%10=%llu s/3=%lld s/-5=%lld s%%7=%lld\n",
		       (unsigned long long)a, (unsigned long long)(a / 3),
		       (unsigned long long)(a / 7), (unsigned long long)(a / 10),
		       (unsigned long long)(a % 10), (long long)((int64_t)a / 3),
		       (long long)((int64_t)a / -5), (long long)((int64_t)a % 7));
	}

	/* 128-bit arithmetic through libgcc. */
	for (size_t i = 0; i < NV; i += 2)
		for (size_t j = 1; j < NV; j += 3) {
			unsigned __int128 a = ((unsigned __int128)v[i] << 64) | v[NV - 1 - i];
			unsigned __int128 b = ((unsigned __int128)v[j] << 32) | v[j];
			if (!b)
				continue;
			unsigned __int128 q = a / b, r = a % b, p = a * b;
			__int128 sq = (__int128)a / (__int128)b;
			printf("u128 %016llx%016llx / %016llx%016llx = %016llx%016llx r %016llx%016llx p %016llx%016llx s %016llx%016llx\n",
			       (unsigned long long)(a >> 64), (unsigned long long)a,
			       (unsigned long long)(b >> 64), (unsigned long long)b,
			       (unsigned long long)(q >> 64), (unsigned long long)q,
			       (unsigned long long)(r >> 64), (unsigned long long)r,
			       (unsigned long long)(p >> 64), (unsigned long long)p,
			       (unsigned long long)((unsigned __int128)sq >> 64),
			       (unsigned long long)sq);
		}

	/* Overflow checks. */
	for (size_t i = 0; i < NV; i++)
		for (size_t j = 0; j < NV; j += 2) {
			int64_t a = (int64_t)v[i], b = (int64_t)v[j], r1, r2, r3;
			uint64_t u1, u2, u3;
			int32_t s32;
			int o1 = __builtin_add_overflow(a, b, &r1);
			int o2 = __builtin_sub_overflow(a, b, &r2);
			int o3 = __builtin_mul_overflow(a, b, &r3);
			int o4 = __builtin_add_overflow(v[i], v[j], &u1);
			int o5 = __builtin_sub_overflow(v[i], v[j], &u2);
			int o6 = __builtin_mul_overflow(v[i], v[j], &u3);
			int o7 = __builtin_mul_overflow((int32_t)a, (int32_t)b, &s32);
			printf("ovf %llx %llx: %d%d%d%d%d%d%d %llx %llx %llx %llx %llx %llx %x\n",
			       (unsigned long long)a, (unsigned long long)b, o1, o2, o3, o4, o5,
			       o6, o7, (unsigned long long)r1, (unsigned long long)r2,
			       (unsigned long long)r3, (unsigned long long)u1,
			       (unsigned long long)u2, (unsigned long long)u3, (unsigned)s32);
		}
	return 0;
}
