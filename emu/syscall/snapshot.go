package syscall

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// snapshot is what a forked guestrun rebuilds the guest from. It travels in
// a memfd, in a plain binary form (snapCodec): every fork pays for its
// encoding and every resumed guestrun for its decoding, which reflection
// (encoding/gob) made cost more than the rest of the snapshot.
type snapshot struct {
	Launch Launch
	Mem    mem.Forked
	Image  loader.Image
	Comm   string

	Regs                       [16]uint64
	RIP, Flags, FSBase, GSBase uint64
	FX                         [512]byte

	Actions [signal.NSig]signal.Action
	Mask    signal.Set
	Alt     signal.AltStack

	ChildSetTid   uint64 // CLONE_CHILD_SETTID: where the child writes its tid
	ClearChildTid uint64 // CLONE_CHILD_CLEARTID
	// RobustList and RobustLen are set_robust_list's head: none after a
	// fork, as in Linux; a hand-over keeps it.
	RobustList, RobustLen uint64

	Limits Limits

	Cloexec []int32 // guest fds that are close-on-exec
	VforkFD int     // CLONE_VFORK: the pipe the parent reads EOF from at exec or exit, or -1
	// ExecFlagFD is, for a child whose exit signal is not SIGCHLD, a
	// memfd whose first word the child sets when it execs (execFlag), or
	// -1.
	ExecFlagFD int
}

// snapMagic starts a snapshot; it changes with the layout, so that a
// guestrun never reads another version's snapshot.
const snapMagic = "guestrun-fork-5\n"

// snapCodec reads or writes the fields of a snapshot in order: u64 little
// endian, strings and slices prefixed by their length.
type snapCodec struct {
	b   []byte
	err error
	enc bool
}

func (c *snapCodec) u64(v *uint64) {
	if c.enc {
		c.b = binary.LittleEndian.AppendUint64(c.b, *v)
		return
	}
	if len(c.b) < 8 {
		c.fail()
		return
	}
	*v = binary.LittleEndian.Uint64(c.b)
	c.b = c.b[8:]
}

func (c *snapCodec) fail() {
	if c.err == nil {
		c.err = io.ErrUnexpectedEOF
	}
	c.b = nil
}

func (c *snapCodec) int(v *int) {
	u := uint64(*v)
	c.u64(&u)
	*v = int(u)
}

func (c *snapCodec) bool(v *bool) {
	var u uint64
	if *v {
		u = 1
	}
	c.u64(&u)
	*v = u != 0
}

func (c *snapCodec) bytes(p []byte) {
	if c.enc {
		c.b = append(c.b, p...)
		return
	}
	if len(c.b) < len(p) {
		c.fail()
		return
	}
	copy(p, c.b)
	c.b = c.b[len(p):]
}

// length codes a slice length, which a decoder bounds by what is left.
func (c *snapCodec) length(n int) int {
	u := uint64(n)
	c.u64(&u)
	if !c.enc && u > uint64(len(c.b)) {
		c.fail()
		return 0
	}
	return int(u)
}

func (c *snapCodec) str(s *string) {
	n := c.length(len(*s))
	if c.enc {
		c.b = append(c.b, *s...)
		return
	}
	*s = string(c.b[:n])
	c.b = c.b[n:]
}

func (c *snapCodec) strs(ss *[]string) {
	n := c.length(len(*ss))
	if !c.enc {
		*ss = make([]string, n)
	}
	for i := range *ss {
		c.str(&(*ss)[i])
	}
}

func (c *snapCodec) u64s(vs *[]uint64) {
	n := c.length(len(*vs))
	if !c.enc {
		*vs = make([]uint64, n)
	}
	for i := range *vs {
		c.u64(&(*vs)[i])
	}
}

