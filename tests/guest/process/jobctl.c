// Job control on a pseudo-terminal, as a shell does it: the session leader
// gives the terminal to a job's process group and takes it back, which the
// kernel allows from the background only with SIGTTOU ignored. Caught,
// SIGTTOU and SIGTTIN interrupt a background tcsetattr and read; by
// default they stop the job.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t caught;
static void handler(int sig) { caught = sig; }

static void catch(int sig)
{
	struct sigaction sa = {.sa_handler = handler};
	sigaction(sig, &sa, NULL);
}

static void say(const char *what, int r)
{
	printf("%-40s %d %s\n", what, r, r < 0 ? strerror(errno) : "");
	fflush(stdout);
}

// session runs in a new session whose controlling terminal is the pty.
static int session(const char *name)
{
	setsid();
	int tty = open(name, O_RDWR);
	if (tty < 0)
		return 1;
	signal(SIGTTOU, SIG_IGN);
	pid_t job = fork();
	if (job == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(job, job);
	say("give the terminal to the job", tcsetpgrp(tty, job));
	say("foreground is the job", tcgetpgrp(tty) == job);
	say("take it back, SIGTTOU ignored", tcsetpgrp(tty, getpgrp()));
	say("foreground is the leader", tcgetpgrp(tty) == getpgrp());
	kill(job, SIGKILL);
	waitpid(job, NULL, 0);

	// A background member of the session, with the signals caught.
	job = fork();
	if (job == 0) {
		setpgid(0, 0);
		catch(SIGTTOU);
		catch(SIGTTIN);
		struct termios t;
		tcgetattr(tty, &t);
		say("background tcsetattr, SIGTTOU caught", tcsetattr(tty, TCSANOW, &t));
		say("caught", caught);
		caught = 0;
		char c;
		say("background read, SIGTTIN caught", read(tty, &c, 1));
		say("caught", caught);
		signal(SIGTTOU, SIG_IGN);
		say("background tcsetattr, SIGTTOU ignored", tcsetattr(tty, TCSANOW, &t));
		_exit(7);
	}
	int st;
	waitpid(job, &st, 0);
	say("job exit", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));

	// By default SIGTTIN stops a background reader.
	job = fork();
	if (job == 0) {
		setpgid(0, 0);
		char c;
		read(tty, &c, 1);
		_exit(8);
	}
	waitpid(job, &st, WUNTRACED);
	say("reader stopped by", WIFSTOPPED(st) ? WSTOPSIG(st) : -1);
	kill(job, SIGKILL);
	waitpid(job, &st, 0);
	say("reader killed by", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	return 0;
}

int main(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		return 2;
	char *name = ptsname(m);
	pid_t s = fork();
	if (s == 0)
		_exit(session(name));
	int st;
	waitpid(s, &st, 0);
	printf("session exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
