/* guestrun's own multiarch-style linux test: one section per area, each
 * prints "NAME: ok" or the checks that failed; exits 1 if any failed.
 * Files, pipes, fork, time, loopback sockets, signals, SysV shm, then
 * clone(CLONE_VM) with and without the sharing flags, exit-signal
 * counting with SIGRTMIN and __WCLONE, and PR_SET_PDEATHSIG in a nested
 * CLONE_VM hierarchy synchronised by a process-shared mutex and condvar.
 * Usage: linux_test [SECTION...] (default: all). */
#include "clone.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

static int failures, section_failures;

static void chk(int ok, const char *fmt, ...)
{
	if (ok)
		return;
	va_list ap;
	va_start(ap, fmt);
	printf("  FAIL: ");
	vprintf(fmt, ap);
	printf(" (errno %s)\n", errname(errno));
	va_end(ap);
	section_failures++;
}

static pid_t reap(pid_t pid, int options)
{
	int st;
	pid_t w;
	while ((w = waitpid(pid, &st, options)) < 0 && errno == EINTR)
		;
	return w < 0 ? -1 : st;
}

static void test_files(void)
{
	const char *name = "lt_file";
	int fd = open(name, O_CREAT | O_TRUNC | O_RDWR, 0644);
	chk(fd >= 0, "open");
	char buf[256];
	for (int i = 0; i < 256; i++)
		buf[i] = (char)i;
	chk(write(fd, buf, 256) == 256, "write");
	chk(lseek(fd, 10, SEEK_SET) == 10, "lseek");
	char r[16];
	chk(read(fd, r, 16) == 16 && r[0] == 10 && r[15] == 25, "read after lseek");
	chk(pwrite(fd, "XYZ", 3, 100) == 3, "pwrite");
	chk(pread(fd, r, 3, 100) == 3 && memcmp(r, "XYZ", 3) == 0, "pread");
	struct iovec iov[2] = {{"ab", 2}, {"cde", 3}};
	chk(lseek(fd, 0, SEEK_END) == 256 && writev(fd, iov, 2) == 5, "writev");
	struct stat st;
	chk(fstat(fd, &st) == 0 && st.st_size == 261 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644, "fstat");
	chk(ftruncate(fd, 100) == 0 && fstat(fd, &st) == 0 && st.st_size == 100, "ftruncate");
	int fd2 = dup(fd);
	chk(fd2 > fd && lseek(fd2, 0, SEEK_CUR) == lseek(fd, 0, SEEK_CUR), "dup shares the offset");
	chk(fcntl(fd2, F_SETFD, FD_CLOEXEC) == 0 && fcntl(fd2, F_GETFD) == FD_CLOEXEC, "FD_CLOEXEC");
	chk(dup2(fd, 50) == 50 && fcntl(50, F_GETFD) == 0, "dup2");
	close(50);
	close(fd2);
	close(fd);
	chk(mkdir("lt_dir", 0755) == 0, "mkdir");
	chk(rename(name, "lt_dir/moved") == 0, "rename");
	chk(stat(name, &st) < 0 && errno == ENOENT, "old name gone");
	chk(link("lt_dir/moved", "lt_dir/hard") == 0 && stat("lt_dir/hard", &st) == 0 && st.st_nlink == 2, "link");
	chk(symlink("moved", "lt_dir/sym") == 0, "symlink");
	ssize_t n = readlink("lt_dir/sym", buf, sizeof buf);
	chk(n == 5 && memcmp(buf, "moved", 5) == 0, "readlink");
	DIR *d = opendir("lt_dir");
	int entries = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		entries += de->d_name[0] != '.';
	if (d)
		closedir(d);
	chk(entries == 3, "readdir: %d entries", entries);
	chk(unlink("lt_dir/moved") == 0 && unlink("lt_dir/hard") == 0 && unlink("lt_dir/sym") == 0, "unlink");
	chk(rmdir("lt_dir") == 0, "rmdir");
	chk(open("lt_dir/x", O_RDONLY) < 0 && errno == ENOENT, "ENOENT");
}

