package syscall

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
)

// Process identity, credentials, sessions, prctl and capabilities. Guest
// pids and tids are the host's, so these are the kernel's own answers.
//
// Credentials are per thread in the kernel; glibc and musl make set*id
// process-wide by running the call on every thread of theirs. Go's
// syscall.Setuid would instead apply it to all of guestrun's threads
// (AllThreadsSyscall); the raw call here changes the calling guest thread
// only, like the kernel, so guestrun's own threads keep the credentials
// they started with.

func init() {
	defRaw(unix.SYS_GETPID, "getpid")
	defRaw(unix.SYS_GETPPID, "getppid")
	def(unix.SYS_GETTID, "gettid", sysGettid)
	defRaw(unix.SYS_GETUID, "getuid")
	defRaw(unix.SYS_GETEUID, "geteuid")
	defRaw(unix.SYS_GETGID, "getgid")
	defRaw(unix.SYS_GETEGID, "getegid")
	def(unix.SYS_GETRESUID, "getresuid", getres(unix.SYS_GETRESUID), ArgPtr, ArgPtr, ArgPtr)
	def(unix.SYS_GETRESGID, "getresgid", getres(unix.SYS_GETRESGID), ArgPtr, ArgPtr, ArgPtr)
	defRaw(unix.SYS_SETUID, "setuid", ArgUint)
	defRaw(unix.SYS_SETGID, "setgid", ArgUint)
	defRaw(unix.SYS_SETREUID, "setreuid", ArgInt, ArgInt)
	defRaw(unix.SYS_SETREGID, "setregid", ArgInt, ArgInt)
	defRaw(unix.SYS_SETRESUID, "setresuid", ArgInt, ArgInt, ArgInt)
	defRaw(unix.SYS_SETRESGID, "setresgid", ArgInt, ArgInt, ArgInt)
	defRaw(unix.SYS_SETFSUID, "setfsuid", ArgUint)
	defRaw(unix.SYS_SETFSGID, "setfsgid", ArgUint)
	def(unix.SYS_GETGROUPS, "getgroups", sysGetgroups, ArgInt, ArgPtr)
	def(unix.SYS_SETGROUPS, "setgroups", sysSetgroups, ArgInt, ArgPtr)
	defRaw(unix.SYS_GETPGID, "getpgid", ArgInt)
	defRaw(unix.SYS_SETPGID, "setpgid", ArgInt, ArgInt)
	defRaw(unix.SYS_GETPGRP, "getpgrp")
	defRaw(unix.SYS_GETSID, "getsid", ArgInt)
	defRaw(unix.SYS_SETSID, "setsid")
	def(unix.SYS_PRCTL, "prctl", sysPrctl, ArgPrctl, ArgHex, ArgHex, ArgHex, ArgHex)
	def(unix.SYS_CAPGET, "capget", sysCapget, ArgPtr, ArgPtr)
	def(unix.SYS_CAPSET, "capset", sysCapset, ArgPtr, ArgPtr)
}

func sysGettid(t *Task, a *Args) int64 { return int64(t.Tid) }

// getres runs getresuid or getresgid; each of the three ids is stored in
// turn, and a bad pointer fails the call where it comes.
func getres(nr uintptr) Handler {
	return func(t *Task, a *Args) int64 {
		var ids [3]uint32
		if r := t.hraw(nr, uintptr(unsafe.Pointer(&ids[0])), uintptr(unsafe.Pointer(&ids[1])),
			uintptr(unsafe.Pointer(&ids[2]))); r < 0 {
			return r
		}
		for i, id := range ids {
			if a[i] == 0 || !t.writeU32(a[i], id) {
				return efault
			}
		}
		return 0
	}
}

const ngroupsMax = 65536

