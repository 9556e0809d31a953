/* A matrix of clone(CLONE_VM | FLAG | EXIT_SIGNAL) cases, one ending each:
 *
 *   main -> G (a subreaper, the "grandparent") -> P (the parent) -> C
 *
 * P clones C with one extra flag and an exit signal, then observes what
 * Linux shows it: the wait status, the exit signals (how many, si_pid),
 * whether cwd, fds, dispositions and SysV undo are shared, the tid words,
 * pidfd. G reaps what P cannot (CLONE_PARENT, orphans) and reports what C
 * wrote into shared memory. C uses no stdio: its TLS is P's.
 *
 * Usage: clone_matrix [clone3-]ENDING | errors
 * ENDING is exit, exec, kill, orphan (P exits first, C goes on and writes
 * to a pipe G reads), thread or fork. clone3- uses clone3 instead of the
 * libc clone() wrapper. errors lists the kernel's errors for invalid
 * combinations. Exits 1 if an invariant (one exit signal per child, with
 * its pid) fails. */
#include "clone.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/wait.h>

enum ending { END_EXIT, END_EXEC, END_KILL, END_ORPHAN, END_THREAD, END_FORK };
static const char *ending_names[] = {"exit", "exec", "kill", "orphan", "thread", "fork"};

static const struct {
	const char *name;
	unsigned long flag;
} flag_list[] = {
	{"none", 0},
	{"FS", CLONE_FS},
	{"FILES", CLONE_FILES},
	{"SIGHAND", CLONE_SIGHAND},
	{"SYSVSEM", CLONE_SYSVSEM},
	{"IO", CLONE_IO},
	{"PARENT", CLONE_PARENT},
	{"VFORK", CLONE_VFORK},
	{"PARENT_SETTID", CLONE_PARENT_SETTID},
	{"CHILD_SETTID", CLONE_CHILD_SETTID},
	{"CHILD_CLEARTID", CLONE_CHILD_CLEARTID},
	/* An orphan's word is not cleared: it is the last user of the memory. */
	{"CHILD_SETTID|CLEARTID", CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID},
	{"SETTLS", CLONE_SETTLS},
	{"PIDFD", CLONE_PIDFD},
};
#define NFLAGS (int)(sizeof flag_list / sizeof flag_list[0])

#define UNSET (-2)
#define CLONE_FAILED 2 /* in ready: P tells G there is no child */
#define SHARED_FD 77
#define TLS_MARK 0x5e77150bad5eedULL

/* shared lives in a MAP_SHARED mapping made by main, so G, P and C (and
 * the processes C forks) all see the same page. */
struct shared {
	int semid, gpid, ppid;
	unsigned long flags;
	int sig, ending, use3;
	uint64_t parent_fs;
	volatile int ready, cpid, ctid, ptid;
	int pid_differs, ppid_rel, tid_is_pid, tls_own, ctid_set_at_start;
	int thread_ran, fork_status, fork_saw_own_write, orphan_value;
	int res_fd, go_fd;
	int bad;
	int rlen;
	char report[4096];
};
static struct shared *sh;
static char self_exe[4096];
static int private_val;

static void rep(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(sh->report + sh->rlen, sizeof sh->report - sh->rlen, fmt, ap);
	va_end(ap);
	if (n > 0 && sh->rlen + n < (int)sizeof sh->report)
		sh->rlen += n;
}

static void fail(const char *what)
{
	sh->bad++;
	rep(" FAIL(%s)", what);
}

/* Signal counting, per process (P and G each have their own copy). */
enum { K_CHLD, K_USR1, K_RT1, NKINDS };
static const char *kind_names[] = {"CHLD", "USR1", "RT1"};
static struct {
	volatile int n, from_child, code, status;
} seen[NKINDS];

static int kind_of(int sig)
{
	if (sig == SIGCHLD)
		return K_CHLD;
	if (sig == SIGUSR1)
		return K_USR1;
	return K_RT1;
}

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int k = kind_of(sig);
	if (si->si_pid == sh->ppid)
		return; /* G hears of P's own exit: not the child's */
	seen[k].n++;
	seen[k].from_child += si->si_pid == sh->cpid;
	seen[k].code = si->si_code;
	seen[k].status = si->si_status;
}

static void count_signals(void)
{
	memset((void *)seen, 0, sizeof seen);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGRTMIN + 1, &sa, NULL);
}

