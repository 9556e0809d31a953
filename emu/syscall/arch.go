package syscall

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

const (
	archSetGS = 0x1001
	archSetFS = 0x1002
	archGetFS = 0x1003
	archGetGS = 0x1004
)

func init() {
	def(unix.SYS_ARCH_PRCTL, "arch_prctl", sysArchPrctl, ArgArchPrctl, ArgHex)
}

func sysArchPrctl(t *Task, a *Args) int64 {
	c := t.CPU
	switch a[0] {
	case archSetFS, archSetGS:
		// The kernel refuses non-canonical bases; the window is smaller
		// still but a base outside it only faults when used.
		if a[1]+1<<47 >= 1<<48 {
			return -int64(unix.EPERM)
		}
		if a[0] == archSetFS {
			c.FSBase = a[1]
		} else {
			c.GSBase = a[1]
		}
		return 0
	case archGetFS, archGetGS:
		v := c.FSBase
		if a[0] == archGetGS {
			v = c.GSBase
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], v)
		if err := t.P.Mem.Write(a[1], b[:]); err != nil {
			return -int64(unix.EFAULT)
		}
		return 0
	}
	return -int64(unix.EINVAL)
}
