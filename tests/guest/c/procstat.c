/* /proc/self/stat and /proc/self/status describe the process that reads
 * them: its name, threads, signal dispositions, and the memory figures of
 * the program (code, stack, arguments, environment, brk). */
#define _GNU_SOURCE
#include "common.h"
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;
static void handler(int sig) { (void)sig; }

static unsigned long long field[64];
static char comm[64], state;

static void read_stat(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	memcpy(comm, open + 1, close - open - 1);
	comm[close - open - 1] = 0;
	state = close[2];
	char *p = close + 4;
	for (int i = 4; i < 64 && *p; i++)
		field[i] = strtoull(p, &p, 10);
}

static unsigned long long maps_total(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	unsigned long long total = 0, lo, hi;
	/* The vsyscall page is in the maps but not in the mm. */
	while (fgets(line, sizeof line, f))
		if (!strstr(line, "[vsyscall]") && sscanf(line, "%llx-%llx", &lo, &hi) == 2)
			total += hi - lo;
	fclose(f);
	return total;
}

int main(int argc, char **argv)
{
	signal(SIGUSR1, handler);
	signal(SIGUSR2, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	char *env0 = environ[0];
	char *last = argv[argc - 1], *lastenv = environ[0];
	for (char **e = environ; *e; e++)
		lastenv = *e;

	char self[64];
	snprintf(self, sizeof self, "/proc/%d/stat", getpid());
	for (int round = 0; round < 2; round++) {
		read_stat(round ? self : "/proc/self/stat");
		printf("%s: comm %s, state %c, ppid is parent %d, threads %llu\n", round ? "/proc/PID/stat" : "/proc/self/stat",
		       comm, state, field[4] == (unsigned long long)getppid(), field[20]);
	}
	printf("vsize is the total of the maps %d\n", field[23] == maps_total());
	printf("startcode <= main < endcode %d\n", field[26] <= (unsigned long)main && (unsigned long)main < field[27]);
	printf("startstack is &argc %d\n", field[28] == (unsigned long)(argv - 1));
	printf("blocked %#llx, ignored %#llx, caught %#llx\n", field[32], field[33], field[34]);
	printf("start_data <= end_data %d, start_brk <= brk %d\n", field[45] <= field[46], field[47] <= (unsigned long)sbrk(0));
	printf("arg_start is argv[0] %d, arg_end %d\n", field[48] == (unsigned long)argv[0],
	       field[49] == (unsigned long)last + strlen(last) + 1);
	printf("env_start is environ[0] %d, env_end %d, exit_code %llu\n", field[50] == (unsigned long)env0,
	       field[51] == (unsigned long)lastenv + strlen(lastenv) + 1, field[52]);

	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long vmsize = 0;
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "Name:", 5) || !strncmp(line, "Threads:", 8) || !strncmp(line, "SigBlk:", 7) ||
		    !strncmp(line, "SigIgn:", 7) || !strncmp(line, "SigCgt:", 7) || !strncmp(line, "State:", 6))
			fputs(line, stdout);
		sscanf(line, "VmSize: %llu kB", &vmsize);
	}
	fclose(f);
	printf("VmSize matches vsize %d\n", vmsize * 1024 == field[23]);
	return 0;
}