static const char *code_name(int c)
{
	switch (c) {
	case CLD_EXITED: return "exited";
	case CLD_KILLED: return "killed";
	case CLD_DUMPED: return "dumped";
	}
	return "?";
}

static void rep_signals(void)
{
	int any = 0;
	for (int k = 0; k < NKINDS; k++) {
		if (seen[k].n == 0)
			continue;
		rep(" %s x%d %s/%d si_pid=C %d", kind_names[k], seen[k].n, code_name(seen[k].code), seen[k].status,
		    seen[k].from_child == seen[k].n);
		any = 1;
	}
	if (!any)
		rep(" none");
}

static void rep_status(int st)
{
	if (WIFEXITED(st))
		rep("exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		rep("signal %d", WTERMSIG(st));
	else
		rep("raw %#x", st);
}

static void *thread_fn(void *arg)
{
	(void)arg;
	sh->thread_ran = 10 + ((pid_t)syscall(SYS_gettid) != getpid());
	return NULL;
}

static int child_fn(void *arg)
{
	(void)arg;
	/* With CLONE_SETTLS the FS base is a block libc does not know: check it
	 * and go back to P's before anything uses TLS. */
	if (fs_word(8) == TLS_MARK) {
		sh->tls_own = 1;
		raw_set_fs(sh->parent_fs);
	}
	pid_t me = getpid();
	sh->cpid = me;
	sh->pid_differs = me != sh->ppid;
	pid_t pp = getppid();
	sh->ppid_rel = pp == sh->ppid ? 'P' : pp == sh->gpid ? 'G' : '?';
	sh->tid_is_pid = (pid_t)syscall(SYS_gettid) == me;
	sh->ctid_set_at_start = sh->ctid == me;
	if (chdir("/") != 0)
		sh->bad++;
	int fd = open("/dev/null", O_RDONLY);
	dup2(fd, SHARED_FD);
	close(fd);
	struct sigaction ign;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &ign, NULL);
	struct sembuf up = {0, 1, SEM_UNDO};
	semop(sh->semid, &up, 1);
	set_and_wake(&sh->ready, 1);

	char a1[16], a2[16], a3[16];
	switch (sh->ending) {
	case END_EXIT:
		return 5;
	case END_EXEC:
		snprintf(a1, sizeof a1, "%d", me);
		execl(self_exe, "clone_matrix", "exec-child", a1, (char *)NULL);
		return 127;
	case END_KILL:
		for (;;)
			pause();
	case END_ORPHAN:
		if (sh->flags & CLONE_VFORK) {
			/* P stays suspended until C execs: the new program waits. */
			snprintf(a1, sizeof a1, "%d", sh->go_fd);
			snprintf(a2, sizeof a2, "%d", sh->res_fd);
			snprintf(a3, sizeof a3, "%d", sh->gpid);
			execl(self_exe, "clone_matrix", "orphan-exec", a1, a2, a3, (char *)NULL);
			return 127;
		} else {
			char b;
			if (read(sh->go_fd, &b, 1) != 1)
				return 126;
			char line[128];
			int n = snprintf(line, sizeof line, "orphan: ppid is G %d, P's last write seen %d\n",
					 getppid() == sh->gpid, sh->orphan_value == 4242);
			if (write(sh->res_fd, line, n) != n)
				return 125;
			return 6;
		}
	case END_THREAD: {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_fn, NULL) != 0)
			return 120;
		pthread_join(t, NULL);
		return 3;
	}
	case END_FORK: {
		pid_t f = fork();
		if (f == 0) {
			private_val = 99;
			_exit(9);
		}
		int st = 0;
		while (waitpid(f, &st, 0) < 0 && errno == EINTR)
			;
		sh->fork_status = st;
		sh->fork_saw_own_write = private_val == 99;
		return 4;
	}
	}
	return 0;
}

