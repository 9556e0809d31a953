package syscall

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"

	"guestrun/emu/signal"
)

// /proc/self/stat and /proc/self/status are the host's files for guestrun,
// whose name is already the guest's (PR_SET_NAME at start), with the figures
// that would describe guestrun replaced by the guest's: threads, virtual
// size, the program's code, data, brk, stack, argument and environment
// addresses, and the signal masks.

// procTarget returns the host file of /proc/self/NAME, or of the task
// directory of thread tid, and the guest thread the file describes: the
// main thread for the process's files, as in Linux.
func (t *Task) procTarget(name string, tid int) (string, *Task) {
	path := "/proc/self/" + name
	var target *Task
	if tid != 0 {
		path = "/proc/self/task/" + strconv.Itoa(tid) + "/" + name
		target = t.P.thread(tid)
	}
	if target == nil {
		t.P.mu.Lock()
		target = t.P.leader
		t.P.mu.Unlock()
	}
	if target == nil {
		target = t
	}
	return path, target
}

// procStat renders /proc/self/stat, or a thread's stat for tid != 0.
func (t *Task) procStat(tid int) ([]byte, error) {
	path, target := t.procTarget("stat", tid)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// The name may hold spaces and parentheses: the fields start after the
	// last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return raw, nil
	}
	fields := bytes.Fields(raw[i+1:]) // fields[0] is field 3, the state
	set := func(n int, v uint64) {
		if n-3 < len(fields) {
			fields[n-3] = strconv.AppendUint(nil, v, 10)
		}
	}
	f := t.memFigures()
	sig := target.sigMasks()
	// The kernel shows only the first 31 signals here.
	const low = 0x7fffffff
	set(20, uint64(t.threadCount()))
	set(23, t.vsize())
	set(26, f.startCode)
	set(27, f.endCode)
	set(28, f.startStack)
	set(31, uint64(sig.pending)&low)
	set(32, uint64(sig.blocked)&low)
	set(33, uint64(sig.ignored)&low)
	set(34, uint64(sig.caught)&low)
	set(45, f.startData)
	set(46, f.endData)
	set(47, t.P.Mem.BrkStart)
	set(48, f.argStart)
	set(49, f.argEnd)
	set(50, f.envStart)
	set(51, f.envEnd)
	out := append(raw[:i+1:i+1], ' ')
	out = append(out, bytes.Join(fields, []byte(" "))...)
	return append(out, '\n'), nil
}

// procStatus renders /proc/self/status, or a thread's status for tid != 0.
func (t *Task) procStatus(tid int) ([]byte, error) {
	path, target := t.procTarget("status", tid)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sig := target.sigMasks()
	vm := t.vsize() / 1024
	var out []byte
	for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
		name, _, _ := bytes.Cut(line, []byte(":"))
		switch string(name) {
		case "Threads":
			line = fmt.Appendf(nil, "Threads:\t%d\n", t.threadCount())
		case "VmPeak", "VmSize":
			line = fmt.Appendf(nil, "%s:\t%8d kB\n", name, vm)
		case "SigPnd":
			line = fmt.Appendf(nil, "SigPnd:\t%016x\n", uint64(sig.pending))
		case "ShdPnd":
			line = fmt.Appendf(nil, "ShdPnd:\t%016x\n", uint64(sig.shared))
		case "SigBlk":
			line = fmt.Appendf(nil, "SigBlk:\t%016x\n", uint64(sig.blocked))
		case "SigIgn":
			line = fmt.Appendf(nil, "SigIgn:\t%016x\n", uint64(sig.ignored))
		case "SigCgt":
			line = fmt.Appendf(nil, "SigCgt:\t%016x\n", uint64(sig.caught))
		}
		out = append(out, line...)
	}
	return out, nil
}

func (t *Task) threadCount() int {
	t.P.mu.Lock()
	defer t.P.mu.Unlock()
	return len(t.P.threads)
}

// vsize is the size of every guest mapping.
func (t *Task) vsize() uint64 {
	var n uint64
	for _, v := range t.P.Mem.VMAs() {
		n += v.End - v.Start
	}
	return n
}

// sigMasks are the signal sets /proc shows for a thread: its own pending
// signals, the process's, its mask, and the dispositions.
type sigMasks struct {
	pending, shared, blocked, ignored, caught signal.Set
}

func (t *Task) sigMasks() sigMasks {
	m := sigMasks{pending: t.Sig.Private(), shared: t.P.Sig.Shared(), blocked: t.Sig.Blocked()}
	for sig := 1; sig <= signal.NSig; sig++ {
		switch t.P.Sig.Action(sig).Handler {
		case signal.DFL:
		case signal.IGN:
			m.ignored |= signal.Bit(sig)
		default:
			m.caught |= signal.Bit(sig)
		}
	}
	return m
}

// memFigures are the kernel's mm fields that /proc/pid/stat shows.
type memFigures struct {
	startCode, endCode, startData, endData uint64
	startStack                             uint64
	argStart, argEnd, envStart, envEnd     uint64
}

// memFigures computes what execve recorded, as the kernel does: code and
// data from the program headers (AT_PHDR), the rest from the initial stack,
// where the argument strings sit below the environment's and those below
// AT_EXECFN's.
func (t *Task) memFigures() memFigures {
	img := t.P.Image
	aux := map[uint64]uint64{}
	for i := 0; i+1 < len(img.Auxv); i += 2 {
		aux[img.Auxv[i]] = img.Auxv[i+1]
	}
	f := memFigures{startStack: img.SP}
	phdr, phnum := aux[3], aux[5] // AT_PHDR, AT_PHNUM
	if b, ok := t.in(phdr, phnum*56); ok && phnum > 0 {
		le := binary.LittleEndian
		// The load bias: from PT_PHDR, or else from the first segment,
		// which maps the ELF header with the program headers after it.
		bias, found := uint64(0), false
		for i := uint64(0); i < phnum; i++ {
			p := b[i*56:]
			if le.Uint32(p) == 6 { // PT_PHDR
				bias, found = phdr-le.Uint64(p[16:]), true
			}
		}
		f.startCode = ^uint64(0)
		for i := uint64(0); i < phnum; i++ {
			p := b[i*56:]
			if le.Uint32(p) != 1 { // PT_LOAD
				continue
			}
			flags, off, vaddr, filesz := le.Uint32(p[4:]), le.Uint64(p[8:]), le.Uint64(p[16:]), le.Uint64(p[32:])
			if !found && off == 0 {
				bias, found = phdr-64-vaddr, true
			}
			if flags&1 != 0 { // PF_X
				f.startCode = min(f.startCode, vaddr)
				f.endCode = max(f.endCode, vaddr+filesz)
			}
			f.startData = max(f.startData, vaddr)
			f.endData = max(f.endData, vaddr+filesz)
		}
		if f.startCode == ^uint64(0) {
			f.startCode = 0
		}
		f.startCode += bias
		f.endCode += bias
		f.startData += bias
		f.endData += bias
	}
	f.envEnd = aux[31] // AT_EXECFN
	f.envStart = f.envEnd
	// envp[0], after argc, argv[] and its NULL.
	if p, ok := t.readU64(img.SP + 8*uint64(len(img.Argv)+2)); ok && p != 0 && p <= f.envEnd {
		f.envStart = p
	}
	f.argEnd = f.envStart
	f.argStart = f.argEnd
	for _, a := range img.Argv {
		f.argStart -= uint64(len(a) + 1)
	}
	return f
}
