package syscall

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// TestItimerProf arms, reads and disarms the emulated ITIMER_PROF, whose
// host timer the guest cannot reach as a POSIX timer.
func TestItimerProf(t *testing.T) {
	tt := newTestTask(t)
	le := binary.LittleEndian
	val := tt.alloc(itimervalSize)
	old := tt.alloc(itimervalSize)
	b := tt.mem(val, itimervalSize)
	le.PutUint64(b[8:], 2000) // interval 2ms
	le.PutUint64(b[16:], 10)  // value 10s
	tt.ok(unix.SYS_SETITIMER, itimerProf, val, old)
	if got := tt.mem(old, itimervalSize); !allZero(got) {
		t.Errorf("old value %x", got)
	}
	id, ok := tt.P.Sig.HasProfTimer()
	if !ok {
		t.Fatal("no host timer")
	}
	t.Cleanup(func() { unix.Syscall(unix.SYS_TIMER_DELETE, uintptr(id), 0, 0) })
	tt.fails(unix.EINVAL, unix.SYS_TIMER_DELETE, uint64(id))
	tt.ok(unix.SYS_GETITIMER, itimerProf, old)
	if sec, iv := tt.u64(old+16), tt.u64(old+8); sec != 9 && sec != 10 || iv != 2000 {
		t.Errorf("getitimer: value %ds, interval %dus", sec, iv)
	}
	le.PutUint64(b[16:], 0)
	le.PutUint64(b[8:], 0)
	le.PutUint64(b[24:], 1e6)
	tt.fails(unix.EINVAL, unix.SYS_SETITIMER, itimerProf, val, 0)
	tt.ok(unix.SYS_SETITIMER, itimerProf, 0, old)
	if iv := tt.u64(old + 8); iv != 2000 {
		t.Errorf("old interval %d", iv)
	}
	tt.ok(unix.SYS_GETITIMER, itimerProf, old)
	if got := tt.mem(old, itimervalSize); !allZero(got) {
		t.Errorf("disarmed: %x", got)
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
