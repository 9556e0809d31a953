package syscall

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestTimeSyscalls(t *testing.T) {
	mt := newMemTask(t)
	ts := uint64(mtScratch)
	mt.must(unix.SYS_CLOCK_GETTIME, unix.CLOCK_REALTIME, ts)
	if sec := int64(mt.u64(ts)); sec < time.Now().Unix()-5 || sec > time.Now().Unix()+5 {
		t.Errorf("CLOCK_REALTIME seconds %d", sec)
	}
	mt.fail(unix.EINVAL, unix.SYS_CLOCK_GETTIME, 12345, ts)
	mt.fail(unix.EFAULT, unix.SYS_CLOCK_GETTIME, unix.CLOCK_MONOTONIC, 0)
	mt.fail(unix.EFAULT, unix.SYS_CLOCK_GETTIME, unix.CLOCK_MONOTONIC, mtRO)
	mt.fail(unix.EFAULT, unix.SYS_CLOCK_GETTIME, unix.CLOCK_MONOTONIC, mtHole)

	mt.must(unix.SYS_CLOCK_GETRES, unix.CLOCK_MONOTONIC, 0)
	mt.must(unix.SYS_CLOCK_GETRES, unix.CLOCK_MONOTONIC, ts)
	if mt.u64(ts) != 0 || mt.u64(ts+8) == 0 {
		t.Errorf("clock_getres gave %d.%09d", mt.u64(ts), mt.u64(ts+8))
	}

	mt.must(unix.SYS_GETTIMEOFDAY, ts, 0)
	if sec := int64(mt.u64(ts)); sec < time.Now().Unix()-5 {
		t.Errorf("gettimeofday seconds %d", sec)
	}
	mt.fail(unix.EFAULT, unix.SYS_GETTIMEOFDAY, mtRO, 0)

	now := mt.must(unix.SYS_TIME, ts)
	if now < time.Now().Unix()-5 || int64(mt.u64(ts)) != now {
		t.Errorf("time() = %d, stored %d", now, mt.u64(ts))
	}
	mt.must(unix.SYS_TIME, 0)
	mt.fail(unix.EFAULT, unix.SYS_TIME, mtRO)

	// Relative and absolute sleeps.
	mt.putU64(ts, 0)
	mt.putU64(ts+8, 2e6)
	start := time.Now()
	mt.must(unix.SYS_NANOSLEEP, ts, ts+16)
	mt.must(unix.SYS_CLOCK_NANOSLEEP, unix.CLOCK_MONOTONIC, 0, ts, 0)
	var mono unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	abs := mono.Nano() + 3e6
	mt.putU64(ts, uint64(abs/1e9))
	mt.putU64(ts+8, uint64(abs%1e9))
	mt.must(unix.SYS_CLOCK_NANOSLEEP, unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, ts, 0)
	if d := time.Since(start); d < 7*time.Millisecond {
		t.Errorf("sleeps took %v", d)
	}
	mt.putU64(ts+8, 1e9)
	mt.fail(unix.EINVAL, unix.SYS_NANOSLEEP, ts, 0)
	mt.fail(unix.EFAULT, unix.SYS_NANOSLEEP, mtHole, 0)
	mt.putU64(ts+8, 0)
	mt.fail(unix.EINVAL, unix.SYS_CLOCK_NANOSLEEP, 12345, 0, ts, 0)

	if r := mt.must(unix.SYS_TIMES, ts); r <= 0 {
		t.Errorf("times() = %d", r)
	}
	mt.must(unix.SYS_TIMES, 0)
	mt.fail(unix.EFAULT, unix.SYS_TIMES, mtRO)

	for _, who := range []uint64{unix.RUSAGE_THREAD, ^uint64(0) /* RUSAGE_CHILDREN */, unix.RUSAGE_SELF} {
		mt.must(unix.SYS_GETRUSAGE, who, ts)
	}
	if mt.u64(ts+16) == 0 && mt.u64(ts+24) == 0 && mt.u64(ts) == 0 && mt.u64(ts+8) == 0 {
		t.Error("getrusage(RUSAGE_SELF) reported no CPU time at all")
	}
	mt.fail(unix.EINVAL, unix.SYS_GETRUSAGE, 7, ts)
	mt.fail(unix.EFAULT, unix.SYS_GETRUSAGE, unix.RUSAGE_SELF, mtRO)
}
