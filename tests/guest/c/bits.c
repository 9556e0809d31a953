/* Integer-heavy algorithms: bit builtins, CRC-32, SHA-256, a bignum
 * factorial, and a sieve. */
#include "common.h"

static uint32_t crc_table[256];

static uint32_t crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static void sha256(const unsigned char *msg, size_t len, unsigned char out[32])
{
	static const uint32_t k[64] = {
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
		0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
		0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
		0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
		0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
		0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
		0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
		0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
		0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
		0xc67178f2};
	uint32_t hs[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	size_t total = ((len + 9 + 63) / 64) * 64;
	unsigned char *buf = calloc(1, total);
	memcpy(buf, msg, len);
	buf[len] = 0x80;
	uint64_t bitlen = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		buf[total - 1 - i] = (unsigned char)(bitlen >> (8 * i));
	for (size_t off = 0; off < total; off += 64) {
		uint32_t w[64];
		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)buf[off + 4 * i] << 24 | (uint32_t)buf[off + 4 * i + 1] << 16 |
			       (uint32_t)buf[off + 4 * i + 2] << 8 | buf[off + 4 * i + 3];
		for (int i = 16; i < 64; i++) {
			uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
			uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
			w[i] = w[i - 16] + s0 + w[i - 7] + s1;
		}
		uint32_t a = hs[0], b = hs[1], c = hs[2], d = hs[3], e = hs[4], f = hs[5], g = hs[6],
			 hh = hs[7];
		for (int i = 0; i < 64; i++) {
			uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
				      k[i] + w[i];
			uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
			hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
		}
		hs[0] += a, hs[1] += b, hs[2] += c, hs[3] += d;
		hs[4] += e, hs[5] += f, hs[6] += g, hs[7] += hh;
	}
	free(buf);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (unsigned char)(hs[i] >> (24 - 8 * j));
}

int main(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	static unsigned char data[100000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)rnd();
	printf("crc32 abc %08x data %08x\n", crc32((const unsigned char *)"abc", 3),
	       crc32(data, sizeof data));
	unsigned char dg[32];
	const char *msgs[] = {"", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
	for (int m = 0; m < 3; m++) {
		sha256((const unsigned char *)msgs[m], strlen(msgs[m]), dg);
		printf("sha256(\"%s\") = ", msgs[m]);
		for (int i = 0; i < 32; i++)
			printf("%02x", dg[i]);
		printf("\n");
	}
	sha256(data, sizeof data, dg);
	printf("sha256(data) = ");
	for (int i = 0; i < 32; i++)
		printf("%02x", dg[i]);
	printf("\n");
	/* Bit builtins on varied values. */
	hash_t h;
	hinit(&h);
	for (int i = 0; i < 20000; i++) {
		uint64_t v = rnd() >> (i % 64);
		uint32_t w = (uint32_t)v;
		hu64(&h, (uint64_t)__builtin_popcountll(v));
		hu64(&h, v ? (uint64_t)__builtin_clzll(v) : 99);
		hu64(&h, v ? (uint64_t)__builtin_ctzll(v) : 99);
		hu64(&h, w ? (uint64_t)__builtin_clz(w) : 99);
		hu64(&h, (uint64_t)__builtin_parityll(v));
		hu64(&h, __builtin_bswap64(v));
		hu64(&h, __builtin_bswap32(w));
		hu64(&h, (uint64_t)__builtin_bswap16((uint16_t)w));
		hu64(&h, (v << (i % 64)) | (v >> ((64 - i % 64) % 64)));
		hu64(&h, (uint64_t)((__int128)(int64_t)v * (int64_t)rnd() >> 64));
		hu64(&h, (uint64_t)(((unsigned __int128)v * rnd()) >> 64));
		hu64(&h, (uint64_t)(int64_t)(int32_t)w);
		hu64(&h, (uint64_t)(int64_t)(int8_t)w);
	}
	printf("bits %016llx\n", (unsigned long long)h.h);
	/* 200! in base 1e9 limbs. */
	uint32_t limbs[100] = {1};
	int nl = 1;
	for (uint32_t f = 2; f <= 200; f++) {
		uint64_t carry = 0;
		for (int i = 0; i < nl; i++) {
			uint64_t t = (uint64_t)limbs[i] * f + carry;
			limbs[i] = (uint32_t)(t % 1000000000u);
			carry = t / 1000000000u;
		}
		while (carry) {
			limbs[nl++] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
	}
	printf("200! = %u", limbs[nl - 1]);
	for (int i = nl - 2; i >= 0; i--)
		printf("%09u", limbs[i]);
	printf("\n");
	static unsigned char composite[1000001];
	int primes = 0;
	uint64_t psum = 0;
	for (int i = 2; i <= 1000000; i++) {
		if (composite[i])
			continue;
		primes++;
		psum += (uint64_t)i;
		for (int64_t j = (int64_t)i * i; j <= 1000000; j += i)
			composite[j] = 1;
	}
	printf("primes below 1e6: %d sum %llu\n", primes, (unsigned long long)psum);
	return 0;
}
