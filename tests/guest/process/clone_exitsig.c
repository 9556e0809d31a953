/* clone without CLONE_VM and with an exit signal other than SIGCHLD: the
 * parent gets that signal (or none for 0) with a CLD_* siginfo when the
 * child ends, and only __WCLONE or __WALL waits for such a "clone" child,
 * while __WCLONE skips a SIGCHLD child. A clone child that execs has
 * SIGCHLD for exit signal from then on, as any other child. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif
#ifndef __WALL
#define __WALL 0x40000000
#endif

#define SIGRT 40 /* a real-time signal both libcs leave to programs */

static char *self;

/* child forks by raw clone with flags (the exit signal in the low byte);
 * the child ends with exit status code, or by SIGKILL when code < 0, or
 * execs this program to exit with code - 100 when code >= 100. */
static pid_t child(long flags, int code)
{
	pid_t pid = syscall(SYS_clone, flags, 0L, NULL, NULL, 0L);
	if (pid == 0) {
		if (code < 0)
			kill(getpid(), SIGKILL);
		if (code >= 100) {
			char arg[16];
			snprintf(arg, sizeof arg, "%d", code - 100);
			execl(self, self, "exit", arg, (char *)NULL);
		}
		_exit(code);
	}
	return pid;
}

static const char *err(int r)
{
	return r < 0 ? strerror(errno) : "ok";
}

static void status(const char *what, int r, pid_t pid, int st)
{
	if (r < 0) {
		printf("%-28s -1 %s\n", what, strerror(errno));
		return;
	}
	printf("%-28s %s", what, r == pid ? "pid" : "other");
	if (WIFEXITED(st))
		printf(" exited %d\n", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf(" killed by %d\n", WTERMSIG(st));
	else
		printf(" status %#x\n", st);
}

/* take waits for the exit signal sig of pid and prints its siginfo. */
static void take(const char *what, int sig, pid_t pid)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec ts = {5, 0};
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = sigtimedwait(&set, &si, &ts);
	if (r < 0) {
		printf("%-28s no signal: %s\n", what, strerror(errno));
		return;
	}
	printf("%-28s signal %d signo %d code %d status %d pid ok %d\n", what, r, si.si_signo, si.si_code,
	       si.si_status, si.si_pid == pid);
}

/* pending lists the signals of interest still pending. */
static void pending(const char *what)
{
	sigset_t set;
	sigpending(&set);
	printf("%-28s pending:", what);
	int sigs[] = {SIGCHLD, SIGUSR1, SIGUSR2, SIGRT};
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigismember(&set, sigs[i]))
			printf(" %d", sigs[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "exit") == 0)
		return atoi(argv[2]);
	self = argv[0];
	setvbuf(stdout, NULL, _IONBF, 0);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGRT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	int st = 0;

	/* SIGUSR1: the signal comes, a plain wait does not see the child. */
	pid_t pid = child(SIGUSR1, 7);
	take("usr1 exit", SIGUSR1, pid);
	int r = waitpid(pid, &st, WNOHANG);
	status("usr1 waitpid 0", r, pid, st);
	r = waitpid(-1, &st, WNOHANG);
	status("usr1 waitpid -1", r, pid, st);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT);
	printf("%-28s %s pid %d\n", "usr1 waitid", err(r), si.si_pid == pid);
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT | __WCLONE);
	printf("%-28s %s pid %d code %d status %d\n", "usr1 waitid __WCLONE nowait", err(r), si.si_pid == pid, si.si_code,
	       si.si_status);
	r = waitpid(pid, &st, __WCLONE);
	status("usr1 waitpid __WCLONE", r, pid, st);
	pending("usr1 after");

	/* A clone child killed by a signal. */
	pid = child(SIGUSR2, -1);
	take("usr2 killed", SIGUSR2, pid);
	r = waitpid(-1, &st, __WALL);
	status("usr2 waitpid -1 __WALL", r, pid, st);

	/* A real-time exit signal. */
	pid = child(SIGRT, 3);
	take("rt exit", SIGRT, pid);
	r = wait4(pid, &st, __WCLONE, NULL);
	status("rt wait4 __WCLONE", r, pid, st);

	/* No exit signal at all. */
	pid = child(0, 5);
	r = waitpid(pid, &st, __WCLONE);
	status("none waitpid __WCLONE", r, pid, st);
	pending("none after");

	/* SIGCHLD: a normal child, which __WCLONE skips. */
	pid = child(SIGCHLD, 9);
	take("chld exit", SIGCHLD, pid);
	r = waitpid(pid, &st, __WCLONE | WNOHANG);
	status("chld waitpid __WCLONE", r, pid, st);
	r = waitpid(pid, &st, __WALL);
	status("chld waitpid __WALL", r, pid, st);

	/* Both kinds at once: __WCLONE takes the clone one only. */
	pid_t a = child(SIGCHLD, 1), b = child(SIGUSR1, 2);
	take("mixed usr1", SIGUSR1, b);
	take("mixed chld", SIGCHLD, a);
	r = waitpid(-1, &st, __WCLONE);
	status("mixed waitpid -1 __WCLONE", r, b, st);
	r = waitpid(-1, &st, 0);
	status("mixed waitpid -1", r, a, st);
	r = waitpid(-1, &st, __WALL | WNOHANG);
	status("mixed waitpid none left", r, 0, st);

	/* An exec makes the exit signal SIGCHLD. */
	pid = child(SIGUSR1, 104);
	take("exec'd exit", SIGCHLD, pid);
	r = waitpid(pid, &st, __WCLONE | WNOHANG);
	status("exec'd waitpid __WCLONE", r, pid, st);
	r = waitpid(pid, &st, 0);
	status("exec'd waitpid", r, pid, st);
	pending("end");
	return 0;
}
