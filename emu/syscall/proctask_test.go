package syscall

import (
	"bytes"
	"encoding/binary"
	"os"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestProcTaskDir lists /proc/self/task with both getdents: the test
// binary's Go threads are not the guest's.
func TestProcTaskDir(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tt := newTestTask(t)
	host, _ := os.ReadDir("/proc/self/task")
	ours := map[string]bool{strconv.Itoa(unix.Getpid()): true, strconv.Itoa(tt.Tid): true}
	for _, c := range []struct {
		nr     uint64
		nameAt int
	}{{unix.SYS_GETDENTS64, 19}, {unix.SYS_GETDENTS, 18}} {
		fd := tt.ok(unix.SYS_OPEN, tt.str("/proc/self/task"), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		closeFD(t, fd)
		// A small buffer: several calls, some batches all Go threads.
		buf := tt.alloc(64)
		var names []string
		for {
			n := tt.ok(c.nr, uint64(fd), buf, 64)
			if n == 0 {
				break
			}
			b := tt.mem(buf, uint64(n))
			for off := 0; off < len(b); {
				rl := int(binary.LittleEndian.Uint16(b[off+16:]))
				name := b[off+c.nameAt : off+rl]
				names = append(names, string(name[:bytes.IndexByte(name, 0)]))
				off += rl
			}
		}
		tasks := 0
		for _, n := range names {
			if n[0] != '.' {
				tasks++
				if !ours[n] {
					t.Errorf("%s: task %s listed", Lookup(c.nr).Name, n)
				}
			}
		}
		if len(names)-tasks != 2 || tasks == 0 || tasks > len(ours) {
			t.Errorf("%s: %q (the host has %d)", Lookup(c.nr).Name, names, len(host))
		}
	}
	// Another directory is listed whole.
	fd := tt.ok(unix.SYS_OPEN, tt.str("/proc/self/fd"), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	closeFD(t, fd)
	buf := tt.alloc(4096)
	if n := tt.ok(unix.SYS_GETDENTS64, uint64(fd), buf, 4096); n == 0 {
		t.Error("/proc/self/fd empty")
	}
	// A thread's own stat shows it.
	fd = tt.ok(unix.SYS_OPEN, tt.str("/proc/self/task/"+strconv.Itoa(tt.Tid)+"/stat"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	closeFD(t, fd)
	if got := tt.readAll(fd); !bytes.HasPrefix(got, []byte(strconv.Itoa(tt.Tid)+" (")) {
		t.Errorf("task stat: %q", got)
	}
}
