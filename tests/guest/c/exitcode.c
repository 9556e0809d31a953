/* Exit paths: argv[1] selects how the program ends, so the harness can
 * compare wait statuses. atexit handlers and stdio flushing are visible. */
#include <signal.h>
#include <unistd.h>
#include "common.h"

static void h1(void) { printf("atexit 1\n"); }
static void h2(void) { printf("atexit 2\n"); }

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "return";
	atexit(h1);
	atexit(h2);
	printf("buffered output before %s", how); /* no newline: must be flushed */
	if (!strcmp(how, "return"))
		return 42;
	if (!strcmp(how, "exit0"))
		exit(0);
	if (!strcmp(how, "exit1"))
		exit(1);
	if (!strcmp(how, "exit255"))
		exit(255);
	if (!strcmp(how, "exit256"))
		exit(256);
	if (!strcmp(how, "exitneg"))
		exit(-3);
	if (!strcmp(how, "_exit")) {
		printf("\n");
		fflush(stdout);
		_exit(7);
	}
	if (!strcmp(how, "abort"))
		abort();
	if (!strcmp(how, "kill")) {
		fflush(stdout);
		kill(getpid(), SIGKILL);
	}
	if (!strcmp(how, "term")) {
		fflush(stdout);
		raise(SIGTERM);
	}
	if (!strcmp(how, "stderr")) {
		fprintf(stderr, "to stderr\n");
		exit(3);
	}
	return 0;
}
