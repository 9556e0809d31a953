package syscall

import (
	"encoding/binary"
	"fmt"
	"guestrun/emu/loader"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Strace prints syscalls the way `strace -f -o FILE` does: the thread id, the
// call with its arguments decoded by their ArgKind, and the result, aligned
// at column 40, with errors as "-1 ENOENT (No such file or directory)".
// Arguments the call reads are decoded before it runs, what it writes after.
type Strace struct {
	mu      sync.Mutex
	w       io.Writer
	pending map[*Task][]string // arguments decoded at entry, until the exit
}

// NewStrace returns a tracer writing to w.
func NewStrace(w io.Writer) *Strace { return &Strace{w: w, pending: map[*Task][]string{}} }

// omitted marks an argument that strace leaves out for these values (open's
// mode without O_CREAT, for one).
const omitted = "\x00"

// column is where strace aligns " = result".
const column = 40

// Enter decodes the arguments the call reads. Calls that do not return are
// printed whole, with the process's end for exit_group.
func (s *Strace) Enter(t *Task, nr uint64, a *Args) {
	e := Lookup(nr)
	args := s.decode(t, nr, e, a, 0, false)
	if e == nil || !e.NoReturn {
		s.mu.Lock()
		s.pending[t] = args
		s.mu.Unlock()
		return
	}
	line := s.line(t, e.Name, args) + "?\n"
	if nr == unix.SYS_EXIT_GROUP || nr == unix.SYS_EXIT && t.lastThread() {
		line += fmt.Sprintf("%d +++ exited with %d +++\n", t.Tid, a[0]&0xff)
	}
	s.write(line)
}

// Exit decodes what the call wrote and prints the line.
func (s *Strace) Exit(t *Task, nr uint64, a *Args, ret int64) {
	e := Lookup(nr)
	if e != nil && e.NoReturn {
		return
	}
	s.mu.Lock()
	args, ok := s.pending[t]
	delete(s.pending, t)
	s.mu.Unlock()
	if !ok {
		args = s.decode(t, nr, e, a, 0, false)
	}
	out := s.decode(t, nr, e, a, ret, true)
	for i, v := range out {
		if v != "" {
			args[i] = v
		}
	}
	name := "syscall_" + strconv.FormatUint(nr, 10)
	if e != nil {
		name = e.Name
	}
	s.write(s.line(t, name, args) + formatResult(nr, a, ret) + "\n")
}

func (s *Strace) write(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	io.WriteString(s.w, line)
}

// line is "tid name(args) " padded to the result column, then "= ".
func (s *Strace) line(t *Task, name string, args []string) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(t.Tid))
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteByte('(')
	first := true
	for _, v := range args {
		if v == omitted {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(v)
	}
	b.WriteString(") ")
	for b.Len() < column {
		b.WriteByte(' ')
	}
	b.WriteString("= ")
	return b.String()
}

// lastThread reports whether t is its process's only thread.
func (t *Task) lastThread() bool {
	t.P.mu.Lock()
	defer t.P.mu.Unlock()
	return len(t.P.threads) <= 1
}

// decode formats the arguments read by the call (out false, before it) or
// written by it (out true, after it; the others are left empty). Guest
// memory may be unmapped under us by another thread: such an argument shows
// as its raw value.
func (s *Strace) decode(t *Task, nr uint64, e *Entry, a *Args, ret int64, out bool) []string {
	if e == nil {
		parts := make([]string, 6)
		if !out {
			for i := range parts {
				parts[i] = hex(a[i])
			}
		}
		return parts
	}
	parts := make([]string, len(e.Args()))
	for i, k := range e.Args() {
		if k.isOut() != out {
			continue
		}
		if k == ArgInt && longArg(nr, i) {
			parts[i] = strconv.FormatInt(int64(a[i]), 10)
			continue
		}
		parts[i] = safeFormat(t, k, a, i, ret)
	}
	return parts
}

// longArg tells the ArgInt arguments that are 64-bit (off_t, loff_t); the
// others are C ints, of which the kernel reads the low 32 bits only.
func longArg(nr uint64, i int) bool {
	switch nr {
	case unix.SYS_LSEEK:
		return i == 1
	case unix.SYS_PREAD64, unix.SYS_PWRITE64:
		return i == 3
	}
	return false
}

func safeFormat(t *Task, k ArgKind, a *Args, i int, ret int64) (s string) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(interface{ Addr() uintptr }); !ok {
				panic(r)
			}
			s = hex(a[i])
		}
	}()
	return formatArg(t, k, a, i, ret)
}

// isOut tells the kinds that show what the call wrote.
func (k ArgKind) isOut() bool {
	switch k & 0xff {
	case ArgSigsetOut, ArgSigactionOut, ArgStatOut, ArgStatxOut, ArgOutBuf, ArgOutHex, ArgOutStr,
		ArgDirentsOut, ArgTimespecOut, ArgRlimitOut, ArgUnameOut, ArgFDPairOut, ArgWaitStatusOut, argIovecOut:
		return true
	}
	return false
}

// maxStr is how many bytes of a buffer strace shows (its -s default).
const maxStr = 32

