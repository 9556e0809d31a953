/* Many forks: 50 in a row, each waited for; 20 alive at once; a chain of
 * nested children; getpid and getppid in children; stdio buffers copied
 * by fork; clone(SIGCHLD) on a stack of its own; clone(CLONE_VFORK)
 * and clone(CLONE_FILES) without CLONE_VM. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int chain(int depth)
{
	if (depth == 0)
		return 0;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return 100;
	if (pid == 0) {
		if (getppid() != parent)
			_exit(101);
		_exit(chain(depth - 1) + 1);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 102;
	return WEXITSTATUS(st);
}

static char stack[65536] __attribute__((aligned(16)));
static int clone_child(void *arg) { return *(int *)arg; }

/* A CLONE_VFORK child without CLONE_VM: the parent waits until it exits. */
static int vfork_child(void *arg)
{
	usleep(50000);
	write(*(int *)arg, "done", 4);
	return 5;
}

/* A CLONE_FILES child without CLONE_VM: its fds are its parent's, its
 * memory its own. */
static int files_child_var = 1;
static int files_child(void *arg)
{
	int *fds = arg;
	files_child_var = 2;
	int fd = open("/dev/null", O_RDONLY);
	close(fds[1]);
	return fd == fds[0] ? 7 : 8;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOFBF, 4096);
	long sum = 0;
	int bad = 0;
	for (int i = 0; i < 50; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(i * 3 % 256);
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
			bad++;
		sum += WEXITSTATUS(st);
	}
	printf("50 forks in a row: sum %ld, bad %d\n", sum, bad);
	fflush(stdout);

	pid_t kids[20];
	pid_t me = getpid();
	for (int i = 0; i < 20; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(getppid() == me && getpid() != me ? i : 200);
	}
	sum = 0;
	for (int i = 19; i >= 0; i--) {
		int st;
		waitpid(kids[i], &st, 0);
		sum += WEXITSTATUS(st);
	}
	printf("20 at once: sum %ld\n", sum);
	fflush(stdout);
	printf("chain of 8: depth %d\n", chain(8));
	fflush(stdout);

	/* A buffered line is in the child's copy of the buffer too. */
	printf("buffered before fork, ");
	pid_t pid = fork();
	printf("%s\n", pid == 0 ? "child" : "parent");
	if (pid == 0)
		exit(0);
	waitpid(pid, NULL, 0);
	fflush(stdout);

	int arg = 37;
	pid = clone(clone_child, stack + sizeof stack, SIGCHLD, &arg);
	int st = 0;
	pid_t got = waitpid(pid, &st, 0);
	printf("clone(SIGCHLD): waited %d, status %d\n", got == pid, WEXITSTATUS(st));

	int p[2];
	pipe2(p, O_NONBLOCK);
	pid = clone(vfork_child, stack + sizeof stack, CLONE_VFORK | SIGCHLD, &p[1]);
	char buf[8] = {0};
	ssize_t n = read(p[0], buf, sizeof buf - 1);
	got = waitpid(pid, &st, 0);
	printf("clone(CLONE_VFORK): child done before the parent went on: %s, status %d\n", n > 0 ? buf : "no",
	       WEXITSTATUS(st));

	/* The child opens the lowest free fd and closes one of ours. */
	int fds[2];
	fds[1] = open("/dev/null", O_RDONLY);
	fds[0] = dup(0);
	close(fds[0]);
	pid = clone(files_child, stack + sizeof stack, CLONE_FILES | SIGCHLD, fds);
	got = waitpid(pid, &st, 0);
	printf("clone(CLONE_FILES): status %d, its fd open here: %s, ours closed: %s, memory shared: %s\n",
	       WEXITSTATUS(st), fcntl(fds[0], F_GETFD) >= 0 ? "yes" : "no", fcntl(fds[1], F_GETFD) < 0 ? "yes" : "no",
	       files_child_var == 2 ? "yes" : "no");
	close(fds[0]);
	return 0;
}
