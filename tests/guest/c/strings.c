/* String and memory functions on many lengths and alignments, including
 * strings that end just before an unmapped page. glibc picks SSE2, SSE4.2 or
 * AVX2 versions of these by CPUID, so this exercises a lot of vector code. */
#define _GNU_SOURCE
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wchar.h>
#include "common.h"

#define N 4096
static unsigned char A[N + 256] __attribute__((aligned(64)));
static unsigned char B[N + 256] __attribute__((aligned(64)));
static unsigned char C[N + 256] __attribute__((aligned(64)));

static const size_t lens[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	23, 24, 25, 31, 32, 33, 39, 40, 47, 48, 49, 63, 64, 65, 66, 79, 80, 95, 96,
	97, 111, 112, 127, 128, 129, 130, 160, 191, 192, 193, 255, 256, 257, 300,
	383, 384, 511, 512, 513, 767, 1000, 1023, 1024, 1025, 2047, 2048, 3000,
};
#define NL (sizeof lens / sizeof lens[0])

/* Alignments: the interesting ones relative to 16 and 32-byte vectors. */
static const int al[] = {0, 1, 3, 7, 8, 13, 15, 17, 31};
#define NA (sizeof al / sizeof al[0])

static int sign(long v) { return (v > 0) - (v < 0); }

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + seed * 7) ^ (i >> 3));
}

/* Report a mismatch with the reference result and count it. */
static int fails;
static void expect(int ok, const char *fn, size_t len, int a1, int a2)
{
	if (!ok && fails++ < 20)
		printf("FAIL %s len %zu align %d %d\n", fn, len, a1, a2);
}

static void test_memcpy(void)
{
	hash_t h;
	hinit(&h);
	for (size_t l = 0; l < NL; l++)
		for (size_t i = 0; i < NA; i += 1 + (lens[l] > 300))
			for (size_t j = 0; j < NA; j += 1 + (lens[l] > 300)) {
				size_t n = lens[l];
				int sa = al[i], da = al[j];
				fill(A, n + 16, (unsigned)(n + sa));
				memset(B, 0xee, n + 160);
				void *r = memcpy(B + da + 64, A + sa, n);
				expect(r == B + da + 64, "memcpy ret", n, sa, da);
				expect(!memcmp(B + da + 64, A + sa, n), "memcpy", n, sa, da);
				expect(B[da + 63] == 0xee && B[da + 64 + n] == 0xee, "memcpy guard", n, sa, da);
				hbytes(&h, B, n + 160);
			}
	printf("memcpy %016llx\n", (unsigned long long)h.h);
}

static void test_memmove(void)
{
	hash_t h;
	hinit(&h);
	static const int shifts[] = {-65, -17, -16, -3, -1, 0, 1, 7, 16, 31, 63, 100};
	for (size_t l = 0; l < NL; l++)
		for (size_t s = 0; s < sizeof shifts / sizeof shifts[0]; s++)
			for (size_t i = 0; i < NA; i += 3) {
				size_t n = lens[l];
				int a = al[i];
				size_t span = n + 256;
				fill(A, span, (unsigned)n);
				memcpy(C, A, span);
				unsigned char *src = A + 128 + a, *dst = src + shifts[s];
				memmove(dst, src, n);
				/* Reference: a copy through a separate buffer. */
				unsigned char tmp[N];
				memcpy(tmp, C + 128 + a, n);
				memcpy(C + 128 + a + shifts[s], tmp, n);
				expect(!memcmp(A, C, span), "memmove", n, a, shifts[s]);
				hbytes(&h, A + 64, n + 128);
			}
	printf("memmove %016llx\n", (unsigned long long)h.h);
}

static void test_memset(void)
{
	hash_t h;
	hinit(&h);
	static const int vals[] = {0, 1, 0x7f, 0x80, 0xff, 0x1234};
	for (size_t l = 0; l < NL; l++)
		for (size_t i = 0; i < NA; i++)
			for (size_t v = 0; v < sizeof vals / sizeof vals[0]; v++) {
				size_t n = lens[l];
				int a = al[i];
				memset(B, 0x55, n + 128);
				memset(B + 64 + a, vals[v], n);
				int ok = B[63 + a] == 0x55 && B[64 + a + n] == 0x55;
				for (size_t i = 0; i < n; i++)
					ok &= B[64 + a + i] == (unsigned char)vals[v];
				expect(ok, "memset", n, a, vals[v]);
				hbytes(&h, B, n + 128);
			}
	printf("memset %016llx\n", (unsigned long long)h.h);
}

/* Make a NUL-terminated string of length n at p from a fixed alphabet. */
static void mkstr(char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + seed) % 26);
	p[n] = 0;
}

