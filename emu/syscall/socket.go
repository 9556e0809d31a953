package syscall

import (
	"encoding/binary"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
)

// Sockets. Addresses and data stay in guest memory; structs holding guest
// pointers (msghdr, mmsghdr, sock_fprog) are rebuilt on the Go heap with the
// pointers translated, and value-result lengths go through Go copies so that
// a racing guest thread cannot change a length after it was checked.

const (
	sockaddrMax  = 128 // sizeof(struct sockaddr_storage)
	msghdrSize   = 56
	mmsghdrSize  = 64
	uioMaxIov    = 1024
	controlMax   = 1 << 20 // far above optmem_max: the kernel says ENOBUFS
	sockFprogLen = 16
)

func init() {
	def(unix.SYS_SOCKET, "socket", sysSocket, ArgSockDomain, ArgSockType, ArgInt)
	def(unix.SYS_SOCKETPAIR, "socketpair", sysSocketpair, ArgSockDomain, ArgSockType, ArgInt, ArgFDPairOut)
	def(unix.SYS_BIND, "bind", sockaddrCall(unix.SYS_BIND), ArgFD, ArgPtr, ArgUint)
	def(unix.SYS_CONNECT, "connect", sockaddrCall(unix.SYS_CONNECT), ArgFD, ArgPtr, ArgUint)
	def(unix.SYS_LISTEN, "listen", pass(unix.SYS_LISTEN, sFD, sVal), ArgFD, ArgInt)
	def(unix.SYS_ACCEPT, "accept", sysAccept, ArgFD, ArgPtr, ArgPtr)
	def(unix.SYS_ACCEPT4, "accept4", sysAccept4, ArgFD, ArgPtr, ArgPtr, ArgHex)
	def(unix.SYS_GETSOCKNAME, "getsockname", sockname(unix.SYS_GETSOCKNAME), ArgFD, ArgPtr, ArgPtr)
	def(unix.SYS_GETPEERNAME, "getpeername", sockname(unix.SYS_GETPEERNAME), ArgFD, ArgPtr, ArgPtr)
	def(unix.SYS_SENDTO, "sendto", sysSendto, ArgFD, ArgBuf(2), ArgUint, ArgHex, ArgPtr, ArgUint)
	def(unix.SYS_RECVFROM, "recvfrom", sysRecvfrom, ArgFD, ArgOutBuf, ArgUint, ArgHex, ArgPtr, ArgPtr)
	def(unix.SYS_SENDMSG, "sendmsg", sysSendmsg, ArgFD, ArgPtr, ArgHex)
	def(unix.SYS_RECVMSG, "recvmsg", sysRecvmsg, ArgFD, ArgPtr, ArgHex)
	def(unix.SYS_SENDMMSG, "sendmmsg", sysSendmmsg, ArgFD, ArgPtr, ArgUint, ArgHex)
	def(unix.SYS_RECVMMSG, "recvmmsg", sysRecvmmsg, ArgFD, ArgPtr, ArgUint, ArgHex, ArgPtr)
	def(unix.SYS_SHUTDOWN, "shutdown", pass(unix.SYS_SHUTDOWN, sFD, sVal), ArgFD, ArgInt)
	def(unix.SYS_SETSOCKOPT, "setsockopt", sysSetsockopt, ArgFD, ArgInt, ArgInt, ArgPtr, ArgUint)
	def(unix.SYS_GETSOCKOPT, "getsockopt", sysGetsockopt, ArgFD, ArgInt, ArgInt, ArgPtr, ArgPtr)
}

func sysSocket(t *Task, a *Args) int64 {
	return t.hraw(unix.SYS_SOCKET, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]))
}

func sysSocketpair(t *Task, a *Args) int64 {
	sv, ok := t.gp(a[3], 8, unix.PROT_WRITE)
	if !ok {
		return efault
	}
	return t.hraw6(unix.SYS_SOCKETPAIR, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]), sv, 0, 0)
}

// sockaddrIn translates an address the kernel reads, checking its length as
// the kernel does.
func (t *Task) sockaddrIn(addr, length uint64) (uintptr, int64) {
	l := int32(length)
	if l < 0 || l > sockaddrMax {
		return 0, -int64(unix.EINVAL)
	}
	p, ok := t.gp(addr, uint64(l), unix.PROT_READ)
	if !ok {
		return 0, efault
	}
	return p, 0
}

// sockaddrCall is bind or connect.
func sockaddrCall(nr uintptr) Handler {
	return func(t *Task, a *Args) int64 {
		if t.badFD(a[0]) {
			return fdBad
		}
		p, e := t.sockaddrIn(a[1], a[2])
		if e != 0 {
			return e
		}
		return t.hcall(nr, uintptr(a[0]), p, uintptr(a[2]))
	}
}

