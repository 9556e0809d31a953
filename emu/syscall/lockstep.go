package syscall

// Syscall runs the system call at which the task's CPU stopped
// (cpu.StopSyscall) and then delivers pending signals, exactly as Run does,
// for callers that drive the CPU themselves one instruction at a time (the
// lockstep checker).
func (t *Task) Syscall() {
	t.syscall()
	if !t.exited {
		t.deliverPending()
	}
}
