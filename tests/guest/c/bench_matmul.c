/* Benchmark: double matrix multiply of two argv[1] x argv[1] matrices. */
#include "common.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	double *a = malloc(sizeof(double) * (size_t)n * (size_t)n);
	double *b = malloc(sizeof(double) * (size_t)n * (size_t)n);
	double *c = calloc((size_t)n * (size_t)n, sizeof(double));
	for (int i = 0; i < n * n; i++) {
		a[i] = (double)(i % 17) * 0.25 - 1.0;
		b[i] = (double)(i % 13) * 0.5 + 0.125;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < n; k++) {
			double x = a[i * n + k];
			for (int j = 0; j < n; j++)
				c[i * n + j] += x * b[k * n + j];
		}
	double tr = 0;
	for (int i = 0; i < n; i++)
		tr += c[i * n + i] + c[i * n + (n - 1 - i)];
	printf("matmul %d: %.17g\n", n, tr);
	return 0;
}
