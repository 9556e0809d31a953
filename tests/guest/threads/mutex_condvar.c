/* Many threads share a mutex-protected queue (producer/consumer with
 * condition variables), keep thread-local counters, and meet at a
 * barrier; the results do not depend on the scheduling. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define PRODUCERS 8
#define CONSUMERS 8
#define ITEMS 2000
#define QSIZE 16

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER;
static pthread_cond_t notempty = PTHREAD_COND_INITIALIZER;
static long queue[QSIZE];
static int head, count, producing = PRODUCERS;
static long consumed_sum;
static int consumed_n;

static __thread long tls_sum;
static __thread int tls_id = -1;

static pthread_barrier_t barrier;

static void put(long v)
{
	pthread_mutex_lock(&mu);
	while (count == QSIZE)
		pthread_cond_wait(&notfull, &mu);
	queue[(head + count) % QSIZE] = v;
	count++;
	pthread_cond_signal(&notempty);
	pthread_mutex_unlock(&mu);
}

static int get(long *v)
{
	pthread_mutex_lock(&mu);
	while (count == 0 && producing > 0)
		pthread_cond_wait(&notempty, &mu);
	if (count == 0) {
		pthread_mutex_unlock(&mu);
		return 0;
	}
	*v = queue[head];
	head = (head + 1) % QSIZE;
	count--;
	pthread_cond_signal(&notfull);
	pthread_mutex_unlock(&mu);
	return 1;
}

static void *producer(void *arg)
{
	long id = (long)arg;
	tls_id = (int)id;
	for (long i = 0; i < ITEMS; i++) {
		put(id * ITEMS + i);
		tls_sum += id * ITEMS + i;
	}
	pthread_barrier_wait(&barrier);
	pthread_mutex_lock(&mu);
	producing--;
	pthread_cond_broadcast(&notempty);
	pthread_mutex_unlock(&mu);
	return (void *)(tls_sum + (tls_id == id ? 0 : 1));
}

static void *consumer(void *arg)
{
	long v, n = 0;
	(void)arg;
	while (get(&v)) {
		tls_sum += v;
		n++;
	}
	pthread_mutex_lock(&mu);
	consumed_sum += tls_sum;
	consumed_n += (int)n;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	pthread_t p[PRODUCERS], c[CONSUMERS];
	long produced = 0;
	tls_sum = 12345;
	pthread_barrier_init(&barrier, NULL, PRODUCERS);
	for (long i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, consumer, (void *)i);
	for (long i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, producer, (void *)i);
	for (int i = 0; i < PRODUCERS; i++) {
		void *r;
		pthread_join(p[i], &r);
		produced += (long)r;
	}
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	printf("produced %ld consumed %ld items %d\n", produced, consumed_sum, consumed_n);
	printf("main's thread-local value untouched: %ld\n", tls_sum);

	/* A recursive mutex, a trylock and a read-write lock. */
	pthread_mutexattr_t ma;
	pthread_mutex_t rm;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rm, &ma);
	pthread_mutex_lock(&rm);
	printf("recursive relock: %d\n", pthread_mutex_lock(&rm));
	pthread_mutex_unlock(&rm);
	pthread_mutex_unlock(&rm);
	pthread_mutex_lock(&mu);
	printf("trylock held: %s\n", pthread_mutex_trylock(&mu) ? "busy" : "taken");
	pthread_mutex_unlock(&mu);
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	pthread_rwlock_rdlock(&rw);
	printf("second reader: %d, writer: %s\n", pthread_rwlock_tryrdlock(&rw),
	       pthread_rwlock_trywrlock(&rw) ? "busy" : "taken");
	return 0;
}
