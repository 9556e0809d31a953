/* malloc-heavy code: many sizes, realloc growth and shrink, frees in
 * several orders, calloc, aligned allocation, and mmap-sized blocks. */
#include <malloc.h>
#include "common.h"

#define SLOTS 2000

static void fillp(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i += 61)
		p[i] = (unsigned char)(seed + i);
	if (n)
		p[n - 1] = (unsigned char)seed;
}
static int checkp(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i += 61)
		if (p[i] != (unsigned char)(seed + i) && !(i == n - 1))
			return 0;
	return n == 0 || p[n - 1] == (unsigned char)seed;
}

int main(void)
{
	static unsigned char *slot[SLOTS];
	static size_t size[SLOTS];
	int bad = 0;
	size_t total = 0;
	/* Random allocate/free/realloc traffic. */
	for (int round = 0; round < 20000; round++) {
		int i = (int)(rnd() % SLOTS);
		uint64_t r = rnd();
		if (slot[i]) {
			if (!checkp(slot[i], size[i], (unsigned)i))
				bad++;
			if (r & 1) {
				free(slot[i]);
				slot[i] = NULL;
				continue;
			}
			size_t ns = (r >> 8) % 3 == 0 ? size[i] / 2 : size[i] * 2 + (r >> 20) % 100;
			if (ns > 600000)
				ns /= 16;
			/* realloc(p, 0) frees p in glibc. */
			if (ns == 0)
				ns = 1;
			unsigned char *p = realloc(slot[i], ns);
			if (!p) {
				bad++;
				continue;
			}
			/* The kept prefix must survive. */
			size_t keep = ns < size[i] ? ns : size[i];
			for (size_t k = 0; k < keep; k += 61)
				if (p[k] != (unsigned char)(i + k) && k != size[i] - 1)
					bad++;
			slot[i] = p;
			size[i] = ns;
			fillp(p, ns, (unsigned)i);
		} else {
			size_t n;
			switch (r % 16) {
			case 0: n = 0; break;
			case 1: n = (r >> 8) % 16; break;
			case 2: case 3: n = (r >> 8) % 512; break;
			case 4: case 5: n = (r >> 8) % 8192; break;
			case 6: n = (r >> 8) % 100000; break;
			case 7: n = 140000 + (r >> 8) % 200000; break; /* mmap-backed */
			default: n = (r >> 8) % 64; break;
			}
			slot[i] = (r >> 40) & 1 ? malloc(n) : calloc(1, n);
			if (!slot[i] && n) {
				bad++;
				continue;
			}
			if (!((r >> 40) & 1))
				for (size_t k = 0; k < n; k += 97)
					if (slot[i][k])
						bad++;
			/* malloc's alignment is 16 on x86-64. */
			if (((uintptr_t)slot[i] & 15) != 0)
				bad++;
			size[i] = n;
			total += n;
			fillp(slot[i], n, (unsigned)i);
		}
	}
	printf("random traffic: bad=%d total=%zu\n", bad, total);
	/* Free in forward, backward and interleaved orders. */
	for (int i = 0; i < SLOTS; i += 2)
		free(slot[i]);
	for (int i = SLOTS - 1; i > 0; i -= 2)
		free(slot[i]);
	for (int order = 0; order < 3; order++) {
		void *p[1000];
		for (int i = 0; i < 1000; i++)
			p[i] = malloc((size_t)(16 + (i * 37) % 3000));
		for (int i = 0; i < 1000; i++) {
			int j = order == 0 ? i : order == 1 ? 999 - i : (i * 7) % 1000;
			free(p[j]);
		}
	}
	/* Large blocks: many megabytes, touched sparsely, grown by realloc. */
	size_t big = 1 << 20;
	unsigned char *b = malloc(big);
	for (int step = 0; step < 4; step++) {
		for (size_t k = 0; k < big; k += 4096)
			b[k] = (unsigned char)(k >> 12);
		size_t nb = big * 2;
		b = realloc(b, nb);
		int ok = 1;
		for (size_t k = 0; k < big; k += 4096)
			ok &= b[k] == (unsigned char)(k >> 12);
		printf("realloc %zu -> %zu ok=%d\n", big, nb, ok);
		big = nb;
	}
	free(b);
	for (size_t al = 16; al <= 65536; al *= 4) {
		void *p = NULL;
		int r = posix_memalign(&p, al, 1000);
		void *q = aligned_alloc(al, al * 3);
		void *m = memalign(al, 77);
		printf("align %zu: %d %d %d %d\n", al, r, ((uintptr_t)p % al) == 0,
		       ((uintptr_t)q % al) == 0, ((uintptr_t)m % al) == 0);
		free(p);
		free(q);
		free(m);
	}
	/* A linked structure: build, walk, free. */
	struct node {
		struct node *next;
		uint64_t v;
		char pad[40];
	} *head = NULL;
	for (int i = 0; i < 20000; i++) {
		struct node *n = malloc(sizeof *n);
		n->v = rnd();
		n->next = head;
		head = n;
	}
	hash_t h;
	hinit(&h);
	while (head) {
		struct node *n = head->next;
		hu64(&h, head->v);
		free(head);
		head = n;
	}
	printf("list %016llx\n", (unsigned long long)h.h);
	void *z = malloc(0);
	printf("malloc(0) %s\n", z ? "non-null" : "null");
	free(z);
	z = realloc(NULL, 10);
	printf("realloc(NULL, 10) %s\n", z ? "ok" : "null");
	free(z);
	return 0;
}