static void parent(void)
{
	count_signals();
	sh->ppid = getpid();
	sh->parent_fs = fs_word(0);
	private_val = 0;
	char *stack = new_stack();
	static uint64_t tlsblk[2];
	tlsblk[0] = (uint64_t)tlsblk;
	tlsblk[1] = TLS_MARK;
	unsigned long flags = CLONE_VM | sh->flags;
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	long pid;
	if (sh->use3) {
		struct clone_args_v2 ca;
		memset(&ca, 0, sizeof ca);
		ca.flags = flags;
		ca.exit_signal = sh->sig;
		ca.stack = (uint64_t)stack;
		ca.stack_size = CHILD_STACK;
		ca.tls = (uint64_t)tlsblk;
		ca.child_tid = (uint64_t)&sh->ctid;
		ca.parent_tid = (uint64_t)&sh->ptid;
		ca.pidfd = (uint64_t)&sh->ptid;
		pid = clone3_run(&ca, sizeof ca, child_fn, NULL);
		if (pid < 0) {
			errno = -pid;
			pid = -1;
		}
	} else {
		pid = clone(child_fn, stack + CHILD_STACK, flags | sh->sig, NULL, &sh->ptid, tlsblk, &sh->ctid);
	}
	int cerr = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		/* The kernel's answer (clone3 refuses CLONE_PARENT with an exit
		 * signal), not a failure of the test. */
		rep("  P: clone: %s\n", errname(cerr));
		set_and_wake(&sh->ready, CLONE_FAILED);
		return;
	}
	wait_until(&sh->ready, 1);
	if (pid != sh->cpid)
		fail("clone's pid is not the child's getpid");
	char cwd[256];
	int cwd_shared = getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0;
	int fd_shared = fcntl(SHARED_FD, F_GETFD) >= 0;
	struct sigaction cur;
	sigaction(SIGUSR2, NULL, &cur);
	int sighand_shared = cur.sa_handler == SIG_IGN;
	const char *ptid = sh->ptid == UNSET ? "unset" : sh->ptid == pid ? "pid" : "?";
	int pidfd = -1;
	if (sh->flags & CLONE_PIDFD) {
		pidfd = sh->ptid;
		ptid = fcntl(pidfd, F_GETFD) == FD_CLOEXEC ? "pidfd(cloexec)" : "not a pidfd";
	}
	rep("  P: cwd shared %d, fd shared %d, sighand shared %d, ptid %s", cwd_shared, fd_shared, sighand_shared, ptid);

	switch (sh->ending) {
	case END_KILL:
		if (sh->flags & CLONE_VFORK)
			break; /* G killed it: P was suspended */
		if (pidfd >= 0)
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		else
			kill(pid, SIGKILL);
		break;
	case END_ORPHAN:
		sh->orphan_value = 4242;
		rep(", exits first\n");
		_exit(0);
	}
	if (sh->flags & CLONE_CHILD_CLEARTID)
		wait_zero(&sh->ctid);
	if (sh->flags & CLONE_PARENT) {
		rep(", not P's child: waitpid %s", waitpid(pid, NULL, __WALL | WNOHANG) < 0 ? errname(errno) : "found it");
		/* Outlive C, so that G gets C's SIGCHLD before P's (two pending
		 * SIGCHLDs would merge). */
		int fd = syscall(SYS_pidfd_open, pid, 0);
		struct pollfd pfd = {fd, POLLIN, 0};
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		close(fd);
		rep(", pidfd_open %s\n", fd >= 0 ? "ok" : errname(errno));
		return;
	}
	/* Wait without reaping until it is a zombie, then see which wait
	 * class finds it (an exec makes it a SIGCHLD child) and reap it. */
	siginfo_t si;
	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT | __WALL) < 0 && errno == EINTR)
		;
	memset(&si, 0, sizeof si);
	int plain = waitid(P_PID, pid, &si, WEXITED | WNOWAIT | WNOHANG) == 0 && si.si_pid == pid;
	memset(&si, 0, sizeof si);
	int wclone = waitid(P_PID, pid, &si, WEXITED | WNOWAIT | WNOHANG | __WCLONE) == 0 && si.si_pid == pid;
	rep(", found by plain wait %d, by __WCLONE %d", plain, wclone);
	int st = 0;
	long w;
	if (pidfd >= 0) {
		struct pollfd pfd = {pidfd, POLLIN, 0};
		rep(", pidfd readable %d", poll(&pfd, 1, 0) == 1);
		memset(&si, 0, sizeof si);
		while ((w = waitid((idtype_t)P_PIDFD_, pidfd, &si, WEXITED | __WALL)) < 0 && errno == EINTR)
			;
		st = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status;
		close(pidfd);
	} else {
		while ((w = waitpid(pid, &st, plain ? 0 : __WCLONE)) < 0 && errno == EINTR)
			;
	}
	if (w < 0) {
		rep(", wait: %s\n", errname(errno));
		fail("wait");
		return;
	}
	rep(", wait ");
	rep_status(st);
	rep(", sem %d\n     signals:", semctl(sh->semid, 0, GETVAL));
	rep_signals();
	rep("\n");
	/* One exit signal at most, from the child: the one asked for, or
	 * SIGCHLD once the child has exec'd. */
	int expect = sh->ending == END_EXEC ? SIGCHLD : sh->sig;
	int total = 0;
	for (int k = 0; k < NKINDS; k++)
		total += seen[k].n;
	if (expect != 0 && (total != 1 || seen[kind_of(expect)].from_child != 1))
		fail("not exactly one exit signal from the child");
	if (expect == 0 && total != 0)
		fail("an exit signal from a child that asked for none");
	if (plain + wclone != 1)
		fail("found by both or neither wait class");
}

