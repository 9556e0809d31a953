/* SysV IPC (semaphores, message queues, shared memory) and pidfds. Only
 * values that are the same in every run are printed: no ids, keys or
 * addresses. Every IPC object is removed at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SHM_REMAP
#define SHM_REMAP 040000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* No key in this range is used on a test machine. */
#define ABSENT_KEY 0x5a17c0de

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static const char *ename(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EIDRM: return "EIDRM";
	case ENOENT: return "ENOENT";
	case EAGAIN: return "EAGAIN";
	case ENOMSG: return "ENOMSG";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case EACCES: return "EACCES";
	case EEXIST: return "EEXIST";
	case EBADF: return "EBADF";
	case ESRCH: return "ESRCH";
	case ENOMEM: return "ENOMEM";
	case EINTR: return "EINTR";
	}
	return "other";
}

#define CHECK(what, expr) do { errno = 0; long r_ = (long)(expr); \
	printf("%s: %s\n", what, r_ == -1 ? ename(errno) : "OK"); } while (0)

static void wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		printf("waitpid failed\n");
	else if (WIFEXITED(st))
		printf("child exit %d\n", WEXITSTATUS(st));
	else
		printf("child signal %d\n", WTERMSIG(st));
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal with a handler ends the next blocking call in 20 ms. */
static void arm(void)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void sems(void)
{
	int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
	if (id < 0) {
		perror("semget");
		exit(1);
	}
	unsigned short set[3] = {1, 2, 3}, got[3] = {0};
	CHECK("semctl SETALL", semctl(id, 0, SETALL, (union semun){.array = set}));
	struct sembuf ops[2] = {{0, -1, 0}, {2, 5, 0}};
	CHECK("semop", semop(id, ops, 2));
	CHECK("semctl GETALL", semctl(id, 0, GETALL, (union semun){.array = got}));
	printf("values %u %u %u\n", got[0], got[1], got[2]);
	printf("GETVAL 1 = %d\n", semctl(id, 1, GETVAL));
	struct sembuf take = {0, -1, IPC_NOWAIT};
	CHECK("semop nowait", semop(id, &take, 1));
	struct timespec ts = {0, 10000000};
	take.sem_flg = 0;
	CHECK("semtimedop", semtimedop(id, &take, 1, &ts));
	CHECK("semtimedop bad timeout", semtimedop(id, &take, 1, (struct timespec *)8));
	CHECK("semop no ops", semop(id, ops, 0));
	struct semid_ds ds;
	CHECK("semctl IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	printf("sem_nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);
	ds.sem_perm.mode = 0640;
	CHECK("semctl IPC_SET", semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
	semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
	printf("mode now %o\n", ds.sem_perm.mode & 0777);
	CHECK("semctl IPC_STAT bad buffer", semctl(id, 0, IPC_STAT, (union semun){.buf = (void *)8}));
	struct seminfo si;
	CHECK("semctl IPC_INFO", semctl(id, 0, IPC_INFO, (union semun){.__buf = &si}));
	CHECK("semctl bad cmd", semctl(id, 0, 9999));
	CHECK("semget absent", semget(ABSENT_KEY, 1, 0));
	CHECK("semget bad nsems", semget(IPC_PRIVATE, -1, IPC_CREAT | 0600));

	/* SEM_UNDO: the child's operation is undone when it exits. */
	semctl(id, 1, SETVAL, (union semun){.val = 0});
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct sembuf up = {1, 3, SEM_UNDO};
		CHECK("child semop undo", semop(id, &up, 1));
		printf("child sees %d\n", semctl(id, 1, GETVAL));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
	printf("after undo %d\n", semctl(id, 1, GETVAL));

	/* A semop blocked when the set goes away fails with EIDRM. */
	semctl(id, 0, SETVAL, (union semun){.val = 0});
	struct sembuf wait0 = {0, -1, 0};
	arm();
	CHECK("semop interrupted", semop(id, &wait0, 1));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sembuf down = {0, -1, 0};
		CHECK("child blocked semop", semop(id, &down, 1));
		fflush(stdout);
		_exit(0);
	}
	while (semctl(id, 0, GETNCNT) < 1)
		usleep(1000);
	printf("waiting %d\n", semctl(id, 0, GETNCNT));
	int rm = semctl(id, 0, IPC_RMID);
	wait_child(pid);
	printf("semctl IPC_RMID: %d\n", rm);
	CHECK("semop removed", semop(id, ops, 1));
}

struct msg {
	long type;
	char text[32];
};