static void test_pipes(void)
{
	int p[2];
	chk(pipe(p) == 0, "pipe");
	chk(write(p[1], "hello", 5) == 5, "write");
	struct pollfd pfd = {p[0], POLLIN, 0};
	chk(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN), "poll readable");
	char b[8];
	chk(read(p[0], b, 8) == 5 && memcmp(b, "hello", 5) == 0, "read");
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	chk(read(p[0], b, 8) < 0 && errno == EAGAIN, "EAGAIN when empty");
	close(p[1]);
	chk(read(p[0], b, 8) == 0, "EOF");
	close(p[0]);
	/* A pipe between processes, with more than a pipe buffer of data. */
	chk(pipe(p) == 0, "pipe 2");
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		static char big[200000];
		for (size_t i = 0; i < sizeof big; i++)
			big[i] = (char)(i * 7);
		size_t off = 0;
		while (off < sizeof big) {
			ssize_t w = write(p[1], big + off, sizeof big - off);
			if (w <= 0)
				_exit(1);
			off += w;
		}
		_exit(0);
	}
	close(p[1]);
	size_t total = 0;
	int ok = 1;
	char chunk[4096];
	ssize_t r;
	while ((r = read(p[0], chunk, sizeof chunk)) > 0) {
		for (ssize_t i = 0; i < r; i++)
			ok &= chunk[i] == (char)((total + i) * 7);
		total += r;
	}
	close(p[0]);
	chk(total == 200000 && ok, "200000 bytes through a pipe: %zu", total);
	chk(reap(c, 0) == 0, "writer's status");
}

static void test_fork(void)
{
	int shared_before = 17;
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		shared_before = 99;
		_exit(getppid() == parent ? 42 : 1);
	}
	chk(c > 0, "fork");
	int st = reap(c, 0);
	chk(WIFEXITED(st) && WEXITSTATUS(st) == 42, "child status %#x", st);
	chk(shared_before == 17, "fork copies memory");
	chk(reap(-1, WNOHANG) < 0 && errno == ECHILD, "no more children");
	c = fork();
	if (c == 0) {
		raise(SIGTERM);
		_exit(1);
	}
	st = reap(c, 0);
	chk(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "killed child's status %#x", st);
}

