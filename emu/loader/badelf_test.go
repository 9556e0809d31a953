package loader

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// badRun is how long one run of guestrun on a bad input may take.
const badRun = 60 * time.Second

// badCase is one corrupt input. A case that must be rejected gives exactly
// one line on stderr, "guestrun: " and the program's path first, and a
// non-zero status; one that may load (the kernel accepts such files too) is
// only checked for panics, and for the one-line rule if guestrun refuses it.
type badCase struct {
	name   string
	data   []byte // the program, written to a file named after the case
	path   string // run this path instead (made by setup, or absent)
	setup  func(t *testing.T, dir string)
	mayRun bool
}

// TestBadELF runs bin/guestrun (GUESTRUN_BIN, or a fresh build) on corrupt
// executables and checks that each is refused with a one-line error.
func TestBadELF(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs guestrun")
	}
	bin := guestrunBinary(t)
	dir := t.TempDir()
	cases := badCases(dir)
	// Cases name each other's files: write them all first.
	for i := range cases {
		c := &cases[i]
		if c.path == "" {
			c.path = filepath.Join(dir, fileName(c.name))
			if err := os.WriteFile(c.path, c.data, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if c.setup != nil {
			c.setup(t, dir)
		}
	}
	var tried, refused, ran, kernelAccepts atomic.Int32
	t.Run("case", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				tried.Add(1)
				path := c.path
				status, stderr := runGuestrun(t, bin, dir, path)
				if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
					t.Fatalf("guestrun %s panicked:\n%s", path, stderr)
				}
				if c.mayRun && !strings.HasPrefix(stderr, "guestrun: ") {
					ran.Add(1)
					return
				}
				refused.Add(1)
				checkOneLine(t, path, status, stderr)
				if !c.mayRun && nativeRuns(dir, path) {
					kernelAccepts.Add(1)
					t.Logf("the kernel runs %s, guestrun refuses it: %s", c.name, strings.TrimSpace(stderr))
				}
			})
		}
	})
	t.Logf("bad inputs tried: %d (%d refused with one line, %d loaded); the kernel runs %d of those guestrun must refuse",
		tried.Load(), refused.Load(), ran.Load(), kernelAccepts.Load())
}

// guestrunBinary returns GUESTRUN_BIN or builds guestrun.
func guestrunBinary(t *testing.T) string {
	if bin := os.Getenv("GUESTRUN_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "guestrun")
	out, err := exec.Command("go", "build", "-o", bin, "guestrun/cmd/guestrun").CombinedOutput()
	if err != nil {
		t.Fatalf("building guestrun: %v\n%s", err, out)
	}
	return bin
}

func fileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' {
			return '_'
		}
		return r
	}, name)
}

func runGuestrun(t *testing.T, bin, dir, path string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), badRun)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, path)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("guestrun %s did not finish in %v", path, badRun)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running guestrun: %v", err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

func checkOneLine(t *testing.T, path string, status int, stderr string) {
	t.Helper()
	if status == 0 {
		t.Errorf("guestrun %s: exit status 0", path)
	}
	line, ok := strings.CutSuffix(stderr, "\n")
	if !ok || strings.Contains(line, "\n") || !strings.HasPrefix(line, "guestrun: "+path+": ") {
		t.Errorf("guestrun %s: stderr is not one line naming the file:\n%q", path, stderr)
	}
}

// nativeRuns reports whether the kernel runs path to its exit(0), for the
// log: where guestrun and Linux draw the line differently. (Linux kills a
// process whose segments fail to map after the point of no return.)
func nativeRuns(dir, path string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), badRun)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	cmd.Dir = dir
	return cmd.Run() == nil
}

func le16(b []byte, off int, v uint16) []byte {
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint16(b[off:], v)
	return b
}