func formatArg(t *Task, k ArgKind, a *Args, i int, ret int64) string {
	v := a[i]
	param := int(k >> 8)
	switch k & 0xff {
	case ArgInt:
		return strconv.FormatInt(int64(int32(v)), 10)
	case ArgUint:
		return strconv.FormatUint(v, 10)
	case ArgHex, ArgFlags:
		return hex(v)
	case ArgPtr:
		return ptr(v)
	case ArgFD:
		if int32(v) == unix.AT_FDCWD {
			return "AT_FDCWD"
		}
		return strconv.FormatInt(int64(int32(v)), 10)
	case ArgStr:
		if v == 0 {
			return "NULL"
		}
		str, err := t.P.Mem.ReadString(v, maxPath)
		if err != nil {
			return hex(v)
		}
		return quote([]byte(str), len(str), false)
	case ArgOctal:
		return octal(v)
	case ArgOpenFlags:
		return openFlags(v)
	case ArgOpenMode:
		if i > 0 && a[i-1]&(unix.O_CREAT|unix.O_TMPFILE&^unix.O_DIRECTORY) != 0 {
			return octal(v & 0o7777)
		}
		return omitted
	case ArgProt:
		if v == 0 {
			return "PROT_NONE"
		}
		return flagNames(v, protNames)
	case ArgMmapFlags:
		var typ string
		switch v & unix.MAP_TYPE {
		case unix.MAP_SHARED:
			typ = "MAP_SHARED"
		case unix.MAP_PRIVATE:
			typ = "MAP_PRIVATE"
		case unix.MAP_SHARED_VALIDATE:
			typ = "MAP_SHARED_VALIDATE"
		default:
			typ = hex(v & unix.MAP_TYPE)
		}
		if rest := v &^ unix.MAP_TYPE; rest != 0 {
			return typ + "|" + flagNames(rest, mmapNames)
		}
		return typ
	case ArgMremapFlags:
		return flagNames(v, mremapNames)
	case ArgAtFlags:
		return flagNames(v, atNames)
	case ArgAccessMode:
		if v == 0 {
			return "F_OK"
		}
		return flagNames(v, accessNames)
	case ArgSignal:
		return signalName(int(int32(v)))
	case ArgSigHow:
		return enumName(v, sigHowNames)
	case ArgSigset:
		return t.sigset(v)
	case ArgSigaction:
		return t.sigaction(v)
	case ArgTimespec:
		return t.timespec(v)
	case ArgClock:
		return enumName(v, clockNames)
	case ArgWhence:
		return enumName(v, whenceNames)
	case ArgFcntlCmd:
		return enumName(v, fcntlNames)
	case ArgFcntlArg:
		return fcntlArgString(a[i-1], v)
	case ArgIoctl:
		return enumName(v, ioctlNames)
	case ArgFutexOp:
		return futexOp(v)
	case ArgFutexArg:
		return t.futexArg(a, i)
	case ArgArchPrctl:
		return enumName(v, archPrctlNames)
	case ArgPrctl:
		return enumName(v, prctlNames)
	case ArgRlimitRes:
		return enumName(v, rlimitNames)
	case ArgRlimit:
		return t.rlimit(v)
	case ArgMadvise:
		return enumName(v, madviseNames)
	case ArgArgv:
		return t.argv(v)
	case ArgEnvp:
		if v == 0 {
			return "NULL"
		}
		n := 0
		for ; n < 1<<16; n++ {
			p, ok := t.readU64(v + uint64(n)*8)
			if !ok || p == 0 {
				break
			}
		}
		return fmt.Sprintf("%s /* %d vars */", hex(v), n)
	case ArgCloneFlags:
		return cloneFlags(v)
	case ArgSockDomain:
		return enumName(v, domainNames)
	case ArgSockType:
		typ := enumName(v&0xf, sockTypeNames)
		if rest := v &^ 0xf; rest != 0 {
			typ += "|" + flagNames(rest, sockFlagNames)
		}
		return typ
	case ArgGrndFlags:
		return flagNames(v, grndNames)
	case argBuf:
		return t.buf(v, a[param], false)
	case argIovec:
		return t.iovec(v, a[param], ^uint64(0))
	}

	// What the call wrote: a pointer when it failed.
	if ret < 0 || v == 0 {
		return ptr(v)
	}
	switch k & 0xff {
	case ArgSigsetOut:
		return t.sigset(v)
	case ArgSigactionOut:
		return t.sigaction(v)
	case ArgStatOut:
		return t.stat(v)
	case ArgStatxOut:
		return t.statx(v)
	case ArgOutBuf:
		return t.buf(v, uint64(ret), false)
	case ArgOutHex:
		return t.buf(v, uint64(ret), true)
	case ArgOutStr:
		str, err := t.P.Mem.ReadString(v, maxPath)
		if err != nil {
			return hex(v)
		}
		return quote([]byte(str), len(str), false)
	case ArgDirentsOut:
		return fmt.Sprintf("%s /* %d entries */", hex(v), t.dirents(v, uint64(ret)))
	case ArgTimespecOut:
		return t.timespec(v)
	case ArgRlimitOut:
		return t.rlimit(v)
	case ArgUnameOut:
		return t.uname(v)
	case ArgFDPairOut:
		b, ok := t.in(v, 8)
		if !ok {
			return hex(v)
		}
		le := binary.LittleEndian
		return fmt.Sprintf("[%d, %d]", int32(le.Uint32(b)), int32(le.Uint32(b[4:])))
	case ArgWaitStatusOut:
		st, ok := t.in(v, 4)
		if !ok || ret == 0 {
			return hex(v)
		}
		return "[" + waitStatus(unix.WaitStatus(binary.LittleEndian.Uint32(st))) + "]"
	case argIovecOut:
		return t.iovec(v, a[param], uint64(ret))
	}
	return hex(v)
}

func hex(v uint64) string {
	if v == 0 {
		return "0" // C's %#x
	}
	return "0x" + strconv.FormatUint(v, 16)
}

func ptr(v uint64) string {
	if v == 0 {
		return "NULL"
	}
	return hex(v)
}

