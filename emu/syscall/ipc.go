package syscall

import (
	"encoding/binary"
	"math"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/mem"
)

// SysV IPC: semaphores, message queues and shared memory are the host's.
// The control structures are passed in guest memory, translated; a bad
// buffer reaches the host as NULL, so that the kernel fails it with EFAULT
// at the point where it would have touched it, after its other checks.
// semop, semtimedop, msgsnd and msgrcv block and are interruptible
// (blockKind). shmat and shmdt map memory: emu/mem attaches the segment
// inside the window.

// Sizes of the x86-64 IPC_64 structures.
const (
	semidDsSize = 104 // struct semid64_ds
	seminfoSize = 40  // struct seminfo
	msqidDsSize = 120 // struct msqid64_ds
	msginfoSize = 32  // struct msginfo
	shmidDsSize = 112 // struct shmid64_ds
	shminfoSize = 72  // struct shminfo64
	shmInfoSize = 48  // struct shm_info
	sembufSize  = 6   // struct sembuf
	msgTypeSize = 8   // struct msgbuf's mtype

	semNsemsOff = 80 // sem_nsems in struct semid64_ds

	ipc64   = 0x100 // IPC_64, which x86-64 has by default
	ipcInfo = 3

	semStat, semInfo, semStatAny    = 18, 19, 20
	msgStat, msgInfo, msgStatAny    = 11, 12, 13
	shmStat, shmInfo, shmStatAny    = 13, 14, 15
	semGetall, semSetval, semSetall = 13, 16, 17
)

func init() {
	def(unix.SYS_SEMGET, "semget", pass(unix.SYS_SEMGET, sVal, sVal, sVal), ArgHex, ArgInt, ArgHex)
	def(unix.SYS_SEMOP, "semop", sysSemop, ArgInt, ArgPtr, ArgUint)
	def(unix.SYS_SEMTIMEDOP, "semtimedop", sysSemtimedop, ArgInt, ArgPtr, ArgUint, ArgTimespec)
	def(unix.SYS_SEMCTL, "semctl", sysSemctl, ArgInt, ArgInt, ArgInt, ArgHex)
	def(unix.SYS_MSGGET, "msgget", pass(unix.SYS_MSGGET, sVal, sVal), ArgHex, ArgHex)
	def(unix.SYS_MSGSND, "msgsnd", sysMsgsnd, ArgInt, ArgPtr, ArgUint, ArgHex)
	def(unix.SYS_MSGRCV, "msgrcv", sysMsgrcv, ArgInt, ArgPtr, ArgUint, ArgInt, ArgHex)
	def(unix.SYS_MSGCTL, "msgctl", sysMsgctl, ArgInt, ArgInt, ArgPtr)
	def(unix.SYS_SHMGET, "shmget", pass(unix.SYS_SHMGET, sVal, sVal, sVal), ArgHex, ArgUint, ArgHex)
	def(unix.SYS_SHMAT, "shmat", sysShmat, ArgInt, ArgPtr, ArgHex)
	def(unix.SYS_SHMDT, "shmdt", sysShmdt, ArgPtr)
	def(unix.SYS_SHMCTL, "shmctl", sysShmctl, ArgInt, ArgInt, ArgPtr)
}

// ipcBuf translates a fixed-size IPC buffer; a bad one becomes NULL.
func (t *Task) ipcBuf(addr, n uint64, prot int) uintptr {
	p, ok := t.gp(addr, n, prot)
	if !ok {
		return 0
	}
	return p
}

// windowPtr translates a buffer of n bytes whose pages the host's protection
// checks, as the guest's mappings would: the kernel transfers part of it and
// fails where it meets a bad page. A buffer the kernel writes is made
// writable where the guest may write it (code pages watched for writes).
func (t *Task) windowPtr(addr, n uint64, prot int) uintptr {
	if addr == 0 || !mem.InWindow(addr, n) {
		return 0
	}
	if prot&unix.PROT_WRITE != 0 {
		t.gbuf(addr, n, prot)
	}
	return uintptr(t.P.Mem.Base()) + uintptr(addr)
}

func sysSemop(t *Task, a *Args) int64 {
	sops := t.ipcBuf(a[1], uint64(uint32(a[2]))*sembufSize, unix.PROT_READ)
	return t.hcall6(unix.SYS_SEMOP, uintptr(a[0]), sops, uintptr(uint32(a[2])), 0, 0, 0)
}

func sysSemtimedop(t *Task, a *Args) int64 {
	// The kernel reads the timeout first; NULL would mean none.
	ts, ok := t.gp(a[3], 16, unix.PROT_READ)
	if !ok {
		return efault
	}
	sops := t.ipcBuf(a[1], uint64(uint32(a[2]))*sembufSize, unix.PROT_READ)
	return t.hcall6(unix.SYS_SEMTIMEDOP, uintptr(a[0]), sops, uintptr(uint32(a[2])), ts, 0, 0)
}

