package main

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The filler thread of the entry point (entry_amd64.s) writes these: it
// sets a bit of fillBits for each fd below the reserved floor it takes with a
// copy of /dev/null, and the kernel clears fillBusy when it exits. Without
// the entry point (go test, go build) they stay zero.
var (
	fillBusy uint32
	fillBits [16]uint64 // fds 0 to 1023; the floor is at most 1000
)

// rt0Fillers waits for the filler thread to end and returns the fds it took,
// sorted, for syscall.OpenHighFilled to close.
func rt0Fillers() []int {
	for {
		v := atomic.LoadUint32(&fillBusy)
		if v == 0 {
			break
		}
		// FUTEX_WAIT, not private: the kernel's wake at thread exit
		// (CLONE_CHILD_CLEARTID) is a shared one.
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&fillBusy)), 0, uintptr(v), 0, 0, 0)
	}
	n := 0
	for _, w := range fillBits {
		n += bits.OnesCount64(w)
	}
	fds := make([]int, 0, n+16) // room for OpenHighFilled's few more
	for i, w := range fillBits {
		for ; w != 0; w &= w - 1 {
			fds = append(fds, i*64+bits.TrailingZeros64(w))
		}
	}
	return fds
}