// sockaddrOut prepares an address the kernel fills: lenp points to the
// buffer's size and receives the address's. It returns the buffer and the
// Go copy of the length; the caller passes that and calls putLen after. A
// NULL address means none is wanted, whatever lenp holds.
func (t *Task) sockaddrOut(addr, lenp uint64) (uintptr, *int32, int64) {
	if addr == 0 {
		return 0, nil, 0
	}
	if lenp == 0 {
		return 0, nil, efault
	}
	b, ok := t.out(lenp, 4)
	if !ok {
		return 0, nil, efault
	}
	l := int32(binary.LittleEndian.Uint32(b))
	if l < 0 {
		return 0, nil, -int64(unix.EINVAL)
	}
	p, ok := t.gp(addr, uint64(min(l, sockaddrMax)), unix.PROT_WRITE)
	if !ok {
		return 0, nil, efault
	}
	n := new(int32)
	*n = min(l, sockaddrMax)
	return p, n, 0
}

// putLen stores the kernel's address length back into the guest.
func (t *Task) putLen(lenp uint64, n *int32) {
	if n != nil {
		t.writeU32(lenp, uint32(*n))
	}
}

func sysAccept(t *Task, a *Args) int64 { return t.accept4(a, 0) }

func sysAccept4(t *Task, a *Args) int64 { return t.accept4(a, a[3]) }

func (t *Task) accept4(a *Args, flags uint64) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, n, e := t.sockaddrOut(a[1], a[2])
	if e != 0 {
		return e
	}
	r := t.hcall6(unix.SYS_ACCEPT4, uintptr(a[0]), p, uintptr(unsafe.Pointer(n)), uintptr(flags), 0, 0)
	if r >= 0 {
		t.putLen(a[2], n)
	}
	return r
}

func sockname(nr uintptr) Handler {
	return func(t *Task, a *Args) int64 {
		if t.badFD(a[0]) {
			return fdBad
		}
		p, n, e := t.sockaddrOut(a[1], a[2])
		if e != 0 {
			return e
		}
		r := t.hraw(nr, uintptr(a[0]), p, uintptr(unsafe.Pointer(n)))
		if r >= 0 {
			t.putLen(a[2], n)
		}
		return r
	}
}

func sysSendto(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	buf, ok := t.gp(a[1], min(a[2], maxRW), unix.PROT_READ)
	if !ok {
		return efault
	}
	var addr uintptr
	if a[4] != 0 {
		var e int64
		if addr, e = t.sockaddrIn(a[4], a[5]); e != 0 {
			return e
		}
	}
	return t.hcall6(unix.SYS_SENDTO, uintptr(a[0]), buf, uintptr(min(a[2], maxRW)), uintptr(a[3]), addr, uintptr(a[5]))
}

func sysRecvfrom(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	buf, size, e := t.gbuf(a[1], a[2], unix.PROT_WRITE)
	if e != 0 {
		return e
	}
	p, n, e := t.sockaddrOut(a[4], a[5])
	if e != 0 {
		return e
	}
	r := t.hcall6(unix.SYS_RECVFROM, uintptr(a[0]), buf, uintptr(size), uintptr(a[3]), p, uintptr(unsafe.Pointer(n)))
	if r >= 0 {
		t.putLen(a[5], n)
	}
	return r
}

// msghdr translates the guest struct msghdr at addr into m. For recvmsg the
// kernel writes the name, data and control buffers; for sendmsg it reads
// them, and the control data is copied so that the SCM_RIGHTS fds checked
// are the ones sent.
func (t *Task) msghdr(addr uint64, recv bool, m *unix.Msghdr) int64 {
	g, ok := t.in(addr, msghdrSize)
	if !ok {
		return efault
	}
	le := binary.LittleEndian
	name, namelen := le.Uint64(g), int32(le.Uint32(g[8:]))
	iov, iovlen := le.Uint64(g[16:]), le.Uint64(g[24:])
	control, controllen := le.Uint64(g[32:]), le.Uint64(g[40:])

	if name != 0 {
		if namelen < 0 || !recv && namelen > sockaddrMax {
			return -int64(unix.EINVAL)
		}
		namelen = min(namelen, sockaddrMax)
		if namelen > 0 {
			prot := unix.PROT_READ
			if recv {
				prot = unix.PROT_WRITE
			}
			p, ok := t.ptr(name, uint64(namelen), prot)
			if !ok {
				return efault
			}
			m.Name = (*byte)(p)
			m.Namelen = uint32(namelen)
		}
	}

	if iovlen > uioMaxIov {
		return -int64(unix.EMSGSIZE)
	}
	prot := unix.PROT_READ
	if recv {
		prot = unix.PROT_WRITE
	}
	v, e := t.iovecs(iov, iovlen, prot)
	if e != 0 {
		return e
	}
	if len(v) > 0 {
		m.Iov = &v[0]
		m.Iovlen = uint64(len(v))
	}

	if controllen > 0 && control != 0 {
		if controllen > controlMax {
			return -int64(unix.ENOBUFS)
		}
		if recv {
			p, ok := t.ptr(control, controllen, unix.PROT_WRITE)
			if !ok {
				return efault
			}
			m.Control = (*byte)(p)
		} else {
			src, ok := t.in(control, controllen)
			if !ok {
				return efault
			}
			c := make([]byte, controllen)
			copy(c, src)
			if t.sendsReserved(c) {
				return fdBad
			}
			m.Control = &c[0]
		}
		m.Controllen = controllen
	}
	return 0
}