// semctl's fourth argument is union semun, by value: an int or a pointer
// as the command wants.
func sysSemctl(t *Task, a *Args) int64 {
	cmd := int(int32(a[2]))
	var arg uintptr
	switch cmd &^ ipc64 {
	case unix.IPC_STAT, semStat, semStatAny:
		arg = t.ipcBuf(a[3], semidDsSize, unix.PROT_WRITE)
	case unix.IPC_SET:
		arg = t.ipcBuf(a[3], semidDsSize, unix.PROT_READ)
	case ipcInfo, semInfo:
		arg = t.ipcBuf(a[3], seminfoSize, unix.PROT_WRITE)
	case semSetval:
		arg = uintptr(a[3])
	case semGetall, semSetall:
		// The kernel transfers one unsigned short per semaphore.
		var ds [semidDsSize]byte
		r := t.hraw6(unix.SYS_SEMCTL, uintptr(a[0]), 0, unix.IPC_STAT, uintptr(unsafe.Pointer(&ds)), 0, 0)
		if r < 0 {
			return r
		}
		n := 2 * binary.LittleEndian.Uint64(ds[semNsemsOff:])
		prot := unix.PROT_WRITE
		if cmd&^ipc64 == semSetall {
			prot = unix.PROT_READ
		}
		arg = t.ipcBuf(a[3], n, prot)
	}
	return t.hraw6(unix.SYS_SEMCTL, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]), arg, 0, 0)
}

func sysMsgsnd(t *Task, a *Args) int64 {
	// The kernel reads mtype, then checks the size against msgmax, an
	// int, and then reads the text.
	n := uint64(msgTypeSize)
	if a[2] <= math.MaxInt32 {
		n += a[2]
	}
	p := t.windowPtr(a[1], n, unix.PROT_READ)
	return t.hcall6(unix.SYS_MSGSND, uintptr(a[0]), p, uintptr(a[2]), uintptr(a[3]), 0, 0)
}

func sysMsgrcv(t *Task, a *Args) int64 {
	var p uintptr
	if a[2] < mem.WindowSize {
		p = t.windowPtr(a[1], msgTypeSize+a[2], unix.PROT_WRITE)
	}
	return t.hcall6(unix.SYS_MSGRCV, uintptr(a[0]), p, uintptr(a[2]), uintptr(a[3]), uintptr(a[4]), 0)
}

func sysMsgctl(t *Task, a *Args) int64 {
	var buf uintptr
	switch int(int32(a[1])) &^ ipc64 {
	case unix.IPC_STAT, msgStat, msgStatAny:
		buf = t.ipcBuf(a[2], msqidDsSize, unix.PROT_WRITE)
	case unix.IPC_SET:
		buf = t.ipcBuf(a[2], msqidDsSize, unix.PROT_READ)
	case ipcInfo, msgInfo:
		buf = t.ipcBuf(a[2], msginfoSize, unix.PROT_WRITE)
	}
	return t.hraw(unix.SYS_MSGCTL, uintptr(a[0]), uintptr(a[1]), buf)
}

func sysShmctl(t *Task, a *Args) int64 {
	var buf uintptr
	switch int(int32(a[1])) &^ ipc64 {
	case unix.IPC_STAT, shmStat, shmStatAny:
		buf = t.ipcBuf(a[2], shmidDsSize, unix.PROT_WRITE)
	case unix.IPC_SET:
		buf = t.ipcBuf(a[2], shmidDsSize, unix.PROT_READ)
	case ipcInfo:
		buf = t.ipcBuf(a[2], shminfoSize, unix.PROT_WRITE)
	case shmInfo:
		buf = t.ipcBuf(a[2], shmInfoSize, unix.PROT_WRITE)
	}
	return t.hraw(unix.SYS_SHMCTL, uintptr(a[0]), uintptr(a[1]), buf)
}

func sysShmat(t *Task, a *Args) int64 {
	addr, err := t.P.Mem.Shmat(int(int32(a[0])), a[1], int(int32(a[2])))
	if t.P.Log.On(dbg.Mmap) {
		t.logMmap("shmat(%d, %#x, %#x) = %#x %v", int32(a[0]), a[1], a[2], addr, err)
	}
	if err != nil {
		return errno(err)
	}
	return int64(addr)
}

func sysShmdt(t *Task, a *Args) int64 {
	err := t.P.Mem.Shmdt(a[0])
	if t.P.Log.On(dbg.Mmap) {
		t.logMmap("shmdt(%#x) = %v", a[0], err)
	}
	return errno(err)
}