static void test_time(void)
{
	struct timespec a, b, req = {0, 20 * 1000 * 1000};
	chk(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "CLOCK_MONOTONIC");
	chk(nanosleep(&req, NULL) == 0, "nanosleep");
	chk(clock_gettime(CLOCK_MONOTONIC, &b) == 0, "CLOCK_MONOTONIC again");
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	chk(ms >= 20 && ms < 5000, "nanosleep(20ms) took %ldms", ms);
	struct timeval tv;
	chk(gettimeofday(&tv, NULL) == 0, "gettimeofday");
	time_t t = time(NULL);
	/* time() reads the clock as of the last tick, so it may be a second
	 * behind a gettimeofday made just after a second began. */
	chk(t - tv.tv_sec >= -1 && t - tv.tv_sec <= 2, "time and gettimeofday agree");
	chk(t > 1600000000, "the clock is set");
	struct timespec res;
	chk(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0, "clock_getres");
	struct rusage ru;
	chk(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
	struct itimerval it = {{0, 0}, {0, 10000}}, left;
	sigset_t alrm, old;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, &old);
	chk(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
	int sig = 0;
	chk(sigwait(&alrm, &sig) == 0 && sig == SIGALRM, "SIGALRM from the timer");
	chk(getitimer(ITIMER_REAL, &left) == 0 && left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0, "timer done");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_sockets(void)
{
	int sv[2];
	chk(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	chk(write(sv[0], "ping", 4) == 4, "unix write");
	char b[16];
	chk(read(sv[1], b, sizeof b) == 4 && memcmp(b, "ping", 4) == 0, "unix read");
	close(sv[0]);
	close(sv[1]);

	int ls = socket(AF_INET, SOCK_STREAM, 0);
	chk(ls >= 0, "socket");
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	chk(bind(ls, (struct sockaddr *)&addr, sizeof addr) == 0, "bind");
	socklen_t len = sizeof addr;
	chk(getsockname(ls, (struct sockaddr *)&addr, &len) == 0 && addr.sin_port != 0, "getsockname");
	chk(listen(ls, 4) == 0, "listen");
	pid_t c = fork();
	if (c == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0)
			_exit(1);
		char m[64];
		ssize_t n = read(s, m, sizeof m);
		if (n != 5 || memcmp(m, "hello", 5) != 0)
			_exit(2);
		if (write(s, "HELLO back", 10) != 10)
			_exit(3);
		_exit(0);
	}
	struct sockaddr_in peer;
	len = sizeof peer;
	int cs = accept(ls, (struct sockaddr *)&peer, &len);
	chk(cs >= 0 && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "accept from loopback");
	chk(send(cs, "hello", 5, 0) == 5, "send");
	ssize_t n = 0, r;
	while (n < 10 && (r = recv(cs, b + n, sizeof b - n, 0)) > 0)
		n += r;
	chk(n == 10 && memcmp(b, "HELLO back", 10) == 0, "recv");
	chk(reap(c, 0) == 0, "client's status");
	chk(recv(cs, b, sizeof b, 0) == 0, "EOF after the client closed");
	close(cs);
	close(ls);

	int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
	addr.sin_port = 0;
	chk(bind(u2, (struct sockaddr *)&addr, sizeof addr) == 0, "udp bind");
	len = sizeof addr;
	getsockname(u2, (struct sockaddr *)&addr, &len);
	chk(sendto(u1, "dgram", 5, 0, (struct sockaddr *)&addr, sizeof addr) == 5, "sendto");
	len = sizeof peer;
	chk(recvfrom(u2, b, sizeof b, 0, (struct sockaddr *)&peer, &len) == 5 && memcmp(b, "dgram", 5) == 0, "recvfrom");
	close(u1);
	close(u2);
}

static volatile sig_atomic_t usr1_count, usr1_code_ok;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	usr1_count++;
	usr1_code_ok = si->si_code == SI_USER && si->si_pid == getpid();
}

static void test_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	chk(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	kill(getpid(), SIGUSR1);
	chk(usr1_count == 1 && usr1_code_ok, "handler ran once with SI_USER from self");
	sigset_t set, old, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	sigpending(&pend);
	chk(usr1_count == 1 && sigismember(&pend, SIGUSR1), "blocked signal pending");
	sigprocmask(SIG_SETMASK, &old, NULL);
	chk(usr1_count == 2, "two standard signals merge into one: %d", usr1_count);
	/* Real-time signals queue, with their values. */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int i = 0; i < 3; i++)
		sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 100 + i});
	int ok = 1;
	for (int i = 0; i < 3; i++) {
		siginfo_t si;
		ok &= sigwaitinfo(&set, &si) == SIGRTMIN + 2 && si.si_value.sival_int == 100 + i && si.si_code == SI_QUEUE;
	}
	chk(ok, "three queued RT signals in order");
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* A signal interrupts a blocking read without SA_RESTART. */
	int p[2];
	pipe(p);
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	char b;
	errno = 0;
	chk(read(p[0], &b, 1) < 0 && errno == EINTR, "read interrupted: EINTR");
	close(p[0]);
	close(p[1]);
	signal(SIGALRM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
}