static void test_str(void)
{
	hash_t hl, hc, hr, hcmp, hcpy, hchr, hspn, hcase;
	hinit(&hl), hinit(&hc), hinit(&hr), hinit(&hcmp), hinit(&hcpy), hinit(&hchr);
	hinit(&hspn), hinit(&hcase);
	for (size_t l = 0; l < NL; l++)
		for (size_t i = 0; i < NA; i += 1 + (lens[l] > 100)) {
			size_t n = lens[l];
			int a = al[i];
			char *s = (char *)A + a;
			mkstr(s, n, (unsigned)a);
			size_t r = strlen(s);
			expect(r == n, "strlen", n, a, 0);
			hu64(&hl, r);
			hu64(&hl, strnlen(s, n / 2));
			hu64(&hl, strnlen(s, n + 10));
			/* strchr/strrchr/memchr for a present, absent and NUL byte. */
			for (int c = 'a'; c <= 'z'; c += 5) {
				char *p = strchr(s, c), *q = strrchr(s, c);
				char *m = memchr(s, c, n);
				hu64(&hc, p ? (uint64_t)(p - s) : ~0ull);
				hu64(&hr, q ? (uint64_t)(q - s) : ~0ull);
				hu64(&hchr, m ? (uint64_t)(m - s) : ~0ull);
				char *ref = NULL;
				for (size_t i = 0; i < n; i++)
					if (s[i] == c) {
						ref = s + i;
						break;
					}
				expect(p == ref && m == ref, "strchr/memchr", n, a, c);
				char *mr = memrchr(s, c, n);
				expect(mr == q, "memrchr", n, a, c);
			}
			expect(strchr(s, 0) == s + n, "strchr nul", n, a, 0);
			expect(strrchr(s, '#') == NULL, "strrchr absent", n, a, 0);
			/* Compare against copies at another alignment that
			 * differ at several positions. */
			for (int b = 0; b < 16; b += 7) {
				char *t = (char *)B + b;
				memcpy(t, s, n + 1);
				hu64(&hcmp, (uint64_t)sign(strcmp(s, t)));
				hu64(&hcmp, (uint64_t)sign(memcmp(s, t, n)));
				for (size_t pos = 0; pos < n; pos += 1 + pos / 2) {
					char save = t[pos];
					t[pos] = (char)(save + 1 + (pos & 1) * 0x70);
					int c1 = strcmp(s, t), c2 = memcmp(s, t, n);
					int c3 = strncmp(s, t, pos), c4 = strncmp(s, t, pos + 1);
					int c5 = bcmp(s, t, n) != 0;
					expect(sign(c1) == sign((unsigned char)s[pos] - (unsigned char)t[pos]) &&
						       sign(c1) == sign(c2) && c3 == 0 && sign(c4) == sign(c1) && c5,
					       "strcmp/memcmp", n, a, b);
					hu64(&hcmp, (uint64_t)(sign(c1) * 9 + sign(c2) * 3 + sign(c4)));
					t[pos] = save;
				}
				/* Truncated t: s is longer. */
				if (n) {
					t[n - 1] = 0;
					hu64(&hcmp, (uint64_t)sign(strcmp(s, t)));
				}
				char *d = (char *)C + (b + a) % 16;
				memset(C, 0x77, n + 64);
				char *e = stpcpy(d, s);
				expect(e == d + n && !strcmp(d, s), "stpcpy", n, a, b);
				expect(strcpy(d, s) == d, "strcpy", n, a, b);
				hbytes(&hcpy, C, n + 32);
				memset(C, 0x77, n + 64);
				strncpy(d, s, n / 2 + 3);
				hbytes(&hcpy, C, n + 32);
				strcat(d, "tail");
				hu64(&hcpy, strlen(d));
			}
			hu64(&hspn, strspn(s, "abcdefghijklm"));
			hu64(&hspn, strcspn(s, "xyz"));
			char *pb = strpbrk(s, "qz");
			hu64(&hspn, pb ? (uint64_t)(pb - s) : ~0ull);
			char *u = (char *)B + 3;
			for (size_t i = 0; i <= n; i++)
				u[i] = (char)(i & 1 ? s[i] - 32 * (s[i] != 0) : s[i]);
			hu64(&hcase, (uint64_t)sign(strcasecmp(s, u)));
			hu64(&hcase, (uint64_t)sign(strncasecmp(s, u, n / 2)));
			if (n)
				u[n / 2] = 'Z';
			hu64(&hcase, (uint64_t)sign(strcasecmp(s, u)));
		}
	printf("strlen %016llx\nstrchr %016llx\nstrrchr %016llx\nmemchr %016llx\n",
	       (unsigned long long)hl.h, (unsigned long long)hc.h, (unsigned long long)hr.h,
	       (unsigned long long)hchr.h);
	printf("strcmp %016llx\nstrcpy %016llx\nstrspn %016llx\nstrcase %016llx\n",
	       (unsigned long long)hcmp.h, (unsigned long long)hcpy.h, (unsigned long long)hspn.h,
	       (unsigned long long)hcase.h);
}

