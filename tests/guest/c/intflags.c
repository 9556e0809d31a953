/* Integer instructions on boundary values: result registers and the status
 * flags read with pushf, with the flags the manual calls undefined masked. */
#include "common.h"

#define CF 0x001
#define PF 0x004
#define AF 0x010
#define ZF 0x040
#define SF 0x080
#define OF 0x800
#define ALL (CF | PF | AF | ZF | SF | OF)

typedef struct { uint64_t a, d, f; } res;
typedef res (*opfn)(uint64_t a, uint64_t b, uint64_t fin);

/* Inline asm that pushes would clobber the red zone: step over it first. */
#define PRE "lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopfq\n\t"
#define POST "\n\tpushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"

/* Two-operand forms "op b, a" at each width. */
#define BIN1(name, insn)                                                        \
	static res name(uint64_t a, uint64_t b, uint64_t fin)                   \
	{                                                                       \
		uint64_t f;                                                     \
		__asm__ volatile(PRE insn POST                                  \
				 : [a] "+r"(a), [f] "=&r"(f)                    \
				 : [b] "r"(b), [fin] "r"(fin)                   \
				 : "cc", "memory");                             \
		return (res){a, 0, f};                                          \
	}
#define BIN(op)                                                                 \
	BIN1(op##64, #op "q %[b], %[a]")                                        \
	BIN1(op##32, #op "l %k[b], %k[a]")                                      \
	BIN1(op##16, #op "w %w[b], %w[a]")                                      \
	BIN1(op##8, #op "b %b[b], %b[a]")

BIN(add) BIN(sub) BIN(adc) BIN(sbb) BIN(and) BIN(or) BIN(xor) BIN(cmp) BIN(test)
BIN(xadd)

BIN1(imul64, "imulq %[b], %[a]")
BIN1(imul32, "imull %k[b], %k[a]")
BIN1(imul16, "imulw %w[b], %w[a]")
BIN1(bt64, "btq %[b], %[a]")
BIN1(bt32, "btl %k[b], %k[a]")
BIN1(bt16, "btw %w[b], %w[a]")
BIN1(bts64, "btsq %[b], %[a]")
BIN1(bts32, "btsl %k[b], %k[a]")
BIN1(btr64, "btrq %[b], %[a]")
BIN1(btr16, "btrw %w[b], %w[a]")
BIN1(btc64, "btcq %[b], %[a]")
BIN1(btc32, "btcl %k[b], %k[a]")
BIN1(bsf64, "bsfq %[b], %[a]")
BIN1(bsf32, "bsfl %k[b], %k[a]")
BIN1(bsf16, "bsfw %w[b], %w[a]")
BIN1(bsr64, "bsrq %[b], %[a]")
BIN1(bsr32, "bsrl %k[b], %k[a]")
BIN1(bsr16, "bsrw %w[b], %w[a]")
BIN1(cmovl64, "cmovlq %[b], %[a]")
BIN1(cmova32, "cmoval %k[b], %k[a]")
BIN1(cmovs16, "cmovsw %w[b], %w[a]")
BIN1(movsx8_64, "movsbq %b[b], %[a]")
BIN1(movsx16_32, "movswl %w[b], %k[a]")
BIN1(movzx8_32, "movzbl %b[b], %k[a]")
BIN1(movzx16_64, "movzwq %w[b], %[a]")
BIN1(movsxd, "movslq %k[b], %[a]")
BIN1(mov32, "movl %k[b], %k[a]")
BIN1(mov16, "movw %w[b], %w[a]")
BIN1(mov8, "movb %b[b], %b[a]")

/* Shifts and rotates by cl: b is the count. */
#define SH1(name, insn)                                                         \
	static res name(uint64_t a, uint64_t b, uint64_t fin)                   \
	{                                                                       \
		uint64_t f;                                                     \
		__asm__ volatile(PRE insn POST                                  \
				 : [a] "+r"(a), [f] "=&r"(f)                    \
				 : "c"(b), [fin] "r"(fin)                       \
				 : "cc", "memory");                             \
		return (res){a, 0, f};                                          \
	}
#define SH(op)                                                                  \
	SH1(op##64, #op "q %%cl, %[a]")                                         \
	SH1(op##32, #op "l %%cl, %k[a]")                                        \
	SH1(op##16, #op "w %%cl, %w[a]")                                        \
	SH1(op##8, #op "b %%cl, %b[a]")
SH(shl) SH(shr) SH(sar) SH(rol) SH(ror) SH(rcl) SH(rcr)

/* Double shifts: a is the destination, d the source, count in cl. */
#define DSH1(name, insn)                                                        \
	static res name##_(uint64_t a, uint64_t d, uint64_t b, uint64_t fin)    \
	{                                                                       \
		uint64_t f;                                                     \
		__asm__ volatile(PRE insn POST                                  \
				 : [a] "+r"(a), [f] "=&r"(f)                    \
				 : [d] "r"(d), "c"(b), [fin] "r"(fin)           \
				 : "cc", "memory");                             \
		return (res){a, d, f};                                          \
	}
DSH1(shld64, "shldq %%cl, %[d], %[a]")
DSH1(shld32, "shldl %%cl, %k[d], %k[a]")
DSH1(shld16, "shldw %%cl, %w[d], %w[a]")
DSH1(shrd64, "shrdq %%cl, %[d], %[a]")
DSH1(shrd32, "shrdl %%cl, %k[d], %k[a]")
DSH1(shrd16, "shrdw %%cl, %w[d], %w[a]")

/* One-operand forms. */
#define UN1(name, insn)                                                         \
	static res name(uint64_t a, uint64_t b, uint64_t fin)                   \
	{                                                                       \
		uint64_t f;                                                     \
		(void)b;                                                        \
		__asm__ volatile(PRE insn POST                                  \
				 : [a] "+r"(a), [f] "=&r"(f)                    \
				 : [fin] "r"(fin)                               \
				 : "cc", "memory");                             \
		return (res){a, 0, f};                                          \
	}
#define UN(op)                                                                  \
	UN1(op##64, #op "q %[a]")                                               \
	UN1(op##32, #op "l %k[a]")                                              \
	UN1(op##16, #op "w %w[a]")                                              \
	UN1(op##8, #op "b %b[a]")
UN(neg) UN(not) UN(inc) UN(dec)
UN1(bswap64, "bswapq %[a]")
UN1(bswap32, "bswapl %k[a]")
UN1(shl1_64, "shlq $1, %[a]")
UN1(sar1_32, "sarl $1, %k[a]")
UN1(rol1_16, "rolw $1, %w[a]")
UN1(rcr1_8, "rcrb $1, %b[a]")
UN1(shl5_64, "shlq $5, %[a]")
UN1(shr13_32, "shrl $13, %k[a]")
UN1(ror7_64, "rorq $7, %[a]")
UN1(imul3_64, "imulq $-7, %[a], %[a]")
UN1(imul3_32, "imull $100000, %k[a], %k[a]")
UN1(imul3_16, "imulw $300, %w[a], %w[a]")

/* Widening multiplies: rdx:rax = rax * b (ax = al * b for bytes). */
#define MUL1(name, insn)                                                        \
	static res name(uint64_t a, uint64_t b, uint64_t fin)                   \
	{                                                                       \
		uint64_t f, d = 0x1111111111111111ull;                          \
		__asm__ volatile(PRE insn POST                                  \
				 : "+a"(a), "+d"(d), [f] "=&r"(f)               \
				 : [b] "r"(b), [fin] "r"(fin)                   \
				 : "cc", "memory");                             \
		return (res){a, d, f};                                          \
	}
MUL1(mul64, "mulq %[b]")
MUL1(mul32, "mull %k[b]")
MUL1(mul16, "mulw %w[b]")
MUL1(mul8, "mulb %b[b]")
MUL1(imul1_64, "imulq %[b]")
MUL1(imul1_32, "imull %k[b]")
MUL1(imul1_16, "imulw %w[b]")
MUL1(imul1_8, "imulb %b[b]")

/* cmpxchg: rax is the expected value, a the destination, b the new value. */
#define CX1(name, insn)                                                         \
	static res name(uint64_t a, uint64_t b, uint64_t fin)                   \
	{                                                                       \
		uint64_t f, x = 0x8000000000000000ull;                          \
		__asm__ volatile(PRE insn POST                                  \
				 : [a] "+r"(a), "+a"(x), [f] "=&r"(f)           \
				 : [b] "r"(b), [fin] "r"(fin)                   \
				 : "cc", "memory");                             \
		return (res){a, x, f};                                          \
	}
CX1(cmpxchg64, "cmpxchgq %[b], %[a]")

/* Memory forms with lock: the same results as the register forms. The
 * operand is addressed through a register: PRE moves rsp. */
static res lockadd64(uint64_t a, uint64_t b, uint64_t fin)
{
	uint64_t f, m = a;
	__asm__ volatile(PRE "lock addq %[b], (%[p])" POST
			 : [f] "=&r"(f)
			 : [p] "r"(&m), [b] "r"(b), [fin] "r"(fin)
			 : "cc", "memory");
	return (res){m, 0, f};
}
static res lockxadd32(uint64_t a, uint64_t b, uint64_t fin)
{
	uint64_t f, m = a;
	__asm__ volatile(PRE "lock xaddl %k[b], (%[p])" POST
			 : [b] "+r"(b), [f] "=&r"(f)
			 : [p] "r"(&m), [fin] "r"(fin)
			 : "cc", "memory");
	return (res){m, b, f};
}
static res lockcmpxchg64(uint64_t a, uint64_t b, uint64_t fin)
{
	uint64_t f, m = a, x = 0x7fffffffffffffffull;
	__asm__ volatile(PRE "lock cmpxchgq %[b], (%[p])" POST
			 : "+a"(x), [f] "=&r"(f)
			 : [p] "r"(&m), [b] "r"(b), [fin] "r"(fin)
			 : "cc", "memory");
	return (res){m, x, f};
}
CX1(cmpxchg32, "cmpxchgl %k[b], %k[a]")

enum kind { K_ARITH, K_LOGIC, K_MUL, K_INCDEC, K_NONE, K_SHIFT, K_ROT, K_BT, K_BS,
	    K_DSHIFT, K_ALLUNDEF };

struct op {
	const char *name;
	opfn fn;
	int width;
	enum kind kind;
};

#define W4(op, k) {#op "64", op##64, 64, k}, {#op "32", op##32, 32, k}, \
		  {#op "16", op##16, 16, k}, {#op "8", op##8, 8, k}

static const struct op binops[] = {
	W4(add, K_ARITH), W4(sub, K_ARITH), W4(adc, K_ARITH), W4(sbb, K_ARITH),
	W4(cmp, K_ARITH), W4(xadd, K_ARITH),
	W4(and, K_LOGIC), W4(or, K_LOGIC), W4(xor, K_LOGIC), W4(test, K_LOGIC),
	{"imul64", imul64, 64, K_MUL}, {"imul32", imul32, 32, K_MUL},
	{"imul16", imul16, 16, K_MUL},
	W4(mul, K_MUL),
	{"imul1_64", imul1_64, 64, K_MUL}, {"imul1_32", imul1_32, 32, K_MUL},
	{"imul1_16", imul1_16, 16, K_MUL}, {"imul1_8", imul1_8, 8, K_MUL},
	{"cmpxchg64", cmpxchg64, 64, K_ARITH}, {"cmpxchg32", cmpxchg32, 32, K_ARITH},
	{"lockadd64", lockadd64, 64, K_ARITH}, {"lockxadd32", lockxadd32, 32, K_ARITH},
	{"lockcx64", lockcmpxchg64, 64, K_ARITH},
	{"cmovl64", cmovl64, 64, K_NONE}, {"cmova32", cmova32, 32, K_NONE},
	{"cmovs16", cmovs16, 16, K_NONE},
	{"movsx8_64", movsx8_64, 64, K_NONE}, {"movsx16_32", movsx16_32, 32, K_NONE},
	{"movzx8_32", movzx8_32, 32, K_NONE}, {"movzx16_64", movzx16_64, 64, K_NONE},
	{"movsxd", movsxd, 64, K_NONE}, {"mov32", mov32, 32, K_NONE},
	{"mov16", mov16, 16, K_NONE}, {"mov8", mov8, 8, K_NONE},
	{"bsf64", bsf64, 64, K_BS}, {"bsf32", bsf32, 32, K_BS}, {"bsf16", bsf16, 16, K_BS},
	{"bsr64", bsr64, 64, K_BS}, {"bsr32", bsr32, 32, K_BS}, {"bsr16", bsr16, 16, K_BS},
};

static const struct op btops[] = {
	{"bt64", bt64, 64, K_BT}, {"bt32", bt32, 32, K_BT}, {"bt16", bt16, 16, K_BT},
	{"bts64", bts64, 64, K_BT}, {"bts32", bts32, 32, K_BT},
	{"btr64", btr64, 64, K_BT}, {"btr16", btr16, 16, K_BT},
	{"btc64", btc64, 64, K_BT}, {"btc32", btc32, 32, K_BT},
};

static const struct op unops[] = {
	W4(neg, K_ARITH), W4(not, K_NONE), W4(inc, K_INCDEC), W4(dec, K_INCDEC),
	{"bswap64", bswap64, 64, K_NONE}, {"bswap32", bswap32, 32, K_NONE},
	{"shl1_64", shl1_64, 64, K_SHIFT}, {"sar1_32", sar1_32, 32, K_SHIFT},
	{"rol1_16", rol1_16, 16, K_ROT}, {"rcr1_8", rcr1_8, 8, K_ROT},
	{"shl5_64", shl5_64, 64, K_SHIFT}, {"shr13_32", shr13_32, 32, K_SHIFT},
	{"ror7_64", ror7_64, 64, K_ROT},
	{"imul3_64", imul3_64, 64, K_MUL}, {"imul3_32", imul3_32, 32, K_MUL},
	{"imul3_16", imul3_16, 16, K_MUL},
};

static const struct op shops[] = {
	W4(shl, K_SHIFT), W4(shr, K_SHIFT), W4(sar, K_SHIFT),
	W4(rol, K_ROT), W4(ror, K_ROT), W4(rcl, K_ROT), W4(rcr, K_ROT),
};

/* Immediate counts of the one-operand shift forms above. */
static int immcount(const char *name)
{
	if (!strcmp(name, "shl5_64"))
		return 5;
	if (!strcmp(name, "shr13_32"))
		return 13;
	if (!strcmp(name, "ror7_64"))
		return 7;
	return 1;
}

/* The flags the manual defines after an operation (unaffected ones count as
 * defined: they must be preserved). count is the masked shift count. */
static uint64_t defined(enum kind k, int width, unsigned count, const char *name)
{
	switch (k) {
	case K_ARITH:
	case K_INCDEC:
	case K_NONE:
		return ALL;
	case K_LOGIC:
		return ALL & ~AF;
	case K_MUL:
		return CF | OF;
	case K_BT:
		return CF | ZF;
	case K_BS:
		return ZF;
	case K_ALLUNDEF:
		return 0;
	case K_SHIFT:
		if (count == 0)
			return ALL;
		{
			uint64_t m = SF | ZF | PF | CF;
			if (count == 1)
				m |= OF;
			/* CF is undefined when shl/shr shift out the whole operand. */
			if (count >= (unsigned)width && name[2] != 'a')
				m &= ~CF;
			return m;
		}
	case K_ROT:
		if (count == 0)
			return ALL;
		return count == 1 ? ALL : ALL & ~OF;
	case K_DSHIFT:
		if (count == 0)
			return ALL;
		return count == 1 ? ALL & ~AF : ALL & ~AF & ~OF;
	}
	return 0;
}

static const uint64_t vals[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
	0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
	0x123456789abcdef0ull, 0xfedcba9876543281ull, 0x100000001ull,
};
#define NV (sizeof vals / sizeof vals[0])

static const unsigned counts[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255};
#define NC (sizeof counts / sizeof counts[0])

/* Flags set before each operation: none, and all six. */
static const uint64_t fins[] = {0x202, 0x202 | ALL};

/* By default one line per operation and first operand, with a hash of the
 * results for all second operands; -v prints every result. */
static int verbose;
static hash_t acc;

static void show(const char *name, uint64_t a, uint64_t b, uint64_t fin, res r, uint64_t mask)
{
	if (verbose)
		printf("%-10s %016llx %016llx %c -> %016llx %016llx %03llx\n", name,
		       (unsigned long long)a, (unsigned long long)b, fin & CF ? 'C' : '-',
		       (unsigned long long)r.a, (unsigned long long)r.d,
		       (unsigned long long)(r.f & mask));
	hu64(&acc, r.a);
	hu64(&acc, r.d);
	hu64(&acc, r.f & mask);
}

static void flush(const char *name, uint64_t a)
{
	if (!verbose)
		printf("%-10s %016llx: %016llx\n", name, (unsigned long long)a,
		       (unsigned long long)acc.h);
	hinit(&acc);
}

/* All sixteen condition codes after cmp a, b as a bit mask. */
static unsigned conds64(uint64_t a, uint64_t b)
{
	unsigned char c[16];
	__asm__ volatile("cmpq %[b], %[a]\n\t"
			 "seto %0\n\tsetno %1\n\tsetb %2\n\tsetae %3\n\t"
			 "sete %4\n\tsetne %5\n\tsetbe %6\n\tseta %7\n\t"
			 "sets %8\n\tsetns %9\n\tsetp %10\n\tsetnp %11\n\t"
			 "setl %12\n\tsetge %13\n\tsetle %14\n\tsetg %15"
			 : "=m"(c[0]), "=m"(c[1]), "=m"(c[2]), "=m"(c[3]), "=m"(c[4]),
			   "=m"(c[5]), "=m"(c[6]), "=m"(c[7]), "=m"(c[8]), "=m"(c[9]),
			   "=m"(c[10]), "=m"(c[11]), "=m"(c[12]), "=m"(c[13]),
			   "=m"(c[14]), "=m"(c[15])
			 : [a] "r"(a), [b] "r"(b)
			 : "cc");
	unsigned m = 0;
	for (int i = 0; i < 16; i++)
		m |= (unsigned)c[i] << i;
	return m;
}

static unsigned conds8(uint64_t a, uint64_t b)
{
	unsigned char c[16];
	__asm__ volatile("cmpb %b[b], %b[a]\n\t"
			 "seto %0\n\tsetno %1\n\tsetb %2\n\tsetae %3\n\t"
			 "sete %4\n\tsetne %5\n\tsetbe %6\n\tseta %7\n\t"
			 "sets %8\n\tsetns %9\n\tsetp %10\n\tsetnp %11\n\t"
			 "setl %12\n\tsetge %13\n\tsetle %14\n\tsetg %15"
			 : "=m"(c[0]), "=m"(c[1]), "=m"(c[2]), "=m"(c[3]), "=m"(c[4]),
			   "=m"(c[5]), "=m"(c[6]), "=m"(c[7]), "=m"(c[8]), "=m"(c[9]),
			   "=m"(c[10]), "=m"(c[11]), "=m"(c[12]), "=m"(c[13]),
			   "=m"(c[14]), "=m"(c[15])
			 : [a] "q"(a), [b] "q"(b)
			 : "cc");
	unsigned m = 0;
	for (int i = 0; i < 16; i++)
		m |= (unsigned)c[i] << i;
	return m;
}

/* High-byte registers: ah += bh, and the other bytes survive. */
static uint64_t highbytes(uint64_t a, uint64_t b)
{
	__asm__ volatile("addb %h[b], %h[a]\n\txorb %b[b], %h[a]\n\tmovb %h[a], %b[b]"
			 : [a] "+Q"(a), [b] "+Q"(b) : : "cc");
	return a ^ (b << 1);
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && !strcmp(argv[1], "-v");
	hinit(&acc);
	for (size_t o = 0; o < sizeof binops / sizeof binops[0]; o++) {
		const struct op *op = &binops[o];
		int usecf = !strncmp(op->name, "adc", 3) || !strncmp(op->name, "sbb", 3) ||
			    op->kind == K_NONE;
		for (size_t i = 0; i < NV; i++)
			for (size_t j = 0; j < NV; j++)
				for (int c = 0; c < 1 + usecf; c++) {
					res r = op->fn(vals[i], vals[j], fins[c]);
					show(op->name, vals[i], vals[j], fins[c], r,
					     defined(op->kind, op->width, 0, op->name));
					if (j == NV - 1 && c == usecf)
						flush(op->name, vals[i]);
				}
	}
	for (size_t o = 0; o < sizeof btops / sizeof btops[0]; o++) {
		const struct op *op = &btops[o];
		for (size_t i = 0; i < NV; i++)
			for (size_t j = 0; j < NC; j++)
				for (int c = 0; c < 2; c++) {
					uint64_t bit = counts[j] & (op->width - 1);
					res r = op->fn(vals[i], bit, fins[c]);
					show(op->name, vals[i], bit, fins[c], r,
					     defined(op->kind, op->width, 0, op->name));
					if (j == NC - 1 && c == 1)
						flush(op->name, vals[i]);
				}
	}
	for (size_t o = 0; o < sizeof unops / sizeof unops[0]; o++) {
		const struct op *op = &unops[o];
		for (size_t i = 0; i < NV; i++)
			for (int c = 0; c < 2; c++) {
				res r = op->fn(vals[i], 0, fins[c]);
				show(op->name, vals[i], 0, fins[c], r,
				     defined(op->kind, op->width, immcount(op->name), op->name));
			}
		flush(op->name, 0);
	}
	for (size_t o = 0; o < sizeof shops / sizeof shops[0]; o++) {
		const struct op *op = &shops[o];
		for (size_t i = 0; i < NV; i++)
			for (size_t j = 0; j < NC; j++)
				for (int c = 0; c < 2; c++) {
					unsigned n = counts[j] & (op->width == 64 ? 63 : 31);
					res r = op->fn(vals[i], counts[j], fins[c]);
					show(op->name, vals[i], counts[j], fins[c], r,
					     defined(op->kind, op->width, n, op->name));
					if (j == NC - 1 && c == 1)
						flush(op->name, vals[i]);
				}
	}
	static const struct {
		const char *name;
		res (*fn)(uint64_t, uint64_t, uint64_t, uint64_t);
		int width;
	} dsh[] = {
		{"shld64", shld64_, 64}, {"shld32", shld32_, 32}, {"shld16", shld16_, 16},
		{"shrd64", shrd64_, 64}, {"shrd32", shrd32_, 32}, {"shrd16", shrd16_, 16},
	};
	for (size_t o = 0; o < sizeof dsh / sizeof dsh[0]; o++)
		for (size_t i = 0; i < NV; i += 2)
			for (size_t j = 0; j < NC; j++) {
				unsigned n = counts[j] & (dsh[o].width == 64 ? 63 : 31);
				/* Counts past a 16-bit operand give undefined results. */
				if (n > (unsigned)dsh[o].width)
					continue;
				res r = dsh[o].fn(vals[i], vals[NV - 1 - i], counts[j], fins[j & 1]);
				show(dsh[o].name, vals[i], counts[j], fins[j & 1], r,
				     defined(K_DSHIFT, dsh[o].width, n, dsh[o].name));
				if (j == NC - 1)
					flush(dsh[o].name, vals[i]);
			}
	for (size_t i = 0; i < NV; i++)
		for (size_t j = 0; j < NV; j++)
			printf("cond %016llx %016llx %04x %04x %016llx\n",
			       (unsigned long long)vals[i], (unsigned long long)vals[j],
			       conds64(vals[i], vals[j]), conds8(vals[i], vals[j]),
			       (unsigned long long)highbytes(vals[i], vals[j]));
	return 0;
}
