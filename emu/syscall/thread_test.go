package syscall

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

const (
	fPrivate = 128
	fWait    = futexWait | fPrivate
	fWake    = futexWake | fPrivate
)

func TestThreadSyscalls(t *testing.T) {
	mt := newMemTask(t)
	p := uint64(mtScratch)
	if got := mt.must(unix.SYS_SET_TID_ADDRESS, p); got != int64(mt.Tid) || mt.ClearChildTID != p {
		t.Errorf("set_tid_address = %d, stored %#x", got, mt.ClearChildTID)
	}
	mt.fail(unix.EINVAL, unix.SYS_SET_ROBUST_LIST, p, 23)
	mt.must(unix.SYS_SET_ROBUST_LIST, p+0x100, 24)
	mt.must(unix.SYS_GET_ROBUST_LIST, 0, p, p+8)
	if mt.u64(p) != p+0x100 || mt.u64(p+8) != 24 {
		t.Errorf("get_robust_list gave %#x, %d", mt.u64(p), mt.u64(p+8))
	}
	mt.must(unix.SYS_GET_ROBUST_LIST, uint64(mt.Tid), p, p+8)
	mt.fail(unix.ESRCH, unix.SYS_GET_ROBUST_LIST, 1<<30, p, p+8)
	mt.fail(unix.EFAULT, unix.SYS_GET_ROBUST_LIST, 0, mtRO, p+8)
	mt.fail(unix.ENOSYS, unix.SYS_RSEQ, p, 32, 0, 0)
	if mask := mt.must(unix.SYS_MEMBARRIER, 0, 0, 0); mask == 0 {
		t.Error("membarrier query reported nothing")
	}
}

func TestFutex(t *testing.T) {
	mt := newMemTask(t)
	w := uint64(mtScratch + 0x100)
	ts := uint64(mtScratch + 0x200)
	mt.putU32(w, 7)

	mt.fail(unix.EAGAIN, unix.SYS_FUTEX, w, fWait, 6, 0)
	mt.putU64(ts, 0)
	mt.putU64(ts+8, 1e6)
	mt.fail(unix.ETIMEDOUT, unix.SYS_FUTEX, w, fWait, 7, ts)
	mt.fail(unix.ETIMEDOUT, unix.SYS_FUTEX, w, futexWaitBitset|futexClockRealtime, 7, ts, 0, 0xffffffff)
	mt.fail(unix.EINVAL, unix.SYS_FUTEX, w+1, fWait, 7, ts)
	mt.fail(unix.EFAULT, unix.SYS_FUTEX, mtHole, fWait, 0, ts)
	mt.fail(unix.EFAULT, unix.SYS_FUTEX, mem.WindowSize, fWake, 1, 0)
	mt.fail(unix.EFAULT, unix.SYS_FUTEX, w, fWait, 7, mtHole)
	mt.fail(unix.ENOSYS, unix.SYS_FUTEX, w, 2, 0, 0)
	if n := mt.must(unix.SYS_FUTEX, w, fWake, 1); n != 0 {
		t.Errorf("wake with no waiter = %d", n)
	}

	// FUTEX_WAIT_BITSET with an absolute timeout in the past.
	mt.fail(unix.ETIMEDOUT, unix.SYS_FUTEX, w, futexWaitBitset|fPrivate, 7, ts, 0, 0xffffffff)

	// A waiter on another goroutine is woken.
	done := make(chan int64)
	go func() {
		var a Args = Args{w, fWait, 7}
		done <- mt.dispatch(unix.SYS_FUTEX, &a)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for mt.sys(unix.SYS_FUTEX, w, fWake, 1) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("waiter never woken")
		}
		time.Sleep(time.Millisecond)
	}
	if r := <-done; r != 0 {
		t.Errorf("woken FUTEX_WAIT = %d", r)
	}

	// FUTEX_WAKE_OP: set the second word to 1 (FUTEX_OP_SET) and wake on
	// the first unconditionally.
	w2 := w + 8
	mt.putU32(w2, 5)
	op := uint64(0<<28 | 0<<24 | 1<<12 | 0) // SET, arg 1, CMP_EQ 0
	if n := mt.must(unix.SYS_FUTEX, w, futexWakeOp|fPrivate, 1, 1, w2, op); n != 0 {
		t.Errorf("FUTEX_WAKE_OP = %d", n)
	}
	if mt.u32(w2) != 1 {
		t.Errorf("FUTEX_WAKE_OP left %d", mt.u32(w2))
	}
	mt.fail(unix.EFAULT, unix.SYS_FUTEX, w, futexWakeOp|fPrivate, 1, 1, mtRO, op)
	mt.fail(unix.EAGAIN, unix.SYS_FUTEX, w, futexCmpRequeue|fPrivate, 1, 1, w2, 99)
	if n := mt.must(unix.SYS_FUTEX, w, futexCmpRequeue|fPrivate, 1, 1, w2, 7); n != 0 {
		t.Errorf("FUTEX_CMP_REQUEUE = %d", n)
	}
}

func TestFutexWaitv(t *testing.T) {
	mt := newMemTask(t)
	w := uint64(mtScratch + 0x100)
	v := uint64(mtScratch + 0x200)
	ts := uint64(mtScratch + 0x300)
	mt.putU32(w, 3)
	mt.putU64(v, 3)             // val
	mt.putU64(v+8, w)           // uaddr
	mt.putU32(v+16, 2|fPrivate) // FUTEX2_SIZE_U32 | FUTEX2_PRIVATE
	mt.putU32(v+20, 0)
	var now unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &now)
	mt.putU64(ts, uint64(now.Sec))
	mt.putU64(ts+8, uint64(now.Nsec))
	mt.fail(unix.ETIMEDOUT, unix.SYS_FUTEX_WAITV, v, 1, 0, ts, unix.CLOCK_MONOTONIC)
	mt.putU64(v, 4)
	mt.fail(unix.EAGAIN, unix.SYS_FUTEX_WAITV, v, 1, 0, ts, unix.CLOCK_MONOTONIC)
	mt.fail(unix.EINVAL, unix.SYS_FUTEX_WAITV, v, 0, 0, ts, unix.CLOCK_MONOTONIC)
	mt.putU64(v+8, mem.WindowSize)
	mt.fail(unix.EFAULT, unix.SYS_FUTEX_WAITV, v, 1, 0, ts, unix.CLOCK_MONOTONIC)

	if n := mt.must(unix.SYS_FUTEX_WAKE, w, 0xffffffff, 1, 2|fPrivate); n != 0 {
		t.Errorf("futex_wake = %d", n)
	}
	mt.fail(unix.EAGAIN, unix.SYS_FUTEX_WAIT, w, 4, 0xffffffff, 2|fPrivate, 0, unix.CLOCK_MONOTONIC)
}
