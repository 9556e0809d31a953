/* Threads end by returning and by pthread_exit; then the main thread
 * exits first, and the process ends when the last thread makes the raw
 * exit syscall, with that thread's status (since Linux 5.19). */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int main_leaving;

static void *returns(void *arg) { return (void *)((long)arg * 2); }

static void *exits(void *arg)
{
	pthread_exit((void *)((long)arg + 40));
	return NULL;
}

static void *last(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!main_leaving)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	usleep(100000);
	printf("last thread still running after main left\n");
	fflush(stdout);
	syscall(SYS_exit, 9);
	return NULL;
}

int main(void)
{
	pthread_t t;
	void *r;
	pthread_create(&t, NULL, returns, (void *)21);
	pthread_join(t, &r);
	printf("returned %ld\n", (long)r);
	pthread_create(&t, NULL, exits, (void *)2);
	pthread_join(t, &r);
	printf("pthread_exit %ld\n", (long)r);

	pthread_create(&t, NULL, last, NULL);
	pthread_detach(t);
	printf("main leaving\n");
	fflush(stdout);
	pthread_mutex_lock(&mu);
	main_leaving = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_exit(NULL);
}