func octal(v uint64) string {
	if v == 0 {
		return "000"
	}
	return fmt.Sprintf("%#03o", v)
}

// formatResult shows the return value: errors by name, the kernel's restart
// codes as strace does, addresses in hex.
func formatResult(nr uint64, a *Args, ret int64) string {
	if ret < 0 && ret >= -4095 {
		e := unix.Errno(-ret)
		if r, ok := restartNames[e]; ok {
			return "? " + r
		}
		name := unix.ErrnoName(e)
		if name == "" {
			name = strconv.FormatInt(-ret, 10)
		}
		return fmt.Sprintf("-1 %s (%s)", name, loader.ErrnoText(e))
	}
	switch nr {
	case unix.SYS_MMAP, unix.SYS_MREMAP, unix.SYS_BRK, unix.SYS_SHMAT:
		return hex(uint64(ret))
	case unix.SYS_FCNTL:
		switch a[1] {
		case unix.F_GETFD:
			if ret == unix.FD_CLOEXEC {
				return "0x1 (flags FD_CLOEXEC)"
			}
		case unix.F_GETFL:
			return hex(uint64(ret)) + " (flags " + openFlags(uint64(ret)) + ")"
		}
	}
	return strconv.FormatInt(ret, 10)
}

// restartNames are the results of interrupted calls that the kernel restarts
// or turns into EINTR; the guest never sees them.
var restartNames = map[unix.Errno]string{
	512: "ERESTARTSYS (To be restarted if SA_RESTART is set)",
	513: "ERESTARTNOINTR (To be restarted)",
	514: "ERESTARTNOHAND (To be restarted if no handler)",
	516: "ERESTART_RESTARTBLOCK (Interrupted by signal)",
}

// quote renders the first n bytes of b as strace does: C escapes, octal for
// other bytes (as short as the next character allows), or hex escapes for
// every byte; "..." after the quotes when b is longer than n.
func quote(b []byte, n int, forceHex bool) string {
	more := len(b) > n
	if more {
		b = b[:n]
	}
	var s strings.Builder
	s.WriteByte('"')
	for i, c := range b {
		if forceHex {
			fmt.Fprintf(&s, `\x%02x`, c)
			continue
		}
		switch c {
		case '"', '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case '\t':
			s.WriteString(`\t`)
		case '\n':
			s.WriteString(`\n`)
		case '\v':
			s.WriteString(`\v`)
		case '\f':
			s.WriteString(`\f`)
		case '\r':
			s.WriteString(`\r`)
		default:
			if c >= ' ' && c < 0x7f {
				s.WriteByte(c)
				break
			}
			s.WriteByte('\\')
			nextDigit := i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '7'
			switch {
			case nextDigit || c > 0o77:
				fmt.Fprintf(&s, "%03o", c)
			case c > 0o7:
				fmt.Fprintf(&s, "%02o", c)
			default:
				fmt.Fprintf(&s, "%o", c)
			}
		}
	}
	s.WriteByte('"')
	if more {
		s.WriteString("...")
	}
	return s.String()
}

// buf shows n bytes of guest memory at addr, at most maxStr of them.
func (t *Task) buf(addr, n uint64, forceHex bool) string {
	show := min(n, maxStr)
	b, ok := t.in(addr, show)
	if !ok {
		return hex(addr)
	}
	q := quote(b, len(b), forceHex)
	if n > show {
		q += "..."
	}
	return q
}

