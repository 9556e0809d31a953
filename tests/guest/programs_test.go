package guest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// variant is one way to run a program: a name for the subtest and the
// arguments after argv[0].
type variant struct {
	name string
	args []string
}

// variants lists programs that need arguments or run several ways. Every
// other program runs once without arguments.
var variants = map[string][]variant{
	"argvenv": {
		{"plain", nil},
		{"args", []string{"one", "two words", "", "tab\there", "ünïcødé", "--flag=x", strings.Repeat("long", 300)}},
	},
	"fileio": {{"", []string{"scratch"}}},
	"intflags": {
		{"", nil},
	},
	"segv": {
		{"null", []string{"null"}},
		{"write", []string{"write"}},
		{"exec", []string{"exec"}},
		{"stack", []string{"stack"}},
		{"unmapped", []string{"unmapped"}},
	},
	"sigfpe": {
		{"div0", []string{"div0"}},
		{"intmin", []string{"intmin"}},
	},
	"exitcode": {
		{"return", []string{"return"}},
		{"exit0", []string{"exit0"}},
		{"exit1", []string{"exit1"}},
		{"exit255", []string{"exit255"}},
		{"exit256", []string{"exit256"}},
		{"exitneg", []string{"exitneg"}},
		{"_exit", []string{"_exit"}},
		{"abort", []string{"abort"}},
		{"kill", []string{"kill"}},
		{"term", []string{"term"}},
		{"stderr", []string{"stderr"}},
	},
	"execve": {{"", []string{"test"}}},
	"bench_fork": {
		{"fork", []string{"fork", "20"}},
		{"exec", []string{"exec", "10", "exit42"}},
		{"clonevm", []string{"clonevm", "20"}},
		{"vfork", []string{"vfork", "10", "exit42"}},
	},
	// clone/: one ending per run of the matrix, so that each run is short.
	"clone_matrix": {
		{"exit", []string{"exit"}},
		{"exec", []string{"exec"}},
		{"kill", []string{"kill"}},
		{"orphan", []string{"orphan"}},
		{"thread", []string{"thread"}},
		{"fork", []string{"fork"}},
		{"clone3-exit", []string{"clone3-exit"}},
		{"clone3-exec", []string{"clone3-exec"}},
		{"clone3-kill", []string{"clone3-kill"}},
		{"clone3-orphan", []string{"clone3-orphan"}},
		{"clone3-thread", []string{"clone3-thread"}},
		{"clone3-fork", []string{"clone3-fork"}},
		{"errors", []string{"errors"}},
	},
	"spawn": {
		{"vfork", []string{"vfork"}},
		{"spawn", []string{"spawn"}},
		{"parallel", []string{"parallel"}},
	},
	// The long soak is TestCloneSoak's; this is a short one.
	"soak": {{"", []string{"300"}}},
	// The benchmark programs take a size; keep them small here.
	"bench_intloop": {{"", []string{"200000"}}},
	"bench_qsort":   {{"", []string{"5000"}}},
	"bench_matmul":  {{"", []string{"40"}}},
	"bench_str":     {{"", []string{"200"}}},
}

// programs lists the built programs of one kind (glibc, musl, asm, go).
func programs(t *testing.T, kind string) []string {
	entries, err := os.ReadDir(filepath.Join(buildDir, kind))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// TestPrograms compares every built guest program with its native run:
// TestPrograms/{glibc,musl,asm,go}/NAME[/VARIANT].
func TestPrograms(t *testing.T) {
	for _, kind := range []string{"glibc", "musl", "asm", "go"} {
		t.Run(kind, func(t *testing.T) {
			names := programs(t, kind)
			if len(names) == 0 {
				t.Skipf("no %s programs built (is the toolchain installed?)", kind)
			}
			for _, name := range names {
				prog := filepath.Join(buildDir, kind, name)
				vs, ok := variants[name]
				if !ok {
					vs = []variant{{"", nil}}
				}
				t.Run(name, func(t *testing.T) {
					for _, v := range vs {
						body := func(t *testing.T) {
							t.Parallel()
							inv := invocation{
								argv:  append([]string{prog}, v.args...),
								dir:   workDir(t),
								fresh: true,
							}
							compare(t, inv)
						}
						if v.name == "" {
							body(t)
						} else {
							t.Run(v.name, body)
						}
					}
				})
			}
		})
	}
}

// TestHarness checks the harness itself on native runs only: it reads exit
// codes and signals through the pid namespace, and tells runs apart.
func TestHarness(t *testing.T) {
	exit42 := filepath.Join(buildDir, "asm", "exit42")
	dir := workDir(t)
	res, err := run(invocation{argv: []string{exit42}, dir: dir, fresh: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "exit 42 (raw 0x2a00)"; res.Status != want {
		t.Errorf("exit42: status %q, want %q", res.Status, want)
	}
	segv := filepath.Join(buildDir, "glibc", "segv")
	res, err = run(invocation{argv: []string{segv, "null"}, dir: dir, fresh: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "killed by signal 11 segmentation fault (raw 0xb)"; res.Status != want {
		t.Errorf("segv: status %q, want %q", res.Status, want)
	}
	if res.Stdout != "before fault: null\n" {
		t.Errorf("segv: stdout %q", res.Stdout)
	}
	argvenv := filepath.Join(buildDir, "glibc", "argvenv")
	a, err := run(invocation{argv: []string{argvenv, "x"}, dir: dir, fresh: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := run(invocation{argv: []string{argvenv, "y"}, dir: dir, fresh: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Stdout == b.Stdout || !strings.Contains(a.Stdout, "argv[1] = \"x\"") {
		t.Errorf("argvenv: runs with different arguments look alike:\n%s", a.Stdout)
	}
	if !strings.Contains(a.Stdout, "env[7] GUEST_TEST=1") || strings.Contains(a.Stdout, "GUESTTEST_") {
		t.Errorf("argvenv: environment not the test's own:\n%s", a.Stdout)
	}
	if usePidNS && !strings.Contains(a.Stdout, "AT_PAGESZ") {
		t.Errorf("argvenv: unexpected output:\n%s", a.Stdout)
	}
}

// TestGuestrunRuns checks that the guestrun binary under test starts at all.
func TestGuestrunRuns(t *testing.T) {
	out, err := exec.Command(guestrun, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "guestrun version") {
		t.Fatalf("guestrun --version: %v\n%s", err, out)
	}
}
