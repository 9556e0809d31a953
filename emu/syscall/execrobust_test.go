package syscall

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// TestExecRobust releases, before an execve, the futexes the other threads
// hold, and the caller's only when it is the main thread.
func TestExecRobust(t *testing.T) {
	tt := newTestTask(t)
	le := binary.LittleEndian
	// list makes a robust list with one held futex, owned by tid.
	list := func(tid int) (head, word uint64) {
		head, e := tt.alloc(24), tt.alloc(16)
		le.PutUint64(tt.mem(head, 8), e)
		le.PutUint64(tt.mem(head+8, 8), 8)
		le.PutUint64(tt.mem(e, 8), head)
		le.PutUint32(tt.mem(e+8, 4), uint32(tid))
		return head, e + 8
	}
	other := &Task{P: tt.P, CPU: tt.CPU, Tid: 1 << 29}
	tt.P.mu.Lock()
	tt.P.threads[other.Tid] = other
	tt.P.mu.Unlock()
	var otherWord, ownWord uint64
	other.RobustList, otherWord = list(other.Tid)
	tt.RobustList, ownWord = list(tt.Tid)
	tt.P.execRobust(tt.Task)
	if got := tt.u32(otherWord); got != futexOwnerDied {
		t.Errorf("other thread's futex: %#x", got)
	}
	want := uint32(tt.Tid)
	if tt.Tid == unix.Getpid() {
		want = futexOwnerDied
	}
	if got := tt.u32(ownWord); got != want {
		t.Errorf("caller's futex: %#x, want %#x", got, want)
	}
}
