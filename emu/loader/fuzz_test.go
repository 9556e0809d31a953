package loader

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// FuzzParseELF: any bytes give a load error or an ELF file that the mapping
// code can trust.
func FuzzParseELF(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := parseELF("fuzz", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if err == errScript {
				if !bytes.HasPrefix(data, []byte("#!")) {
					t.Fatal("errScript for a file not starting with #!")
				}
				return
			}
			checkError(t, err)
			return
		}
		loads := 0
		for _, p := range e.phdrs {
			switch p.Type {
			case ptLoad:
				loads++
				if p.Filesz > p.Memsz || p.Filesz > 0 && (p.Off > uint64(len(data)) || p.Filesz > uint64(len(data))-p.Off) ||
					p.Vaddr%mem.PageSize != p.Off%mem.PageSize || !mem.InWindow(p.Vaddr, p.Memsz) {
					t.Fatalf("accepted a bad PT_LOAD %+v (file size %d)", p, len(data))
				}
			}
		}
		if loads == 0 || len(e.phdrs) == 0 || len(e.phdrs) > maxPhdrs {
			t.Fatalf("accepted %d program headers, %d PT_LOAD", len(e.phdrs), loads)
		}
		if lo, hi := e.span(); lo > hi || hi > mem.WindowSize {
			t.Fatalf("span %#x-%#x", lo, hi)
		}
		if strings.IndexByte(e.interp, 0) >= 0 || len(e.interp) >= unix.PathMax {
			t.Fatalf("interpreter path %q", e.interp)
		}
	})
}

// checkError checks that err is a one-line *Error with an errno.
func checkError(t *testing.T, err error) {
	t.Helper()
	var le *Error
	if !errors.As(err, &le) {
		t.Fatalf("error %v is a %T, not a *loader.Error", err, err)
	}
	if le.Errno == 0 {
		t.Errorf("error %q has no errno", err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || msg == "" {
		t.Errorf("error %q is not one line", msg)
	}
}

// fuzzMem is one guest address space per fuzzing process: reserving the
// 4 TiB window for every input would dominate the run time.
var fuzzMem = sync.OnceValues(mem.New)

// FuzzLoad loads a program and, through PT_INTERP or #!, a second file
// ("interp") from a scratch directory. Paths to other files are only
// followed when they do not exist, so a fuzzed path never opens whatever
// lives on the machine.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, prog, interp []byte) {
		t.Chdir(dir)
		m, err := fuzzMem()
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Unmap(0, mem.WindowSize); err != nil {
			t.Fatal(err)
		}
		m.BrkStart, m.Brk = 0, 0
		for name, b := range map[string][]byte{"prog": prog, "interp": interp} {
			if err := os.WriteFile(name, b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{"prog", "interp"} {
			if !refsAllowed(name) {
				return
			}
		}
		img, err := Load(m, "prog", []string{"prog", "arg"}, []string{"A=1"}, Options{})
		if err != nil {
			checkError(t, err)
			return
		}
		if img.SP%16 != 0 || img.SP < img.StackLo || img.SP >= mem.StackTop {
			t.Fatalf("initial stack pointer %#x outside the stack", img.SP)
		}
	})
}

// refsAllowed reports whether the paths that file names (#! interpreter,
// PT_INTERP) are safe to open: inside the current directory, or missing.
func refsAllowed(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	var ref string
	if bytes.HasPrefix(data, []byte("#!")) {
		if ref, _, err = readShebang(file); err != nil {
			return true
		}
	} else if e, err := parseELF(file, bytes.NewReader(data), int64(len(data))); err == nil {
		ref = e.interp
	}
	if ref == "" || filepath.IsLocal(ref) {
		return true
	}
	_, err = os.Lstat(ref)
	return errors.Is(err, fs.ErrNotExist)
}