static void msgs(void)
{
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id < 0) {
		perror("msgget");
		exit(1);
	}
	static const char *texts[] = {"one", "two", "three"};
	for (int i = 0; i < 3; i++) {
		struct msg m = {i + 1, ""};
		strcpy(m.text, texts[i]);
		CHECK("msgsnd", msgsnd(id, &m, strlen(m.text) + 1, 0));
	}
	struct msqid_ds ds;
	CHECK("msgctl IPC_STAT", msgctl(id, IPC_STAT, &ds));
	printf("qnum %lu\n", (unsigned long)ds.msg_qnum);
	struct msg m;
	long n = msgrcv(id, &m, sizeof m.text, 2, 0);
	printf("type 2: %ld %ld %s\n", n, m.type, m.text);
	n = msgrcv(id, &m, 2, 0, 0);
	printf("short buffer: %ld %s\n", n, ename(errno));
	memset(&m, 0, sizeof m);
	n = msgrcv(id, &m, 2, 0, MSG_NOERROR);
	printf("MSG_NOERROR: %ld %ld %.2s\n", n, m.type, m.text);
	n = msgrcv(id, &m, sizeof m.text, -5, 0);
	printf("type <= 5: %ld %ld %s\n", n, m.type, m.text);
	CHECK("msgrcv empty", msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT));
	arm();
	CHECK("msgrcv interrupted", msgrcv(id, &m, sizeof m.text, 0, 0));
	CHECK("msgsnd bad buffer", msgsnd(id, (void *)8, 4, 0));
	struct msg bad = {0, "x"};
	CHECK("msgsnd type 0", msgsnd(id, &bad, 2, 0));
	CHECK("msgget absent", msgget(ABSENT_KEY, 0));
	struct msginfo mi;
	CHECK("msgctl IPC_INFO", msgctl(id, IPC_INFO, (struct msqid_ds *)&mi));

	/* A message from a child. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct msg c = {7, "from child"};
		CHECK("child msgsnd", msgsnd(id, &c, sizeof c.text, 0));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
	n = msgrcv(id, &m, sizeof m.text, 7, 0);
	printf("received %ld %ld %s\n", n, m.type, m.text);

	/* A msgrcv that waits for its message. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		long k = msgrcv(id, &m, sizeof m.text, 8, 0);
		printf("child received %ld %ld %s\n", k, m.type, m.text);
		fflush(stdout);
		_exit(0);
	}
	usleep(20000);
	struct msg late = {8, "late"};
	int sent = msgsnd(id, &late, 5, 0);
	wait_child(pid);
	printf("msgsnd late: %d\n", sent);
	CHECK("msgctl IPC_RMID", msgctl(id, IPC_RMID, NULL));
	CHECK("msgsnd removed", msgsnd(id, &bad, 2, 0));
}

static sigjmp_buf jb;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

/* The permissions and name /proc/self/maps shows for the mapping at p. */
static void show_map(void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perm[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) == 3 && lo == (unsigned long)p) {
			char *name = strchr(line, '/');
			printf("maps: %s %s", perm, name ? name : "(none)\n");
			break;
		}
	}
	if (f)
		fclose(f);
}

