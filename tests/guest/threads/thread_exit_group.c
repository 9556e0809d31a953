/* exit() from a thread ends the whole process while other threads are
 * blocked: in a read, a condition variable wait, a sleep and a join. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int fds[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t ready;

static void *reader(void *arg)
{
	char c;
	pthread_barrier_wait(&ready);
	read(fds[0], &c, 1);
	printf("reader woke\n");
	return arg;
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	pthread_barrier_wait(&ready);
	pthread_cond_wait(&cv, &mu);
	printf("waiter woke\n");
	return arg;
}

static void *sleeper(void *arg)
{
	pthread_barrier_wait(&ready);
	sleep(30);
	printf("sleeper woke\n");
	return arg;
}

static void *ender(void *arg)
{
	pthread_barrier_wait(&ready);
	usleep(50000);
	printf("ending the process\n");
	exit(3);
	return arg;
}

int main(void)
{
	pthread_t t[4];
	pipe(fds);
	pthread_barrier_init(&ready, NULL, 4);
	pthread_create(&t[0], NULL, reader, NULL);
	pthread_create(&t[1], NULL, waiter, NULL);
	pthread_create(&t[2], NULL, sleeper, NULL);
	pthread_create(&t[3], NULL, ender, NULL);
	pthread_join(t[0], NULL);
	printf("main woke\n");
	return 0;
}