func sysGetgroups(t *Task, a *Args) int64 {
	size := int32(a[0])
	n := t.hraw(unix.SYS_GETGROUPS, 0, 0, 0)
	if n < 0 || size == 0 {
		return n
	}
	if size < 0 || int64(size) < n {
		return -int64(unix.EINVAL)
	}
	buf := make([]byte, max(n, 1)*4)
	n = t.hraw(unix.SYS_GETGROUPS, uintptr(n), uintptr(unsafe.Pointer(&buf[0])), 0)
	if n < 0 {
		return n
	}
	if !t.copyOut(a[1], buf[:n*4]) || (n > 0 && a[1] == 0) {
		return efault
	}
	return n
}

func sysSetgroups(t *Task, a *Args) int64 {
	size := int32(a[0])
	if size < 0 || size > ngroupsMax {
		return -int64(unix.EINVAL)
	}
	buf := make([]byte, max(size, 1)*4)
	if size > 0 && (a[1] == 0 || !t.copyIn(a[1], buf[:size*4])) {
		return efault
	}
	return t.hraw(unix.SYS_SETGROUPS, uintptr(size), uintptr(unsafe.Pointer(&buf[0])), 0)
}

// prctl options guestrun handles or passes on.
const (
	prSetPdeathsig        = 1
	prGetPdeathsig        = 2
	prGetDumpable         = 3
	prSetDumpable         = 4
	prGetKeepcaps         = 7
	prSetKeepcaps         = 8
	prGetTiming           = 13
	prSetTiming           = 14
	prSetName             = 15
	prGetName             = 16
	prGetSeccomp          = 21
	prSetSeccomp          = 22
	prCapbsetRead         = 23
	prCapbsetDrop         = 24
	prGetTSC              = 25
	prSetTSC              = 26
	prGetSecurebits       = 27
	prSetSecurebits       = 28
	prSetTimerslack       = 29
	prGetTimerslack       = 30
	prMCEKill             = 33
	prMCEKillGet          = 34
	prSetChildSubreaper   = 36
	prGetChildSubreaper   = 37
	prSetNoNewPrivs       = 38
	prGetNoNewPrivs       = 39
	prGetTIDAddress       = 40
	prSetTHPDisable       = 41
	prGetTHPDisable       = 42
	prCapAmbient          = 47
	prGetSpeculationCtrl  = 52
	prSetSpeculationCtrl  = 53
	prSetPtracer          = 0x59616d61
	prGetAuxv             = 0x41555856
	prTSCEnable           = 1
	taskCommLen           = 16
	prSetNameMaxReadBytes = taskCommLen - 1
)