static void test_strstr(void)
{
	static const char *hay[] = {
		"", "a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
		"the quick brown fox jumps over the lazy dog",
		"abababababababababababababababababababababababababababababababac",
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxyz",
	};
	static const char *needle[] = {
		"", "a", "b", "ab", "aab", "ac", "abac", "fox", "lazy dog", "dog!", "the",
		"aaaaaaaaaaaaaaaaaaaaaaaaaab", "xyz", "xxy", "ababababababababababababac",
		"quick brown fox jumps over the lazy dog and more",
	};
	for (size_t i = 0; i < sizeof hay / sizeof hay[0]; i++)
		for (int a = 0; a < 16; a += 7) {
			char *h = (char *)A + a;
			strcpy(h, hay[i]);
			for (size_t j = 0; j < sizeof needle / sizeof needle[0]; j++) {
				char *p = strstr(h, needle[j]);
				char *m = memmem(h, strlen(h), needle[j], strlen(needle[j]));
				char *c = strcasestr(h, needle[j]);
				printf("strstr %zu %d %zu: %ld %ld %ld\n", i, a, j, p ? (long)(p - h) : -1L,
				       m ? (long)(m - h) : -1L, c ? (long)(c - h) : -1L);
			}
		}
	/* A long haystack with a long needle (glibc's two-way algorithm). */
	char *big = (char *)C;
	for (int i = 0; i < 3000; i++)
		big[i] = "abcab"[(i * i + i / 7) % 5];
	big[3000] = 0;
	for (int start = 0; start < 2900; start += 97) {
		char nd[101];
		memcpy(nd, big + start, 100);
		nd[100] = 0;
		char *p = strstr(big, nd);
		printf("long strstr %d: %ld\n", start, p ? (long)(p - big) : -1L);
	}
}

/* Strings ending right before an unmapped page: vector code must not read
 * across the boundary. */
static void test_pagecross(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		printf("mmap failed\n");
		return;
	}
	mprotect(m + pg, pg, PROT_NONE);
	hash_t h;
	hinit(&h);
	for (size_t n = 0; n < 200; n++) {
		char *s = m + pg - n - 1;
		mkstr(s, n, (unsigned)n);
		char *t = m + pg - n - 1 - 300;
		memcpy(t, s, n + 1);
		hu64(&h, strlen(s));
		hu64(&h, strnlen(s, 1000));
		char *p = strchr(s, 'q');
		hu64(&h, p ? (uint64_t)(p - s) : ~0ull);
		p = strrchr(s, 'e');
		hu64(&h, p ? (uint64_t)(p - s) : ~0ull);
		p = memchr(s, 0, n + 1);
		hu64(&h, (uint64_t)(p - s));
		hu64(&h, (uint64_t)sign(strcmp(s, t)));
		hu64(&h, (uint64_t)sign(strcmp(t, s)));
		hu64(&h, (uint64_t)sign(memcmp(s, t, n + 1)));
		hu64(&h, (uint64_t)sign(strncmp(s, t, 5000)));
		hu64(&h, strspn(s, "abcdefghij"));
		hu64(&h, strcspn(s, "z"));
		p = strstr(s, "ho");
		hu64(&h, p ? (uint64_t)(p - s) : ~0ull);
		char d[256];
		strcpy(d, s);
		hu64(&h, strlen(d));
	}
	printf("pagecross %016llx\n", (unsigned long long)h.h);
	munmap(m, 2 * pg);
}

static void test_wide(void)
{
	wchar_t w[300], v[300];
	hash_t h;
	hinit(&h);
	for (int n = 0; n < 260; n += 3) {
		for (int i = 0; i < n; i++)
			w[i] = (wchar_t)(0x40 + (i * 13) % 0x3000);
		w[n] = 0;
		hu64(&h, wcslen(w));
		wmemset(v, 0x1234, 299);
		wcscpy(v, w);
		hu64(&h, (uint64_t)sign(wcscmp(w, v)));
		if (n) {
			v[n / 2]++;
			hu64(&h, (uint64_t)sign(wcscmp(w, v)));
			hu64(&h, (uint64_t)sign(wmemcmp(w, v, n)));
		}
		wchar_t *p = wcschr(w, 0x40 + 13 * 5);
		hu64(&h, p ? (uint64_t)(p - w) : ~0ull);
		p = wcsrchr(w, 0x40);
		hu64(&h, p ? (uint64_t)(p - w) : ~0ull);
		p = wmemchr(w, 0x40 + 13 * 7, n);
		hu64(&h, p ? (uint64_t)(p - w) : ~0ull);
	}
	printf("wide %016llx\n", (unsigned long long)h.h);
}

int main(void)
{
	test_memcpy();
	test_memmove();
	test_memset();
	test_str();
	test_strstr();
	test_pagecross();
	test_wide();
	char *d = strdup("duplicate me"), *nd = strndup("duplicate me", 4);
	printf("strdup %s %s\n", d, nd);
	free(d);
	free(nd);
	char tok[] = "a,b;;c,,d;e";
	char *save, *t = strtok_r(tok, ",;", &save);
	while (t) {
		printf("tok %s\n", t);
		t = strtok_r(NULL, ",;", &save);
	}
	printf("failures %d\n", fails);
	return 0;
}
