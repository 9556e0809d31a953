/* Dies of SIGSEGV: the wait status must be the same as native (signal 11).
 * argv[1] picks how: null (read of address 0), write (write to read-only
 * data), exec (jump to a non-executable page), stack (unbounded recursion),
 * unmapped (read of an unmapped page). */
#include <sys/mman.h>
#include <unistd.h>
#include "common.h"

static const char ro[4096] __attribute__((aligned(4096))) = "read-only";

static int recurse(volatile char *p)
{
	volatile char big[4096];
	big[0] = *p;
	return recurse(big) + big[1];
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";
	printf("before fault: %s\n", how);
	fflush(stdout);
	if (!strcmp(how, "null")) {
		volatile int *p = NULL;
		printf("%d\n", *p);
	} else if (!strcmp(how, "write")) {
		*(volatile char *)ro = 'x';
	} else if (!strcmp(how, "exec")) {
		char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		page[0] = (char)0xc3; /* ret */
		((void (*)(void))page)();
	} else if (!strcmp(how, "stack")) {
		char c = 0;
		recurse(&c);
	} else if (!strcmp(how, "unmapped")) {
		char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(page + 4096, 4096);
		printf("%d\n", ((volatile char *)page)[4096 + 100]);
	}
	printf("not reached\n");
	return 0;
}
