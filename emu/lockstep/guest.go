package lockstep

import (
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/cpu"
	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
	gsys "guestrun/emu/syscall"
)

// The guest side: the program loaded and run by guestrun's own loader, CPU
// and syscall layer, as cmd/guestrun sets them up.

type guest struct {
	m   *mem.Mem
	img *loader.Image
	p   *gsys.Process
	t   *gsys.Task
	c   *cpu.CPU
}

func newGuest(path string, argv, env []string, log *dbg.Log) (*guest, error) {
	m, err := mem.New()
	if err != nil {
		return nil, err
	}
	img, err := loader.Load(m, path, argv, env, loader.Options{MinSigStkSz: 2048})
	if err != nil {
		m.Close()
		return nil, err
	}
	p := gsys.NewProcess(m, img, log)
	if log.On(dbg.Strace) {
		p.Strace = gsys.NewStrace(log.Writer())
	}
	t := p.NewMainTask()
	return &guest{m: m, img: img, p: p, t: t, c: t.CPU}, nil
}

// state is the architectural state the checker compares and rewinds.
type state struct {
	R      [16]uint64
	RIP    uint64
	Flags  uint64
	FSBase uint64
	GSBase uint64
	X      [16]cpu.XMM
	MXCSR  uint32
	FPU    cpu.FPU
}

func (g *guest) save(s *state) {
	c := g.c
	s.R, s.RIP, s.Flags, s.FSBase, s.GSBase = c.R, c.RIP, c.Flags(), c.FSBase, c.GSBase
	s.X, s.MXCSR, s.FPU = c.X, c.MXCSR, c.FPU
}

func (g *guest) restore(s *state) {
	c := g.c
	c.R, c.RIP, c.FSBase, c.GSBase = s.R, s.RIP, s.FSBase, s.GSBase
	c.SetFlags(s.Flags)
	c.X, c.MXCSR, c.FPU = s.X, s.MXCSR, s.FPU
}

// bytes returns a view of guest memory [addr, addr+n) if it is readable.
func (g *guest) bytes(addr, n uint64) []byte {
	b, err := g.m.Slice(addr, n, unix.PROT_READ)
	if err != nil {
		return nil
	}
	return b
}

// readRaw reads guest memory regardless of its protection: from the memfd
// for ordinary mappings, as mem.ForceRead does for host-shared ones.
func (g *guest) readRaw(v *mem.VMA, addr uint64, b []byte) error {
	if v.HostShared {
		// A shared mapping with no access cannot be read: zeros.
		if g.m.ForceRead(addr, b) != len(b) {
			clear(b)
		}
		return nil
	}
	for len(b) > 0 {
		k, err := unix.Pread(g.m.FD(), b, int64(addr))
		if k <= 0 {
			if err == nil {
				err = unix.EIO
			}
			return err
		}
		b = b[k:]
		addr += uint64(k)
	}
	return nil
}

// writeRaw writes guest memory regardless of its protection.
func (g *guest) writeRaw(addr uint64, b []byte) error {
	if v, ok := g.m.Lookup(addr); ok && v.HostShared {
		if g.m.ForceWrite(addr, b) != len(b) {
			return unix.EFAULT
		}
		return nil
	}
	for len(b) > 0 {
		k, err := unix.Pwrite(g.m.FD(), b, int64(addr))
		if k <= 0 {
			if err == nil {
				err = unix.EIO
			}
			return err
		}
		b = b[k:]
		addr += uint64(k)
	}
	return nil
}

// undoLog remembers what guest memory held before a run, page by page, so
// that the run can be taken back and replayed; and the bytes the current
// instruction is about to overwrite, to take back just that instruction when
// it faults half-way (REP string instructions).
type undoLog struct {
	idx   map[uint64]int // page address -> offset of its pre-image in data
	pages []uint64       // in the order first written
	data  []byte
	last  uint64 // the page written last, a shortcut for idx

	curAddr uint64
	cur     []byte
	curOK   bool
}

func (u *undoLog) reset() {
	if u.idx == nil {
		u.idx = map[uint64]int{}
	}
	clear(u.idx)
	u.pages = u.pages[:0]
	u.data = u.data[:0]
	u.last = 1 // no page
}

// record saves the pre-image of [addr, addr+n) before a store, if it is
// readable (if not, the store faults and changes nothing).
func (u *undoLog) record(g *guest, addr, n uint64) {
	u.curOK = false
	p, ok := g.m.Ptr(addr, n)
	if !ok {
		return
	}
	u.cur = slices.Grow(u.cur[:0], int(n))[:n]
	if !copyGuest(u.cur, p) {
		return
	}
	u.curAddr, u.curOK = addr, true
	for pg := addr &^ (mem.PageSize - 1); pg < addr+n; pg += mem.PageSize {
		if pg == u.last {
			continue
		}
		u.last = pg
		if _, ok := u.idx[pg]; ok {
			continue
		}
		off := len(u.data)
		u.data = slices.Grow(u.data, mem.PageSize)[:off+mem.PageSize]
		pp, _ := g.m.Ptr(pg, mem.PageSize)
		if !copyGuest(u.data[off:], pp) {
			u.data = u.data[:off]
			continue
		}
		u.idx[pg] = off
		u.pages = append(u.pages, pg)
	}
}

// undoCur takes back the stores of the instruction recorded last.
func (u *undoLog) undoCur(g *guest) {
	if u.curOK {
		g.writeRaw(u.curAddr, u.cur)
		u.curOK = false
	}
}

// undoAll puts back every page the run wrote.
func (u *undoLog) undoAll(g *guest) {
	for _, pg := range u.pages {
		off := u.idx[pg]
		g.writeRaw(pg, u.data[off:off+mem.PageSize])
	}
	u.reset()
}

// copyGuest reads guest memory straight from the window; a page the guest
// cannot read faults, which the CPU's SetPanicOnFault turns into a panic.
func copyGuest(dst []byte, p unsafe.Pointer) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	copy(dst, unsafe.Slice((*byte)(p), len(dst)))
	return true
}
