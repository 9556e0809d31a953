/* What the dynamic loader sets up: the auxiliary vector it reads, the objects
 * it maps, relocations with ifuncs (IRELATIVE), TLS in the program and in
 * libc, dlopen/dlsym/dladdr, constructors and destructors, and /proc/self
 * showing the program rather than the loader or guestrun. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char _start[];

static __thread int tls_counter = 42;
static __thread char tls_buf[64];
static __thread long tls_zero;

/* An ifunc in the program itself: both versions compute the same thing, so
 * whichever the resolver picks from CPUID, the output does not change. */
static int add_plain(int a, int b) { return a + b; }
static int add_swapped(int a, int b) { return b + a; }
static void *resolve_add(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2") ? (void *)add_swapped : (void *)add_plain;
}
int add(int, int) __attribute__((ifunc("resolve_add")));

static int order;
__attribute__((constructor)) static void ctor(void) { order = order * 10 + 1; }
static void at_exit(void) { printf("atexit runs, order %d\n", order); }
__attribute__((destructor)) static void dtor(void) { printf("destructor runs\n"); }

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	int *n = data;
	const char *name = base(info->dlpi_name);
	if (strstr(name, "vdso"))
		return 0; /* the kernel's vDSO: guestrun has none */
	int loads = 0, tls = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		loads += info->dlpi_phdr[i].p_type == PT_LOAD;
		tls |= info->dlpi_phdr[i].p_type == PT_TLS;
	}
	if (*n == 0) {
		printf("main program: phdr matches AT_PHDR %d, phnum matches AT_PHNUM %d\n",
		       (unsigned long)info->dlpi_phdr == getauxval(AT_PHDR),
		       info->dlpi_phnum == getauxval(AT_PHNUM));
	}
	printf("object %d: %s, %d PT_LOAD, TLS %d\n", *n, *name ? name : "(main)", loads, tls);
	(*n)++;
	return 0;
}

static int maps_has(const char *what)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int found = 0;
	while (f && fgets(line, sizeof line, f))
		found |= strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	(void)argc;
	printf("AT_BASE set %d, AT_ENTRY is _start %d, AT_PAGESZ %lu\n", getauxval(AT_BASE) != 0,
	       getauxval(AT_ENTRY) == (unsigned long)_start, getauxval(AT_PAGESZ));
	printf("AT_EXECFN is argv[0] %d, AT_SECURE %lu\n",
	       strcmp((const char *)getauxval(AT_EXECFN), argv[0]) == 0, getauxval(AT_SECURE));

	char exe[PATH_MAX], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	printf("/proc/self/exe is the program %d\n", realpath(argv[0], real) && strcmp(exe, real) == 0);
	printf("maps: program %d, ld.so %d, libc %d, guestrun %d\n", maps_has(real),
	       maps_has("ld-linux-x86-64.so.2"), maps_has("libc.so.6"), maps_has("guestrun"));

	int count = 0;
	dl_iterate_phdr(object, &count);

	tls_counter++;
	snprintf(tls_buf, sizeof tls_buf, "tls %d", tls_counter);
	printf("%s, zero %ld, offset from the thread pointer %ld\n", tls_buf, tls_zero,
	       (long)((char *)&tls_counter - (char *)__builtin_thread_pointer()));
	errno = 0;
	int fd = open("/nonexistent/file", O_RDONLY);
	printf("open: %d, errno %s\n", fd, strerror(errno));

	printf("ifunc add(2, 3) = %d\n", add(2, 3));

	void *m = dlopen("libm.so.6", RTLD_NOW);
	double (*cosp)(double) = m ? (double (*)(double))dlsym(m, "cos") : NULL;
	printf("dlopen libm %d, cos(1) = %.12g, sqrt(2) = %.17g\n", m != NULL, cosp ? cosp(1.0) : 0.0, sqrt(2.0));
	void *z = dlopen("libz.so.1", RTLD_NOW);
	if (z) {
		unsigned long (*crc)(unsigned long, const unsigned char *, unsigned) =
			(unsigned long (*)(unsigned long, const unsigned char *, unsigned))dlsym(z, "crc32");
		const char *(*ver)(void) = (const char *(*)(void))dlsym(z, "zlibVersion");
		printf("libz %s, crc32 %08lx\n", ver(), crc(0, (const unsigned char *)"guestrun", 8));
		dlclose(z);
	} else {
		printf("no libz: %s\n", dlerror());
	}
	printf("dlopen missing: %s\n", dlopen("libnonexistent.so.9", RTLD_NOW) ? "found" : "fails");
	Dl_info info;
	if (dladdr((void *)printf, &info))
		printf("printf is in %s as %s\n", base(info.dli_fname), info.dli_sname);
	atexit(at_exit);
	order = order * 10 + 2;
	return 0;
}
