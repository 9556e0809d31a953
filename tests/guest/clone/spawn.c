/* vfork, clone(CLONE_VM|CLONE_VFORK) and posix_spawn (glibc and musl both
 * spawn with CLONE_VM|CLONE_VFORK): the parent stays suspended until the
 * child execs or exits, which the child's writes to the shared memory
 * show; posix_spawn with file actions and attributes, serially and from
 * 8 threads at once. Usage: spawn [vfork|spawn|parallel] (default: all).
 * "child ..." is the spawned program. */
#include "clone.h"

#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;
static char self_exe[4096];
static int failures;

static void chk(int ok, const char *what)
{
	if (!ok) {
		printf("  FAIL: %s\n", what);
		failures++;
	}
}

static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

static void print_status(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exit %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: status %#x\n", what, st);
}

/* The spawned program: prints what it was given and exits with argv[2]. */
static int child_main(int argc, char **argv)
{
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	struct sigaction sa;
	sigaction(SIGUSR2, NULL, &sa);
	/* One write: the output may share a pipe or file with others. */
	char line[512];
	int n = snprintf(line, sizeof line, "child %s:", argv[2]);
	for (int i = 3; i < argc; i++)
		n += snprintf(line + n, sizeof line - n, " %s", argv[i]);
	n += snprintf(line + n, sizeof line - n, " | usr1 blocked %d, usr2 %s, own pgrp %d",
		      sigismember(&cur, SIGUSR1), sa.sa_handler == SIG_DFL ? "default" : "not default",
		      getpgrp() == getpid());
	/* Only posix_spawn's file actions say what fd 3 is. */
	if (argc > 3 && strncmp(argv[3], "from-", 5) != 0)
		n += snprintf(line + n, sizeof line - n, ", fd 3 open %d", fcntl(3, F_GETFD) >= 0);
	n += snprintf(line + n, sizeof line - n, "\n");
	if (write(1, line, n) != n)
		return 99;
	return atoi(argv[2]);
}

/* Written by the vfork child before it execs or exits. */
static volatile int steps;

static void busy_steps(void)
{
	/* Enough syscalls that a parent running alongside would see steps < 3. */
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 2000; j++)
			getppid();
		steps++;
	}
}

static int vfork_clone_child(void *arg)
{
	busy_steps();
	if (arg) {
		execl(self_exe, "spawn", "child", "13", "from-clone-vfork", (char *)NULL);
		_exit(127);
	}
	return 12;
}

/* report prints what the parent saw only after the child is gone: after
 * an exec the two run side by side. */
static void report(const char *what, int resumed_after_steps, pid_t c)
{
	int st = reap(c);
	printf("%s: parent resumed after the child's 3 steps: %d\n", what, resumed_after_steps);
	print_status(what, st);
}

static void test_vfork(void)
{
	steps = 0;
	pid_t parent = getpid();
	pid_t c = vfork();
	if (c == 0) {
		busy_steps();
		_exit(getppid() == parent ? 10 : 1);
	}
	report("vfork+_exit", steps == 3, c);

	steps = 0;
	c = vfork();
	if (c == 0) {
		busy_steps();
		execl(self_exe, "spawn", "child", "11", "from-vfork", (char *)NULL);
		_exit(127);
	}
	report("vfork+exec", steps == 3, c);

	c = vfork();
	if (c == 0) {
		execl("/nonexistent/program", "x", (char *)NULL);
		steps = errno;
		_exit(127);
	}
	int err = steps;
	print_status("vfork+failed exec", reap(c));
	printf("vfork+failed exec: errno seen by the parent %s\n", errname(err));

	char *stack = new_stack();
	for (int exec = 0; exec < 2; exec++) {
		steps = 0;
		c = clone(vfork_clone_child, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, exec ? "exec" : NULL);
		report(exec ? "clone(VM|VFORK)+exec" : "clone(VM|VFORK)", steps == 3, c);
	}
	munmap(stack, CHILD_STACK);
}

/* spawn_one spawns "child CODE WORDS..." with file actions that send its
 * stdout to out_fd and open fd 3 on /dev/null; returns the wait status
 * or -errno. */
