package syscall

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSysinfoSyscalls(t *testing.T) {
	mt := newMemTask(t)
	p := uint64(mtScratch)

	mt.must(unix.SYS_UNAME, p)
	if got := mt.bytes(p, 6); string(got) != "Linux\x00" {
		t.Errorf("sysname %q", got)
	}
	if got := mt.bytes(p+4*65, 7); string(got) != "x86_64\x00" {
		t.Errorf("machine %q", got)
	}
	mt.fail(unix.EFAULT, unix.SYS_UNAME, mtRO)

	mt.must(unix.SYS_SYSINFO, p)
	if mt.u64(p+32) == 0 { // totalram
		t.Error("sysinfo: no RAM")
	}
	mt.fail(unix.EFAULT, unix.SYS_SYSINFO, mtRO-8)

	zero := make([]byte, 64)
	mt.put(p, zero)
	if n := mt.must(unix.SYS_GETRANDOM, p, 64, 0); n != 64 || bytes.Equal(mt.bytes(p, 64), zero) {
		t.Errorf("getrandom = %d", n)
	}
	if n := mt.must(unix.SYS_GETRANDOM, mtRO-16, 64, 0); n != 16 {
		t.Errorf("getrandom up to a read-only page = %d, want 16", n)
	}
	mt.fail(unix.EINVAL, unix.SYS_GETRANDOM, p, 8, 0x10)
	mt.fail(unix.EINVAL, unix.SYS_GETRANDOM, p, 8, unix.GRND_INSECURE|unix.GRND_RANDOM)
	mt.fail(unix.EFAULT, unix.SYS_GETRANDOM, mtRO, 8, 0)

	mt.must(unix.SYS_GETCPU, p, p+4, 0)
	mt.must(unix.SYS_GETCPU, 0, 0, 0)
	mt.fail(unix.EFAULT, unix.SYS_GETCPU, mtRO, 0, 0)

	mt.must(unix.SYS_SCHED_YIELD)
	n := mt.must(unix.SYS_SCHED_GETAFFINITY, 0, 128, p)
	if n <= 0 || n > 128 {
		t.Fatalf("sched_getaffinity = %d", n)
	}
	mt.must(unix.SYS_SCHED_SETAFFINITY, 0, uint64(n), p)
	mt.fail(unix.EINVAL, unix.SYS_SCHED_GETAFFINITY, 0, 7, p)
	mt.fail(unix.EFAULT, unix.SYS_SCHED_GETAFFINITY, 0, 128, mtRO)
	mt.must(unix.SYS_SCHED_GETPARAM, 0, p)
	mt.fail(unix.EINVAL, unix.SYS_SCHED_GETPARAM, 0, 0)
	if pol := mt.must(unix.SYS_SCHED_GETSCHEDULER, 0); pol != 0 /* SCHED_OTHER */ {
		t.Errorf("sched_getscheduler = %d", pol)
	}
	if mx := mt.must(unix.SYS_SCHED_GET_PRIORITY_MAX, unix.SCHED_FIFO); mx != 99 {
		t.Errorf("sched_get_priority_max(SCHED_FIFO) = %d", mx)
	}
	mt.must(unix.SYS_SCHED_RR_GET_INTERVAL, 0, p)
	if prio := mt.must(unix.SYS_GETPRIORITY, unix.PRIO_PROCESS, 0); prio < 1 || prio > 40 {
		t.Errorf("getpriority = %d", prio)
	}
	if per := mt.must(unix.SYS_PERSONALITY, 0xffffffff); per&0xff != 0 {
		t.Errorf("personality = %#x", per)
	}
}

