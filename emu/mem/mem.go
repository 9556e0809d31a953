// Package mem owns the guest address space: a fixed window of host address
// space, backed by one memfd mapped MAP_SHARED, in which guest address A lives
// at host address Base+A. Another guestrun process can map the same memfd to
// see the same guest memory (fork snapshots, adoption of CLONE_VM children).
//
// Unmapped guest pages are PROT_NONE on the host, so a stray guest access
// faults in hardware; the CPU turns that fault into a guest SIGSEGV.
package mem

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PageSize is the guest (and host) page size.
const PageSize = 4096

// WindowSize is the size of the guest address space. Guest addresses are in
// [0, WindowSize). 4 TiB holds everything programs assume about an x86-64
// layout (Go's heap hints at 0xc000000000, for one) while leaving the rest of
// the 128 TiB host space to guestrun itself.
const WindowSize = 1 << 42

// Layout of a fresh guest, following Linux's top-down mmap layout.
const (
	StackTop   = WindowSize - 0x1000_0000 // top of the main thread's stack
	StackSize  = 8 << 20                  // RLIMIT_STACK's usual default
	MmapBase   = StackTop - StackSize - 128<<20
	PIEBase    = WindowSize / 3 * 2 &^ (PageSize - 1) // ELF_ET_DYN_BASE
	MinMapAddr = 0x10000                              // vm.mmap_min_addr
	// TaskSize is the x86-64 user address space's end (TASK_SIZE_MAX):
	// arguments beyond it are EINVAL, beyond the window but below it ENOMEM.
	TaskSize = 1<<47 - PageSize
	// legacyBase is where the bottom-up search starts (TASK_UNMAPPED_BASE).
	legacyBase = WindowSize / 3 &^ (PageSize - 1)
	// guardGap is the kernel's stack_guard_gap below MAP_GROWSDOWN mappings.
	guardGap = 256 * PageSize
)

// Errors returned by the mapping operations, as errnos so the syscall layer
// can hand them to the guest unchanged.
var (
	ErrNoMem  = unix.ENOMEM
	ErrInval  = unix.EINVAL
	ErrExists = unix.EEXIST
	ErrFault  = unix.EFAULT
)

// A VMA is one guest mapping with uniform protection and backing.
type VMA struct {
	Start, End uint64
	Prot       int // guest PROT_READ, PROT_WRITE, PROT_EXEC
	// Flags is MAP_SHARED or MAP_PRIVATE, with MAP_ANONYMOUS for anonymous
	// memory (and /dev/zero) and MAP_GROWSDOWN.
	Flags int
	// Offset is the file offset of Start (0 for private anonymous memory).
	Offset uint64
	// Name is what /proc/self/maps shows: the file's path, [heap],
	// [stack], "/dev/zero (deleted)" for shared anonymous memory, or "".
	Name string
	// Dev and Inode identify the mapped file.
	Dev, Inode uint64
	// HostShared is set when the host maps the file itself over the range
	// instead of the memfd: shared file mappings and devices, whose writes
	// must reach the file or device, and private file mappings mapped
	// without PROT_WRITE, which need no copy (map.go).
	HostShared bool
	// DontFork and WipeOnFork are madvise's MADV_DONTFORK and
	// MADV_WIPEONFORK, for fork.
	DontFork, WipeOnFork bool

	src *source // the mmap call this VMA comes from; nil for private anonymous
}

// Len is the VMA's size in bytes.
func (v *VMA) Len() uint64 { return v.End - v.Start }

// fileOff is the file offset of guest address a inside v.
func (v *VMA) fileOff(a uint64) uint64 { return v.Offset + a - v.Start }

// privateAnon reports memory that is the process's own and starts zeroed.
func (v *VMA) privateAnon() bool {
	return v.Flags&unix.MAP_ANONYMOUS != 0 && v.Flags&unix.MAP_TYPE == unix.MAP_PRIVATE
}

// Mem is one guest address space. The VMA list is guarded by mu; loads and
// stores by the CPU go straight to host memory without it.
type Mem struct {
	base unsafe.Pointer
	fd   int

	mu   sync.Mutex
	vmas []VMA // sorted by Start, never overlapping

	// BrkStart and Brk are the program break, set up by the loader and
	// then changed only by SetBrk.
	BrkStart, Brk uint64

	// shmDev and shmIno identify the memfd: shared anonymous mappings
	// show them, as Linux shows its shmem inode.
	shmDev, shmIno uint64

	// onChange is called, without mu held, after a range changes mapping or
	// protection, so that decoded code for it can be dropped.
	onChange []func(start, end uint64)

	// FDFloor is the lowest number for the fds the Mem keeps open (see
	// source); held lists them, for Holds, which runs without locks.
	FDFloor int
	held    atomic.Pointer[[]int]

	// watch holds the code pages kept read-only on the host (watch.go);
	// watching says whether there are any, for the fast paths.
	watch    watchSet
	watching atomic.Bool

	// mmapBase is where mmap's top-down search starts, 0 for MmapBase.
	mmapBase atomic.Uint64
	// StartData and EndData bound the program's data segment, which
	// counts with the break against RLIMIT_DATA.
	StartData, EndData uint64
}

