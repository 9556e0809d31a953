/* execve: argv[0], argc 0 and the environment reach the new program as
 * given; close-on-exec fds survive fork and close at exec; #! scripts, with
 * an argument and nested; the errors execve gives before it gets anywhere;
 * signal dispositions and mask across exec; exec from a forked child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char self[4096];

/* The program exec'd: "report" prints what it was given. */
static int report(int argc, char **argv)
{
	printf("  argc %d:", argc);
	for (int i = 0; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n  env:");
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "EXECTEST", 8) == 0 && strncmp(*e, "EXECTEST_MAIN", 13) != 0)
			printf(" %s", *e);
	printf("\n  fds:");
	for (int fd = 3; fd < 20; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0)
			printf(" %d%s", fd, fl & FD_CLOEXEC ? "(cloexec)" : "");
	}
	printf("\n");
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	const char *d = sa.sa_handler == SIG_IGN ? "ignored" : sa.sa_handler == SIG_DFL ? "default" : "handled";
	sigaction(SIGUSR2, NULL, &sa);
	const char *d2 = sa.sa_handler == SIG_IGN ? "ignored" : sa.sa_handler == SIG_DFL ? "default" : "handled";
	sigset_t m;
	sigprocmask(SIG_BLOCK, NULL, &m);
	printf("  SIGUSR1 %s, SIGUSR2 %s, SIGHUP blocked %d, SIGUSR1 blocked %d\n", d, d2, sigismember(&m, SIGHUP),
	       sigismember(&m, SIGUSR1));
	return 0;
}

/* run forks, execs path with argv and envp in the child and waits. */
static void run(const char *what, const char *path, char **argv, char **envp)
{
	printf("%s:\n", what);
	pid_t pid = fork();
	if (pid == 0) {
		execve(path, argv, envp);
		printf("  execve: %s\n", strerror(errno));
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("  status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st));
}

static void expect_error(const char *what, const char *path, char **argv)
{
	errno = 0;
	int r = execve(path, argv, environ);
	printf("%-26s %d %s\n", what, r, strerror(errno));
}

static void on_usr(int sig) { (void)sig; }

static void write_file(const char *name, const char *content, mode_t mode)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
	write(fd, content, strlen(content));
	close(fd);
	chmod(name, mode);
}

int main(int argc, char **argv)
{
	/* Only the first run tests; every program it execs reports. */
	if (getenv("EXECTEST_MAIN") != NULL || argc < 2 || strcmp(argv[1], "test") != 0)
		return report(argc, argv);
	setenv("EXECTEST_MAIN", "1", 1);
	setvbuf(stdout, NULL, _IONBF, 0);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;

	/* fds: 3 inherited by exec, 4 close-on-exec. Both survive fork. */
	int a = open("/dev/null", O_RDONLY);
	int b = open("/dev/null", O_RDONLY | O_CLOEXEC);
	printf("fds %d %d\n", a, b);
	pid_t pid = fork();
	if (pid == 0) {
		printf("in the forked child: %d %s, %d %s\n", a, fcntl(a, F_GETFD) == 0 ? "open" : "?", b,
		       fcntl(b, F_GETFD) == FD_CLOEXEC ? "open close-on-exec" : "?");
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	char *env[] = {"EXECTEST_A=1", "EXECTEST_B=two words", "EXECTEST_MAIN=1", NULL};
	run("plain", self, (char *[]){"name-as-given", "report", "x", "", "y z", NULL}, env);
	run("argv0 report", self, (char *[]){"report", NULL}, env);
	run("argc 0", self, (char *[]){NULL}, env);
	run("NULL argv and envp", self, NULL, NULL);

	/* Signals: handled ones reset, ignored ones stay, the mask stays. */
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, on_usr);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGHUP);
	sigprocmask(SIG_BLOCK, &m, NULL);
	run("signals", self, (char *[]){"x", "report", NULL}, env);
	signal(SIGUSR1, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &m, NULL);

	/* Scripts, made here. */
	char line[5000];
	snprintf(line, sizeof line, "#!%s report\nnot read\n", self);
	write_file("script1", line, 0755);
	run("script", "./script1", (char *[]){"script1", "arg1", "arg2", NULL}, env);
	snprintf(line, sizeof line, "#!  %s   report  with spaces  \n", self);
	write_file("script2", line, 0755);
	run("script with spaces", "script2", (char *[]){"whatever", NULL}, env);
	write_file("script3", "#!./script1\n", 0755);
	run("nested script", "./script3", (char *[]){"s3", "arg", NULL}, env);
	write_file("sh-script", "#!/bin/busybox sh\necho \"  shell says $0 $1 $EXECTEST_A\"\nexit 3\n", 0755);
	run("shell script", "./sh-script", (char *[]){"sh-script", "hello", NULL}, env);

	/* Errors, returned to this very process. */
	write_file("plain.txt", "#!/bin/sh\n", 0644);
	write_file("garbage", "\177ELG not really\n", 0755);
	write_file("empty", "", 0755);
	write_file("noshell", "#!/no/such/interpreter\n", 0755);
	write_file("blankline", "#!\n", 0755);
	write_file("loop", "#!./loop\n", 0755);
	char *args[] = {"x", NULL};
	expect_error("missing", "./no-such-program", args);
	expect_error("empty path", "", args);
	expect_error("not executable", "./plain.txt", args);
	expect_error("directory", ".", args);
	expect_error("not a directory", "./garbage/x", args);
	expect_error("garbage", "./garbage", args);
	expect_error("empty file", "./empty", args);
	expect_error("missing interpreter", "./noshell", args);
	expect_error("empty #! line", "./blankline", args);
	expect_error("#! loop", "./loop", args);
	expect_error("bad path pointer", (char *)8, args);
	expect_error("bad argv", self, (char **)8);
	expect_error("bad argv string", self, (char *[]){"x", (char *)8, NULL});
	char *big = malloc(200000);
	memset(big, 'x', 199999);
	big[199999] = 0;
	expect_error("huge argument", self, (char *[]){"x", big, NULL});
	char **many = calloc(300001, sizeof *many);
	for (int i = 0; i < 300000; i++)
		many[i] = "0123456789";
	expect_error("too many arguments", self, many);
	errno = 0;
	int r = syscall(SYS_execveat, AT_FDCWD, "./script1", args, environ, 0x12345);
	printf("%-26s %d %s\n", "execveat bad flags", r, strerror(errno));

	/* execveat: relative to a directory fd, and fexecve. */
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	printf("execveat:\n");
	pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, dir, "script1", (char *[]){"s1", "at", NULL}, env, 0);
		printf("  execveat: %s\n", strerror(errno));
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	printf("fexecve:\n");
	pid = fork();
	if (pid == 0) {
		int fd = open(self, O_RDONLY | O_CLOEXEC);
		fexecve(fd, (char *[]){"fexec", "report", NULL}, env);
		printf("  fexecve: %s\n", strerror(errno));
		_exit(127);
	}
	waitpid(pid, NULL, 0);

	/* The same program, exec'd from itself after all this. */
	fflush(stdout);
	execve(self, (char *[]){"final", "report", "done", NULL}, env);
	printf("final execve: %s\n", strerror(errno));
	return 1;
}