func TestSysinfoRlimits(t *testing.T) {
	mt := newMemTask(t)
	p := uint64(mtScratch)
	saved := GuestLimits()
	t.Cleanup(func() { SetGuestLimits(saved) })
	var host unix.Rlimit
	mt.must(unix.SYS_GETRLIMIT, unix.RLIMIT_NOFILE, p)
	if want := saved.NOFILE; mt.u64(p) != want.Cur || mt.u64(p+8) != want.Max {
		t.Errorf("RLIMIT_NOFILE %d/%d, want %d/%d", mt.u64(p), mt.u64(p+8), want.Cur, want.Max)
	}
	mt.must(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_CORE, 0, p)
	unix.Getrlimit(unix.RLIMIT_CORE, &host)
	if mt.u64(p) != host.Cur {
		t.Errorf("RLIMIT_CORE %d, host %d", mt.u64(p), host.Cur)
	}
	mt.fail(unix.EINVAL, unix.SYS_GETRLIMIT, 99, p)
	mt.fail(unix.EFAULT, unix.SYS_GETRLIMIT, unix.RLIMIT_NOFILE, mtRO)

	// The emulated limits are the guest's own: lowering them leaves
	// guestrun's alone.
	for _, res := range []int{unix.RLIMIT_AS, unix.RLIMIT_DATA, unix.RLIMIT_NPROC, unix.RLIMIT_STACK, unix.RLIMIT_NOFILE} {
		unix.Getrlimit(res, &host)
		low := min(saved.at(res).Max, 100)
		mt.putU64(p, low)
		mt.putU64(p+8, saved.at(res).Max)
		mt.must(unix.SYS_SETRLIMIT, uint64(res), p)
		mt.must(unix.SYS_PRLIMIT64, 0, uint64(res), 0, p+16)
		if mt.u64(p+16) != low {
			t.Errorf("limit %d after setrlimit: %d", res, mt.u64(p+16))
		}
		var now unix.Rlimit
		unix.Getrlimit(res, &now)
		if now != host {
			t.Errorf("host limit %d changed from %+v to %+v", res, host, now)
		}
	}
	mt.putU64(p, 2<<30)
	mt.putU64(p+8, 1<<30)
	mt.fail(unix.EINVAL, unix.SYS_SETRLIMIT, unix.RLIMIT_AS, p)
}

func TestLimitsString(t *testing.T) {
	l := Limits{NOFILE: unix.Rlimit{Cur: 1024, Max: 4096}, NPROC: unix.Rlimit{Cur: 5, Max: 7},
		AS: unix.Rlimit{Cur: 1 << 30, Max: unix.RLIM_INFINITY}, DATA: unix.Rlimit{Cur: 3, Max: 4},
		STACK: unix.Rlimit{Cur: 8 << 20, Max: unix.RLIM_INFINITY}}
	got, err := ParseLimits(l.String())
	if err != nil || got != l {
		t.Errorf("ParseLimits(%q) = %+v, %v", l.String(), got, err)
	}
	for _, bad := range []string{"", "nofile=1:2", "nofile=1,nproc=1:1,as=1:1,data=1:1,stack=1:1", "x=1:1"} {
		if _, err := ParseLimits(bad); err == nil {
			t.Errorf("ParseLimits(%q) succeeded", bad)
		}
	}
}

func TestNofileLimit(t *testing.T) {
	mt := newMemTask(t)
	saved := GuestLimits()
	t.Cleanup(func() { SetGuestLimits(saved) })
	// Find the lowest free fd and make it the limit: the next fd is EMFILE.
	free, err := unix.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(free)
	l := saved
	l.NOFILE.Cur = uint64(free)
	SetGuestLimits(l)
	fn := func(*Task, *Args) int64 { return int64(mustDup()) }
	if r := mt.fdLimitCall(unix.SYS_DUP, &Args{0}, fn); r != -int64(unix.EMFILE) {
		t.Errorf("dup at the limit = %d, want EMFILE", r)
	}
	if _, err := unix.FcntlInt(uintptr(free), unix.F_GETFD, 0); err == nil {
		t.Errorf("fd %d left open", free)
	}
	if r := mt.fdLimitCall(unix.SYS_DUP2, &Args{0, uint64(free)}, fn); r != fdBad {
		t.Errorf("dup2 to the limit = %d, want EBADF", r)
	}
	if r := mt.fdLimitCall(unix.SYS_FCNTL, &Args{0, unix.F_DUPFD, uint64(free)}, fn); r != -int64(unix.EINVAL) {
		t.Errorf("F_DUPFD from the limit = %d, want EINVAL", r)
	}
	l.NOFILE.Cur = uint64(free) + 1
	SetGuestLimits(l)
	r := mt.fdLimitCall(unix.SYS_DUP, &Args{0}, fn)
	if r != int64(free) {
		t.Errorf("dup below the limit = %d, want %d", r, free)
	}
	unix.Close(int(r))
}

func mustDup() int {
	fd, err := unix.Dup(0)
	if err != nil {
		return -1
	}
	return fd
}
