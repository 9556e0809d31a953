package syscall

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Strace prints syscalls the way strace does: name(args) = result, with
// errors as "-1 ENOENT (No such file or directory)".
type Strace struct {
	mu sync.Mutex
	w  io.Writer
}

// NewStrace returns a tracer writing to w.
func NewStrace(w io.Writer) *Strace { return &Strace{w: w} }

// Enter prints the call's start; calls that do not return print it whole.
func (s *Strace) Enter(t *Task, nr uint64, a *Args) {
	e := Lookup(nr)
	if e == nil || !e.NoReturn {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, "%d %s(%s) = ?\n", t.Tid, e.Name, formatArgs(t, e, a))
}

// Exit prints the call with its result.
func (s *Strace) Exit(t *Task, nr uint64, a *Args, ret int64) {
	e := Lookup(nr)
	if e != nil && e.NoReturn {
		return
	}
	name, args := "syscall_"+strconv.FormatUint(nr, 10), ""
	if e != nil {
		name, args = e.Name, formatArgs(t, e, a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, "%d %s(%s) = %s\n", t.Tid, name, args, formatResult(ret))
}

func formatResult(ret int64) string {
	if ret < 0 && ret >= -4095 {
		e := unix.Errno(-ret)
		return fmt.Sprintf("-1 %s (%s)", unix.ErrnoName(e), errnoText(e))
	}
	return strconv.FormatInt(ret, 10)
}

// errnoText is strerror as strace prints it.
func errnoText(e unix.Errno) string {
	s := e.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func formatArgs(t *Task, e *Entry, a *Args) string {
	parts := make([]string, len(e.Args))
	for i, k := range e.Args {
		parts[i] = formatArg(t, k, a[i])
	}
	return strings.Join(parts, ", ")
}

func formatArg(t *Task, k ArgKind, v uint64) string {
	switch k {
	case ArgInt:
		return strconv.FormatInt(int64(v), 10)
	case ArgUint:
		return strconv.FormatUint(v, 10)
	case ArgFD:
		if int32(v) == unix.AT_FDCWD {
			return "AT_FDCWD"
		}
		return strconv.FormatInt(int64(int32(v)), 10)
	case ArgPtr:
		if v == 0 {
			return "NULL"
		}
		return "0x" + strconv.FormatUint(v, 16)
	case ArgStr:
		if v == 0 {
			return "NULL"
		}
		s, err := t.P.Mem.ReadString(v, 4096)
		if err != nil {
			return "0x" + strconv.FormatUint(v, 16)
		}
		return quote(s, 32)
	case ArgOctal:
		return "0" + strconv.FormatUint(v, 8)
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// quote renders a string like strace: C escapes, cut after max bytes with "...".
func quote(s string, max int) string {
	more := len(s) > max
	if more {
		s = s[:max]
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\%o`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	if more {
		b.WriteString("...")
	}
	return b.String()
}