static void test_shm(void)
{
	int id = shmget(IPC_PRIVATE, 65536, IPC_CREAT | 0600);
	chk(id >= 0, "shmget");
	volatile int *m = shmat(id, NULL, 0);
	chk(m != (void *)-1, "shmat");
	if (m == (void *)-1)
		return;
	m[0] = 1;
	pid_t c = fork();
	if (c == 0) {
		m[0] = 2;
		m[16000] = 77;
		_exit(0);
	}
	chk(reap(c, 0) == 0, "child's status");
	chk(m[0] == 2 && m[16000] == 77, "the child's writes are shared");
	struct shmid_ds ds;
	chk(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz == 65536 && ds.shm_nattch == 1, "IPC_STAT");
	chk(shmdt((void *)m) == 0, "shmdt");
	chk(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID");
}

/* clone(CLONE_VM): the child writes memory the parent reads. */
static volatile int vm_word;
static int vm_fd = -1;

static int vm_child(void *arg)
{
	long flags = (long)arg;
	vm_word = getpid();
	if (flags & CLONE_FILES)
		vm_fd = open("/dev/null", O_RDONLY);
	if (flags & CLONE_FS)
		chdir("lt_cwd");
	if (flags & CLONE_SIGHAND)
		signal(SIGUSR2, SIG_IGN);
	return 23;
}

static void test_clone_vm(long flags, const char *what)
{
	char *stack = new_stack();
	mkdir("lt_cwd", 0755);
	int cwd = open(".", O_RDONLY | O_DIRECTORY);
	vm_word = 0;
	vm_fd = -1;
	pid_t c = clone(vm_child, stack + CHILD_STACK, CLONE_VM | flags | SIGCHLD, (void *)flags);
	chk(c > 0, "%s: clone", what);
	int st = c > 0 ? reap(c, 0) : -1;
	chk(WIFEXITED(st) && WEXITSTATUS(st) == 23, "%s: status %#x", what, st);
	chk(vm_word == c, "%s: the child's write is shared", what);
	if (flags & CLONE_FILES) {
		chk(vm_fd >= 0 && fcntl(vm_fd, F_GETFD) == 0, "%s: the child's fd is ours", what);
		close(vm_fd);
	}
	if (flags & CLONE_FS) {
		struct stat a, b;
		chk(stat(".", &a) == 0 && fstat(cwd, &b) == 0 && a.st_ino != b.st_ino, "%s: the child's chdir is ours", what);
		fchdir(cwd);
	}
	if (flags & CLONE_SIGHAND) {
		struct sigaction sa;
		sigaction(SIGUSR2, NULL, &sa);
		chk(sa.sa_handler == SIG_IGN, "%s: the child's disposition is ours", what);
		signal(SIGUSR2, SIG_DFL);
	}
	close(cwd);
	rmdir("lt_cwd");
	munmap(stack, CHILD_STACK);
}

/* Exit signals: SIGRTMIN queues, so each child's exit must count once. */
#define RT_CHILDREN 6
static volatile int rt_count, rt_from[RT_CHILDREN];
static pid_t rt_pids[RT_CHILDREN];

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	rt_count++;
	for (int i = 0; i < RT_CHILDREN; i++)
		if (si->si_pid == rt_pids[i] && si->si_code == CLD_EXITED && si->si_status == 30 + i)
			rt_from[i]++;
}

static int rt_child(void *arg)
{
	return 30 + (int)(long)arg;
}

static void test_exit_signal(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN, &sa, NULL);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, &old);
	char *stacks[RT_CHILDREN];
	for (int i = 0; i < RT_CHILDREN; i++) {
		stacks[i] = new_stack();
		rt_pids[i] = clone(rt_child, stacks[i] + CHILD_STACK, CLONE_VM | SIGRTMIN, (void *)(long)i);
		chk(rt_pids[i] > 0, "clone %d", i);
	}
	chk(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "plain waitpid does not see them");
	for (int i = 0; i < RT_CHILDREN; i++) {
		int st = reap(rt_pids[i], __WCLONE);
		chk(WIFEXITED(st) && WEXITSTATUS(st) == 30 + i, "child %d: status %#x", i, st);
	}
	chk(rt_count == 0, "nothing delivered while blocked");
	sigprocmask(SIG_SETMASK, &old, NULL);
	chk(rt_count == RT_CHILDREN, "%d SIGRTMIN for %d children", rt_count, RT_CHILDREN);
	for (int i = 0; i < RT_CHILDREN; i++) {
		chk(rt_from[i] == 1, "child %d: %d signals", i, rt_from[i]);
		munmap(stacks[i], CHILD_STACK);
	}
	signal(SIGRTMIN, SIG_DFL);
}

