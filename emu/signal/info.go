package signal

import "encoding/binary"

// InfoSize is the size of siginfo_t.
const InfoSize = 128

// Info is the kernel's siginfo_t on x86-64: a header and a union whose
// meaning depends on the signal and si_code.
type Info struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	// Fields is the union, in 8-byte words: for kill and sigqueue, the
	// sender's pid and uid in word 0 and si_value in word 1; for faults,
	// si_addr in word 0.
	Fields [14]uint64
}

// KillInfo is the siginfo of a signal sent by a process (kill, tgkill,
// sigqueue).
func KillInfo(sig int, code int32, pid, uid int) Info {
	in := Info{Signo: int32(sig), Code: code}
	in.SetSender(pid, uid)
	return in
}

// FaultInfo is the siginfo of a signal raised by a CPU exception.
func FaultInfo(sig, code int, addr uint64) Info {
	in := Info{Signo: int32(sig), Code: int32(code)}
	in.Fields[0] = addr
	return in
}

// SetSender sets si_pid and si_uid.
func (in *Info) SetSender(pid, uid int) {
	in.Fields[0] = uint64(uint32(pid)) | uint64(uint32(uid))<<32
}

// Pid is si_pid.
func (in *Info) Pid() int { return int(int32(in.Fields[0])) }

// Addr is si_addr.
func (in *Info) Addr() uint64 { return in.Fields[0] }

// Value is si_value (sigqueue's and timers' payload).
func (in *Info) Value() uint64 { return in.Fields[1] }

// Put encodes in into b, which holds at least InfoSize bytes.
func (in *Info) Put(b []byte) {
	_ = b[InfoSize-1]
	binary.LittleEndian.PutUint32(b[0:], uint32(in.Signo))
	binary.LittleEndian.PutUint32(b[4:], uint32(in.Errno))
	binary.LittleEndian.PutUint32(b[8:], uint32(in.Code))
	binary.LittleEndian.PutUint32(b[12:], 0)
	for i, w := range in.Fields {
		binary.LittleEndian.PutUint64(b[16+8*i:], w)
	}
}

// GetInfo decodes a siginfo from b, which holds at least InfoSize bytes.
func GetInfo(b []byte) Info {
	_ = b[InfoSize-1]
	in := Info{
		Signo: int32(binary.LittleEndian.Uint32(b[0:])),
		Errno: int32(binary.LittleEndian.Uint32(b[4:])),
		Code:  int32(binary.LittleEndian.Uint32(b[8:])),
	}
	for i := range in.Fields {
		in.Fields[i] = binary.LittleEndian.Uint64(b[16+8*i:])
	}
	return in
}
