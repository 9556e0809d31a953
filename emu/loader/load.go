package loader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// Auxiliary vector tags.
const (
	atNull        = 0
	atPhdr        = 3
	atPhent       = 4
	atPhnum       = 5
	atPagesz      = 6
	atBase        = 7
	atFlags       = 8
	atEntry       = 9
	atUID         = 11
	atEUID        = 12
	atGID         = 13
	atEGID        = 14
	atPlatform    = 15
	atHWCap       = 16
	atClkTck      = 17
	atSecure      = 23
	atRandom      = 25
	atHWCap2      = 26
	atExecFn      = 31
	atMinSigStkSz = 51
)

// Options are the parts of a load that come from outside the program.
type Options struct {
	// Sysroot is prepended to the ELF interpreter's path (-L) when the
	// file exists there.
	Sysroot string
	// HWCap and HWCap2 are AT_HWCAP and AT_HWCAP2 (CPUID.1:EDX on x86).
	HWCap, HWCap2 uint64
	// MinSigStkSz is AT_MINSIGSTKSZ, the size of the signal frame.
	MinSigStkSz uint64
	// ExecFn, if set, is AT_EXECFN instead of the path (execveat names
	// programs /dev/fd/N/...).
	ExecFn string
}

// Image is the result of a load: where to start and what the kernel told the
// program about itself.
type Image struct {
	Path      string // the file run, after #! resolution
	ExecFn    string // AT_EXECFN: the path as given
	Argv      []string
	Entry     uint64 // first instruction (the interpreter's when dynamic)
	ProgEntry uint64 // AT_ENTRY
	SP        uint64 // initial RSP
	Interp    string // path of the ELF interpreter, if any
	Auxv      []uint64
	StackLo   uint64
}

var errScript = errors.New("#! script")

// maxScriptDepth is the kernel's limit on nested #! interpreters.
const maxScriptDepth = 4

