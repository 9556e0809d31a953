/* The C library's string functions over many lengths and alignments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char a[512], b[512];
static unsigned long h;

static void mix(unsigned long v) { h = (h ^ v) * 1099511628211ul; }

int main(void)
{
	for (int i = 0; i < (int)sizeof a; i++)
		a[i] = 'a' + i % 26;
	for (int off = 0; off < 8; off++) {
		for (int len = 0; len < 100; len += 7) {
			memset(b, 0, sizeof b);
			memcpy(b + off, a, len);
			mix(strlen(b + off));
			mix(memcmp(b + off, a, len));
			memmove(b + off + 3, b + off, len);
			mix(b[off + len / 2]);
			memset(b + off, 'x', len);
			b[off + len] = 0;
			mix(strlen(b + off));
			mix((unsigned long)(strchr(b + off, 0) - b));
			strcpy(b + 200, b + off);
			mix(strcmp(b + 200, b + off));
			mix(strncmp(a + off, a, len) > 0);
			char *p = memchr(a + off, 'q', len);
			mix(p ? (unsigned long)(p - a) : 0);
		}
	}
	char s[] = "the quick brown fox jumps over the lazy dog";
	mix((unsigned long)(strstr(s, "lazy") - s));
	mix(strspn(s, "the "));
	mix(strcspn(s, "xyz"));
	mix((unsigned long)(strrchr(s, 'o') - s));
	for (char *t = strtok(s, " "); t; t = strtok(NULL, " "))
		mix(strlen(t));
	char num[32];
	for (int i = -1000; i < 1000; i += 37) {
		snprintf(num, sizeof num, "%d", i * i * i);
		mix(strtol(num, NULL, 10));
		mix(atoi(num));
	}
	printf("%016lx\n", h);
	return 0;
}
