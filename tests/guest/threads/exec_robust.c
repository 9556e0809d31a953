/* execve from a thread while robust mutexes are held, one by the main
 * thread and one by the thread calling execve: Linux releases the main
 * thread's as it exits, so another process then finds it EOWNERDEAD, but
 * not the caller's, which has taken the main thread's tid by then. An
 * execve from the main thread releases its own. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t *m;
static char *self;

static void *execer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m[1]);
	char *argv[] = { self, "child", NULL };
	execv("/proc/self/exe", argv);
	perror("execv");
	_exit(1);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return 0;
	self = argv[0];
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	for (int i = 0; i < 3; i++)
		pthread_mutex_init(&m[i], &a);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_mutex_lock(&m[0]);
		pthread_t t;
		pthread_create(&t, NULL, execer, NULL);
		pthread_join(t, NULL);
		_exit(2);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child exited %d status %d\n", WIFEXITED(status), WEXITSTATUS(status));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		pthread_mutex_lock(&m[2]);
		char *args[] = { self, "child", NULL };
		execv("/proc/self/exe", args);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	printf("second child exited %d status %d\n", WIFEXITED(status), WEXITSTATUS(status));
	const char *who[] = { "main thread's", "execve thread's", "execve main thread's" };
	for (int i = 0; i < 3; i++) {
		int r = pthread_mutex_trylock(&m[i]);
		printf("%s mutex: %s\n", who[i], r == EOWNERDEAD ? "EOWNERDEAD" : r ? strerror(r) : "free");
		if (r == EOWNERDEAD)
			pthread_mutex_consistent(&m[i]);
		pthread_mutex_unlock(&m[i]);
	}
	return 0;
}
