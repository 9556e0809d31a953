// Package dbg is guestrun's diagnostic log: the -d categories and -D file.
package dbg

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
)

// Category is one -d item.
type Category uint32

const (
	Unimp   Category = 1 << iota // unimplemented syscalls and instructions
	Strace                       // -strace output
	Exec                         // program loading and execve
	Signal                       // signal delivery
	Clone                        // clone, fork and thread creation
	Syscall                      // every syscall with its raw arguments
	Mmap                         // guest memory map changes
)

var names = map[string]Category{
	"unimp":   Unimp,
	"strace":  Strace,
	"exec":    Exec,
	"signal":  Signal,
	"clone":   Clone,
	"syscall": Syscall,
	"mmap":    Mmap,
}

var help = map[Category]string{
	Unimp:   "unimplemented syscalls (once each) and instructions, with address and bytes",
	Strace:  "every syscall in strace format (same as -strace)",
	Exec:    "program loading: segments, interpreter, entry point",
	Signal:  "signals: delivery, frames, fatal signals",
	Clone:   "clone, fork, vfork and thread creation",
	Syscall: "every syscall with raw arguments and result",
	Mmap:    "guest mmap, munmap, mprotect and brk",
}

// Help lists the categories for -d help.
func Help() string {
	var ks []string
	for k := range names {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	b.WriteString("Log items (comma separated) for -d:\n")
	for _, k := range ks {
		fmt.Fprintf(&b, "  %-8s %s\n", k, help[names[k]])
	}
	b.WriteString("  all      all of the above\n")
	return b.String()
}

// Parse turns "unimp,exec" into a mask.
func Parse(s string) (Category, error) {
	var c Category
	for _, it := range strings.Split(s, ",") {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		if it == "all" {
			c |= ^Category(0)
			continue
		}
		v, ok := names[it]
		if !ok {
			return 0, fmt.Errorf("unknown -d item %q (try -d help)", it)
		}
		c |= v
	}
	return c, nil
}

// Log writes diagnostics for the enabled categories. The zero Log is off.
type Log struct {
	mu   sync.Mutex
	mask Category
	w    io.Writer
	once map[string]bool
}

// New returns a log of the categories in mask, written to w (stderr if nil).
func New(mask Category, w io.Writer) *Log {
	if w == nil {
		w = os.Stderr
	}
	return &Log{mask: mask, w: w, once: map[string]bool{}}
}

// On reports whether category c is enabled.
func (l *Log) On(c Category) bool { return l != nil && l.mask&c != 0 }

// Printf logs a line in category c.
func (l *Log) Printf(c Category, format string, args ...any) {
	if !l.On(c) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
	if !strings.HasSuffix(format, "\n") {
		io.WriteString(l.w, "\n")
	}
}

// Once logs a line in category c the first time key is seen.
func (l *Log) Once(c Category, key, format string, args ...any) {
	if !l.On(c) {
		return
	}
	l.mu.Lock()
	seen := l.once[key]
	l.once[key] = true
	l.mu.Unlock()
	if !seen {
		l.Printf(c, format, args...)
	}
}

// Writer is where the log goes.
func (l *Log) Writer() io.Writer { return l.w }