// sendsReserved reports whether control data passes one of guestrun's fds.
func (t *Task) sendsReserved(c []byte) bool {
	const hdr = 16 // struct cmsghdr
	for len(c) >= hdr {
		l := binary.LittleEndian.Uint64(c)
		if l < hdr || l > uint64(len(c)) {
			break
		}
		level, typ := int32(binary.LittleEndian.Uint32(c[8:])), int32(binary.LittleEndian.Uint32(c[12:]))
		if level == unix.SOL_SOCKET && typ == unix.SCM_RIGHTS {
			for i := uint64(hdr); i+4 <= l; i += 4 {
				if t.P.reserved(int(int32(binary.LittleEndian.Uint32(c[i:])))) {
					return true
				}
			}
		}
		l = (l + 7) &^ 7
		if l >= uint64(len(c)) {
			break
		}
		c = c[l:]
	}
	return false
}

// putMsghdr writes back what recvmsg updates in the guest's msghdr.
func (t *Task) putMsghdr(addr uint64, m *unix.Msghdr) {
	g, ok := t.out(addr, msghdrSize)
	if !ok {
		return
	}
	le := binary.LittleEndian
	le.PutUint32(g[8:], m.Namelen)
	le.PutUint64(g[40:], m.Controllen)
	le.PutUint32(g[48:], uint32(m.Flags))
}

func sysSendmsg(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	var m unix.Msghdr
	if e := t.msghdr(a[1], false, &m); e != 0 {
		return e
	}
	return t.hcall(unix.SYS_SENDMSG, uintptr(a[0]), uintptr(unsafe.Pointer(&m)), uintptr(a[2]))
}

func sysRecvmsg(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	var m unix.Msghdr
	if e := t.msghdr(a[1], true, &m); e != 0 {
		return e
	}
	r := t.hcall(unix.SYS_RECVMSG, uintptr(a[0]), uintptr(unsafe.Pointer(&m)), uintptr(a[2]))
	if r >= 0 {
		t.putMsghdr(a[1], &m)
	}
	return r
}

// mmsghdrs translates a guest mmsghdr array. Like the kernel, which stops
// at the first bad message, it keeps the messages before a bad one; only a
// bad first message is an error.
func (t *Task) mmsghdrs(addr, vlen uint64, recv bool) ([]unix.Mmsghdr, int64) {
	vlen = min(uint64(uint32(vlen)), uioMaxIov)
	if vlen == 0 {
		return nil, 0
	}
	ms := make([]unix.Mmsghdr, vlen)
	for i := range ms {
		if e := t.msghdr(addr+uint64(i)*mmsghdrSize, recv, &ms[i].Hdr); e != 0 {
			if i == 0 {
				return nil, e
			}
			return ms[:i], 0
		}
	}
	return ms, 0
}

// putMmsghdrs writes back the first n results of sendmmsg or recvmmsg.
func (t *Task) putMmsghdrs(addr uint64, ms []unix.Mmsghdr, n int, recv bool) {
	for i := 0; i < n && i < len(ms); i++ {
		g := addr + uint64(i)*mmsghdrSize
		if recv {
			t.putMsghdr(g, &ms[i].Hdr)
		}
		t.writeU32(g+msghdrSize, ms[i].Len)
	}
}

func sysSendmmsg(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	ms, e := t.mmsghdrs(a[1], a[2], false)
	if e != 0 {
		return e
	}
	if len(ms) == 0 {
		return t.hcall6(unix.SYS_SENDMMSG, uintptr(a[0]), 0, 0, uintptr(a[3]), 0, 0)
	}
	r := t.hcall6(unix.SYS_SENDMMSG, uintptr(a[0]), uintptr(unsafe.Pointer(&ms[0])), uintptr(len(ms)), uintptr(a[3]), 0, 0)
	if r > 0 {
		t.putMmsghdrs(a[1], ms, int(r), false)
	}
	return r
}