func le32(b []byte, off int, v uint32) []byte {
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

func le64(b []byte, off int, v uint64) []byte {
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint64(b[off:], v)
	return b
}

func setByte(b []byte, off int, v byte) []byte {
	b = bytes.Clone(b)
	b[off] = v
	return b
}

func badCases(dir string) []badCase {
	good := smallELF("")
	ph0 := func(f int) int { return phField(0, f) }
	ph1 := func(f int) int { return phField(1, f) }
	n := uint64(len(good))
	cs := []badCase{
		{name: "empty", data: nil},
		{name: "text", data: []byte("hello\n")},
		{name: "magic only", data: []byte("\x7fELF")},
		{name: "bad magic", data: setByte(good, 3, 'G')},
		{name: "class none", data: setByte(good, 4, 0)},
		{name: "class 32-bit", data: setByte(good, 4, 1)},
		{name: "class 3", data: setByte(good, 4, 3)},
		{name: "data none", data: setByte(good, 5, 0)},
		{name: "big-endian", data: setByte(good, 5, 2)},
		{name: "machine none", data: le16(good, 18, 0)},
		{name: "machine i386", data: le16(good, 18, 3)},
		{name: "machine aarch64", data: le16(good, 18, 183)},
		{name: "ET_NONE", data: le16(good, 16, 0)},
		{name: "ET_REL", data: le16(good, 16, 1)},
		{name: "ET_CORE", data: le16(good, 16, 4)},
		{name: "ET_LOOS", data: le16(good, 16, 0xfe00)},
		{name: "phentsize 0", data: le16(good, 54, 0)},
		{name: "phentsize 32", data: le16(good, 54, 32)},
		{name: "phentsize 64", data: le16(good, 54, 64)},
		{name: "phentsize 65535", data: le16(good, 54, 0xffff)},
		{name: "phnum 0", data: le16(good, 56, 0)},
		{name: "phnum 2 past EOF", data: le16(good, 56, 2)},
		{name: "phnum over 64 KiB", data: le16(good, 56, 1171)},
		{name: "phnum 65535", data: le16(good, 56, 0xffff)},
		{name: "phoff at EOF", data: le64(good, 32, n)},
		{name: "phoff past EOF", data: le64(good, 32, n+4096)},
		{name: "phoff 2^63", data: le64(good, 32, 1<<63)},
		{name: "phoff wraps", data: le64(good, 32, ^uint64(0)-phdrSize+2)},
		{name: "phoff into the code", data: le64(good, 32, 65), mayRun: true},
		{name: "no PT_LOAD", data: le32(good, ph0(phType), 4)},
		{name: "segment offset past EOF", data: le64(le64(good, ph0(phOff), 0x10000), ph0(phVaddr), testVaddr+0x10000)},
		{name: "segment filesz past EOF", data: le64(le64(good, ph0(phFilesz), n+1), ph0(phMemsz), n+1)},
		{name: "segment offset wraps", data: le64(le64(good, ph0(phOff), ^uint64(0)-0xfff), ph0(phVaddr), testVaddr+0xfffff000)},
		{name: "segment filesz 2^64-1", data: le64(le64(good, ph0(phFilesz), ^uint64(0)), ph0(phMemsz), ^uint64(0))},
		{name: "filesz over memsz", data: le64(good, ph0(phMemsz), n-1)},
		{name: "vaddr and offset disagree", data: le64(good, ph0(phVaddr), testVaddr+1)},
		{name: "memsz 2^63", data: le64(good, ph0(phMemsz), 1<<63)},
		{name: "memsz 2^64-1", data: le64(good, ph0(phMemsz), ^uint64(0))},
		{name: "vaddr+memsz wraps", data: le64(good, ph0(phVaddr), ^uint64(0)&^0xfff)},
		{name: "segment at 0x7f0000000000", data: le64(good, ph0(phVaddr), 0x7f0000000000)},
		{name: "segment at 4 TiB", data: le64(good, ph0(phVaddr), 1<<42)},
		{name: "segment across 4 TiB", data: le64(le64(good, ph0(phVaddr), 1<<42-0x1000), ph0(phMemsz), 0x2000)},
		{name: "segment at 2^47", data: le64(good, ph0(phVaddr), 1<<47)},
		{name: "segment non-canonical", data: le64(good, ph0(phVaddr), 0xdead000000000000)},
		{name: "segment at 0", data: le64(good, ph0(phVaddr), 0), mayRun: true},
		{name: "memsz 0", data: le64(le64(good, ph0(phFilesz), 0), ph0(phMemsz), 0), mayRun: true},
		{name: "entry 0", data: le64(good, 24, 0), mayRun: true},
		{name: "entry non-canonical", data: le64(good, 24, 1<<63), mayRun: true},
		{name: "ET_DYN", data: le16(good, 16, etDyn), mayRun: true},
		{name: "ET_DYN high", data: le64(le16(good, 16, etDyn), ph0(phVaddr), 1<<41), mayRun: true},
		{name: "duplicate segment", data: addLoad(good, 5, 0, testVaddr, n, n), mayRun: true},
		{name: "overlapping writable segment", data: addLoad(good, 6, 0, testVaddr, 64, 0x3000), mayRun: true},
		{name: "bss over the code", data: addLoad(good, 6, 0, testVaddr, 0, 0x2000), mayRun: true},
		{name: "second segment past EOF", data: addLoad(good, 6, 0x10000, testVaddr+0x10000, 16, 16)},
		{name: "second segment at 4 TiB", data: addLoad(good, 6, 0, 1<<42, 0, 0x1000)},
		{name: "second segment huge", data: addLoad(good, 6, 0, testVaddr+0x10000, 0, 1<<62)},
		{name: "second segment filesz over memsz", data: addLoad(good, 6, 0, testVaddr+0x10000, 16, 8)},
		{name: "PT_INTERP unterminated", data: setByte(smallELF("/x/ld.so"), len(smallELF("/x/ld.so"))-1, 'x')},
		{name: "PT_INTERP filesz 0", data: le64(smallELF("/x"), ph1(phFilesz), 0)},
		{name: "PT_INTERP filesz 1", data: le64(smallELF("/x"), ph1(phFilesz), 1)},
		{name: "PT_INTERP empty", data: smallELF("\x00x")},
		{name: "PT_INTERP past EOF", data: le64(smallELF("/x"), ph1(phOff), 1<<20)},
		{name: "PT_INTERP offset wraps", data: le64(smallELF("/x"), ph1(phOff), ^uint64(0))},
		{name: "PT_INTERP filesz 2^63", data: le64(smallELF("/x"), ph1(phFilesz), 1<<63)},
		{name: "PT_INTERP over PATH_MAX", data: le64(smallELF(strings.Repeat("/x", 2100)), ph1(phFilesz), 4200)},
		{name: "PT_INTERP missing", data: smallELF("/nonexistent/ld.so")},
		{name: "PT_INTERP with a newline", data: smallELF("/nonexistent/\nld.so")},
		{name: "PT_INTERP with a NUL inside", data: smallELF("/nonexistent\x00/bin/sh")},
		{name: "PT_INTERP self", data: smallELF(filepath.Join(dir, fileName("PT_INTERP self")))},
		{name: "PT_INTERP directory", data: smallELF("/")},
		{name: "PT_INTERP /dev/null", data: smallELF("/dev/null")},
		{name: "PT_INTERP /dev/zero", data: smallELF("/dev/zero")},
		{name: "PT_INTERP FIFO", data: smallELF(filepath.Join(dir, "fifo")), setup: mkfifo("fifo")},
		{name: "PT_INTERP text", data: smallELF(filepath.Join(dir, "text"))},
		{name: "PT_INTERP script", data: smallELF(filepath.Join(dir, "script-sh")), setup: writeFile("script-sh", "#!/bin/sh\n")},
		{name: "PT_INTERP 32-bit", data: smallELF(filepath.Join(dir, "class_32-bit"))},
		{name: "PT_INTERP truncated", data: smallELF(filepath.Join(dir, "interp-trunc")), setup: writeFile("interp-trunc", string(good[:100]))},
		{name: "PT_INTERP has PT_INTERP", data: smallELF(filepath.Join(dir, "PT_INTERP_missing"))},
		{name: "directory", path: dir},
		{name: "FIFO", path: filepath.Join(dir, "main-fifo"), setup: mkfifo("main-fifo")},
		{name: "missing", path: filepath.Join(dir, "nonexistent")},
		{name: "/dev/null", path: "/dev/null"},
		{name: "#! empty", data: []byte("#!\n")},
		{name: "#! blanks", data: []byte("#!  \t \n")},
		{name: "#! missing", data: []byte("#!/nonexistent/sh\n")},
		{name: "#! self", data: []byte("#!" + filepath.Join(dir, fileName("#! self")) + "\n")},
		{name: "#! directory", data: []byte("#!/\n")},
		{name: "#! bad ELF", data: []byte("#!" + filepath.Join(dir, "bad_magic") + " -x\n")},
		{name: "#! FIFO", data: []byte("#!" + filepath.Join(dir, "fifo2") + "\n"), setup: mkfifo("fifo2")},
	}
	// Every truncation of a valid program, and of one with PT_INTERP.
	for _, full := range [][]byte{good, smallELF("/lib64/ld-linux-x86-64.so.2")} {
		for l := range full {
			cs = append(cs, badCase{name: fmt.Sprintf("truncated %d of %d", l, len(full)), data: full[:l]})
		}
	}
	return cs
}

func mkfifo(name string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := unix.Mkfifo(filepath.Join(dir, name), 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			t.Fatal(err)
		}
	}
}

func writeFile(name, data string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