static void grandparent(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	count_signals();
	sh->gpid = getpid();
	int go[2], res[2];
	if (pipe(go) || pipe(res))
		exit(2);
	sh->go_fd = go[0];
	sh->res_fd = res[1];
	semctl(sh->semid, 0, SETVAL, 0);
	alarm(30);
	pid_t p = fork();
	if (p == 0) {
		alarm(30);
		parent();
		_exit(0);
	}
	if (sh->ending == END_KILL && (sh->flags & CLONE_VFORK)) {
		int r;
		while ((r = __atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST)) == 0)
			futex_wait(&sh->ready, 0);
		if (r == 1)
			kill(sh->cpid, SIGKILL);
	}
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		rep("  P ended with ");
		rep_status(st);
		rep("\n");
	}
	if (sh->ending == END_ORPHAN && sh->ready == 1) {
		if (write(go[1], "g", 1) != 1)
			exit(2);
		char line[256];
		int n = 0;
		while (n < (int)sizeof line - 1 && read(res[0], line + n, 1) == 1 && line[n] != '\n')
			n++;
		line[n] = 0;
		rep("  C: %s\n", line);
	}
	/* Reap C if it is G's (CLONE_PARENT, or reparented to the subreaper). */
	int cst = 0, reaped = 0;
	for (;;) {
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		if (w == sh->cpid) {
			cst = st;
			reaped = 1;
		}
	}
	rep("  G:");
	if (reaped) {
		rep(" reaped C: ");
		rep_status(cst);
		rep(", signals:");
		rep_signals();
		rep(",");
	}
	const char *ctid = sh->ctid == UNSET ? "unset" : sh->ctid == 0 ? "0" : sh->ctid == sh->cpid ? "tid" : "?";
	rep(" C saw pid!=P %d, ppid %c, tid=pid %d, own tls %d, ctid set %d; ctid now %s", sh->pid_differs,
	    sh->ppid_rel, sh->tid_is_pid, sh->tls_own, sh->ctid_set_at_start, ctid);
	if (sh->ending == END_THREAD)
		rep(", thread ran %d", sh->thread_ran);
	if (sh->ending == END_FORK)
		rep(", fork child exit %d, its write seen %d", WEXITSTATUS(sh->fork_status), sh->fork_saw_own_write);
	rep(", sem %d\n", semctl(sh->semid, 0, GETVAL));
	_exit(0);
}

static const char *sig_name(int sig)
{
	if (sig == SIGCHLD)
		return "SIGCHLD";
	if (sig == 0)
		return "0";
	if (sig == SIGUSR1)
		return "SIGUSR1";
	return "SIGRTMIN+1";
}

static void run_case(int f, int sig, int ending, int use3)
{
	memset(sh, 0, sizeof *sh - sizeof sh->report);
	sh->semid = semget(IPC_PRIVATE, 1, 0600);
	sh->flags = flag_list[f].flag;
	sh->sig = sig;
	sh->ending = ending;
	sh->use3 = use3;
	sh->cpid = -1;
	sh->ctid = sh->ptid = UNSET;
	sh->ppid_rel = '-';
	sh->rlen = 0;
	sh->report[0] = 0;
	printf("%s %s %s%s\n", flag_list[f].name, sig_name(sig), use3 ? "clone3 " : "", ending_names[ending]);
	pid_t g = fork();
	if (g == 0)
		grandparent();
	int st;
	while (waitpid(g, &st, 0) < 0 && errno == EINTR)
		;
	fputs(sh->report, stdout);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("  G ended with status %#x\n", st);
		sh->bad++;
	}
	semctl(sh->semid, 0, IPC_RMID);
}

