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
	var host unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &host)
	mt.must(unix.SYS_GETRLIMIT, unix.RLIMIT_NOFILE, p)
	if mt.u64(p) != host.Cur || mt.u64(p+8) != host.Max {
		t.Errorf("RLIMIT_NOFILE %d/%d, host %d/%d", mt.u64(p), mt.u64(p+8), host.Cur, host.Max)
	}
	mt.must(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_STACK, 0, p)
	unix.Getrlimit(unix.RLIMIT_STACK, &host)
	if mt.u64(p) != host.Cur {
		t.Errorf("RLIMIT_STACK %d, host %d", mt.u64(p), host.Cur)
	}
	mt.fail(unix.EINVAL, unix.SYS_GETRLIMIT, 99, p)
	mt.fail(unix.EFAULT, unix.SYS_GETRLIMIT, unix.RLIMIT_NOFILE, mtRO)

	// RLIMIT_AS is the guest's own: lowering it leaves guestrun's alone.
	unix.Getrlimit(unix.RLIMIT_AS, &host)
	t.Cleanup(func() {
		limMu.Lock()
		delete(limSaved, unix.RLIMIT_AS)
		limMu.Unlock()
	})
	mt.putU64(p, 1<<30)
	mt.putU64(p+8, host.Max)
	mt.must(unix.SYS_SETRLIMIT, unix.RLIMIT_AS, p)
	mt.must(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_AS, 0, p+16)
	if mt.u64(p+16) != 1<<30 {
		t.Errorf("RLIMIT_AS after setrlimit: %d", mt.u64(p+16))
	}
	var now unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_AS, &now)
	if now != host {
		t.Errorf("host RLIMIT_AS changed to %+v", now)
	}
	mt.putU64(p, 2<<30)
	mt.putU64(p+8, 1<<30)
	mt.fail(unix.EINVAL, unix.SYS_SETRLIMIT, unix.RLIMIT_AS, p)
}
