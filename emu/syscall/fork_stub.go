package syscall

// cloneProcess makes a new process that does not share memory with t (clone
// and clone3 without CLONE_VM). Temporary adapter to the fork code's own
// request type, until fork.go takes a *CloneArgs.
func (t *Task) cloneProcess(a *CloneArgs) int64 {
	return t.fork(&forkReq{
		flags:      a.Flags,
		exitSignal: a.ExitSignal,
		stack:      a.Stack,
		tls:        a.TLS,
		parentTid:  a.ParentTID,
		childTid:   a.ChildTID,
		pidfd:      a.Pidfd,
		setTid:     a.SetTID,
		cgroup:     a.Cgroup,
	})
}
