package syscall

import (
	"encoding/binary"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
)

// ioctl passes known requests to the host with their argument translated.
// An unknown request is ENOTTY: its argument might be a pointer, or a struct
// holding pointers, that the kernel must not see untranslated.

func init() {
	def(unix.SYS_IOCTL, "ioctl", sysIoctl, ArgFD, ArgIoctl, ArgHex)
}

// How an ioctl's argument is passed.
const (
	ioVal    = -1 // a plain value, or unused
	ioIfconf = -2 // struct ifconf, which points to a buffer
)

// Requests missing from x/sys/unix.
const (
	fionbio         = 0x5421
	fioasync        = 0x5452
	fioclex         = 0x5451
	fionclex        = 0x5450
	fioqsize        = 0x5460
	fiogetown       = 0x8903
	fiosetown       = 0x8901
	figetbsz        = 2
	fsIocGetversion = 0x80087601
	fsIocFsgetxattr = 0x801c581f
	fsIocFssetxattr = 0x401c5820
)

// Struct sizes of x86-64 Linux.
const (
	termiosSize  = 36 // struct termios: 4 flags, c_line, c_cc[19]
	termios2Size = 44 // struct termios2: termios and two speeds
	termioSize   = 18 // struct termio
	winsizeSize  = 8
	ifreqSize    = 40
)

// ioctlArgs gives each known request its argument: ioVal, ioIfconf, or the
// size of the buffer it points to, which the kernel may read and write.
var ioctlArgs = map[uint32]int{
	unix.TCGETS: termiosSize, unix.TCSETS: termiosSize, unix.TCSETSW: termiosSize, unix.TCSETSF: termiosSize,
	unix.TCGETS2: termios2Size, unix.TCSETS2: termios2Size, unix.TCSETSW2: termios2Size, unix.TCSETSF2: termios2Size,
	unix.TCGETA: termioSize, unix.TCSETA: termioSize, unix.TCSETAW: termioSize, unix.TCSETAF: termioSize,
	unix.TIOCGLCKTRMIOS: termiosSize, unix.TIOCSLCKTRMIOS: termiosSize,
	unix.TCSBRK: ioVal, unix.TCSBRKP: ioVal, unix.TCXONC: ioVal, unix.TCFLSH: ioVal,
	unix.TIOCSBRK: ioVal, unix.TIOCCBRK: ioVal,
	unix.TIOCEXCL: ioVal, unix.TIOCNXCL: ioVal, unix.TIOCGEXCL: 4,
	unix.TIOCSCTTY: ioVal, unix.TIOCNOTTY: ioVal, unix.TIOCVHANGUP: ioVal, unix.TIOCCONS: ioVal,
	unix.TIOCGPGRP: 4, unix.TIOCSPGRP: 4, unix.TIOCGSID: 4,
	unix.TIOCOUTQ: 4, unix.TIOCINQ: 4, unix.TIOCSTI: 1,
	unix.TIOCGWINSZ: winsizeSize, unix.TIOCSWINSZ: winsizeSize,
	unix.TIOCMGET: 4, unix.TIOCMBIS: 4, unix.TIOCMBIC: 4, unix.TIOCMSET: 4,
	unix.TIOCGSOFTCAR: 4, unix.TIOCSSOFTCAR: 4,
	unix.TIOCPKT: 4, unix.TIOCGPKT: 4, unix.TIOCSETD: 4, unix.TIOCGETD: 4,
	unix.TIOCGPTN: 4, unix.TIOCSPTLCK: 4, unix.TIOCGPTLCK: 4, unix.TIOCGDEV: 4,
	unix.TIOCSIG: ioVal, unix.TIOCGPTPEER: ioVal,
	fionbio: 4, fioasync: 4, fioclex: ioVal, fionclex: ioVal, fioqsize: 8,
	fiogetown: 4, fiosetown: 4, unix.SIOCGPGRP: 4, unix.SIOCSPGRP: 4,
	unix.SIOCATMARK: 4, unix.SIOCOUTQNSD: 4,
	unix.SIOCGSTAMP: 16, unix.SIOCGSTAMPNS: 16,
	unix.SIOCGIFNAME: ifreqSize, unix.SIOCGIFINDEX: ifreqSize, unix.SIOCGIFFLAGS: ifreqSize,
	unix.SIOCGIFADDR: ifreqSize, unix.SIOCGIFDSTADDR: ifreqSize, unix.SIOCGIFBRDADDR: ifreqSize,
	unix.SIOCGIFNETMASK: ifreqSize, unix.SIOCGIFMETRIC: ifreqSize, unix.SIOCGIFMTU: ifreqSize,
	unix.SIOCGIFHWADDR: ifreqSize, unix.SIOCGIFTXQLEN: ifreqSize,
	unix.SIOCGIFCONF: ioIfconf,
	// FS_IOC_[GS]ETFLAGS are encoded with a long but move an int.
	unix.FS_IOC_GETFLAGS: 4, unix.FS_IOC_SETFLAGS: 4, fsIocGetversion: 4,
	fsIocFsgetxattr: 28, fsIocFssetxattr: 28,
	figetbsz: 4, unix.FICLONE: ioVal, unix.FICLONERANGE: 32,
	unix.BLKGETSIZE64: 8, unix.BLKGETSIZE: 8, unix.BLKSSZGET: 4, unix.BLKBSZGET: 8,
	unix.RNDGETENTCNT: 4,
}

func sysIoctl(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	req := uint32(a[1])
	size, ok := ioctlArgs[req]
	if !ok {
		t.P.Log.Once(dbg.Unimp, "ioctl"+strconv.FormatUint(uint64(req), 16),
			"unimp: ioctl %#x (ENOTTY)", req)
		return -int64(unix.ENOTTY)
	}
	switch size {
	case ioVal:
		return t.hcall(unix.SYS_IOCTL, uintptr(a[0]), uintptr(req), uintptr(a[2]))
	case ioIfconf:
		return t.ioctlIfconf(a)
	}
	p, ok := t.gp(a[2], uint64(size), unix.PROT_WRITE)
	if !ok {
		return efault
	}
	return t.hcall(unix.SYS_IOCTL, uintptr(a[0]), uintptr(req), p)
}

// ioctlIfconf runs SIOCGIFCONF: struct ifconf { int len; char *buf; }.
func (t *Task) ioctlIfconf(a *Args) int64 {
	g, ok := t.out(a[2], 16)
	if !ok {
		return efault
	}
	n := int32(binary.LittleEndian.Uint32(g))
	var h struct {
		len int32
		_   int32
		buf uintptr
	}
	h.len = n
	if buf := binary.LittleEndian.Uint64(g[8:]); buf != 0 {
		p, ok := t.gp(buf, uint64(max(n, 0)), unix.PROT_WRITE)
		if !ok {
			return efault
		}
		h.buf = p
	}
	r := t.hcall(unix.SYS_IOCTL, uintptr(a[0]), unix.SIOCGIFCONF, uintptr(unsafe.Pointer(&h)))
	if r >= 0 {
		binary.LittleEndian.PutUint32(g, uint32(h.len))
	}
	return r
}
