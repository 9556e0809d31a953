/* An unhandled SIGSEGV kills the process. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

int main(void)
{
	/* No core: its flag in the wait status would depend on the host. */
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
	printf("before the fault\n");
	fflush(stdout);
	volatile int *volatile bad = (int *)8;
	*bad = 1;
	printf("after the fault\n");
	return 0;
}
