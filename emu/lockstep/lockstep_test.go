package lockstep

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// The checker is tested on small programs built here: its verdict on each
// whole run (any difference fails the test, so a CPU bug shows up here), its
// reports on differences planted in the interpreter's copy of the code, and
// a fault both sides must agree on.

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// progs are the C test programs in testdata.
var progs = []string{"arith", "strings", "qsort", "printf", "switch"}

// compilers are tried in turn; a missing one skips its programs.
var compilers = []struct{ name, cc string }{{"glibc", "gcc"}, {"musl", "musl-gcc"}}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// build compiles the test programs once; it returns the binary for name
// built with cc, or skips the test.
func build(t *testing.T, cc, name string) string {
	t.Helper()
	buildOnce.Do(func() { buildDir, buildErr = os.MkdirTemp("", "lockstep-test") })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("%s not found", cc)
	}
	out := filepath.Join(buildDir, cc+"-"+name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	var args []string
	if src := filepath.Join("testdata", name+".S"); fileExists(src) {
		args = []string{"-nostdlib", "-static", "-o", out, src}
	} else {
		args = []string{"-static", "-O2", "-fno-builtin", "-o", out, filepath.Join("testdata", name+".c")}
	}
	if msg, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, msg)
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// check runs the checker and fails on anything but an exit with status want.
func check(t *testing.T, cfg Config, want int) *Result {
	t.Helper()
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s", filepath.Base(cfg.Path), res)
	if res.End != EndExit || res.Status != want {
		t.Errorf("want both runs to exit with status %d", want)
	}
	return res
}

func TestPrograms(t *testing.T) {
	for _, cc := range compilers {
		for _, name := range progs {
			t.Run(cc.name+"/"+name, func(t *testing.T) {
				// SyscallMemCheck also checks what the checker knows of
				// the memory each syscall writes.
				check(t, Config{Path: build(t, cc.cc, name), SyscallMemCheck: true}, 0)
			})
		}
	}
}

func TestTiny(t *testing.T) {
	path := build(t, "gcc", "tiny")
	for _, step := range []bool{false, true} {
		res := check(t, Config{Path: path, Step: step}, 3)
		if res.Syscalls != 6 || res.Insts < 800 {
			t.Errorf("step %v: %d instructions, %d syscalls; want over 800 and 6", step, res.Insts, res.Syscalls)
		}
	}
}

// TestStepMode compares a whole C program after every instruction, and the
// start of another.
func TestStepMode(t *testing.T) {
	check(t, Config{Path: build(t, "gcc", "switch"), Step: true}, 0)
	res, err := Run(Config{Path: build(t, "gcc", "printf"), Step: true, MaxInsts: 20000})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", res)
	if res.End != EndStop || res.Insts != 20000 {
		t.Errorf("want a stop after 20000 instructions")
	}
}

func TestFault(t *testing.T) {
	res, err := Run(Config{Path: build(t, "gcc", "segv")})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", res)
	if res.End != EndFault || res.Signal != unix.SIGSEGV {
		t.Errorf("want both sides to raise SIGSEGV")
	}
}

func symbol(t *testing.T, path, name string) uint64 {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("%s: no symbol %s", path, name)
	return 0
}

// TestPlanted changes an instruction in the interpreter's copy of the code,
// as a CPU bug would change its result, and expects the report to name it,
// whether it is found by single-stepping or at the end of a run.
func TestPlanted(t *testing.T) {
	path := build(t, "gcc", "tiny")
	for _, tc := range []struct {
		name   string
		sym    string
		off    uint64
		b      byte
		reg    string
		asmWas string
	}{
		// add $1,%rax becomes add $2,%rax.
		{"register", "add_here", 3, 2, "rax ", "add $0x2,%rax"},
		// mov %rax,(%rdi) becomes mov %rbx,(%rdi).
		{"memory", "store_here", 2, 0x1f, "memory", "mov %rbx,(%rdi)"},
	} {
		addr := symbol(t, path, tc.sym)
		for _, step := range []bool{false, true} {
			// The hook runs on the checker's goroutine, where t.Fatal
			// would leave runWith waiting for good.
			hook := func(l *checker) {
				if err := l.g.writeRaw(addr+tc.off, []byte{tc.b}); err != nil {
					t.Error(err)
				}
			}
			res, err := runWith(Config{Path: path, Step: step}, hook)
			if err != nil {
				t.Fatal(err)
			}
			if res.End != EndDiff {
				t.Errorf("%s, step %v: no difference found: %s", tc.name, step, res)
				continue
			}
			d := res.Diff
			t.Logf("%s, step %v:\n%s", tc.name, step, d)
			if d.Addr != addr || !strings.Contains(d.Insn, tc.asmWas) || d.Note != "" {
				t.Errorf("%s, step %v: reported at %#x %q, want %#x %q", tc.name, step, d.Addr, d.Insn, addr, tc.asmWas)
			}
			found := false
			for _, l := range d.Lines {
				found = found || strings.HasPrefix(l, tc.reg)
			}
			if !found {
				t.Errorf("%s, step %v: no %q line in the report", tc.name, step, tc.reg)
			}
			if len(d.Prev) == 0 {
				t.Errorf("%s, step %v: no previous instructions in the report", tc.name, step)
			}
		}
	}
}

func TestBusybox(t *testing.T) {
	const bb = "/bin/busybox"
	if !fileExists(bb) {
		t.Skip(bb + " not found")
	}
	file := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat("lockstep\n", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"busybox", "echo", "hello"},
		{"busybox", "sha256sum", file},
		{"busybox", "sort", "-r", file},
		{"busybox", "ls", "-l", filepath.Dir(file)},
	} {
		check(t, Config{Path: bb, Args: args, SyscallMemCheck: true}, 0)
	}
}
