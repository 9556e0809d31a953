/* Wait statuses: exit codes, death by signal, stop and continue
 * (WUNTRACED, WCONTINUED), WNOHANG, waitid with WNOWAIT and its siginfo,
 * P_PGID and P_ALL, rusage, ECHILD. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *describe(int st)
{
	static char b[64];
	if (WIFEXITED(st))
		snprintf(b, sizeof b, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(b, sizeof b, "killed by %s%s", strsignal(WTERMSIG(st)), WCOREDUMP(st) ? " (core)" : "");
	else if (WIFSTOPPED(st))
		snprintf(b, sizeof b, "stopped by %s", strsignal(WSTOPSIG(st)));
	else if (WIFCONTINUED(st))
		snprintf(b, sizeof b, "continued");
	else
		snprintf(b, sizeof b, "raw %#x", st);
	return b;
}

static const char *code(int c)
{
	switch (c) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_DUMPED: return "CLD_DUMPED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_CONTINUED: return "CLD_CONTINUED";
	}
	return "?";
}

/* show waits for pid with options and prints what it got. */
static void show(const char *what, pid_t pid, int options)
{
	int st = 0;
	pid_t got = waitpid(pid, &st, options);
	printf("%-22s %s: %s\n", what, got == pid ? "pid ok" : got == 0 ? "none" : "WRONG PID", describe(st));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int codes[] = {0, 1, 42, 255, 256 + 3};
	for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(codes[i]);
		show("exit", pid, 0);
	}
	int sigs[] = {SIGTERM, SIGKILL, SIGSEGV, SIGABRT, SIGUSR1};
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			signal(sigs[i], SIG_DFL);
			raise(sigs[i]);
			_exit(99);
		}
		show("signal", pid, 0);
	}
	/* A child killed by its parent while it waits. */
	int p[2];
	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		char c;
		read(p[1] + 100, &c, 1); /* EBADF, then wait for the kill */
		pause();
		_exit(0);
	}
	int st = 0;
	show("WNOHANG while running", pid, WNOHANG);
	kill(pid, SIGINT);
	show("kill", pid, 0);

	/* Stop and continue. The child waits for the go on a pipe once
	 * continued, so that its exit does not replace the continue event. */
	int go[2];
	pipe(go);
	pid = fork();
	if (pid == 0) {
		char c;
		raise(SIGSTOP);
		read(go[0], &c, 1);
		_exit(7);
	}
	show("WUNTRACED", pid, WUNTRACED);
	kill(pid, SIGCONT);
	show("WCONTINUED", pid, WCONTINUED);
	write(go[1], "x", 1);
	show("after continue", pid, 0);

	/* waitid, WNOWAIT leaves the child waitable. */
	pid = fork();
	if (pid == 0)
		_exit(5);
	siginfo_t si;
	memset(&si, 0x55, sizeof si);
	int r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	printf("waitid WNOWAIT: %d signo %d code %s pid ok %d status %d uid ok %d\n", r, si.si_signo, code(si.si_code),
	       si.si_pid == pid, si.si_status, si.si_uid == getuid());
	memset(&si, 0, sizeof si);
	r = waitid(P_ALL, 0, &si, WEXITED);
	printf("waitid again: %d code %s pid ok %d status %d\n", r, code(si.si_code), si.si_pid == pid, si.si_status);
	memset(&si, 0x55, sizeof si);
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	printf("waitid no child: %d errno %s\n", r, r < 0 ? strerror(errno) : "-");

	/* WNOHANG with a live child: zero pid in the siginfo. */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	memset(&si, 0x55, sizeof si);
	r = waitid(P_PID, pid, &si, WEXITED | WNOHANG);
	printf("waitid WNOHANG live: %d signo %d pid %d\n", r, si.si_signo, si.si_pid);
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof si);
	r = waitid(P_PGID, 0, &si, WEXITED);
	printf("waitid P_PGID: %d code %s status %d pid ok %d\n", r, code(si.si_code), si.si_status, si.si_pid == pid);

	/* Stop events through waitid. */
	pid = fork();
	if (pid == 0) {
		char c;
		raise(SIGTSTP);
		read(go[0], &c, 1);
		_exit(3);
	}
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, pid, &si, WSTOPPED);
	printf("waitid WSTOPPED: %d code %s status %d\n", r, code(si.si_code), si.si_status);
	kill(pid, SIGCONT);
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, pid, &si, WCONTINUED);
	printf("waitid WCONTINUED: %d code %s status %d\n", r, code(si.si_code), si.si_status);
	write(go[1], "x", 1);
	r = waitid(P_PID, pid, &si, WEXITED);
	printf("waitid exit: %d code %s status %d\n", r, code(si.si_code), si.si_status);

	/* rusage of a child that used some CPU. */
	pid = fork();
	if (pid == 0) {
		volatile unsigned long x = 0;
		for (unsigned long i = 0; i < 3000000; i++)
			x += i;
		_exit(0);
	}
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	pid_t got = wait4(pid, &st, 0, &ru);
	printf("wait4 rusage: pid ok %d %s, times sane %d\n", got == pid, describe(st),
	       ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
		       ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000 && ru.ru_maxrss >= 0);

	/* No children. */
	errno = 0;
	r = wait(&st);
	printf("wait without children: %d %s\n", r, strerror(errno));
	errno = 0;
	r = waitpid(-1, &st, WNOHANG);
	printf("waitpid WNOHANG without children: %d %s\n", r, strerror(errno));
	r = waitpid(getpid(), &st, 0);
	printf("waitpid of self: %d %s\n", r, strerror(errno));
	/* Bad options and a bad pointer. */
	r = waitpid(-1, &st, 0x100);
	printf("bad option: %d %s\n", r, strerror(errno));
	pid = fork();
	if (pid == 0)
		_exit(1);
	r = syscall(SYS_wait4, pid, (int *)16, 0, NULL);
	printf("bad status pointer: %s\n", r < 0 ? strerror(errno) : "ok");
	r = waitpid(pid, &st, 0);
	printf("then: %d %s\n", r, strerror(errno));
	return 0;
}