func (c *snapCodec) snapshot(s *snapshot) {
	l := &s.Launch
	c.str(&l.Argv0)
	c.str(&l.Sysroot)
	c.bool(&l.Strace)
	c.bool(&l.Stats)
	d := uint64(l.Debug)
	c.u64(&d)
	l.Debug = dbg.Category(d)
	c.int(&l.LogFD)

	for _, r := range s.Limits.All() {
		c.u64(&r.Cur)
		c.u64(&r.Max)
	}
	m := &s.Mem
	c.int(&m.FD)
	c.u64(&m.BrkStart)
	c.u64(&m.Brk)
	c.u64(&m.MmapBase)
	c.u64(&m.StartData)
	c.u64(&m.EndData)
	n := c.length(len(m.VMAs))
	if !c.enc {
		m.VMAs = make([]mem.ForkVMA, n)
	}
	for i := range m.VMAs {
		v := &m.VMAs[i]
		c.u64(&v.Start)
		c.u64(&v.End)
		c.int(&v.Prot)
		c.int(&v.Flags)
		c.u64(&v.Offset)
		c.str(&v.Name)
		c.u64(&v.Dev)
		c.u64(&v.Inode)
		c.bool(&v.HostShared)
		c.bool(&v.WipeOnFork)
		c.int(&v.Src)
		c.int(&v.FD)
		c.bool(&v.Reopen)
		c.u64(&v.SrcOff)
		c.u64(&v.SrcSize)
		c.bool(&v.Shm)
		c.int(&v.Shmid)
		c.int(&v.ShmFlg)
	}

	im := &s.Image
	c.str(&im.Path)
	c.str(&im.ExecFn)
	c.strs(&im.Argv)
	c.u64(&im.Entry)
	c.u64(&im.ProgEntry)
	c.u64(&im.SP)
	c.str(&im.Interp)
	c.u64s(&im.Auxv)
	c.u64(&im.StackLo)
	c.str(&s.Comm)

	for i := range s.Regs {
		c.u64(&s.Regs[i])
	}
	c.u64(&s.RIP)
	c.u64(&s.Flags)
	c.u64(&s.FSBase)
	c.u64(&s.GSBase)
	c.bytes(s.FX[:])

	for i := range s.Actions {
		a := &s.Actions[i]
		c.u64(&a.Handler)
		c.u64(&a.Flags)
		c.u64(&a.Restorer)
		mask := uint64(a.Mask)
		c.u64(&mask)
		a.Mask = signal.Set(mask)
	}
	mask := uint64(s.Mask)
	c.u64(&mask)
	s.Mask = signal.Set(mask)
	c.u64(&s.Alt.SP)
	c.u64(&s.Alt.Size)
	fl := uint64(s.Alt.Flags)
	c.u64(&fl)
	s.Alt.Flags = uint32(fl)

	c.u64(&s.ChildSetTid)
	c.u64(&s.ClearChildTid)
	c.u64(&s.RobustList)
	c.u64(&s.RobustLen)
	n = c.length(len(s.Cloexec))
	if !c.enc {
		s.Cloexec = make([]int32, n)
	}
	for i := range s.Cloexec {
		v := int(s.Cloexec[i])
		c.int(&v)
		s.Cloexec[i] = int32(v)
	}
	c.int(&s.VforkFD)
	c.int(&s.ExecFlagFD)
}

// writeSnapshot encodes s into a close-on-exec memfd among guestrun's fds.
func writeSnapshot(s *snapshot) (int, error) {
	c := snapCodec{b: []byte(snapMagic), enc: true}
	c.snapshot(s)
	fd, err := unix.MemfdCreate("guestrun-fork", unix.MFD_CLOEXEC)
	if err != nil {
		return -1, err
	}
	if h, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, reservedFloor()); err == nil {
		unix.Close(fd)
		fd = h
	}
	if err := pwriteAll(fd, c.b); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func pwriteAll(fd int, b []byte) error {
	for off := 0; off < len(b); {
		n, err := unix.Pwrite(fd, b[off:], int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		off += n
	}
	return nil
}

// ReadSnapshot reads the snapshot a forking guestrun left in memfd fd, and
// closes fd.
func ReadSnapshot(fd int) (*Snapshot, error) {
	f := os.NewFile(uintptr(fd), "snapshot")
	defer f.Close()
	b, err := io.ReadAll(f)
	if err == nil && (len(b) < len(snapMagic) || string(b[:len(snapMagic)]) != snapMagic) {
		err = errors.New("not a snapshot of this guestrun")
	}
	s := new(snapshot)
	if err == nil {
		c := snapCodec{b: b[len(snapMagic):]}
		c.snapshot(s)
		err = c.err
	}
	if err != nil {
		return nil, fmt.Errorf("reading the fork snapshot: %v", err)
	}
	return &Snapshot{s}, nil
}
