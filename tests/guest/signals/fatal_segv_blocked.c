/* A SIGSEGV from a fault kills the process when it is blocked, even though
 * a handler is installed. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

static void on_segv(int sig)
{
	(void)sig;
	printf("handler ran\n");
}

int main(void)
{
	/* No core: its flag in the wait status would depend on the host. */
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
	signal(SIGSEGV, on_segv);
	sigset_t b;
	sigemptyset(&b);
	sigaddset(&b, SIGSEGV);
	sigprocmask(SIG_BLOCK, &b, NULL);
	printf("before the fault\n");
	fflush(stdout);
	volatile int *volatile bad = (int *)8;
	*bad = 1;
	printf("after the fault\n");
	return 0;
}