func sysRecvmmsg(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	ts, ok := t.gp(a[4], timespecSize, unix.PROT_READ)
	if !ok {
		return efault
	}
	ms, e := t.mmsghdrs(a[1], a[2], true)
	if e != 0 {
		return e
	}
	if len(ms) == 0 {
		return t.hcall6(unix.SYS_RECVMMSG, uintptr(a[0]), 0, 0, uintptr(a[3]), ts, 0)
	}
	r := t.hcall6(unix.SYS_RECVMMSG, uintptr(a[0]), uintptr(unsafe.Pointer(&ms[0])), uintptr(len(ms)), uintptr(a[3]), ts, 0)
	if r > 0 {
		t.putMmsghdrs(a[1], ms, int(r), true)
	}
	return r
}

// Socket levels and options whose values hold user addresses the kernel
// would follow untranslated: refused.
const (
	iptSoSetReplace  = 64 // IPPROTO_IP and IPPROTO_IPV6
	arptSoSetReplace = 96
	ebtBase, ebtLast = 128, 133 // ebtables' options, on IPPROTO_IP
	sctpGetaddrsOld  = 111
	solSCTP          = 132
)

func sockoptRefused(level, name int32, set bool) bool {
	switch level {
	case unix.SOL_RDS, unix.SOL_XDP:
		return true
	case unix.SOL_IP:
		return name >= ebtBase && name <= ebtLast || set && (name == iptSoSetReplace || name == arptSoSetReplace)
	case unix.SOL_IPV6:
		return set && name == iptSoSetReplace
	case solSCTP:
		return !set && name == sctpGetaddrsOld
	}
	return false
}

func (t *Task) refuseSockopt(level, name int32) int64 {
	t.P.Log.Once(dbg.Unimp, "sockopt"+strconv.Itoa(int(level))+"/"+strconv.Itoa(int(name)),
		"unimp: socket option %d/%d holds pointers (ENOPROTOOPT)", level, name)
	return -int64(unix.ENOPROTOOPT)
}

// isFprog reports whether an option's value is a struct sock_fprog, which
// points to the filter.
func isFprog(level, name int32, length uint64) bool {
	switch level {
	case unix.SOL_SOCKET:
		return name == unix.SO_ATTACH_FILTER || name == unix.SO_ATTACH_REUSEPORT_CBPF
	case unix.SOL_PACKET:
		return name == unix.PACKET_FANOUT_DATA && length == sockFprogLen
	}
	return false
}

func sysSetsockopt(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	level, name := int32(a[1]), int32(a[2])
	if sockoptRefused(level, name, true) {
		return t.refuseSockopt(level, name)
	}
	l := int32(a[4])
	if l < 0 {
		return -int64(unix.EINVAL)
	}
	if isFprog(level, name, uint64(l)) {
		if l < sockFprogLen {
			return -int64(unix.EINVAL)
		}
		g, ok := t.in(a[3], sockFprogLen)
		if !ok {
			return efault
		}
		n := binary.LittleEndian.Uint16(g)
		filter, ok := t.gp(binary.LittleEndian.Uint64(g[8:]), uint64(n)*8, unix.PROT_READ)
		if !ok {
			return efault
		}
		var prog struct {
			len    uint16
			_      [6]byte
			filter uintptr
		}
		prog.len, prog.filter = n, filter
		return t.hcall6(unix.SYS_SETSOCKOPT, uintptr(a[0]), uintptr(level), uintptr(name),
			uintptr(unsafe.Pointer(&prog)), sockFprogLen, 0)
	}
	v, ok := t.gp(a[3], uint64(l), unix.PROT_READ)
	if !ok {
		return efault
	}
	return t.hcall6(unix.SYS_SETSOCKOPT, uintptr(a[0]), uintptr(level), uintptr(name), v, uintptr(l), 0)
}

// sysGetsockopt gives the kernel the accessible start of the value buffer
// (it writes no more than the option's size) and a Go copy of the length.
func sysGetsockopt(t *Task, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	level, name := int32(a[1]), int32(a[2])
	if sockoptRefused(level, name, false) {
		return t.refuseSockopt(level, name)
	}
	b, ok := t.out(a[4], 4)
	if !ok {
		return efault
	}
	l := int32(binary.LittleEndian.Uint32(b))
	if l < 0 {
		return -int64(unix.EINVAL)
	}
	v, size, e := t.gbuf(a[3], uint64(l), unix.PROT_WRITE)
	if e != 0 {
		return e
	}
	n := new(int32)
	*n = int32(size)
	r := t.hcall6(unix.SYS_GETSOCKOPT, uintptr(a[0]), uintptr(level), uintptr(name), v, uintptr(unsafe.Pointer(n)), 0)
	if r >= 0 {
		t.putLen(a[4], n)
	}
	return r
}
