/* A blocked SIGTERM with the default action kills the process when it is
 * unblocked, not before. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	sigset_t b;
	sigemptyset(&b);
	sigaddset(&b, SIGTERM);
	sigprocmask(SIG_BLOCK, &b, NULL);
	kill(getpid(), SIGTERM);
	printf("still alive while blocked\n");
	fflush(stdout);
	sigprocmask(SIG_UNBLOCK, &b, NULL);
	printf("after unblocking\n");
	return 0;
}