/* PDEATHSIG in a nested CLONE_VM hierarchy: top -> A -> B, all sharing
 * memory. B asks for SIGUSR1 when its parent dies; A dies once B is
 * ready; B then reports through the process-shared mutex and condvar,
 * and, as top is a subreaper, it is top's child now. */
enum { B_STARTED = 1, B_READY, B_GOT_SIGNAL };
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state, a_pid, b_pid, top_pid;
	int b_parent_was_a, b_signal, b_reparented;
} *pd;

static void pd_set(int state)
{
	pthread_mutex_lock(&pd->mu);
	pd->state = state;
	pthread_cond_broadcast(&pd->cv);
	pthread_mutex_unlock(&pd->mu);
}

/* pd_wait waits (at most 20s) for state; returns whether it came. */
static int pd_wait(int state)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 20;
	pthread_mutex_lock(&pd->mu);
	int err = 0;
	while (pd->state < state && err == 0)
		err = pthread_cond_timedwait(&pd->cv, &pd->mu, &dl);
	int ok = pd->state >= state;
	pthread_mutex_unlock(&pd->mu);
	return ok;
}

static int pd_b(void *arg)
{
	(void)arg;
	pd->b_pid = getpid();
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	pd->b_parent_was_a = getppid() == pd->a_pid;
	pd_set(B_READY);
	struct timespec ts = {20, 0};
	siginfo_t si;
	pd->b_signal = sigtimedwait(&usr1, &si, &ts);
	pd->b_reparented = getppid() == pd->top_pid;
	pd_set(B_GOT_SIGNAL);
	return 0;
}

static int pd_a(void *arg)
{
	char *stack = arg;
	pd->a_pid = getpid();
	pid_t b = clone(pd_b, stack + CHILD_STACK, CLONE_VM | SIGCHLD, NULL);
	if (b < 0)
		return 1;
	return pd_wait(B_READY) ? 9 : 2;
}

static void test_pdeathsig(void)
{
	pd = mmap(NULL, sizeof *pd, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&pd->mu, &ma);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&pd->cv, &ca);
	pd->top_pid = getpid();
	chk(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER");
	char *sa = new_stack(), *sb = new_stack();
	pid_t a = clone(pd_a, sa + CHILD_STACK, CLONE_VM | SIGCHLD, sb);
	chk(a > 0, "clone A");
	if (a < 0)
		goto out;
	int st = reap(a, 0);
	chk(WIFEXITED(st) && WEXITSTATUS(st) == 9, "A's status %#x", st);
	chk(pd_wait(B_GOT_SIGNAL), "B reported after A died");
	chk(pd->b_parent_was_a, "B's parent was A");
	chk(pd->b_signal == SIGUSR1, "B got PDEATHSIG SIGUSR1: %d", pd->b_signal);
	chk(pd->b_reparented, "B's parent is now the subreaper");
	st = reap(pd->b_pid, 0);
	chk(WIFEXITED(st) && WEXITSTATUS(st) == 0, "B reaped by top: status %#x", st);
out:
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	munmap(sa, CHILD_STACK);
	munmap(sb, CHILD_STACK);
	munmap(pd, sizeof *pd);
}

static void clone_vm(void) { test_clone_vm(0, "CLONE_VM"); }
static void clone_vm_shared(void)
{
	test_clone_vm(CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM, "CLONE_VM|FS|FILES|SIGHAND|SYSVSEM");
}

static const struct {
	const char *name;
	void (*fn)(void);
} sections[] = {
	{"files", test_files},
	{"pipes", test_pipes},
	{"fork", test_fork},
	{"time", test_time},
	{"sockets", test_sockets},
	{"signals", test_signals},
	{"shm", test_shm},
	{"clone_vm", clone_vm},
	{"clone_vm_shared", clone_vm_shared},
	{"exit_signal", test_exit_signal},
	{"pdeathsig", test_pdeathsig},
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		int wanted = argc < 2;
		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], sections[i].name) == 0;
		if (!wanted)
			continue;
		section_failures = 0;
		sections[i].fn();
		printf("%s: %s\n", sections[i].name, section_failures ? "FAILED" : "ok");
		failures += section_failures;
	}
	return failures != 0;
}
