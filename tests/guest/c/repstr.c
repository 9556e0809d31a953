/* String instructions: movs/stos/lods/cmps/scas at every width, with and
 * without rep/repe/repne prefixes, forwards and backwards (DF=1). Prints
 * the resulting registers, flags and buffer hashes. */
#include "common.h"

static unsigned char src[1024], dst[1024];
static hash_t h;

static void reset(void)
{
	for (int i = 0; i < 1024; i++) {
		src[i] = (unsigned char)(i * 7 + 3);
		dst[i] = 0xee;
	}
}

#define MOVS(suffix, size)                                                         \
	static void movs##suffix(int back, size_t n, size_t off)                   \
	{                                                                          \
		reset();                                                           \
		unsigned char *s = src + off, *d = dst + off;                      \
		size_t c = n;                                                      \
		if (back)                                                          \
			__asm__ volatile("std\n\trep movs" #suffix "\n\tcld"       \
					 : "+S"(s), "+D"(d), "+c"(c) : : "memory"); \
		else                                                               \
			__asm__ volatile("rep movs" #suffix                        \
					 : "+S"(s), "+D"(d), "+c"(c) : : "memory"); \
		hu64(&h, (uint64_t)(s - src));                                     \
		hu64(&h, (uint64_t)(d - dst));                                     \
		hu64(&h, c);                                                       \
		hbytes(&h, dst, sizeof dst);                                       \
	}
MOVS(b, 1)
MOVS(w, 2)
MOVS(l, 4)
MOVS(q, 8)

#define STOS(suffix)                                                               \
	static void stos##suffix(int back, size_t n, size_t off)                   \
	{                                                                          \
		reset();                                                           \
		unsigned char *d = dst + off;                                      \
		size_t c = n;                                                      \
		uint64_t v = 0x0123456789abcdefull;                                \
		if (back)                                                          \
			__asm__ volatile("std\n\trep stos" #suffix "\n\tcld"       \
					 : "+D"(d), "+c"(c) : "a"(v) : "memory");   \
		else                                                               \
			__asm__ volatile("rep stos" #suffix                        \
					 : "+D"(d), "+c"(c) : "a"(v) : "memory");   \
		hu64(&h, (uint64_t)(d - dst));                                     \
		hbytes(&h, dst, sizeof dst);                                       \
	}
STOS(b)
STOS(w)
STOS(l)
STOS(q)

/* repe cmpsb / repne scasb: where they stop, and the flags. */
static void cmps(int back, size_t n, size_t diffat)
{
	reset();
	memcpy(dst, src, sizeof dst);
	dst[diffat] ^= 0x40;
	unsigned char *s = src + (back ? 600 : 100), *d = dst + (back ? 600 : 100);
	size_t c = n;
	uint64_t f;
	if (back)
		__asm__ volatile("std\n\trepe cmpsb\n\tpushfq\n\tpop %3\n\tcld"
				 : "+S"(s), "+D"(d), "+c"(c), "=r"(f) : : "memory", "cc");
	else
		__asm__ volatile("repe cmpsb\n\tpushfq\n\tpop %3"
				 : "+S"(s), "+D"(d), "+c"(c), "=r"(f) : : "memory", "cc");
	printf("cmpsb back=%d n=%zu diff@%zu: si+%ld di+%ld rcx %zu flags %03llx\n", back, n, diffat,
	       (long)(s - src), (long)(d - dst), c, (unsigned long long)(f & 0x8d5));
}

static void scas(int back, size_t n, unsigned char want)
{
	reset();
	unsigned char *d = dst + (back ? 700 : 10);
	for (int i = 0; i < 1024; i++)
		dst[i] = (unsigned char)(i % 251);
	size_t c = n;
	uint64_t f;
	if (back)
		__asm__ volatile("std\n\trepne scasb\n\tpushfq\n\tpop %2\n\tcld"
				 : "+D"(d), "+c"(c), "=r"(f) : "a"(want) : "memory", "cc");
	else
		__asm__ volatile("repne scasb\n\tpushfq\n\tpop %2"
				 : "+D"(d), "+c"(c), "=r"(f) : "a"(want) : "memory", "cc");
	printf("scasb back=%d n=%zu want %u: di+%ld rcx %zu flags %03llx\n", back, n, want,
	       (long)(d - dst), c, (unsigned long long)(f & 0x8d5));
}

static void lods(void)
{
	reset();
	unsigned char *s = src + 5;
	uint64_t a = 0xffffffffffffffffull;
	__asm__ volatile("lodsb" : "+S"(s), "+a"(a) : : "memory");
	printf("lodsb %016llx", (unsigned long long)a);
	__asm__ volatile("lodsw" : "+S"(s), "+a"(a) : : "memory");
	printf(" lodsw %016llx", (unsigned long long)a);
	__asm__ volatile("lodsl" : "+S"(s), "+a"(a) : : "memory");
	printf(" lodsl %016llx", (unsigned long long)a);
	__asm__ volatile("lodsq" : "+S"(s), "+a"(a) : : "memory");
	printf(" lodsq %016llx si+%ld\n", (unsigned long long)a, (long)(s - src));
}

int main(void)
{
	static const size_t ns[] = {0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 63, 64, 65, 100};
	static const size_t offs[] = {200, 201, 203, 207};
	void (*movs[])(int, size_t, size_t) = {movsb, movsw, movsl, movsq};
	void (*stos[])(int, size_t, size_t) = {stosb, stosw, stosl, stosq};
	const char *w = "bwlq";
	for (int k = 0; k < 4; k++) {
		for (int back = 0; back < 2; back++) {
			hinit(&h);
			for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
				for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++)
					movs[k](back, ns[i], offs[o] + (back ? 700 : 0));
			printf("movs%c back=%d %016llx\n", w[k], back, (unsigned long long)h.h);
			hinit(&h);
			for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
				for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++)
					stos[k](back, ns[i], offs[o] + (back ? 700 : 0));
			printf("stos%c back=%d %016llx\n", w[k], back, (unsigned long long)h.h);
		}
	}
	for (int back = 0; back < 2; back++) {
		cmps(back, 0, 150);
		cmps(back, 10, 150);
		cmps(back, 100, 150);
		cmps(back, 100, 550);
		cmps(back, 100, 580);
		scas(back, 0, 5);
		scas(back, 100, 50);
		scas(back, 100, 250);
		scas(back, 300, 250);
	}
	lods();
	/* Overlapping rep movsb copies byte by byte: a pattern repeats. */
	for (int i = 0; i < 8; i++)
		dst[i] = (unsigned char)('a' + i);
	unsigned char *s = dst, *d = dst + 3;
	size_t c = 20;
	__asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
	printf("overlap %.23s\n", (char *)dst);
	return 0;
}
