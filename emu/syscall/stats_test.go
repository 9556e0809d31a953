package syscall

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestStatsCounts(t *testing.T) {
	saved := launch
	t.Cleanup(func() { launch = saved })
	launch.Stats = true
	tt := newTestTask(t)
	for range 3 {
		tt.call(unix.SYS_GETPID)
	}
	tt.call(unix.SYS_CLOSE, 12345)
	tt.call(unix.SYS_GETPPID)
	tt.call(500) // unknown: counted by number
	tt.CPU.Stats.Insts, tt.CPU.Stats.Blocks, tt.CPU.Stats.BlockMisses = 100, 10, 2
	s := tt.P.Stats()
	want := []CallCount{{"getpid", 3}, {"close", 1}, {"getppid", 1}, {"syscall_500", 1}}
	if d := cmp.Diff(want, s.Calls); d != "" {
		t.Errorf("syscall counts (-want +got):\n%s", d)
	}
	if s.CPU.Insts != 100 || s.CPU.Blocks != 10 || s.CPU.BlockMisses != 2 {
		t.Errorf("cpu stats %+v", s.CPU)
	}
	// An exited thread's counters stay in the totals.
	tt.retireStats()
	tt.CPU.Stats.Insts = 5
	if s := tt.P.Stats(); s.CPU.Insts != 105 {
		t.Errorf("after retire: %d instructions, want 105", s.CPU.Insts)
	}
}
