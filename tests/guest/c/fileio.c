/* File and directory I/O in a scratch directory: argv[1] (created if need
 * be), or a fixed name under /tmp that is removed at the end. Prints no inode
 * numbers or times. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "common.h"

static void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Runs a call and prints it with its result, and errno's name on failure. */
#define T(expr)                                                                 \
	do {                                                                    \
		errno = 0;                                                      \
		long v_ = (long)(expr);                                         \
		printf("%s = %ld%s%s\n", #expr, v_, v_ < 0 ? " " : "",          \
		       v_ < 0 ? strerror(errno) : "");                          \
	} while (0)

static const char *ftype(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "link" : S_ISFIFO(m) ? "fifo" : "other";
}

static void showstat(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		printf("lstat %s: %s\n", path, strerror(errno));
		return;
	}
	printf("stat %s: %s mode %04o size %lld nlink %lu\n", path, ftype(st.st_mode),
	       (unsigned)(st.st_mode & 07777), (long long)(S_ISDIR(st.st_mode) ? 0 : st.st_size),
	       (unsigned long)(S_ISDIR(st.st_mode) ? 0 : st.st_nlink));
}

static int cmpname(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a directory sorted by name: readdir order is the file system's. */
static void listdir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		die("opendir");
	char *names[256];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmpname);
	printf("dir %s:", path);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void rmtree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rmtree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(path);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/guestrun-fileio-test";
	int own = argc <= 1;
	if (own)
		rmtree(dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die("mkdir scratch");
	if (chdir(dir) < 0)
		die("chdir");
	umask(022);

	/* Write, read back, seek. */
	int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0)
		die("open a.txt");
	static char buf[70000];
	for (int i = 0; i < (int)sizeof buf; i++)
		buf[i] = (char)('A' + i % 61);
	char rb[64] = {0};
	T(write(fd, buf, sizeof buf));
	T(lseek(fd, 0, SEEK_CUR));
	T(lseek(fd, 0, SEEK_END));
	T(lseek(fd, 100, SEEK_SET));
	T(read(fd, rb, 10));
	printf("'%.10s'\n", rb);
	T(pread(fd, rb, 5, 65536));
	printf("'%.5s'\n", rb);
	T(pwrite(fd, "XYZ", 3, 1));
	T(lseek(fd, 100000, SEEK_SET));
	T(write(fd, "end", 3));
	struct stat st;
	T(fstat(fd, &st));
	printf("size %lld\n", (long long)st.st_size);
	T(lseek(fd, 0, SEEK_DATA));
	T(lseek(fd, -1, SEEK_SET));
	T(ftruncate(fd, 1000));
	T(fstat(fd, &st));
	printf("size %lld\n", (long long)st.st_size);
	T(lseek(fd, 0, SEEK_SET));
	memset(rb, 0, sizeof rb);
	T(read(fd, rb, 8));
	printf("'%.8s'\n", rb);
	/* Scatter/gather. */
	struct iovec iov[3] = {{"one ", 4}, {"two ", 4}, {"three\n", 6}};
	T(lseek(fd, 0, SEEK_END));
	T(writev(fd, iov, 3));
	char x1[5] = {0}, x2[9] = {0};
	struct iovec riov[2] = {{x1, 4}, {x2, 8}};
	T(preadv(fd, riov, 2, 1000));
	printf("'%s' '%s'\n", x1, x2);
	T(close(fd));
	T(read(fd, rb, 1));

	/* dup, fcntl, O_APPEND, O_EXCL. */
	fd = open("a.txt", O_WRONLY | O_APPEND);
	int fd2 = dup(fd);
	int fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	printf("dup above %d, dupfd>=100 %d\n", fd2 > fd, fd3 >= 100);
	T(fcntl(fd3, F_GETFD) & FD_CLOEXEC);
	T(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	T((fcntl(fd, F_GETFL) & O_APPEND) != 0);
	T(write(fd2, "+", 1));
	T(dup2(fd, 50));
	T(write(50, "!", 1));
	T(close(fd) | close(fd2) | close(fd3) | close(50));
	showstat("a.txt");
	T(open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0600));
	T(open("missing", O_RDONLY));

	/* Directories, links, renames. */
	T(mkdir("d1", 0700));
	T(mkdir("d1/sub", 0755));
	T(mkdir("d1", 0700));
	for (int i = 0; i < 30; i++) {
		char name[64];
		snprintf(name, sizeof name, "d1/f%02d", (i * 7) % 30);
		int f = open(name, O_CREAT | O_WRONLY, 0600 + i % 8);
		dprintf(f, "file %d\n", i);
		close(f);
	}
	listdir("d1");
	T(rename("d1/f00", "d1/sub/moved"));
	T(rename("d1/f01", "d1/f02"));
	T(rename("d1/missing", "d1/x"));
	T(link("a.txt", "d1/hard"));
	T(symlink("../a.txt", "d1/soft"));
	char lnk[256];
	ssize_t ln;
	T(ln = readlink("d1/soft", lnk, sizeof lnk));
	printf("'%.*s'\n", (int)(ln > 0 ? ln : 0), lnk);
	showstat("d1/soft");
	showstat("d1/hard");
	showstat("d1/sub");
	showstat("d1/f05");
	T(chmod("d1/f05", 0640));
	showstat("d1/f05");
	T(access("d1/f05", R_OK));
	T(access("d1/nothing", F_OK));
	T(unlink("d1/f03"));
	T(unlink("d1/f03"));
	T(rmdir("d1"));
	T(open("d1", O_WRONLY));
	T(open("a.txt/x", O_RDONLY));
	T(opendir("a.txt") != NULL);
	listdir("d1");
	listdir("d1/sub");
	/* *at calls relative to a directory fd. */
	int dfd = open("d1", O_RDONLY | O_DIRECTORY);
	int af = openat(dfd, "sub/at.txt", O_CREAT | O_WRONLY, 0644);
	T(write(af, "at\n", 3));
	close(af);
	struct stat ast;
	T(fstatat(dfd, "sub/at.txt", &ast, 0));
	printf("size %lld\n", (long long)ast.st_size);
	T(renameat(dfd, "sub/at.txt", dfd, "at2"));
	T(unlinkat(dfd, "f04", 0));
	T(mkdirat(dfd, "newdir", 0700));
	T(unlinkat(dfd, "newdir", AT_REMOVEDIR));
	T(faccessat(dfd, "at2", W_OK, 0));
	close(dfd);
	listdir("d1");
	/* getcwd ends with the scratch directory's name. */
	char cwd[4096];
	T(getcwd(cwd, sizeof cwd) != NULL);
	const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	printf("getcwd ends right %d\n", !strcmp(cwd + strlen(cwd) - strlen(base), base));
	/* stdio on files. */
	FILE *f = fopen("stdio.txt", "w+");
	for (int i = 0; i < 1000; i++)
		fprintf(f, "line %d %x\n", i, i * i);
	rewind(f);
	char line[100];
	int count = 0;
	long sum = 0;
	while (fgets(line, sizeof line, f)) {
		count++;
		sum += (long)strlen(line);
	}
	printf("stdio lines %d bytes %ld ftell %ld\n", count, sum, ftell(f));
	fclose(f);
	/* A pipe within one process. */
	int p[2];
	T(pipe(p));
	T(write(p[1], "through pipe", 12));
	T(close(p[1]));
	memset(rb, 0, sizeof rb);
	T(read(p[0], rb, sizeof rb));
	printf("'%s'\n", rb);
	T(read(p[0], rb, 1));
	T(close(p[0]));

	if (own) {
		chdir("/");
		rmtree(dir);
		printf("cleanup %s\n", access(dir, F_OK) ? "done" : "failed");
	}
	return 0;
}
