/* /proc/self/task lists the process's threads, and only them; each
 * thread's directory has its own comm, stat and status. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 5

static pthread_barrier_t ready, done;
static pid_t tids[N];

static void *worker(void *arg)
{
	int i = (int)(long)arg;
	tids[i] = syscall(SYS_gettid);
	char name[16];
	snprintf(name, sizeof name, "worker%d", i);
	pthread_setname_np(pthread_self(), name);
	if (i == 2) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &s, NULL);
	}
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&done);
	return NULL;
}

static int readfile(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
	return n;
}

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(void)
{
	pthread_barrier_init(&ready, NULL, N + 1);
	pthread_barrier_init(&done, NULL, N + 1);
	pthread_t th[N];
	for (int i = 0; i < N; i++)
		pthread_create(&th[i], NULL, worker, (void *)(long)i);
	pthread_barrier_wait(&ready);

	int listed[64], n = 0, dots = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] == '.')
			dots++;
		else if (n < 64)
			listed[n++] = atoi(e->d_name);
	closedir(d);
	printf("task entries: %d threads, %d dots\n", n, dots);

	int want[N + 1];
	want[0] = getpid();
	for (int i = 0; i < N; i++)
		want[i + 1] = tids[i];
	qsort(listed, n, sizeof listed[0], cmp);
	qsort(want, N + 1, sizeof want[0], cmp);
	printf("exactly our threads: %d\n", n == N + 1 && !memcmp(listed, want, sizeof want));

	char path[128], buf[4096];
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[i]);
		readfile(path, buf, sizeof buf);
		printf("thread %d comm %s", i, buf);
		snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
		readfile(path, buf, sizeof buf);
		char *close = strrchr(buf, ')');
		int threads = 0;
		/* num_threads is field 20; after ')' come fields 3.. */
		char *p = close + 2;
		for (int f = 3; f < 20; f++)
			p = strchr(p, ' ') + 1;
		threads = atoi(p);
		printf("  stat: pid field is the tid %d, num_threads %d\n", atoi(buf) == tids[i], threads);
		snprintf(path, sizeof path, "/proc/self/task/%d/status", tids[i]);
		readfile(path, buf, sizeof buf);
		char *blk = strstr(buf, "SigBlk:");
		unsigned long long m = strtoull(blk + 7, NULL, 16);
		char *pidl = strstr(buf, "\nPid:");
		printf("  status: Pid is the tid %d, SIGUSR1 blocked %d\n", atoi(pidl + 5) == tids[i],
		       (int)((m >> (SIGUSR1 - 1)) & 1));
	}
	readfile("/proc/self/status", buf, sizeof buf);
	printf("status Threads: %d\n", atoi(strstr(buf, "Threads:") + 8));

	pthread_barrier_wait(&done);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	n = 0;
	d = opendir("/proc/self/task");
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	printf("after join: %d\n", n);
	return 0;
}
