/* Forked children that live on. Under guestrun a forked child starts in its
 * parent's guestrun and is handed over to a guestrun of its own after a
 * while, or before it makes a thread or changes a resource limit; nothing
 * of that may show. Each child checks that its pid, parent, signal mask,
 * pending signals, close-on-exec fds, memory and registers survive, and
 * reports through its exit status and a pipe. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

/* Spins for about ms milliseconds. */
static void spin(int ms)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	unsigned long x = 12345;
	for (;;) {
		for (int i = 0; i < 10000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
		sink = x;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= ms)
			return;
	}
}

static void *thread_main(void *arg)
{
	return (void *)((long)arg * 2);
}

/* Prints how a child ended. */
static void show(const char *what, int st)
{
	printf("%s: %s %d\n", what, WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static int report(int fd, const char *what, int ok)
{
	char line[128];
	int n = snprintf(line, sizeof line, "%s: %s\n", what, ok ? "ok" : "WRONG");
	write(fd, line, n);
	return ok;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2];
	pipe(p);
	pid_t parent = getpid();
	int cloexec_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	static char big[1 << 20];
	for (size_t i = 0; i < sizeof big; i += 4096)
		big[i] = (char)(i >> 12);

	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		pid_t me = getpid();
		/* Long enough to be handed over while computing. */
		spin(60);
		int ok = 1;
		ok &= report(p[1], "pid and parent kept", getpid() == me && getppid() == parent);
		sigset_t pend;
		sigpending(&pend);
		ok &= report(p[1], "blocked SIGUSR1 still pending", sigismember(&pend, SIGUSR1));
		ok &= report(p[1], "close-on-exec fd kept, still close-on-exec",
			     fcntl(cloexec_fd, F_GETFD) == FD_CLOEXEC);
		int mem_ok = 1;
		for (size_t i = 0; i < sizeof big; i += 4096)
			mem_ok &= big[i] == (char)(i >> 12);
		ok &= report(p[1], "memory kept", mem_ok);
		struct timespec ts = {0, 30 * 1000000};
		ok &= report(p[1], "nanosleep", nanosleep(&ts, NULL) == 0);
		/* A limit change and a thread, after and before a hand-over. */
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = 64;
		ok &= report(p[1], "setrlimit", setrlimit(RLIMIT_NOFILE, &rl) == 0);
		getrlimit(RLIMIT_NOFILE, &rl);
		ok &= report(p[1], "limit applies", rl.rlim_cur == 64 && dup2(0, 100) < 0);
		pthread_t t;
		void *r = NULL;
		ok &= report(p[1], "thread", pthread_create(&t, NULL, thread_main, (void *)21) == 0 &&
						       pthread_join(t, &r) == 0 && (long)r == 42);
		int sig = 0;
		ok &= report(p[1], "sigwait", sigwait(&usr1, &sig) == 0 && sig == SIGUSR1);
		_exit(ok ? 33 : 1);
	}
	close(p[1]);
	kill(pid, SIGUSR1);
	char buf[1024];
	ssize_t n;
	while ((n = read(p[0], buf, sizeof buf)) > 0)
		fwrite(buf, 1, n, stdout);
	int st;
	waitpid(pid, &st, 0);
	show("child", st);

	/* A thread and a limit change at once: the child is handed over
	 * first, and the new guestrun makes the call. */
	pid = fork();
	if (pid == 0) {
		pthread_t t;
		void *r = NULL;
		int ok = pthread_create(&t, NULL, thread_main, (void *)5) == 0 && pthread_join(t, &r) == 0 &&
			 (long)r == 10;
		struct rlimit rl = {32, 32};
		ok &= setrlimit(RLIMIT_NOFILE, &rl) == 0 && dup2(0, 40) < 0 && getppid() == parent;
		_exit(ok ? 44 : 1);
	}
	waitpid(pid, &st, 0);
	show("thread and limit at once", st);

	/* A child that execs after being handed over, and one killed while
	 * running. */
	pid = fork();
	if (pid == 0) {
		spin(40);
		execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
		_exit(99);
	}
	waitpid(pid, &st, 0);
	show("exec after a while", st);
	pid = fork();
	if (pid == 0) {
		for (;;)
			spin(10);
	}
	struct timespec ts = {0, 50 * 1000000};
	nanosleep(&ts, NULL);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	show("killed while running", st);

	/* Relative exec paths are the child's cwd's: one the child changed
	 * to, and its own when the parent changes directory after the fork. */
	mkdir("fh_sub", 0755);
	FILE *f = fopen("fh_sub/prog.sh", "w");
	fputs("#!/bin/sh\nexit 9\n", f);
	fclose(f);
	chmod("fh_sub/prog.sh", 0755);
	pid = fork();
	if (pid == 0) {
		chdir("fh_sub");
		execl("./prog.sh", "prog.sh", (char *)NULL);
		_exit(98);
	}
	waitpid(pid, &st, 0);
	show("chdir and exec ./prog.sh", st);
	char cwd[4096];
	getcwd(cwd, sizeof cwd);
	pid = fork();
	if (pid == 0) {
		struct timespec d = {0, 10 * 1000000};
		nanosleep(&d, NULL);
		execl("fh_sub/prog.sh", "prog.sh", (char *)NULL);
		_exit(97);
	}
	chdir("/");
	waitpid(pid, &st, 0);
	chdir(cwd);
	show("exec fh_sub/prog.sh after the parent's chdir", st);
	unlink("fh_sub/prog.sh");
	rmdir("fh_sub");

	/* Many short children at once: more than guestrun runs at a time. */
	pid_t kids[20];
	for (int i = 0; i < 20; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			spin(5);
			_exit(i);
		}
	}
	int sum = 0;
	for (int i = 0; i < 20; i++) {
		waitpid(kids[i], &st, 0);
		sum += WEXITSTATUS(st);
	}
	printf("20 children at once: sum %d\n", sum);
	return 0;
}