// iovec shows an iovec array, with the data of at most limit bytes.
func (t *Task) iovec(addr, cnt, limit uint64) string {
	if cnt > 1024 {
		return hex(addr)
	}
	raw, ok := t.in(addr, cnt*16)
	if !ok {
		return hex(addr)
	}
	le := binary.LittleEndian
	var parts []string
	for i := uint64(0); i < cnt; i++ {
		base, n := le.Uint64(raw[i*16:]), le.Uint64(raw[i*16+8:])
		data := min(n, limit)
		limit -= data
		parts = append(parts, fmt.Sprintf("{iov_base=%s, iov_len=%d}", t.buf(base, data, false), n))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// argv shows a NULL-terminated array of strings.
func (t *Task) argv(addr uint64) string {
	if addr == 0 {
		return "NULL"
	}
	var parts []string
	for i := uint64(0); ; i++ {
		p, ok := t.readU64(addr + i*8)
		if !ok {
			return hex(addr)
		}
		if p == 0 {
			break
		}
		if i == maxStr {
			parts = append(parts, "...")
			break
		}
		str, err := t.P.Mem.ReadString(p, maxPath)
		if err != nil {
			parts = append(parts, hex(p))
			continue
		}
		parts = append(parts, quote([]byte(str), maxStr, false))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (t *Task) timespec(addr uint64) string {
	return t.twoWords(addr, func(a, b uint64) string {
		return fmt.Sprintf("{tv_sec=%d, tv_nsec=%d}", int64(a), int64(b))
	})
}

func (t *Task) rlimit(addr uint64) string {
	return t.twoWords(addr, func(a, b uint64) string {
		return fmt.Sprintf("{rlim_cur=%s, rlim_max=%s}", rlimValue(a), rlimValue(b))
	})
}

// twoWords shows a struct of two 64-bit words, NULL, or the bad pointer.
func (t *Task) twoWords(addr uint64, show func(a, b uint64) string) string {
	if addr == 0 {
		return "NULL"
	}
	b, ok := t.in(addr, 16)
	if !ok {
		return hex(addr)
	}
	return show(binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]))
}

func rlimValue(v uint64) string {
	switch {
	case v == ^uint64(0):
		return "RLIM64_INFINITY"
	case v > 0 && v%1024 == 0:
		return strconv.FormatUint(v/1024, 10) + "*1024"
	}
	return strconv.FormatUint(v, 10)
}

// stat shows a struct stat as strace does without -v.
func (t *Task) stat(addr uint64) string {
	b, ok := t.in(addr, statSize)
	if !ok {
		return hex(addr)
	}
	le := binary.LittleEndian
	mode := le.Uint32(b[24:])
	s := "{st_mode=" + fileMode(mode)
	if t := mode & unix.S_IFMT; t == unix.S_IFCHR || t == unix.S_IFBLK {
		rdev := le.Uint64(b[40:])
		s += fmt.Sprintf(", st_rdev=makedev(%#x, %#x)", unix.Major(rdev), unix.Minor(rdev))
	} else {
		s += fmt.Sprintf(", st_size=%d", int64(le.Uint64(b[48:])))
	}
	return s + ", ...}"
}

func (t *Task) statx(addr uint64) string {
	b, ok := t.in(addr, 0x100)
	if !ok {
		return hex(addr)
	}
	le := binary.LittleEndian
	mask := le.Uint32(b)
	m := hex(uint64(mask))
	if mask&unix.STATX_BASIC_STATS == unix.STATX_BASIC_STATS {
		m = "STATX_BASIC_STATS"
		if rest := mask &^ unix.STATX_BASIC_STATS; rest != 0 {
			m += "|" + flagNames(uint64(rest), statxMaskNames)
		}
	}
	return fmt.Sprintf("{stx_mask=%s, stx_attributes=%s, stx_mode=%s, stx_size=%d, ...}",
		m, hex(le.Uint64(b[8:])), fileMode(uint32(le.Uint16(b[28:]))), le.Uint64(b[40:]))
}

// fileMode is "S_IFREG|0644".
func fileMode(mode uint32) string {
	typ, ok := fileTypes[mode&unix.S_IFMT]
	if !ok {
		typ = fmt.Sprintf("%#o", mode&unix.S_IFMT)
	}
	for _, f := range []struct {
		bit  uint32
		name string
	}{{unix.S_ISUID, "S_ISUID"}, {unix.S_ISGID, "S_ISGID"}, {unix.S_ISVTX, "S_ISVTX"}} {
		if mode&f.bit != 0 {
			typ += "|" + f.name
		}
	}
	return typ + "|" + fmt.Sprintf("%#03o", mode&0o777)
}

var fileTypes = map[uint32]string{
	unix.S_IFREG: "S_IFREG", unix.S_IFDIR: "S_IFDIR", unix.S_IFLNK: "S_IFLNK", unix.S_IFCHR: "S_IFCHR",
	unix.S_IFBLK: "S_IFBLK", unix.S_IFIFO: "S_IFIFO", unix.S_IFSOCK: "S_IFSOCK",
}

func (t *Task) uname(addr uint64) string {
	b, ok := t.in(addr, 6*65)
	if !ok {
		return hex(addr)
	}
	field := func(i int) string {
		f := b[i*65 : (i+1)*65]
		for j, c := range f {
			if c == 0 {
				f = f[:j]
				break
			}
		}
		return quote(f, len(f), false)
	}
	return fmt.Sprintf("{sysname=%s, nodename=%s, ...}", field(0), field(1))
}

// dirents counts the entries in a getdents buffer of n bytes.
func (t *Task) dirents(addr, n uint64) int {
	b, ok := t.in(addr, n)
	if !ok {
		return 0
	}
	count := 0
	for off := uint64(0); off+18 <= n; count++ {
		rl := uint64(binary.LittleEndian.Uint16(b[off+16:]))
		if rl == 0 {
			break
		}
		off += rl
	}
	return count
}

// sigset shows a sigset_t: [INT TERM], or ~[...] when most signals are in it.
func (t *Task) sigset(addr uint64) string {
	if addr == 0 {
		return "NULL"
	}
	v, ok := t.readU64(addr)
	if !ok {
		return hex(addr)
	}
	return sigsetString(v)
}

func sigsetString(v uint64) string {
	prefix := ""
	if popcount(v) > 32 {
		prefix, v = "~", ^v
	}
	var names []string
	for sig := 1; sig <= 64; sig++ {
		if v&(1<<uint(sig-1)) != 0 {
			names = append(names, strings.TrimPrefix(signalName(sig), "SIG"))
		}
	}
	return prefix + "[" + strings.Join(names, " ") + "]"
}

func popcount(v uint64) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}

func signalName(sig int) string {
	switch {
	case sig == 32:
		return "SIGRTMIN"
	case sig > 32 && sig <= 64:
		return "SIGRT_" + strconv.Itoa(sig-32)
	}
	if n := unix.SignalName(unix.Signal(sig)); n != "" {
		return n
	}
	return strconv.Itoa(sig)
}

// sigaction shows the kernel's struct sigaction: handler, flags, restorer,
// mask.
func (t *Task) sigaction(addr uint64) string {
	if addr == 0 {
		return "NULL"
	}
	b, ok := t.in(addr, 32)
	if !ok {
		return hex(addr)
	}
	le := binary.LittleEndian
	h, flags, restorer, mask := le.Uint64(b), le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:])
	handler := hex(h)
	switch h {
	case 0:
		handler = "SIG_DFL"
	case 1:
		handler = "SIG_IGN"
	}
	s := fmt.Sprintf("{sa_handler=%s, sa_mask=%s, sa_flags=%s", handler, sigsetString(mask), flagNames(flags, saNames))
	if flags&saRestorer != 0 {
		s += ", sa_restorer=" + hex(restorer)
	}
	return s + "}"
}

const saRestorer = 0x04000000