func sysPrctl(t *Task, a *Args) int64 {
	op := int32(a[0])
	switch op {
	case prSetName:
		var name [taskCommLen]byte
		n := t.span(a[1], prSetNameMaxReadBytes, unix.PROT_READ)
		if n > 0 {
			b, _ := t.in(a[1], n)
			copy(name[:], b)
		}
		// Valid if the string ends inside the readable part, or that part
		// holds all the bytes the kernel reads.
		if end := indexNUL(name[:n]); end < 0 && n < prSetNameMaxReadBytes {
			return efault
		} else if end >= 0 {
			clear(name[end:])
		}
		return t.hraw(unix.SYS_PRCTL, prSetName, uintptr(unsafe.Pointer(&name[0])), 0)
	case prGetName:
		var name [taskCommLen]byte
		if r := t.hraw(unix.SYS_PRCTL, prGetName, uintptr(unsafe.Pointer(&name[0])), 0); r < 0 {
			return r
		}
		if a[1] == 0 || !t.copyOut(a[1], name[:]) {
			return efault
		}
		return 0
	case prGetPdeathsig, prGetChildSubreaper:
		var v [4]byte
		if r := t.hraw(unix.SYS_PRCTL, uintptr(op), uintptr(unsafe.Pointer(&v[0])), 0); r < 0 {
			return r
		}
		if a[1] == 0 || !t.copyOut(a[1], v[:]) {
			return efault
		}
		return 0
	case prGetTIDAddress:
		if !t.writeU64(a[1], t.ClearChildTID) {
			return efault
		}
		return 0
	case prGetTSC:
		if !t.writeU32(a[1], prTSCEnable) {
			return efault
		}
		return 0
	case prSetTSC:
		if a[1] != prTSCEnable {
			return -int64(unix.EINVAL)
		}
		return 0
	case prGetAuxv:
		return t.prctlAuxv(a[1], a[2], a[3]|a[4])
	case prSetPdeathsig, prGetDumpable, prSetDumpable, prGetKeepcaps, prSetKeepcaps,
		prGetTiming, prSetTiming, prGetSeccomp, prCapbsetRead, prCapbsetDrop, prGetSecurebits,
		prSetSecurebits, prSetTimerslack, prGetTimerslack, prMCEKill, prMCEKillGet,
		prSetChildSubreaper, prSetNoNewPrivs, prGetNoNewPrivs, prSetTHPDisable, prGetTHPDisable,
		prCapAmbient, prGetSpeculationCtrl, prSetSpeculationCtrl, prSetPtracer:
		// No pointers: the kernel's answer for this thread or process.
		return t.hraw6(unix.SYS_PRCTL, uintptr(op), uintptr(a[1]), uintptr(a[2]), uintptr(a[3]), uintptr(a[4]), 0)
	}
	// Including PR_SET_SECCOMP: a filter for the guest's syscalls would
	// apply to guestrun's own.
	t.P.Log.Once(dbg.Unimp, "prctl"+itoa(uint64(uint32(op))), "unimp: prctl option %d (EINVAL)", op)
	return -int64(unix.EINVAL)
}

// prctlAuxv copies the guest's auxiliary vector (PR_GET_AUXV) and returns
// its size.
func (t *Task) prctlAuxv(addr, size, rest uint64) int64 {
	if rest != 0 {
		return -int64(unix.EINVAL)
	}
	var aux []byte
	if t.P.Image != nil {
		for _, w := range t.P.Image.Auxv {
			aux = binary.LittleEndian.AppendUint64(aux, w)
		}
	}
	if n := min(size, uint64(len(aux))); n > 0 && !t.copyOut(addr, aux[:n]) {
		return efault
	}
	return int64(len(aux))
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// Capability versions: version 1 has one 32-bit set of each kind, versions 2
// and 3 two.
const (
	capV1 = 0x19980330
	capV2 = 0x20071026
	capV3 = 0x20080522
)

// capHeader checks the header of capget and capset and returns its host
// address and the size of the data that goes with its version; the kernel
// writes the version it prefers into the header when it knows not this one.
func (t *Task) capHeader(hdr uint64) (uintptr, int, bool) {
	b, ok := t.in(hdr, 8)
	if !ok {
		return 0, 0, false
	}
	p, _ := t.gp(hdr, 8, unix.PROT_READ)
	switch binary.LittleEndian.Uint32(b) {
	case capV1:
		return p, 12, true
	case capV2, capV3:
		return p, 24, true
	}
	return p, 0, true
}

func sysCapget(t *Task, a *Args) int64 {
	hdr, n, ok := t.capHeader(a[0])
	if !ok {
		return efault
	}
	var data [24]byte
	dp := uintptr(unsafe.Pointer(&data[0]))
	if a[1] == 0 {
		dp = 0
	}
	if r := t.hraw(unix.SYS_CAPGET, hdr, dp, 0); r < 0 || a[1] == 0 {
		return r
	}
	if !t.copyOut(a[1], data[:n]) {
		return efault
	}
	return 0
}

func sysCapset(t *Task, a *Args) int64 {
	hdr, n, ok := t.capHeader(a[0])
	if !ok {
		return efault
	}
	var data [24]byte
	if n > 0 && !t.copyIn(a[1], data[:n]) {
		return efault
	}
	return t.hraw(unix.SYS_CAPSET, hdr, uintptr(unsafe.Pointer(&data[0])), 0)
}
