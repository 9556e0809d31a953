package signal

import "slices"

// Watch follows the pending signals of a set for a signalfd. Guest signals
// never reach the host's pending sets, so a host signalfd cannot see them:
// the syscall package gives the guest a host fd whose readiness it keeps in
// step with the watch, and reads it by dequeuing here.
//
// Readiness is for the process: a signal of the set pending for it or for
// any of its threads. (Linux asks about the polling thread only; the
// difference shows only for a signal directed at another thread.)
type Watch struct {
	p      *Process
	key    uint64
	mask   Set
	ready  bool
	notify func(ready bool)
}

// AddWatch starts following the signals of mask pending for p. notify is
// called, with p's lock held, for every signal of the set that arrives
// (ready true; an edge-triggered poller must see each) and when none of the
// set is pending any more (ready false); it must not block. key identifies
// the watch for FindWatch.
func (p *Process) AddWatch(key uint64, mask Set, notify func(ready bool)) *Watch {
	w := &Watch{p: p, key: key, mask: mask &^ Unblockable, notify: notify}
	p.lock()
	defer p.unlock()
	p.watches = append(p.watches, w)
	p.watching.Store(true)
	w.updateLocked()
	return w
}

// Watching reports without locking whether p has watches.
func (p *Process) Watching() bool { return p.watching.Load() }

// FindWatch returns the watch with key, or nil.
func (p *Process) FindWatch(key uint64) *Watch {
	p.lock()
	defer p.unlock()
	for _, w := range p.watches {
		if w.key == key {
			return w
		}
	}
	return nil
}

// Watches returns p's watches.
func (p *Process) Watches() []*Watch {
	p.lock()
	defer p.unlock()
	return slices.Clone(p.watches)
}

// Key is the watch's key.
func (w *Watch) Key() uint64 { return w.key }

// Mask returns the set the watch follows.
func (w *Watch) Mask() Set {
	w.p.lock()
	defer w.p.unlock()
	return w.mask
}

// SetMask changes the set the watch follows.
func (w *Watch) SetMask(mask Set) {
	w.p.lock()
	defer w.p.unlock()
	w.mask = mask &^ Unblockable
	w.updateLocked()
}

// Remove stops the watch.
func (w *Watch) Remove() {
	p := w.p
	p.lock()
	defer p.unlock()
	p.watches = slices.DeleteFunc(p.watches, func(u *Watch) bool { return u == w })
	p.watching.Store(len(p.watches) > 0)
}

// updateLocked tells the watch's owner when its readiness changed.
func (w *Watch) updateLocked() {
	ready := w.p.pendingAnyLocked()&w.mask != 0
	if ready != w.ready {
		w.ready = ready
		w.notify(ready)
	}
}

// pendingAnyLocked is every signal pending for the process or one of its
// threads.
func (p *Process) pendingAnyLocked() Set {
	s := p.shared.set
	for _, t := range p.threads {
		s |= t.pending.set
	}
	return s
}

// arrivedLocked tells the watches about a signal just queued.
func (p *Process) arrivedLocked(sig int) {
	for _, w := range p.watches {
		if w.mask.Has(sig) {
			w.ready = true
			w.notify(true)
		}
	}
}

// removedLocked updates the watches after signals left the queues.
func (p *Process) removedLocked() {
	for _, w := range p.watches {
		if w.ready {
			w.updateLocked()
		}
	}
}

// TakeSet dequeues a pending signal of set without waiting, as a signalfd
// read does: the thread's own first, then the process's, whether blocked or
// not.
func (t *Thread) TakeSet(set Set) (Info, bool) {
	t.p.lock()
	defer t.p.unlock()
	return t.dequeueLocked(^(set &^ Unblockable))
}