// Load execs path in m, which must be empty: it resolves #! scripts, maps the
// program and its interpreter, and builds the initial stack.
func Load(m *mem.Mem, path string, argv, envp []string, opt Options) (*Image, error) {
	execfn := path
	if opt.ExecFn != "" {
		execfn = opt.ExecFn
	}
	var e *elfFile
	script := "" // the script whose #! line named path
	for depth := 0; ; depth++ {
		var err error
		e, err = openELF(path)
		if err == nil {
			break
		}
		if err != errScript {
			if script != "" {
				// As shells do, name the script as well.
				ierr := err.(*Error)
				err = fail(script, ierr.Errno, "bad #! interpreter %s", ierr.Error())
			}
			return nil, err
		}
		if depth == maxScriptDepth {
			return nil, fail(execfn, unix.ELOOP, "too many levels of #! interpreters")
		}
		interp, arg, err := readShebang(path)
		if err != nil {
			return nil, err
		}
		// The kernel replaces argv[0] with the interpreter, its optional
		// argument and the script path.
		na := []string{interp}
		if arg != "" {
			na = append(na, arg)
		}
		na = append(na, path)
		if len(argv) > 1 {
			na = append(na, argv[1:]...)
		}
		argv, path, script = na, interp, path
	}
	defer e.f.Close()
	if len(argv) == 0 {
		argv = []string{""}
	}

	// The stack is as big as RLIMIT_STACK allows, and mmap's search for
	// free space starts below it and a gap, as Linux lays a program out.
	stackSize := mem.StackMapSize()
	m.SetMmapBase(mem.StackTop - stackSize - mmapGap)
	var bias uint64
	if e.typ == etDyn {
		lo, _ := e.span()
		bias = mem.PIEBase - lo
	}
	end, err := e.mapInto(m, bias)
	if err != nil {
		return nil, err
	}
	m.BrkStart = pageUp(end)
	m.Brk = m.BrkStart
	m.StartData, m.EndData = e.dataBounds(bias)
	img := &Image{Path: path, ExecFn: execfn, Argv: argv, ProgEntry: e.entry + bias, Entry: e.entry + bias}

	var interpBase uint64
	if e.interp != "" {
		ipath := e.interp
		if opt.Sysroot != "" {
			if p := filepath.Join(opt.Sysroot, ipath); fileExists(p) {
				ipath = p
			}
		}
		ie, err := openELF(ipath)
		if err == errScript {
			err = fail(ipath, unix.ELIBBAD, "is a script")
		}
		if err != nil {
			// Name the program too: the interpreter is not what the
			// user asked to run.
			ierr := err.(*Error)
			return nil, fail(path, ierr.Errno, "ELF interpreter %s", ierr.Error())
		}
		defer ie.f.Close()
		if ie.interp != "" {
			return nil, fail(path, unix.ELIBBAD, "ELF interpreter %s has an interpreter", quotePath(ipath))
		}
		lo, hi := ie.span()
		// Reserve the whole span so the segments land together, as the
		// kernel does, then map them over the reservation.
		base, err := m.Map(0, hi-lo, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0, "")
		if err != nil {
			return nil, fail(ipath, unix.ENOMEM, "no room for the ELF interpreter")
		}
		ibias := base - lo
		if _, err := ie.mapInto(m, ibias); err != nil {
			return nil, err
		}
		interpBase = base
		img.Interp = ipath
		img.Entry = ie.entry + ibias
	}

	if _, err := m.Map(mem.StackTop-stackSize, stackSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED|unix.MAP_GROWSDOWN, -1, 0, "[stack]"); err != nil {
		return nil, fail(path, unix.ENOMEM, "mapping the stack: %v", err)
	}
	img.StackLo = mem.StackTop - stackSize
	aux := []uint64{
		atHWCap, opt.HWCap,
		atPagesz, mem.PageSize,
		atClkTck, 100,
		atPhdr, e.phdrAddr(bias),
		atPhent, phdrSize,
		atPhnum, uint64(len(e.phdrs)),
		atBase, interpBase,
		atFlags, 0,
		atEntry, img.ProgEntry,
		atUID, uint64(os.Getuid()),
		atEUID, uint64(os.Geteuid()),
		atGID, uint64(os.Getgid()),
		atEGID, uint64(os.Getegid()),
		atSecure, 0,
	}
	if err := buildStack(m, img, envp, aux, opt); err != nil {
		return nil, fail(path, unix.E2BIG, "%v", err)
	}
	return img, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// readShebang parses a "#!interpreter [arg]" line as the kernel does: at most
// one argument, everything after the interpreter's name, trimmed.
func readShebang(path string) (interp, arg string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", openError(path, err)
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, _ := f.Read(buf)
	line := buf[2:n]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	s := strings.Trim(string(line), " \t")
	if s == "" {
		return "", "", fail(path, unix.ENOEXEC, "empty #! line")
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		interp, arg = s[:i], strings.Trim(s[i:], " \t")
	} else {
		interp = s
	}
	return interp, arg, nil
}

// mmapGap is the least room Linux leaves for the stack's growth between the
// top of the stack and mmap's space, beyond RLIMIT_STACK.
const mmapGap = 128 << 20

// dataBounds are Linux's start_data and end_data: the highest start of a
// loadable segment and the highest end of its file contents.
func (e *elfFile) dataBounds(bias uint64) (start, end uint64) {
	for _, p := range e.phdrs {
		if p.Type == ptLoad {
			start = max(start, p.Vaddr+bias)
			end = max(end, p.Vaddr+p.Filesz+bias)
		}
	}
	return start, end
}

// buildStack writes the initial process stack below mem.StackTop: strings at
// the top, then AT_RANDOM's bytes and the platform name, then auxv, envp,
// argv and argc, with RSP 16-byte aligned at argc.
func buildStack(m *mem.Mem, img *Image, envp []string, aux []uint64, opt Options) error {
	sp := uint64(mem.StackTop) - 8
	var werr error
	put := func(b []byte) uint64 {
		sp -= uint64(len(b))
		if err := m.Write(sp, b); err != nil && werr == nil {
			werr = err
		}
		return sp
	}
	putStr := func(s string) uint64 { return put(append([]byte(s), 0)) }

	execfn := putStr(img.ExecFn)
	envAddrs := make([]uint64, len(envp))
	for i := len(envp) - 1; i >= 0; i-- {
		envAddrs[i] = putStr(envp[i])
	}
	argAddrs := make([]uint64, len(img.Argv))
	for i := len(img.Argv) - 1; i >= 0; i-- {
		argAddrs[i] = putStr(img.Argv[i])
	}
	if uint64(mem.StackTop)-sp > (mem.StackTop-img.StackLo)/4 {
		return errors.New("argument list too long")
	}
	sp &^= 15
	platform := putStr("x86_64")
	// The kernel's own bytes, as for a native program; crypto/rand would
	// set up a generator first, a cost on every start.
	var rnd [16]byte
	unix.Getrandom(rnd[:], 0)
	random := put(rnd[:])
	sp &^= 15

	aux = append(aux,
		atRandom, random,
		atHWCap2, opt.HWCap2,
		atExecFn, execfn,
		atPlatform, platform,
		atMinSigStkSz, opt.MinSigStkSz,
		atNull, 0)
	img.Auxv = aux
	words := 1 + len(argAddrs) + 1 + len(envAddrs) + 1 + len(aux)
	sp -= uint64(words) * 8
	sp &^= 15
	b := make([]byte, 0, words*8)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(argAddrs)))
	for _, a := range argAddrs {
		b = binary.LittleEndian.AppendUint64(b, a)
	}
	b = binary.LittleEndian.AppendUint64(b, 0)
	for _, a := range envAddrs {
		b = binary.LittleEndian.AppendUint64(b, a)
	}
	b = binary.LittleEndian.AppendUint64(b, 0)
	for _, a := range aux {
		b = binary.LittleEndian.AppendUint64(b, a)
	}
	if err := m.Write(sp, b); err != nil {
		return err
	}
	img.SP = sp
	return werr
}