static void shms(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	if (id < 0) {
		perror("shmget");
		exit(1);
	}
	struct shmid_ds ds;
	CHECK("shmctl IPC_STAT", shmctl(id, IPC_STAT, &ds));
	printf("segsz %lu nattch %lu\n", (unsigned long)ds.shm_segsz, (unsigned long)ds.shm_nattch);
	CHECK("shmctl IPC_STAT bad buffer", shmctl(id, IPC_STAT, (void *)8));
	char *p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		perror("shmat");
		exit(1);
	}
	shmctl(id, IPC_STAT, &ds);
	printf("attached: nattch %lu\n", (unsigned long)ds.shm_nattch);
	show_map(p);
	strcpy(p, "from parent");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child reads: %s\n", p);
		strcpy(p + 5000, "from child");
		shmctl(id, IPC_STAT, &ds);
		printf("child nattch %lu\n", (unsigned long)ds.shm_nattch);
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
	printf("parent reads: %s\n", p + 5000);
	CHECK("shmdt", shmdt(p));
	CHECK("shmdt again", shmdt(p));
	shmctl(id, IPC_STAT, &ds);
	printf("detached: nattch %lu\n", (unsigned long)ds.shm_nattch);

	/* A read-only attachment. */
	char *r = shmat(id, NULL, SHM_RDONLY);
	printf("read-only reads: %s\n", r + 5000);
	show_map(r);
	struct sigaction sa = {.sa_handler = on_segv};
	sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(jb, 1) == 0) {
		r[0] = 'x';
		printf("write to read-only: no fault\n");
	} else {
		printf("write to read-only: SIGSEGV\n");
	}
	signal(SIGSEGV, SIG_DFL);
	CHECK("mprotect read-only to write", mprotect(r, pg, PROT_READ | PROT_WRITE));
	CHECK("shmdt read-only", shmdt(r));

	/* Addresses: SHM_RND, a taken range, SHM_REMAP. */
	char *q = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("shmat misaligned", shmat(id, q + 123, 0));
	CHECK("shmat taken", shmat(id, q, 0));
	CHECK("shmat remap at 0", shmat(id, NULL, SHM_REMAP));
	char *s = shmat(id, q, SHM_REMAP);
	printf("SHM_REMAP at the address: %d, reads %s\n", s == q, s);
	printf("page after the segment still there: %d\n", q[3 * pg] == 0);
	CHECK("shmdt inside", shmdt(q + pg));
	CHECK("shmdt", shmdt(q));
	CHECK("mprotect detached", mprotect(q, pg, PROT_READ));
	munmap(q, 4 * pg);
	s = shmat(id, q + 123, SHM_RND);
	printf("SHM_RND: %d\n", s == q);
	/* munmap detaches too, in parts. */
	munmap(s, pg);
	shmctl(id, IPC_STAT, &ds);
	printf("partly unmapped: nattch %lu\n", (unsigned long)ds.shm_nattch);
	CHECK("shmdt after partial munmap", shmdt(s));
	CHECK("shmdt the rest", shmdt(s + pg));
	shmctl(id, IPC_STAT, &ds);
	printf("all gone: nattch %lu\n", (unsigned long)ds.shm_nattch);

	/* Removed while attached: it lives on until the last detach, also in
	 * a child. */
	p = shmat(id, NULL, 0);
	CHECK("shmctl IPC_RMID", shmctl(id, IPC_RMID, NULL));
	shmctl(id, IPC_STAT, &ds);
	printf("removed: dest %d nattch %lu\n", !!(ds.shm_perm.mode & SHM_DEST), (unsigned long)ds.shm_nattch);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		strcpy(p, "child after removal");
		_exit(0);
	}
	wait_child(pid);
	printf("parent reads: %s\n", p);
	CHECK("shmdt", shmdt(p));
	CHECK("shmctl IPC_STAT gone", shmctl(id, IPC_STAT, &ds));
	CHECK("shmat gone", shmat(id, NULL, 0));
	CHECK("shmget absent", shmget(ABSENT_KEY, 4096, 0));
	CHECK("shmctl bad buffer", shmctl(0x7fffffff, IPC_STAT, (void *)8));
}

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static void pidfds(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	int fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		perror("pidfd_open");
		exit(1);
	}
	struct pollfd pfd = {fd, POLLIN, 0};
	printf("poll running: %d\n", poll(&pfd, 1, 0));
	CHECK("pidfd_send_signal", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
	int ready = poll(&pfd, 1, -1);
	printf("poll exited: %d %d\n", ready, !!(pfd.revents & POLLIN));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK("waitid P_PIDFD", waitid(P_PIDFD, fd, &si, WEXITED));
	printf("code %s status %d\n", si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status);
	CHECK("pidfd_send_signal exited", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
	close(fd);
	CHECK("pidfd_open bad flags", syscall(SYS_pidfd_open, getpid(), 12345));
	CHECK("pidfd_send_signal not a pidfd", syscall(SYS_pidfd_send_signal, 0, SIGTERM, NULL, 0));

	/* A pidfd of this very process. */
	signal(SIGUSR1, on_usr1);
	int self = syscall(SYS_pidfd_open, getpid(), 0);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	CHECK("pidfd_send_signal self", syscall(SYS_pidfd_send_signal, self, SIGUSR1, NULL, 0));
	sigset_t pend;
	sigpending(&pend);
	printf("pending %d\n", sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("handled %d\n", (int)usr1);
	int pp[2];
	if (pipe(pp) == 0) {
		int dup = syscall(SYS_pidfd_getfd, self, pp[1], 0);
		printf("pidfd_getfd: %d\n", dup >= 0);
		if (dup >= 0) {
			char c = 0;
			write(dup, "z", 1);
			read(pp[0], &c, 1);
			printf("through the copy: %c\n", c);
			close(dup);
		}
		close(pp[0]);
		close(pp[1]);
	}
	close(self);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	sems();
	msgs();
	shms();
	pidfds();
	return 0;
}