func fcntlArgString(cmd, v uint64) string {
	switch cmd {
	case unix.F_GETFD, unix.F_GETFL, unix.F_GETOWN, unix.F_GETSIG, unix.F_GETLEASE, unix.F_GETPIPE_SZ, unix.F_GET_SEALS:
		return omitted
	case unix.F_SETFD:
		if v == unix.FD_CLOEXEC {
			return "FD_CLOEXEC"
		}
		return hex(v)
	case unix.F_SETFL:
		return openFlags(v)
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC, unix.F_SETOWN, unix.F_SETPIPE_SZ:
		return strconv.FormatInt(int64(int32(v)), 10)
	case unix.F_SETSIG:
		return signalName(int(v))
	}
	return ptr(v)
}

// futexFD is FUTEX_FD, gone from Linux but still named by strace.
const futexFD = 2

func futexOp(v uint64) string {
	s := enumName(v&futexCmdMask, futexNames)
	if v&0x80 != 0 {
		s += "_PRIVATE"
	}
	if v&futexClockRealtime != 0 {
		s += "|FUTEX_CLOCK_REALTIME"
	}
	if rest := v &^ 0x1ff; rest != 0 {
		s += "|" + hex(rest)
	}
	return s
}

// futexArg shows futex's arguments 3..5 (timeout or val2, uaddr2, val3) for
// the operations that use them, as strace does.
func (t *Task) futexArg(a *Args, i int) string {
	v := a[i]
	switch a[1] & futexCmdMask {
	case futexWake, futexFD, futexUnlockPI:
		return omitted
	case futexWait, futexLockPI, futexLockPI2, futexTrylockPI:
		if i == 3 {
			return t.timespec(v)
		}
		return omitted
	case futexWaitBitset, futexWakeBitset:
		switch i {
		case 3:
			if a[1]&futexCmdMask == futexWakeBitset {
				return omitted
			}
			return t.timespec(v)
		case 5:
			if uint32(v) == 0xffffffff {
				return "FUTEX_BITSET_MATCH_ANY"
			}
			return hex(v)
		}
		return omitted
	case futexRequeue, futexCmpRequeue:
		switch i {
		case 3:
			return strconv.FormatUint(v, 10)
		case 4:
			return ptr(v)
		}
		if a[1]&futexCmdMask == futexRequeue {
			return omitted
		}
		return strconv.FormatInt(int64(int32(v)), 10)
	case futexWakeOp:
		if i == 4 {
			return ptr(v)
		}
		return hex(v)
	}
	return hex(v)
}