// New reserves a fresh window backed by a new memfd.
func New() (*Mem, error) {
	fd, err := unix.MemfdCreate("guestrun-mem", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	if err := unix.Ftruncate(fd, WindowSize); err != nil {
		unix.Close(fd)
		if err == unix.EFBIG {
			return nil, fmt.Errorf("sizing the guest memory: %w (guestrun needs RLIMIT_FSIZE unlimited; it keeps the guest's own)", err)
		}
		return nil, fmt.Errorf("sizing the guest memory: %w", err)
	}
	return Attach(fd)
}

// Attach maps an existing guest memory memfd (handed over by another guestrun
// process) as this process's window. The VMA list starts empty; the caller
// restores it with SetVMAs.
func Attach(fd int) (*Mem, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("guest memory: %w", err)
	}
	p, err := unix.MmapPtr(fd, 0, nil, WindowSize, unix.PROT_NONE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("reserving the guest window: %w", err)
	}
	return &Mem{base: p, fd: fd, shmDev: st.Dev, shmIno: st.Ino}, nil
}

// Base is the host address of guest address 0.
func (m *Mem) Base() unsafe.Pointer { return m.base }

// FD is the memfd that backs the window.
func (m *Mem) FD() int { return m.fd }

// OnChange registers f to be called after a range's mapping or protection
// changes.
func (m *Mem) OnChange(f func(start, end uint64)) { m.onChange = append(m.onChange, f) }

func (m *Mem) changed(start, end uint64) {
	m.forgetWatches(start, end)
	for _, f := range m.onChange {
		f(start, end)
	}
}

// InWindow reports whether [addr, addr+n) lies inside the window.
func InWindow(addr, n uint64) bool {
	return addr < WindowSize && n <= WindowSize-addr
}

// Ptr translates a guest range to a host pointer, checking only that the range
// is inside the window; page protection does the rest.
func (m *Mem) Ptr(addr, n uint64) (unsafe.Pointer, bool) {
	if !InWindow(addr, n) {
		return nil, false
	}
	return unsafe.Add(m.base, addr), true
}

// Slice returns the host bytes of a guest range for a syscall argument. The
// range must be mapped with at least the given protection (PROT_READ for
// data the kernel reads, PROT_WRITE for data it writes); otherwise EFAULT.
func (m *Mem) Slice(addr, n uint64, prot int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if !InWindow(addr, n) || !m.Accessible(addr, n, prot) {
		return nil, ErrFault
	}
	return unsafe.Slice((*byte)(unsafe.Add(m.base, addr)), n), nil
}

// Accessible reports whether every page of [addr, addr+n) is mapped with all
// of the prot bits. A range checked for PROT_WRITE is about to be written by
// guestrun or the host kernel, so write-watched code pages in it (watch.go)
// get their write access back first.
func (m *Mem) Accessible(addr, n uint64, prot int) bool {
	if !m.accessible(addr, n, prot) {
		return false
	}
	if prot&unix.PROT_WRITE != 0 && n > 0 && m.watching.Load() {
		m.unwatch(addr, addr+n)
	}
	return true
}

func (m *Mem) accessible(addr, n uint64, prot int) bool {
	if !InWindow(addr, n) {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	end := addr + n
	i := m.find(addr)
	for addr < end {
		if i >= len(m.vmas) || m.vmas[i].Start > addr {
			return false
		}
		v := &m.vmas[i]
		if effectiveProt(v.Prot)&prot != prot {
			return false
		}
		addr = v.End
		i++
	}
	return true
}

// effectiveProt is what x86 hardware grants: write and exec imply read.
func effectiveProt(p int) int {
	if p != 0 {
		p |= unix.PROT_READ
	}
	return p
}

// Lookup returns the VMA containing addr.
func (m *Mem) Lookup(addr uint64) (VMA, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.find(addr)
	if i < len(m.vmas) && m.vmas[i].Start <= addr {
		return m.vmas[i], true
	}
	return VMA{}, false
}

// VMAs returns a copy of the mapping list. As in Linux, anonymous memory
// around the program break is named [heap] whoever mapped it.
func (m *Mem) VMAs() []VMA {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := append([]VMA(nil), m.vmas...)
	for i := range vs {
		v := &vs[i]
		if v.Name == "" && v.Inode == 0 && v.Start < pageUp(m.Brk) && v.End > m.BrkStart {
			v.Name = "[heap]"
		}
	}
	return vs
}

// find returns the index of the first VMA whose End is above addr.
func (m *Mem) find(addr uint64) int {
	return sort.Search(len(m.vmas), func(i int) bool { return m.vmas[i].End > addr })
}

// ReadString reads a NUL-terminated string of at most max bytes.
func (m *Mem) ReadString(addr uint64, max int) (string, error) {
	var out []byte
	for len(out) < max {
		// Read up to the end of the current page so that a string ending
		// just before an unmapped page is fine.
		n := PageSize - addr%PageSize
		b, err := m.Slice(addr, n, unix.PROT_READ)
		if err != nil {
			return "", err
		}
		for i, c := range b {
			if c == 0 {
				return string(append(out, b[:i]...)), nil
			}
		}
		out = append(out, b...)
		addr += n
	}
	return "", unix.ENAMETOOLONG
}

// Read copies guest memory into b.
func (m *Mem) Read(addr uint64, b []byte) error {
	s, err := m.Slice(addr, uint64(len(b)), unix.PROT_READ)
	if err != nil {
		return err
	}
	copy(b, s)
	return nil
}

// Write copies b into guest memory.
func (m *Mem) Write(addr uint64, b []byte) error {
	s, err := m.Slice(addr, uint64(len(b)), unix.PROT_WRITE)
	if err != nil {
		return err
	}
	copy(s, b)
	return nil
}

// Close unmaps the window and closes the memfd.
func (m *Mem) Close() error {
	m.mu.Lock()
	for i := range m.vmas {
		m.release(&m.vmas[i])
	}
	m.vmas = nil
	m.mu.Unlock()
	err := unix.MunmapPtr(m.base, WindowSize)
	if cerr := unix.Close(m.fd); err == nil {
		err = cerr
	}
	return err
}
