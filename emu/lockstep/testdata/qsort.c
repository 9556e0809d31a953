/* qsort of integers, strings and records, with a simple generator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long seed = 12345;
static unsigned rnd(void) { return (seed = seed * 6364136223846793005ul + 1442695040888963407ul) >> 33; }

static int cmpint(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

static int cmpstr(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

struct rec {
	double key;
	short id;
	char pad[5];
};

static int cmprec(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->id - b->id;
}

int main(void)
{
	static int v[2000];
	for (int i = 0; i < 2000; i++)
		v[i] = (int)rnd() - (1 << 30);
	qsort(v, 2000, sizeof v[0], cmpint);
	long s = 0;
	for (int i = 0; i < 2000; i++)
		s = s * 31 + v[i];

	static char buf[300][8];
	static char *ps[300];
	for (int i = 0; i < 300; i++) {
		for (int j = 0; j < 7; j++)
			buf[i][j] = 'a' + rnd() % 26;
		ps[i] = buf[i];
	}
	qsort(ps, 300, sizeof ps[0], cmpstr);

	static struct rec r[500];
	for (int i = 0; i < 500; i++) {
		r[i].key = (double)(rnd() % 100) / 7.0;
		r[i].id = i;
	}
	qsort(r, 500, sizeof r[0], cmprec);
	printf("%ld %s %s %d %d\n", s, ps[0], ps[299], r[0].id, r[499].id);
	return 0;
}