static int spawn_one(int code, const char *word, int out_fd, int with_attrs)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_addopen(&fa, 3, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	if (with_attrs) {
		sigset_t mask, def;
		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		sigemptyset(&def);
		sigaddset(&def, SIGUSR2);
		posix_spawnattr_setsigmask(&at, &mask);
		posix_spawnattr_setsigdefault(&at, &def);
		posix_spawnattr_setpgroup(&at, 0);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	}
	char codes[16];
	snprintf(codes, sizeof codes, "%d", code);
	char *argv[] = {"spawn", "child", codes, (char *)word, NULL};
	pid_t pid;
	int err = posix_spawn(&pid, self_exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (err)
		return -err;
	return reap(pid);
}

static void test_spawn(void)
{
	/* SIGUSR2 ignored here: POSIX_SPAWN_SETSIGDEF resets it in the child. */
	signal(SIGUSR2, SIG_IGN);
	for (int i = 0; i < 5; i++) {
		char what[32];
		snprintf(what, sizeof what, "posix_spawn %d", i);
		print_status(what, spawn_one(20 + i, i % 2 ? "attrs" : "plain", -1, i % 2));
	}
	signal(SIGUSR2, SIG_DFL);
	/* Output through a file. */
	int fd = open("spawn_out", O_CREAT | O_TRUNC | O_RDWR, 0644);
	int st = spawn_one(3, "to-a-file", fd, 0);
	char buf[256] = {0};
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	unlink("spawn_out");
	printf("file got %zd bytes: %s", n, buf);
	print_status("posix_spawn to a file", st);
	/* Failures come back from posix_spawn itself. */
	pid_t pid;
	char *argv[] = {"x", NULL};
	int err = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, argv, environ);
	printf("posix_spawn of a missing program: %s\n", errname(err));
	err = posix_spawnp(&pid, "no-such-program-anywhere", NULL, NULL, argv, environ);
	printf("posix_spawnp of a missing program: %s\n", errname(err));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 5, "/nonexistent/file", O_RDONLY, 0);
	char *cargv[] = {"spawn", "child", "1", NULL};
	err = posix_spawn(&pid, self_exe, &fa, NULL, cargv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err == 0) /* a child that failed after the fork is reported by its status */
		err = reap(pid) == 127 << 8 ? ENOENT : -1;
	printf("posix_spawn with a failing file action: %s\n", errname(err));
	/* posix_spawnp searches PATH. */
	char *targv[] = {"true", NULL};
	err = posix_spawnp(&pid, "true", NULL, NULL, targv, environ);
	print_status("posix_spawnp true", err ? -1 : reap(pid));
}

#define THREADS 8
#define ROUNDS 3
static struct {
	int status[ROUNDS];
	char out[ROUNDS][160];
} results[THREADS];

static void *spawner(void *arg)
{
	int t = (int)(long)arg;
	for (int r = 0; r < ROUNDS; r++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) != 0)
			return NULL;
		char word[32];
		snprintf(word, sizeof word, "thread-%d-round-%d", t, r);
		results[t].status[r] = spawn_one(t * 10 + r, word, p[1], t % 2);
		close(p[1]);
		ssize_t n = 0, k;
		while (n < (ssize_t)sizeof results[t].out[r] - 1 &&
		       (k = read(p[0], results[t].out[r] + n, sizeof results[t].out[r] - 1 - n)) > 0)
			n += k;
		close(p[0]);
	}
	return NULL;
}

static void test_parallel(void)
{
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, spawner, (void *)(long)t);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < THREADS; t++)
		for (int r = 0; r < ROUNDS; r++) {
			int st = results[t].status[r];
			printf("thread %d round %d: %s", t, r, results[t].out[r]);
			chk(WIFEXITED(st) && WEXITSTATUS(st) == t * 10 + r, "parallel spawn status");
		}
	chk(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "all children reaped");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 3 && strcmp(argv[1], "child") == 0)
		return child_main(argc, argv);
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	self_exe[n > 0 ? n : 0] = 0;
	const char *mode = argc > 1 ? argv[1] : "all";
	int all = strcmp(mode, "all") == 0;
	if (all || strcmp(mode, "vfork") == 0)
		test_vfork();
	if (all || strcmp(mode, "spawn") == 0)
		test_spawn();
	if (all || strcmp(mode, "parallel") == 0)
		test_parallel();
	return failures != 0;
}