/* errors: the kernel's answers to invalid (and a few valid) combinations. */
static int quick_child(void *arg)
{
	(void)arg;
	return 0;
}

static char *err_stack;

static void report_try(const char *what, long r, int err)
{
	if (r < 0) {
		printf("%-44s %s\n", what, errname(err));
		return;
	}
	int st;
	while (waitpid(r, &st, __WALL) < 0 && errno == EINTR)
		;
	printf("%-44s ok, child exit %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void try_clone(const char *what, unsigned long flags, void *ptid, void *tls)
{
	int ctid = 0;
	long r = clone(quick_child, err_stack + CHILD_STACK, flags, NULL, ptid, tls, &ctid);
	report_try(what, r, errno);
}

static void try_clone3(const char *what, struct clone_args_v2 *ca, size_t size)
{
	if (ca->flags & CLONE_VM && !ca->stack) {
		ca->stack = (uint64_t)err_stack;
		ca->stack_size = CHILD_STACK;
	}
	long r = clone3_run(ca, size, quick_child, NULL);
	report_try(what, r < 0 ? -1 : r, r < 0 ? (int)-r : 0);
	if (r >= 0 && (ca->flags & CLONE_PIDFD))
		close(*(int *)(uintptr_t)ca->pidfd);
}

static void errors(void)
{
	err_stack = new_stack();
	int ptid = 0, pidfd = -1;
	/* Children that do get created are reaped with __WALL; their exit
	 * signals must not end the test. */
	struct sigaction ign;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGRTMIN + 1, &ign, NULL);
	try_clone("clone SIGHAND without VM", CLONE_SIGHAND | SIGCHLD, NULL, NULL);
	try_clone("clone VM|THREAD without SIGHAND", CLONE_VM | CLONE_THREAD, NULL, NULL);
	try_clone("clone THREAD|SIGHAND without VM", CLONE_THREAD | CLONE_SIGHAND, NULL, NULL);
	try_clone("clone VM|PIDFD|PARENT_SETTID", CLONE_VM | CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, &ptid, NULL);
	try_clone("clone VM|PIDFD|DETACHED", CLONE_VM | CLONE_PIDFD | 0x00400000 | SIGCHLD, &pidfd, NULL);
	try_clone("clone NEWUSER|FS", CLONE_NEWUSER | CLONE_FS | SIGCHLD, NULL, NULL);
	try_clone("clone NEWNS|FS", CLONE_NEWNS | CLONE_FS | SIGCHLD, NULL, NULL);
	try_clone("clone VM|SIGHAND|THREAD|NEWPID", CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_NEWPID, NULL, NULL);
	try_clone("clone VM|SIGHAND|THREAD|NEWUSER", CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_NEWUSER, NULL, NULL);
	try_clone("clone VM|SETTLS non-canonical", CLONE_VM | CLONE_SETTLS | SIGCHLD, NULL, (void *)0x8000000000000000ULL);
	try_clone("clone VM|VFORK exit signal 0", CLONE_VM | CLONE_VFORK, NULL, NULL);
	try_clone("clone VM exit signal 65", CLONE_VM | 65, NULL, NULL);

	struct {
		struct clone_args_v2 a;
		char pad[64];
	} big;
	struct clone_args_v2 *ca = &big.a;
#define C3(what, size, ...)                                  \
	do {                                                 \
		memset(&big, 0, sizeof big);                 \
		__VA_ARGS__;                                 \
		try_clone3(what, ca, size);                  \
	} while (0)
	C3("clone3 size 63", 63, ca->exit_signal = SIGCHLD);
	C3("clone3 size 128, zero tail", 128, ca->exit_signal = SIGCHLD);
	C3("clone3 size 128, nonzero tail", 128, ca->exit_signal = SIGCHLD; big.pad[20] = 1);
	C3("clone3 exit signal 65", sizeof *ca, ca->flags = CLONE_VM; ca->exit_signal = 65);
	C3("clone3 VM|SIGHAND|THREAD exit signal SIGCHLD", sizeof *ca,
	   ca->flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD; ca->exit_signal = SIGCHLD);
	C3("clone3 VM|SIGHAND|CLEAR_SIGHAND", sizeof *ca,
	   ca->flags = CLONE_VM | CLONE_SIGHAND | CLONE_CLEAR_SIGHAND; ca->exit_signal = SIGCHLD);
	C3("clone3 unknown flag 1<<40", sizeof *ca, ca->flags = CLONE_VM | (1ULL << 40); ca->exit_signal = SIGCHLD);
	C3("clone3 exit signal in flags", sizeof *ca, ca->flags = CLONE_VM | SIGCHLD);
	C3("clone3 DETACHED", sizeof *ca, ca->flags = CLONE_VM | 0x00400000; ca->exit_signal = SIGCHLD);
	C3("clone3 stack without size", sizeof *ca,
	   ca->flags = CLONE_VM; ca->stack = (uint64_t)err_stack; ca->exit_signal = SIGCHLD);
	C3("clone3 PIDFD|PARENT_SETTID same pointer", sizeof *ca,
	   ca->flags = CLONE_VM | CLONE_PIDFD | CLONE_PARENT_SETTID; ca->pidfd = ca->parent_tid = (uint64_t)&ptid;
	   ca->exit_signal = SIGCHLD);
	C3("clone3 PIDFD|PARENT_SETTID two pointers", sizeof *ca,
	   ca->flags = CLONE_VM | CLONE_PIDFD | CLONE_PARENT_SETTID; ca->pidfd = (uint64_t)&pidfd;
	   ca->parent_tid = (uint64_t)&ptid; ca->exit_signal = SIGCHLD);
	C3("clone3 PIDFD bad pointer", sizeof *ca, ca->flags = CLONE_VM | CLONE_PIDFD; ca->pidfd = 16;
	   ca->exit_signal = SIGCHLD);
	C3("clone3 INTO_CGROUP bad fd", sizeof *ca, ca->flags = CLONE_VM | CLONE_INTO_CGROUP; ca->cgroup = 999;
	   ca->exit_signal = SIGCHLD);
	C3("clone3 set_tid_size 1, set_tid NULL", sizeof *ca, ca->flags = CLONE_VM; ca->set_tid_size = 1;
	   ca->exit_signal = SIGCHLD);
	C3("clone3 set_tid_size 33", sizeof *ca, ca->flags = CLONE_VM; ca->set_tid = (uint64_t)&ptid;
	   ca->set_tid_size = 33; ca->exit_signal = SIGCHLD);
	C3("clone3 VM exit signal SIGRTMIN+1", sizeof *ca, ca->flags = CLONE_VM; ca->exit_signal = SIGRTMIN + 1);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "exec-child") == 0) {
		char line[96];
		int n = snprintf(line, sizeof line, "  exec'd child: same pid %d, tid=pid %d\n", atoi(argv[2]) == getpid(),
				 (pid_t)syscall(SYS_gettid) == getpid());
		return write(1, line, n) == n ? 7 : 125;
	}
	if (argc == 5 && strcmp(argv[1], "orphan-exec") == 0) {
		char b;
		if (read(atoi(argv[2]), &b, 1) != 1)
			return 126;
		char line[128];
		int n = snprintf(line, sizeof line, "orphan after exec: ppid is G %d\n", getppid() == atoi(argv[4]));
		return write(atoi(argv[3]), line, n) == n ? 6 : 125;
	}
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	self_exe[n > 0 ? n : 0] = 0;
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	const char *mode = argc > 1 ? argv[1] : "exit";
	if (strcmp(mode, "errors") == 0) {
		errors();
		return 0;
	}
	int use3 = strncmp(mode, "clone3-", 7) == 0;
	if (use3)
		mode += 7;
	int ending = -1;
	for (int e = 0; e < (int)(sizeof ending_names / sizeof ending_names[0]); e++)
		if (strcmp(mode, ending_names[e]) == 0)
			ending = e;
	if (ending < 0) {
		fprintf(stderr, "usage: clone_matrix [clone3-](exit|exec|kill|orphan|thread|fork) | errors\n");
		return 2;
	}
	int sigs[] = {SIGCHLD, 0, SIGUSR1, SIGRTMIN + 1};
	int bad = 0;
	for (int f = 0; f < NFLAGS; f++)
		for (int s = 0; s < 4; s++) {
			run_case(f, sigs[s], ending, use3);
			bad += sh->bad;
		}
	printf("%s\n", bad ? "FAILED" : "all cases ran");
	return bad != 0;
}
