/* qsort and bsearch on integers, doubles, strings and structs. */
#include "common.h"

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}
static int cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x < y) - (x > y);
}
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct rec {
	int key;
	char name[12];
	double weight;
};
/* Ties broken by name so the order is total: qsort is not stable. */
static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->name, y->name);
}

int main(void)
{
	static const size_t sizes[] = {0, 1, 2, 3, 5, 7, 8, 16, 31, 100, 1000, 5000};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s];
		int *a = malloc((n + 1) * sizeof *a);
		for (size_t i = 0; i < n; i++)
			a[i] = (int)(rnd() % 2001) - 1000;
		qsort(a, n, sizeof *a, cmp_int);
		int sorted = 1;
		hash_t h;
		hinit(&h);
		for (size_t i = 0; i < n; i++) {
			if (i && a[i - 1] > a[i])
				sorted = 0;
			hu64(&h, (uint64_t)a[i]);
		}
		int key = 17, *found = n ? bsearch(&key, a, n, sizeof *a, cmp_int) : NULL;
		printf("int n=%zu sorted=%d hash=%016llx min=%d max=%d 17:%s\n", n, sorted,
		       (unsigned long long)h.h, n ? a[0] : 0, n ? a[n - 1] : 0,
		       found ? "found" : "absent");
		free(a);
	}
	/* Already sorted, reversed and constant inputs. */
	for (int kind = 0; kind < 3; kind++) {
		uint64_t v[777];
		for (int i = 0; i < 777; i++)
			v[i] = kind == 0 ? (uint64_t)i : kind == 1 ? (uint64_t)(777 - i) : 5;
		qsort(v, 777, sizeof v[0], cmp_u64_desc);
		printf("kind %d: %llu %llu %llu\n", kind, (unsigned long long)v[0],
		       (unsigned long long)v[388], (unsigned long long)v[776]);
	}
	double d[500];
	for (int i = 0; i < 500; i++)
		d[i] = (double)(int64_t)rnd() / 1e15;
	qsort(d, 500, sizeof d[0], cmp_double);
	for (int i = 0; i < 500; i += 50)
		printf("double[%d] = %.17g\n", i, d[i]);
	char *words[300];
	for (int i = 0; i < 300; i++) {
		words[i] = malloc(16);
		int len = 1 + (int)(rnd() % 10);
		for (int j = 0; j < len; j++)
			words[i][j] = (char)('a' + rnd() % 26);
		words[i][len] = 0;
	}
	qsort(words, 300, sizeof words[0], cmp_str);
	for (int i = 0; i < 300; i++) {
		printf("%s%c", words[i], i % 20 == 19 ? '\n' : ' ');
		free(words[i]);
	}
	struct rec r[400];
	for (int i = 0; i < 400; i++) {
		r[i].key = (int)(rnd() % 50);
		snprintf(r[i].name, sizeof r[i].name, "n%08x", (unsigned)rnd());
		r[i].weight = (double)i * 0.25;
	}
	qsort(r, 400, sizeof r[0], cmp_rec);
	for (int i = 0; i < 400; i += 23)
		printf("rec %d %s %.2f\n", r[i].key, r[i].name, r[i].weight);
	return 0;
}
