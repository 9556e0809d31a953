/* Clocks: only differences and their sanity are printed. */
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

static double ts(struct timespec t) { return (double)t.tv_sec + (double)t.tv_nsec * 1e-9; }

int main(void)
{
	clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
			   CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
			   CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE};
	const char *names[] = {"realtime", "monotonic", "process", "thread", "monotonic_raw",
			       "boottime", "realtime_coarse", "monotonic_coarse"};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		struct timespec a, b, res;
		int r1 = clock_gettime(ids[i], &a);
		volatile uint64_t x = 0;
		for (int k = 0; k < 100000; k++)
			x += (uint64_t)k;
		int r2 = clock_gettime(ids[i], &b);
		int r3 = clock_getres(ids[i], &res);
		double d = ts(b) - ts(a);
		printf("%s: rc %d %d %d, nsec in range %d, delta >= 0 %d, delta < 10s %d, res <= 10ms %d\n",
		       names[i], r1, r2, r3, a.tv_nsec >= 0 && a.tv_nsec < 1000000000, d >= 0,
		       d < 10, ts(res) <= 0.01);
	}
	struct timespec m0, m1;
	clock_gettime(CLOCK_MONOTONIC, &m0);
	struct timespec req = {0, 20 * 1000 * 1000}, rem = {0, 0};
	int r = nanosleep(&req, &rem);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	double slept = ts(m1) - ts(m0);
	printf("nanosleep rc %d slept >= 20ms %d < 5s %d\n", r, slept >= 0.02, slept < 5);
	clock_gettime(CLOCK_MONOTONIC, &m0);
	usleep(10000);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	printf("usleep >= 10ms %d\n", ts(m1) - ts(m0) >= 0.01);
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 5000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	printf("clock_nanosleep abs rc %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
	clock_gettime(CLOCK_MONOTONIC, &m1);
	printf("abs deadline passed %d\n", ts(m1) >= ts(abs));
	struct timeval tv;
	struct timespec rt;
	gettimeofday(&tv, NULL);
	clock_gettime(CLOCK_REALTIME, &rt);
	double diff = ts(rt) - ((double)tv.tv_sec + (double)tv.tv_usec * 1e-6);
	printf("gettimeofday close to realtime %d, after 2020 %d\n", diff > -1 && diff < 1,
	       tv.tv_sec > 1577836800);
	time_t t1 = time(NULL);
	printf("time close to realtime %d\n", t1 - rt.tv_sec <= 1 && t1 - rt.tv_sec >= -1);
	clock_t c0 = clock();
	volatile double s = 0;
	for (int k = 0; k < 300000; k++)
		s += k * 0.5;
	clock_t c1 = clock();
	printf("clock advances or stays %d\n", c1 >= c0);
	struct tms tm;
	clock_t tk = times(&tm);
	printf("times rc valid %d utime >= 0 %d\n", tk != (clock_t)-1, (long)tm.tms_utime >= 0);
	/* Calendar conversion of a fixed time is deterministic. */
	time_t fixed = 1700000000;
	struct tm g;
	gmtime_r(&fixed, &g);
	char buf[100];
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %A %j", &g);
	printf("gmtime %s, timegm back %lld\n", buf, (long long)timegm(&g));
	return 0;
}
