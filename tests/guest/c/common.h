/* Helpers shared by the guest test programs. Everything printed must be the
 * same natively and under guestrun: no addresses, pids or absolute times. */
#ifndef GUEST_COMMON_H
#define GUEST_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fixed pseudo-random sequence (splitmix64). */
static uint64_t rng_state = 0x243f6a8885a308d3ull;
static inline uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A FNV-1a-like hash, a word at a time, to print one line for a lot of data. */
typedef struct { uint64_t h; } hash_t;
static inline void hinit(hash_t *h) { h->h = 0xcbf29ce484222325ull; }
static inline void hbytes(hash_t *h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, c + i, 8);
		h->h = (h->h ^ w) * 0x100000001b3ull;
		h->h ^= h->h >> 29;
	}
	for (; i < n; i++) {
		h->h ^= c[i];
		h->h *= 0x100000001b3ull;
	}
}
static inline void hu64(hash_t *h, uint64_t v) { hbytes(h, &v, sizeof v); }

static inline void check(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
	}
}

#endif
