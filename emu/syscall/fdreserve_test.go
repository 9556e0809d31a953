package syscall

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestOpenHighFilled gives OpenHighFilled most of the free fds below the
// floor taken, with holes among them, as cmd/guestrun's entry point leaves
// them: f's fd lands above the floor, and every filler is closed after.
func TestOpenHighFilled(t *testing.T) {
	floor := reservedFloor()
	null, err := unix.Open("/dev/null", unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	pre := []int{null}
	for {
		d, err := unix.FcntlInt(uintptr(null), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if d >= floor {
			unix.Close(d)
			break
		}
		pre = append(pre, d)
	}
	// Holes, as the runtime's own fds leave, opened and closed while the
	// entry point's thread filled the table.
	var kept []int
	for i, d := range pre[1:] {
		if i%97 == 5 {
			unix.Close(d)
		} else {
			kept = append(kept, d)
		}
	}
	pre = append([]int{null}, kept...)
	var fd int
	OpenHighFilled(pre, func() {
		if fd, err = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			t.Error(err)
		}
	})
	defer unix.Close(fd)
	if fd < floor {
		t.Fatalf("OpenHighFilled gave fd %d", fd)
	}
	for _, d := range pre {
		if _, err := unix.FcntlInt(uintptr(d), unix.F_GETFD, 0); err == nil {
			t.Fatalf("filler %d still open", d)
		}
	}
	n, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(n)
	if n != null {
		t.Fatalf("fd after OpenHighFilled is %d, want %d", n, null)
	}
	if tt := newTestTask(t); !tt.P.reserved(fd) {
		t.Fatalf("OpenHighFilled's fd %d is not reserved", fd)
	}
}
