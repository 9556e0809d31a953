// Package signal holds guest signal state: dispositions, masks, pending
// queues and alternate stacks, the host handler that catches signals meant for
// the guest, and the rt_sigframe layout.
package signal

// Process is the signal state shared by the threads of a guest process.
type Process struct{}

// NewProcess returns default dispositions.
func NewProcess() *Process { return &Process{} }

// Thread is the per-thread signal state.
type Thread struct{}

// NewThread returns an empty mask and no alternate stack.
func NewThread() *Thread { return &Thread{} }
