/* SIGCHLD: the handler's siginfo for an exit, a kill, a stop and a
 * continue; SA_NOCLDSTOP; SIGCHLD ignored (children reaped by the kernel,
 * wait fails with ECHILD once they are gone) and SA_NOCLDWAIT. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_signo, got_code, got_status, got_pid_ok, count;
static volatile pid_t expect;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_signo = si->si_signo;
	got_code = si->si_code;
	got_status = si->si_status;
	got_pid_ok = si->si_pid == expect;
	count++;
}

/* wait_signal waits for one SIGCHLD with SIGCHLD blocked otherwise. */
static void wait_signal(const char *what)
{
	sigset_t none;
	sigemptyset(&none);
	count = 0;
	while (count == 0)
		sigsuspend(&none);
	printf("%-10s signo %d code %d status %d pid ok %d\n", what, got_signo, got_code, got_status, got_pid_ok);
}

/* drain consumes a SIGCHLD that may still come for an event already
 * waited for, or may have been merged with an earlier one. */
static void drain(void)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	struct timespec ts = {0, 200000000};
	sigtimedwait(&chld, NULL, &ts);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	pid_t pid = expect = fork();
	if (pid == 0)
		_exit(23);
	wait_signal("exit");
	int st;
	waitpid(pid, &st, 0);

	pid = expect = fork();
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		pause();
		_exit(0);
	}
	kill(pid, SIGTERM);
	wait_signal("kill");
	waitpid(pid, &st, 0);

	int go[2];
	pipe(go);
	pid = expect = fork();
	if (pid == 0) {
		char c;
		raise(SIGSTOP);
		read(go[0], &c, 1);
		_exit(4);
	}
	wait_signal("stop");
	waitpid(pid, &st, WUNTRACED);
	kill(pid, SIGCONT);
	wait_signal("continue");
	write(go[1], "x", 1);
	waitpid(pid, &st, 0);
	printf("exit after continue: %d\n", WEXITSTATUS(st));
	drain();

	/* SA_NOCLDSTOP: no signal for the stop, one for the exit. */
	sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	count = 0;
	pid = expect = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(6);
	}
	waitpid(pid, &st, WUNTRACED);
	printf("NOCLDSTOP: stopped %d, signals %d\n", WIFSTOPPED(st), (int)count);
	kill(pid, SIGCONT);
	wait_signal("exit");
	waitpid(pid, &st, 0);

	/* The handler runs while the parent is blocked in wait (soon after
	 * the wait returns, under guestrun). */
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	count = 0;
	pid = expect = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(9);
	}
	pid_t got = waitpid(pid, &st, 0);
	for (int i = 0; i < 1000 && count == 0; i++)
		usleep(1000);
	printf("waited: pid ok %d status %d, handler ran %d code %d\n", got == pid, WEXITSTATUS(st), (int)count,
	       got_code);

	/* SIGCHLD ignored: the kernel reaps, wait blocks until the children
	 * are gone and fails. */
	signal(SIGCHLD, SIG_IGN);
	for (int i = 0; i < 3; i++)
		if (fork() == 0)
			_exit(i);
	errno = 0;
	got = wait(&st);
	printf("SIG_IGN: wait %d %s\n", got, strerror(errno));

	/* SA_NOCLDWAIT with a handler: reaped too, and the handler runs. */
	sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	count = 0;
	pid = expect = fork();
	if (pid == 0)
		_exit(1);
	errno = 0;
	got = wait(&st);
	int e = errno;
	for (int i = 0; i < 1000 && count == 0; i++)
		usleep(1000);
	printf("SA_NOCLDWAIT: wait %d %s, handler ran %d\n", got, strerror(e), count > 0);
	return 0;
}
