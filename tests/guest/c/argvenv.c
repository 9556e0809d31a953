/* Prints argv, the environment and the deterministic auxv entries. */
#include <sys/auxv.h>
#include <unistd.h>
#include "common.h"

extern char **environ;

int main(int argc, char **argv)
{
	printf("argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = \"%s\" (%zu)\n", i, argv[i], strlen(argv[i]));
	printf("argv[argc] %s\n", argv[argc] ? "non-null" : "null");
	int n = 0;
	for (char **e = environ; *e; e++)
		printf("env[%d] %s\n", n++, *e);
	printf("getenv HOME=%s GUEST_TEST=%s MISSING=%s\n", getenv("HOME"), getenv("GUEST_TEST"),
	       getenv("MISSING") ? "set" : "(null)");
	setenv("ADDED", "yes", 1);
	unsetenv("GUEST_TEST");
	printf("after setenv ADDED=%s GUEST_TEST=%s\n", getenv("ADDED"),
	       getenv("GUEST_TEST") ? "set" : "(null)");
	printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
	printf("AT_UID %lu AT_EUID %lu AT_GID %lu AT_EGID %lu AT_SECURE %lu\n", getauxval(AT_UID),
	       getauxval(AT_EUID), getauxval(AT_GID), getauxval(AT_EGID), getauxval(AT_SECURE));
	printf("AT_RANDOM %s\n", getauxval(AT_RANDOM) ? "present" : "missing");
	printf("AT_ENTRY %s\n", getauxval(AT_ENTRY) ? "present" : "missing");
	printf("AT_PHNUM %lu AT_PHENT %lu\n", getauxval(AT_PHNUM), getauxval(AT_PHENT));
	const char *fn = (const char *)getauxval(AT_EXECFN);
	printf("AT_EXECFN %s\n", fn ? (strcmp(fn, argv[0]) ? fn : "== argv[0]") : "missing");
	const char *pl = (const char *)getauxval(AT_PLATFORM);
	printf("AT_PLATFORM %s\n", pl ? pl : "missing");
	printf("sysconf pagesize %ld\n", sysconf(_SC_PAGESIZE));
	printf("uid %d euid %d gid %d egid %d\n", (int)getuid(), (int)geteuid(), (int)getgid(),
	       (int)getegid());
	/* The stack holds argv strings; a local is below them. */
	int local;
	printf("stack below argv %d\n", (void *)&local < (void *)argv[0]);
	printf("argv aligned %d\n", ((uintptr_t)argv & 7) == 0);
	return argc - 1;
}
