package signal

import "slices"

// PendingQueues returns what is pending for t and for its process, each
// queue in arrival order, for an execve to pass on: Linux keeps both
// across it. A signal whose siginfo was lost to the queue limit comes as
// the SI_USER siginfo without a sender that dequeuing it would give.
func (t *Thread) PendingQueues() (thread, process []Info) {
	p := t.p
	p.lock()
	defer p.unlock()
	return t.pending.infos(), p.shared.infos()
}

func (q *queue) infos() []Info {
	out := slices.Clone(q.list)
	for sig := 1; sig <= NSig; sig++ {
		if q.set.Has(sig) && !slices.ContainsFunc(q.list, func(in Info) bool { return int(in.Signo) == sig }) {
			out = append(out, Info{Signo: int32(sig), Code: SIUser})
		}
	}
	return out
}
