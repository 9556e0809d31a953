/* 100 threads at once, each with its own stack work and a result, then
 * 200 more created and joined one after the other. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 100

static pthread_barrier_t all_started;
static int tids_distinct_ok = 1;
static pid_t tids[N];

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static void *work(void *arg)
{
	long i = (long)arg;
	char buf[4096];
	memset(buf, (int)i, sizeof buf);
	tids[i] = (pid_t)syscall(SYS_gettid);
	/* All threads exist at the same time here. */
	pthread_barrier_wait(&all_started);
	return (void *)(fib(10 + (int)(i % 8)) + buf[100]);
}

static void *nothing(void *arg) { return arg; }

int main(void)
{
	pthread_t th[N];
	long sum = 0;
	pthread_barrier_init(&all_started, NULL, N + 1);
	for (long i = 0; i < N; i++)
		if (pthread_create(&th[i], NULL, work, (void *)i) != 0) {
			printf("create %ld failed\n", i);
			return 1;
		}
	pthread_barrier_wait(&all_started);
	for (int i = 0; i < N; i++) {
		void *r;
		pthread_join(th[i], &r);
		sum += (long)r;
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j] || tids[i] == getpid())
				tids_distinct_ok = 0;
	printf("sum %ld, tids distinct: %d\n", sum, tids_distinct_ok);
	long total = 0;
	for (long i = 0; i < 200; i++) {
		void *r;
		pthread_t t;
		pthread_create(&t, NULL, nothing, (void *)i);
		pthread_join(t, &r);
		total += (long)r;
	}
	printf("sequential total %ld\n", total);
	return 0;
}
