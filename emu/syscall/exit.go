package syscall

import "golang.org/x/sys/unix"

func init() {
	def(unix.SYS_EXIT, "exit", sysExit, ArgInt)
	def(unix.SYS_EXIT_GROUP, "exit_group", sysExitGroup, ArgInt)
	table[unix.SYS_EXIT].NoReturn = true
	table[unix.SYS_EXIT_GROUP].NoReturn = true
}

// sysExit ends the calling thread; the last thread to exit ends the
// process.
func sysExit(t *Task, a *Args) int64 {
	t.exit(int(a[0]&0xff), false)
	return 0
}

// sysExitGroup ends every thread of the process.
func sysExitGroup(t *Task, a *Args) int64 {
	t.exit(int(a[0]&0xff), true)
	return 0
}
