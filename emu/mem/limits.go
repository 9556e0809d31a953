package mem

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The guest's soft RLIMIT_AS, RLIMIT_DATA and RLIMIT_STACK, which the
// syscall package keeps (there is one guest process per guestrun). Linux
// checks the first two when a mapping grows (may_expand_vm), the last when
// it lays out a new program.
var asLimit, dataLimit, stackLimit atomic.Uint64

func init() { SetLimits(unix.RLIM_INFINITY, unix.RLIM_INFINITY, StackSize) }

// SetLimits sets the guest's soft RLIMIT_AS, RLIMIT_DATA and RLIMIT_STACK.
func SetLimits(as, data, stack uint64) {
	asLimit.Store(as)
	dataLimit.Store(data)
	stackLimit.Store(stack)
}

// Bounds of the main thread's stack mapping, whatever RLIMIT_STACK says:
// it holds the arguments, and an unlimited stack still leaves room for
// mmap below it.
const (
	minStack = 64 << 10
	maxStack = WindowSize / 16
)

// StackMapSize is the size of a new program's stack mapping: RLIMIT_STACK,
// within bounds. The stack is mapped whole at once, where Linux grows it on
// demand up to the limit.
func StackMapSize() uint64 {
	return min(max(stackLimit.Load()&^(PageSize-1), minStack), maxStack)
}

// MmapBase is where the top-down search for free space starts.
func (m *Mem) MmapBase() uint64 {
	if b := m.mmapBase.Load(); b != 0 {
		return b
	}
	return MmapBase
}

// SetMmapBase sets where the top-down search for free space starts: below
// the stack and a gap, as the loader lays a new program out (and a forked
// child keeps its parent's).
func (m *Mem) SetMmapBase(b uint64) { m.mmapBase.Store(b &^ (PageSize - 1)) }

// isData is Linux's is_data_mapping: private, writable, not a stack.
func isData(prot, flags int) bool {
	return prot&unix.PROT_WRITE != 0 && flags&unix.MAP_TYPE == unix.MAP_PRIVATE && flags&unix.MAP_GROWSDOWN == 0
}

// mayExpand is Linux's may_expand_vm: whether the mappings may grow by n
// bytes (of a data mapping if data) within RLIMIT_AS and RLIMIT_DATA. m.mu
// is held.
func (m *Mem) mayExpand(n uint64, data bool) bool {
	as, dl := asLimit.Load(), dataLimit.Load()
	if as == unix.RLIM_INFINITY && (!data || dl == unix.RLIM_INFINITY) {
		return true
	}
	var total, dataVM uint64
	for i := range m.vmas {
		v := &m.vmas[i]
		if v.Flags&unix.MAP_GROWSDOWN != 0 {
			// A stack is mapped whole where Linux grows it: count no
			// more than the usual stack, so that a large RLIMIT_STACK
			// does not use up RLIMIT_AS.
			total += min(v.Len(), StackSize)
			continue
		}
		total += v.Len()
		if isData(v.Prot, v.Flags) {
			dataVM += v.Len()
		}
	}
	pages := n / PageSize
	if as != unix.RLIM_INFINITY && total/PageSize+pages > as/PageSize {
		return false
	}
	return !data || dl == unix.RLIM_INFINITY || dataVM/PageSize+pages <= dl/PageSize
}

// mappedIn is how many bytes of [start, end) are mapped. m.mu is held.
func (m *Mem) mappedIn(start, end uint64) uint64 {
	var n uint64
	for i := m.find(start); i < len(m.vmas) && m.vmas[i].Start < end; i++ {
		n += min(end, m.vmas[i].End) - max(start, m.vmas[i].Start)
	}
	return n
}