func cloneFlags(v uint64) string {
	var parts []string
	if rest := v &^ 0xff; rest != 0 {
		parts = append(parts, flagNames(rest, cloneNames))
	}
	if sig := v & 0xff; sig != 0 {
		parts = append(parts, signalName(int(sig)))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// waitStatus is the strace form of a wait status.
func waitStatus(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("{WIFEXITED(s) && WEXITSTATUS(s) == %d}", ws.ExitStatus())
	case ws.Signaled():
		s := fmt.Sprintf("{WIFSIGNALED(s) && WTERMSIG(s) == %s", signalName(int(ws.Signal())))
		if ws.CoreDump() {
			s += " && WCOREDUMP(s)"
		}
		return s + "}"
	case ws.Stopped():
		return fmt.Sprintf("{WIFSTOPPED(s) && WSTOPSIG(s) == %s}", signalName(int(ws.StopSignal())))
	case ws.Continued():
		return "{WIFCONTINUED(s)}"
	}
	return hex(uint64(ws))
}

func openFlags(v uint64) string {
	var acc string
	switch v & unix.O_ACCMODE {
	case unix.O_RDONLY:
		acc = "O_RDONLY"
	case unix.O_WRONLY:
		acc = "O_WRONLY"
	case unix.O_RDWR:
		acc = "O_RDWR"
	default:
		acc = "O_ACCMODE"
	}
	if rest := v &^ unix.O_ACCMODE; rest != 0 {
		return acc + "|" + flagNames(rest, openNames)
	}
	return acc
}

// named is one flag or value and its name.
type named struct {
	v    uint64
	name string
}

// flagNames shows v as NAME|NAME|0x..., in the table's order; a name whose
// value has several bits needs them all.
func flagNames(v uint64, names []named) string {
	if v == 0 {
		return "0"
	}
	var parts []string
	for _, n := range names {
		if n.v != 0 && v&n.v == n.v {
			parts = append(parts, n.name)
			v &^= n.v
		}
	}
	if v != 0 {
		parts = append(parts, hex(v))
	}
	return strings.Join(parts, "|")
}

// enumName shows a value by name, or as a number when it has none.
func enumName(v uint64, names []named) string {
	for _, n := range names {
		if n.v == v {
			return n.name
		}
	}
	if int64(v) < 0 && int64(v) >= -1<<31 || v >= 1<<31 && v < 1<<32 {
		return strconv.FormatInt(int64(int32(v)), 10)
	}
	if v > 0xffff {
		return hex(v)
	}
	return strconv.FormatUint(v, 10)
}

var openNames = []named{
	{unix.O_CREAT, "O_CREAT"}, {unix.O_EXCL, "O_EXCL"}, {unix.O_NOCTTY, "O_NOCTTY"}, {unix.O_TRUNC, "O_TRUNC"},
	{unix.O_APPEND, "O_APPEND"}, {unix.O_NONBLOCK, "O_NONBLOCK"}, {unix.O_SYNC, "O_SYNC"}, {unix.O_DSYNC, "O_DSYNC"},
	{unix.O_DIRECT, "O_DIRECT"}, {0o100000, "O_LARGEFILE"}, {unix.O_NOFOLLOW, "O_NOFOLLOW"},
	{unix.O_NOATIME, "O_NOATIME"}, {unix.O_CLOEXEC, "O_CLOEXEC"}, {unix.O_PATH, "O_PATH"},
	{unix.O_TMPFILE, "O_TMPFILE"}, {unix.O_DIRECTORY, "O_DIRECTORY"}, {unix.O_ASYNC, "O_ASYNC"},
}

var protNames = []named{
	{unix.PROT_READ, "PROT_READ"}, {unix.PROT_WRITE, "PROT_WRITE"}, {unix.PROT_EXEC, "PROT_EXEC"},
	{0x8, "PROT_SEM"}, {unix.PROT_GROWSDOWN, "PROT_GROWSDOWN"}, {unix.PROT_GROWSUP, "PROT_GROWSUP"},
}

var mmapNames = []named{
	{unix.MAP_FIXED, "MAP_FIXED"}, {unix.MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {unix.MAP_32BIT, "MAP_32BIT"},
	{unix.MAP_GROWSDOWN, "MAP_GROWSDOWN"}, {unix.MAP_DENYWRITE, "MAP_DENYWRITE"},
	{unix.MAP_EXECUTABLE, "MAP_EXECUTABLE"}, {unix.MAP_LOCKED, "MAP_LOCKED"}, {unix.MAP_NORESERVE, "MAP_NORESERVE"},
	{unix.MAP_POPULATE, "MAP_POPULATE"}, {unix.MAP_NONBLOCK, "MAP_NONBLOCK"}, {unix.MAP_STACK, "MAP_STACK"},
	{unix.MAP_HUGETLB, "MAP_HUGETLB"}, {unix.MAP_SYNC, "MAP_SYNC"}, {unix.MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
}

var mremapNames = []named{{unix.MREMAP_MAYMOVE, "MREMAP_MAYMOVE"}, {unix.MREMAP_FIXED, "MREMAP_FIXED"}, {unix.MREMAP_DONTUNMAP, "MREMAP_DONTUNMAP"}}

var atNames = []named{
	{unix.AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"}, {unix.AT_REMOVEDIR, "AT_REMOVEDIR"},
	{unix.AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"}, {unix.AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
	{unix.AT_EMPTY_PATH, "AT_EMPTY_PATH"}, {unix.AT_STATX_FORCE_SYNC, "AT_STATX_FORCE_SYNC"},
	{unix.AT_STATX_DONT_SYNC, "AT_STATX_DONT_SYNC"}, {unix.AT_RECURSIVE, "AT_RECURSIVE"},
}

var accessNames = []named{{unix.R_OK, "R_OK"}, {unix.W_OK, "W_OK"}, {unix.X_OK, "X_OK"}}

var sigHowNames = []named{{unix.SIG_BLOCK, "SIG_BLOCK"}, {unix.SIG_UNBLOCK, "SIG_UNBLOCK"}, {unix.SIG_SETMASK, "SIG_SETMASK"}}

var saNames = []named{
	{saRestorer, "SA_RESTORER"}, {0x08000000, "SA_ONSTACK"}, {0x10000000, "SA_RESTART"},
	{0x40000000, "SA_NODEFER"}, {0x80000000, "SA_RESETHAND"}, {4, "SA_SIGINFO"},
	{1, "SA_NOCLDSTOP"}, {2, "SA_NOCLDWAIT"},
}

var clockNames = []named{
	{unix.CLOCK_REALTIME, "CLOCK_REALTIME"}, {unix.CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
	{unix.CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"}, {unix.CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
	{unix.CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"}, {unix.CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
	{unix.CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"}, {unix.CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
	{unix.CLOCK_REALTIME_ALARM, "CLOCK_REALTIME_ALARM"}, {unix.CLOCK_BOOTTIME_ALARM, "CLOCK_BOOTTIME_ALARM"},
	{unix.CLOCK_TAI, "CLOCK_TAI"},
}

var whenceNames = []named{{0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"}, {3, "SEEK_DATA"}, {4, "SEEK_HOLE"}}

var fcntlNames = []named{
	{unix.F_DUPFD, "F_DUPFD"}, {unix.F_GETFD, "F_GETFD"}, {unix.F_SETFD, "F_SETFD"}, {unix.F_GETFL, "F_GETFL"},
	{unix.F_SETFL, "F_SETFL"}, {unix.F_GETLK, "F_GETLK"}, {unix.F_SETLK, "F_SETLK"}, {unix.F_SETLKW, "F_SETLKW"},
	{unix.F_SETOWN, "F_SETOWN"}, {unix.F_GETOWN, "F_GETOWN"}, {unix.F_SETSIG, "F_SETSIG"}, {unix.F_GETSIG, "F_GETSIG"},
	{unix.F_SETOWN_EX, "F_SETOWN_EX"}, {unix.F_GETOWN_EX, "F_GETOWN_EX"}, {unix.F_OFD_GETLK, "F_OFD_GETLK"},
	{unix.F_OFD_SETLK, "F_OFD_SETLK"}, {unix.F_OFD_SETLKW, "F_OFD_SETLKW"}, {unix.F_SETLEASE, "F_SETLEASE"},
	{unix.F_GETLEASE, "F_GETLEASE"}, {unix.F_NOTIFY, "F_NOTIFY"}, {unix.F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"},
	{unix.F_SETPIPE_SZ, "F_SETPIPE_SZ"}, {unix.F_GETPIPE_SZ, "F_GETPIPE_SZ"}, {unix.F_ADD_SEALS, "F_ADD_SEALS"},
	{unix.F_GET_SEALS, "F_GET_SEALS"},
}

var ioctlNames = []named{
	{unix.TCGETS, "TCGETS"}, {unix.TCSETS, "TCSETS"}, {unix.TCSETSW, "TCSETSW"}, {unix.TCSETSF, "TCSETSF"},
	{unix.TIOCGWINSZ, "TIOCGWINSZ"}, {unix.TIOCSWINSZ, "TIOCSWINSZ"}, {0x541b, "FIONREAD"},
	{unix.TIOCGPGRP, "TIOCGPGRP"}, {unix.TIOCSPGRP, "TIOCSPGRP"}, {0x5421, "FIONBIO"}, {0x5451, "FIOCLEX"},
	{0x5450, "FIONCLEX"}, {unix.TIOCSCTTY, "TIOCSCTTY"}, {unix.TIOCGPTN, "TIOCGPTN"},
	{unix.TIOCSPTLCK, "TIOCSPTLCK"}, {unix.TCFLSH, "TCFLSH"}, {unix.TIOCGSID, "TIOCGSID"},
}

var futexNames = []named{
	{futexWait, "FUTEX_WAIT"}, {futexWake, "FUTEX_WAKE"}, {futexFD, "FUTEX_FD"}, {futexRequeue, "FUTEX_REQUEUE"},
	{futexCmpRequeue, "FUTEX_CMP_REQUEUE"}, {futexWakeOp, "FUTEX_WAKE_OP"}, {futexLockPI, "FUTEX_LOCK_PI"},
	{futexUnlockPI, "FUTEX_UNLOCK_PI"}, {futexTrylockPI, "FUTEX_TRYLOCK_PI"}, {futexWaitBitset, "FUTEX_WAIT_BITSET"},
	{futexWakeBitset, "FUTEX_WAKE_BITSET"}, {futexWaitRequeuePI, "FUTEX_WAIT_REQUEUE_PI"}, {futexCmpRequeuePI, "FUTEX_CMP_REQUEUE_PI"},
	{futexLockPI2, "FUTEX_LOCK_PI2"},
}

var archPrctlNames = []named{
	{0x1001, "ARCH_SET_GS"}, {0x1002, "ARCH_SET_FS"}, {0x1003, "ARCH_GET_FS"}, {0x1004, "ARCH_GET_GS"},
	{0x1011, "ARCH_GET_CPUID"}, {0x1012, "ARCH_SET_CPUID"}, {0x1021, "ARCH_GET_XCOMP_SUPP"},
	{0x1022, "ARCH_GET_XCOMP_PERM"}, {0x1023, "ARCH_REQ_XCOMP_PERM"}, {0x1024, "ARCH_GET_XCOMP_GUEST_PERM"},
	{0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"}, {0x5001, "ARCH_SHSTK_ENABLE"}, {0x5002, "ARCH_SHSTK_DISABLE"},
	{0x5003, "ARCH_SHSTK_LOCK"}, {0x5005, "ARCH_SHSTK_STATUS"},
}

var prctlNames = []named{
	{unix.PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"}, {unix.PR_GET_PDEATHSIG, "PR_GET_PDEATHSIG"},
	{unix.PR_GET_DUMPABLE, "PR_GET_DUMPABLE"}, {unix.PR_SET_DUMPABLE, "PR_SET_DUMPABLE"},
	{unix.PR_SET_NAME, "PR_SET_NAME"}, {unix.PR_GET_NAME, "PR_GET_NAME"}, {unix.PR_GET_SECCOMP, "PR_GET_SECCOMP"},
	{unix.PR_SET_SECCOMP, "PR_SET_SECCOMP"}, {unix.PR_CAPBSET_READ, "PR_CAPBSET_READ"},
	{unix.PR_SET_TIMERSLACK, "PR_SET_TIMERSLACK"}, {unix.PR_GET_TIMERSLACK, "PR_GET_TIMERSLACK"},
	{unix.PR_SET_MM, "PR_SET_MM"}, {unix.PR_SET_CHILD_SUBREAPER, "PR_SET_CHILD_SUBREAPER"},
	{unix.PR_GET_CHILD_SUBREAPER, "PR_GET_CHILD_SUBREAPER"}, {unix.PR_SET_NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS"},
	{unix.PR_GET_NO_NEW_PRIVS, "PR_GET_NO_NEW_PRIVS"}, {unix.PR_SET_THP_DISABLE, "PR_SET_THP_DISABLE"},
	{unix.PR_GET_THP_DISABLE, "PR_GET_THP_DISABLE"}, {unix.PR_CAP_AMBIENT, "PR_CAP_AMBIENT"},
	{unix.PR_SET_VMA, "PR_SET_VMA"},
}

var rlimitNames = []named{
	{unix.RLIMIT_CPU, "RLIMIT_CPU"}, {unix.RLIMIT_FSIZE, "RLIMIT_FSIZE"}, {unix.RLIMIT_DATA, "RLIMIT_DATA"},
	{unix.RLIMIT_STACK, "RLIMIT_STACK"}, {unix.RLIMIT_CORE, "RLIMIT_CORE"}, {unix.RLIMIT_RSS, "RLIMIT_RSS"},
	{unix.RLIMIT_NPROC, "RLIMIT_NPROC"}, {unix.RLIMIT_NOFILE, "RLIMIT_NOFILE"},
	{unix.RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"}, {unix.RLIMIT_AS, "RLIMIT_AS"}, {unix.RLIMIT_LOCKS, "RLIMIT_LOCKS"},
	{unix.RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"}, {unix.RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"},
	{unix.RLIMIT_NICE, "RLIMIT_NICE"}, {unix.RLIMIT_RTPRIO, "RLIMIT_RTPRIO"}, {unix.RLIMIT_RTTIME, "RLIMIT_RTTIME"},
}

var madviseNames = []named{
	{unix.MADV_NORMAL, "MADV_NORMAL"}, {unix.MADV_RANDOM, "MADV_RANDOM"}, {unix.MADV_SEQUENTIAL, "MADV_SEQUENTIAL"},
	{unix.MADV_WILLNEED, "MADV_WILLNEED"}, {unix.MADV_DONTNEED, "MADV_DONTNEED"}, {unix.MADV_FREE, "MADV_FREE"},
	{unix.MADV_REMOVE, "MADV_REMOVE"}, {unix.MADV_DONTFORK, "MADV_DONTFORK"}, {unix.MADV_DOFORK, "MADV_DOFORK"},
	{unix.MADV_MERGEABLE, "MADV_MERGEABLE"}, {unix.MADV_UNMERGEABLE, "MADV_UNMERGEABLE"},
	{unix.MADV_HUGEPAGE, "MADV_HUGEPAGE"}, {unix.MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE"},
	{unix.MADV_DONTDUMP, "MADV_DONTDUMP"}, {unix.MADV_DODUMP, "MADV_DODUMP"}, {unix.MADV_WIPEONFORK, "MADV_WIPEONFORK"},
	{unix.MADV_KEEPONFORK, "MADV_KEEPONFORK"}, {unix.MADV_COLD, "MADV_COLD"}, {unix.MADV_PAGEOUT, "MADV_PAGEOUT"},
	{22, "MADV_POPULATE_READ"}, {23, "MADV_POPULATE_WRITE"}, {24, "MADV_DONTNEED_LOCKED"}, {25, "MADV_COLLAPSE"},
	{unix.MADV_HWPOISON, "MADV_HWPOISON"},
}

var cloneNames = []named{
	{unix.CLONE_VM, "CLONE_VM"}, {unix.CLONE_FS, "CLONE_FS"}, {unix.CLONE_FILES, "CLONE_FILES"},
	{unix.CLONE_SIGHAND, "CLONE_SIGHAND"}, {unix.CLONE_PIDFD, "CLONE_PIDFD"}, {unix.CLONE_PTRACE, "CLONE_PTRACE"},
	{unix.CLONE_VFORK, "CLONE_VFORK"}, {unix.CLONE_PARENT, "CLONE_PARENT"}, {unix.CLONE_THREAD, "CLONE_THREAD"},
	{unix.CLONE_NEWNS, "CLONE_NEWNS"}, {unix.CLONE_SYSVSEM, "CLONE_SYSVSEM"}, {unix.CLONE_SETTLS, "CLONE_SETTLS"},
	{unix.CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"}, {unix.CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"},
	{unix.CLONE_DETACHED, "CLONE_DETACHED"}, {unix.CLONE_UNTRACED, "CLONE_UNTRACED"},
	{unix.CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"}, {unix.CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
	{unix.CLONE_NEWUTS, "CLONE_NEWUTS"}, {unix.CLONE_NEWIPC, "CLONE_NEWIPC"}, {unix.CLONE_NEWUSER, "CLONE_NEWUSER"},
	{unix.CLONE_NEWPID, "CLONE_NEWPID"}, {unix.CLONE_NEWNET, "CLONE_NEWNET"}, {unix.CLONE_IO, "CLONE_IO"},
}

var domainNames = []named{
	{unix.AF_UNIX, "AF_UNIX"}, {unix.AF_INET, "AF_INET"}, {unix.AF_INET6, "AF_INET6"},
	{unix.AF_NETLINK, "AF_NETLINK"}, {unix.AF_PACKET, "AF_PACKET"}, {unix.AF_UNSPEC, "AF_UNSPEC"},
}

var sockTypeNames = []named{
	{unix.SOCK_STREAM, "SOCK_STREAM"}, {unix.SOCK_DGRAM, "SOCK_DGRAM"}, {unix.SOCK_RAW, "SOCK_RAW"},
	{unix.SOCK_RDM, "SOCK_RDM"}, {unix.SOCK_SEQPACKET, "SOCK_SEQPACKET"}, {unix.SOCK_PACKET, "SOCK_PACKET"},
}

var sockFlagNames = []named{{unix.SOCK_NONBLOCK, "SOCK_NONBLOCK"}, {unix.SOCK_CLOEXEC, "SOCK_CLOEXEC"}}

var grndNames = []named{{unix.GRND_NONBLOCK, "GRND_NONBLOCK"}, {unix.GRND_RANDOM, "GRND_RANDOM"}, {4, "GRND_INSECURE"}}

var statxMaskNames = []named{
	{unix.STATX_BTIME, "STATX_BTIME"}, {unix.STATX_MNT_ID, "STATX_MNT_ID"}, {unix.STATX_DIOALIGN, "STATX_DIOALIGN"},
	{0x4000, "STATX_MNT_ID_UNIQUE"}, {0x8000, "STATX_SUBVOL"},
}

// Execve prints the execve that started the process, as strace's first
// line: the path and argv as given, and envp's address on the initial stack.
func (s *Strace) Execve(t *Task, path string, argv []string, nenv int) {
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = quote([]byte(a), maxStr, false)
	}
	envp := t.P.Image.SP + 8*uint64(len(t.P.Image.Argv)+2)
	s.write(s.line(t, "execve", []string{quote([]byte(path), len(path), false),
		"[" + strings.Join(args, ", ") + "]", fmt.Sprintf("%s /* %d vars */", hex(envp), nenv)}) + "0\n")
}
