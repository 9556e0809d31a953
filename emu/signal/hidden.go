package signal

import "sync"

// Hidden processes are guestrun's own helper tasks among the guest's
// children (the clone trampolines): their exit signal must never reach the
// guest and wait must never return them. The clone code registers a pid
// before the task can exit; the wait and SIGCHLD code consults the registry
// and forgets a pid once it has reaped it.
var hidden struct {
	mu   sync.Mutex
	pids map[int]struct{}
}

// Hide registers pid as hidden.
func Hide(pid int) {
	hidden.mu.Lock()
	defer hidden.mu.Unlock()
	if hidden.pids == nil {
		hidden.pids = map[int]struct{}{}
	}
	hidden.pids[pid] = struct{}{}
}

// IsHidden reports whether pid is a hidden process.
func IsHidden(pid int) bool {
	hidden.mu.Lock()
	defer hidden.mu.Unlock()
	_, ok := hidden.pids[pid]
	return ok
}

// Unhide forgets pid, once it has been reaped and the number may be reused.
func Unhide(pid int) {
	hidden.mu.Lock()
	defer hidden.mu.Unlock()
	delete(hidden.pids, pid)
}
