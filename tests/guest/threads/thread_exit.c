/* Threads end by returning and by pthread_exit; then the main thread
 * exits first, and the process ends when the last thread makes the raw
 * exit syscall, with that thread's status (since Linux 5.19). */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_t main_thread;

static void *returns(void *arg) { return (void *)((long)arg * 2); }

static void *exits(void *arg)
{
	pthread_exit((void *)((long)arg + 40));
	return NULL;
}

/* Waits for the main thread to be gone, then ends the process. */
static void *last(void *arg)
{
	(void)arg;
	pthread_join(main_thread, NULL);
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

	main_thread = pthread_self();
	pthread_create(&t, NULL, last, NULL);
	pthread_detach(t);
	printf("main leaving\n");
	fflush(stdout);
	pthread_exit(NULL);
}
