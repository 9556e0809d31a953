/* Memory after fork: private memory (data, heap, stack, private mappings of
 * anonymous memory and of a file) is copied, shared mappings (anonymous and
 * of a file) stay shared, in both directions, and MADV_DONTFORK and
 * MADV_WIPEONFORK do what they say. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char global[64] = "global";
static char bss[8192];

/* A pipe each way, to order what parent and child do. */
static int up[2], down[2];
static void tell(int fd) { char c = 'x'; write(fd, &c, 1); }
static void hear(int fd) { char c; read(fd, &c, 1); }

static int status_of(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + st;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char stack[32] = "stack";
	char *heap = malloc(1 << 20);
	strcpy(heap, "heap");
	strcpy(heap + (1 << 20) - 16, "heap end");
	strcpy(bss + 4096, "bss");
	char *priv = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *shared = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(priv + 4096, "private");
	strcpy(shared, "shared");
	strcpy(ro, "read-only");
	mprotect(ro, 4096, PROT_READ);

	int fd = open("file.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char page[4096];
	memset(page, '.', sizeof page);
	memcpy(page, "file contents", 13);
	write(fd, page, sizeof page);
	write(fd, page, sizeof page);
	char *fshared = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *fpriv = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	memcpy(fpriv, "FILE", 4);

	char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *wiped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(gone, "gone");
	strcpy(wiped, "wiped");
	int dontfork = madvise(gone, 4096, MADV_DONTFORK);
	int wipeonfork = madvise(wiped, 4096, MADV_WIPEONFORK);
	printf("madvise: dontfork %d wipeonfork %d\n", dontfork, wipeonfork);

	pipe(up);
	pipe(down);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child sees: %s %s %s %s %s %s %s %s %.4s %.9s %.13s\n", global, bss + 4096, stack, heap,
		       heap + (1 << 20) - 16, priv + 4096, shared, ro, fpriv, fpriv + 4, fshared);
		printf("child: wiped page %s\n", wiped[0] == 0 ? "zero" : wiped);
		printf("child: DONTFORK page %s\n", mincore(gone, 4096, (unsigned char[1]){0}) == 0 ? "mapped" : "unmapped");
		strcpy(global, "child global");
		strcpy(stack, "child stack");
		strcpy(heap, "child heap");
		strcpy(priv + 4096, "child private");
		memcpy(fpriv, "CHLD", 4);
		strcpy(shared, "written by the child");
		memcpy(fshared + 4096, "child wrote the file", 20);
		tell(up[1]);
		hear(down[0]);
		/* The parent wrote after the fork. */
		printf("child after parent's writes: %s %s %s | %s %.24s\n", global, heap, priv + 4096, shared + 100,
		       fshared + 200);
		_exit(0);
	}
	hear(up[0]);
	printf("parent after child's writes: %s %s %s %s %.4s | %s %.20s\n", global, stack, heap, priv + 4096, fpriv,
	       shared, fshared + 4096);
	strcpy(global, "parent global");
	strcpy(heap, "parent heap");
	strcpy(priv + 4096, "parent private");
	strcpy(shared + 100, "parent shared");
	memcpy(fshared + 200, "parent wrote the file too", 24);
	tell(down[1]);
	printf("child status %d\n", status_of(pid));
	printf("parent: wiped %s gone %s\n", wiped, gone);

	char buf[32] = {0};
	pread(fd, buf, 20, 4096);
	printf("file at 4096: %s\n", buf);

	/* A shared mapping made before the fork stays shared with a child
	 * that outlives the parent's unmap, and new memory at the same place
	 * is not it. */
	pid = fork();
	if (pid == 0) {
		hear(down[0]);
		printf("child: shared after the parent's unmap: %s\n", shared);
		strcpy(shared, "child again");
		tell(up[1]);
		_exit(0);
	}
	munmap(shared, 2 * 4096);
	char *again = mmap(shared, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("parent: new mapping at the same place: %s\n", again[0] ? again : "zero");
	tell(down[1]);
	hear(up[0]);
	printf("parent: new mapping after the child's write: %s\n", again[0] ? again : "zero");
	printf("child status %d\n", status_of(pid));

	/* Big private memory: the child sees every page, and only its copy
	 * changes. */
	size_t big = 64 << 20;
	unsigned char *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < big; i += 4096 * 7)
		b[i] = (unsigned char)(i >> 12);
	pid = fork();
	if (pid == 0) {
		int bad = 0;
		for (size_t i = 0; i < big; i += 4096) {
			unsigned char want = i % (4096 * 7) == 0 ? (unsigned char)(i >> 12) : 0;
			bad += b[i] != want;
			b[i] = 0xff;
		}
		_exit(bad ? 1 : 0);
	}
	printf("big memory: child status %d, parent byte %d\n", status_of(pid), b[4096 * 7]);
	return 0;
}
