package syscall

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Guest pointers in syscall arguments. Every pointer is checked against the
// guest's mappings before the host kernel sees it, so a bad pointer is EFAULT
// for the guest and can never reach guestrun's own memory.

// maxPath is the longest path a guest may pass (PATH_MAX).
const maxPath = unix.PathMax

// in returns the guest bytes [addr, addr+n) that the kernel will read.
func (t *Task) in(addr, n uint64) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	b, err := t.P.Mem.Slice(addr, n, unix.PROT_READ)
	return b, err == nil
}

// out returns the guest bytes [addr, addr+n) that the kernel will write.
func (t *Task) out(addr, n uint64) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	b, err := t.P.Mem.Slice(addr, n, unix.PROT_WRITE)
	return b, err == nil
}

// ptr returns a host pointer for n guest bytes at addr with the given access,
// or nil for a NULL guest pointer; ok is false for a bad one.
func (t *Task) ptr(addr, n uint64, prot int) (p unsafe.Pointer, ok bool) {
	if addr == 0 {
		return nil, true
	}
	b, err := t.P.Mem.Slice(addr, max(n, 1), prot)
	if err != nil {
		return nil, false
	}
	return unsafe.Pointer(&b[0]), true
}

// readU64 and writeU64 access one guest word.
func (t *Task) readU64(addr uint64) (uint64, bool) {
	b, ok := t.in(addr, 8)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

func (t *Task) writeU64(addr, v uint64) bool {
	b, ok := t.out(addr, 8)
	if ok {
		binary.LittleEndian.PutUint64(b, v)
	}
	return ok
}

func (t *Task) writeU32(addr uint64, v uint32) bool {
	b, ok := t.out(addr, 4)
	if ok {
		binary.LittleEndian.PutUint32(b, v)
	}
	return ok
}

// iovecs translates a guest iovec array into host iovecs over the guest
// window; prot is PROT_READ for writev-like calls, PROT_WRITE for readv-like.
func (t *Task) iovecs(addr, count uint64, prot int) ([]unix.Iovec, int64) {
	if count > 1024 { // IOV_MAX
		return nil, -int64(unix.EINVAL)
	}
	raw, ok := t.in(addr, count*16)
	if !ok {
		return nil, -int64(unix.EFAULT)
	}
	iov := make([]unix.Iovec, count)
	var total uint64
	for i := range iov {
		base := binary.LittleEndian.Uint64(raw[i*16:])
		n := binary.LittleEndian.Uint64(raw[i*16+8:])
		if int64(n) < 0 || total+n > 1<<63-1 {
			return nil, -int64(unix.EINVAL)
		}
		total += n
		if n == 0 {
			continue
		}
		p, ok := t.ptr(base, n, prot)
		if !ok {
			return nil, -int64(unix.EFAULT)
		}
		iov[i].Base = (*byte)(p)
		iov[i].SetLen(int(n))
	}
	return iov, 0
}

// iovecPrefix translates a guest iovec array for the file calls the way
// the kernel takes it: lengths that are negative as ssize_t are EINVAL;
// each buffer is checked against the end of the user half (access_ok),
// after capping at MAX_RW_COUNT when it is the only one, before capping
// the running total at MAX_RW_COUNT otherwise; the transfer stops at the
// first byte that is not accessible with prot. It returns the host iovecs
// up to there, how many bytes they hold, and the total the call asked for.
func (t *Task) iovecPrefix(addr, count uint64, prot int) (iov []unix.Iovec, acc, total uint64, e int64) {
	if count > 1024 { // IOV_MAX
		return nil, 0, 0, -int64(unix.EINVAL)
	}
	raw, ok := t.in(addr, count*16)
	if !ok {
		return nil, 0, 0, efault
	}
	for i := range count {
		if int64(binary.LittleEndian.Uint64(raw[i*16+8:])) < 0 {
			return nil, 0, 0, -int64(unix.EINVAL)
		}
	}
	iov = make([]unix.Iovec, 0, count)
	cut := false
	for i := range count {
		base := binary.LittleEndian.Uint64(raw[i*16:])
		n := binary.LittleEndian.Uint64(raw[i*16+8:])
		if count == 1 {
			n = min(n, maxRW)
		}
		if !accessOK(base, n) {
			return nil, 0, 0, efault
		}
		n = min(n, maxRW-total)
		total += n
		if cut || n == 0 {
			continue
		}
		k := n
		if base == 0 || !t.P.Mem.Accessible(base, n, prot) {
			k, cut = 0, true
			if base != 0 {
				k = t.span(base, n, prot)
			}
		}
		if k > 0 {
			v := unix.Iovec{Base: (*byte)(unsafe.Add(t.P.Mem.Base(), base))}
			v.SetLen(int(k))
			iov = append(iov, v)
			acc += k
		}
	}
	return iov, acc, total, 0
}

// efault is the result for a bad guest pointer.
const efault = -int64(unix.EFAULT)
