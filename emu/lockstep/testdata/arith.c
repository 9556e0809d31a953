/* Integer arithmetic on boundary values: every result and the flags that
 * conditional instructions read, folded into a checksum. */
#include <stdint.h>
#include <stdio.h>

static volatile uint64_t vals[] = {
	0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
	0x8000000000000000, 0xffffffffffffffff, 0xfffffffffffffffe, 0x123456789abcdef0,
	0xdeadbeef, 0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 63, 64, 65, 31, 32, 33,
};
#define N (sizeof vals / sizeof vals[0])

static uint64_t sum;

static void mix(uint64_t v) { sum = (sum ^ v) * 0x100000001b3ull; }

/* The flags of the last operation, through setcc (defined flags only). */
#define FLAGS(insn, a, b)                                                       \
	do {                                                                    \
		uint64_t r = a;                                                 \
		uint8_t c, z, s, o, p;                                          \
		__asm__(insn "\n\tsetc %1\n\tsetz %2\n\tsets %3\n\tseto %4\n\tsetp %5" \
			: "+r"(r), "=q"(c), "=q"(z), "=q"(s), "=q"(o), "=q"(p)  \
			: "r"(b)                                                \
			: "cc");                                                \
		mix(r);                                                         \
		mix(c | z << 1 | s << 2 | o << 3 | p << 4);                     \
	} while (0)

int main(void)
{
	for (unsigned i = 0; i < N; i++) {
		for (unsigned j = 0; j < N; j++) {
			uint64_t a = vals[i], b = vals[j];
			FLAGS("addq %6, %0", a, b);
			FLAGS("subq %6, %0", a, b);
			FLAGS("addl %k6, %k0", a, b);
			FLAGS("subl %k6, %k0", a, b);
			FLAGS("addw %w6, %w0", a, b);
			FLAGS("subb %b6, %b0", a, b);
			FLAGS("andq %6, %0", a, b);
			FLAGS("orl %k6, %k0", a, b);
			FLAGS("xorw %w6, %w0", a, b);
			FLAGS("cmpq %6, %0", a, b);
			FLAGS("testb %b6, %b0", a, b);
			FLAGS("stc\n\tadcq %6, %0", a, b);
			FLAGS("stc\n\tsbbl %k6, %k0", a, b);
			FLAGS("clc\n\tadcb %b6, %b0", a, b);
			FLAGS("negq %0\n\taddq %6, %0", a, b);
			mix(a * b);
			mix((int64_t)a * (int64_t)b);
			mix((uint32_t)a * (uint32_t)b);
			mix((unsigned __int128)a * b >> 64);
			mix((__int128)(int64_t)a * (int64_t)b >> 64);
			if (b) {
				mix(a / b);
				mix(a % b);
			}
			if ((uint32_t)b) {
				mix((uint32_t)a / (uint32_t)b);
				mix((int32_t)a % ((int32_t)b == -1 ? 1 : (int32_t)b));
			}
			if ((int64_t)b != 0 && !((int64_t)a == INT64_MIN && (int64_t)b == -1)) {
				mix((int64_t)a / (int64_t)b);
				mix((int64_t)a % (int64_t)b);
			}
			unsigned n = b & 63;
			mix(a << n);
			mix(a >> n);
			mix((int64_t)a >> n);
			mix((uint32_t)a << (n & 31));
			mix((int32_t)a >> (n & 31));
			mix(a << n | a >> ((64 - n) & 63));
			mix((uint16_t)((uint16_t)a << (n & 15) | (uint16_t)a >> ((16 - n) & 15)));
		}
		uint64_t a = vals[i];
		mix(__builtin_popcountll(a));
		if (a) {
			mix(__builtin_ctzll(a));
			mix(__builtin_clzll(a));
		}
		mix(__builtin_bswap64(a));
		mix(__builtin_bswap32((uint32_t)a));
		mix((int8_t)a);
		mix((int16_t)a);
		mix((int32_t)a);
		mix((uint8_t)a > 0x80);
		mix((int64_t)a < 0 ? -(int64_t)a : (int64_t)a);
	}
	printf("%016llx\n", (unsigned long long)sum);
	return 0;
}
