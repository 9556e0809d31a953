package guest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Tests of guestrun's own output: -strace, -stats and the gdbstub (-g).

// runGuestrun runs guestrun with args and extra environment, and returns
// stdout, stderr and the exit code.
func runGuestrun(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, guestrun, args...)
	cmd.Env = append(append([]string(nil), testEnv...), env...)
	cmd.Dir = workDir(t)
	os.MkdirAll(cmd.Dir, 0o755)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("guestrun %q: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// straceLine is "tid call(args) = result", the result aligned as strace
// aligns it, or "tid +++ exited with N +++".
var straceLine = regexp.MustCompile(`^(\d+) (.*\)) +(= .*)$|^(\d+) (\+\+\+ .* \+\+\+)$`)

// normalizeStrace checks the tid and the alignment of every line, then
// drops the tid, the alignment and addresses.
func normalizeStrace(t *testing.T, out string) []string {
	t.Helper()
	addr := regexp.MustCompile(`0x[0-9a-f]{6,}`)
	var lines []string
	tid := ""
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		m := straceLine.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("not a strace line: %q", l)
			continue
		}
		id, body := m[1]+m[4], m[5]
		if body == "" {
			body = m[2] + " " + m[3]
		}
		if tid == "" {
			tid = id
		} else if id != tid {
			t.Errorf("tid %s, then %s: %q", tid, id, l)
		}
		// As strace: the call, a space, padding to column 40, "= ".
		if end := len(m[1]) + 1 + len(m[2]); m[3] != "" && l[max(end+1, 40):][:2] != "= " {
			t.Errorf("result not aligned at column 40: %q", l)
		}
		lines = append(lines, addr.ReplaceAllString(body, "ADDR"))
	}
	return lines
}

func TestStrace(t *testing.T) {
	prog := filepath.Join(buildDir, "asm", "syscalls")
	argv0 := `"` + prog + `"`
	if len(prog) > 32 {
		argv0 = `"` + prog[:32] + `"...` // strace's -s 32
	}
	want := []string{
		`execve("` + prog + `", [` + argv0 + `], ADDR /* 8 vars */) = 0`,
		`write(1, "hello\tworld\n\1", 13) = 13`,
		`openat(AT_FDCWD, "/nonexistent/file", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)`,
		`openat(AT_FDCWD, "/dev/null", O_RDONLY) = 3`,
		`read(3, "", 16) = 0`,
		`fstat(3, {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}) = 0`,
		`close(3) = 0`,
		`mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = ADDR`,
		`mprotect(ADDR, 4096, PROT_READ) = 0`,
		`munmap(ADDR, 8192) = 0`,
		`rt_sigprocmask(SIG_BLOCK, [INT TERM], [], 8) = 0`,
		`access("/nonexistent/file", R_OK|W_OK) = -1 ENOENT (No such file or directory)`,
		`exit_group(3) = ?`,
		`+++ exited with 3 +++`,
	}
	for _, how := range []struct {
		name string
		env  []string
		args []string
	}{
		{"option", nil, []string{"-strace", prog}},
		{"env", []string{"GUESTRUN_STRACE=1"}, []string{prog}},
	} {
		t.Run(how.name, func(t *testing.T) {
			stdout, stderr, code := runGuestrun(t, how.env, how.args...)
			if stdout != "hello\tworld\n\x01" || code != 3 {
				t.Errorf("stdout %q, exit %d", stdout, code)
			}
			got := normalizeStrace(t, stderr)
			w := want
			if how.env != nil {
				// The variable is in the guest's environment too.
				w = append([]string{strings.Replace(want[0], "8 vars", "9 vars", 1)}, want[1:]...)
			}
			if d := cmp.Diff(w, got); d != "" {
				t.Errorf("-strace output (-want +got):\n%s\nraw:\n%s", d, stderr)
			}
		})
	}
}

// TestStraceDynamic traces a dynamic program that closes its stderr before
// exiting: the trace goes on to exit_group.
func TestStraceDynamic(t *testing.T) {
	cat := hostProgram(t, "cat")
	dir := prepareData(t)
	stdout, stderr, code := runGuestrun(t, nil, "-strace", cat, filepath.Join(dir, "nums.txt"))
	if code != 0 || stdout == "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	lines := normalizeStrace(t, stderr)
	for _, want := range []string{
		`openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3`,
		`arch_prctl(ARCH_SET_FS, ADDR) = 0`,
		`openat(AT_FDCWD, "` + filepath.Join(dir, "nums.txt") + `", O_RDONLY) = 3`,
		`close(2) = 0`,
		`exit_group(0) = ?`,
	} {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("no line %q in:\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

func TestStats(t *testing.T) {
	prog := filepath.Join(buildDir, "asm", "syscalls")
	for _, how := range []struct {
		name string
		env  []string
		args []string
	}{
		{"option", nil, []string{"-stats", prog}},
		{"env", []string{"GUESTRUN_STATS=1"}, []string{prog}},
	} {
		t.Run(how.name, func(t *testing.T) {
			_, stderr, code := runGuestrun(t, how.env, how.args...)
			if code != 3 {
				t.Errorf("exit %d", code)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			// The program runs its 59 instructions once each, in 12
			// blocks ending at syscalls.
			first := regexp.MustCompile(`^guestrun: stats: insts 59 blocks 12 decoded 12 seconds [0-9.]+ mips [0-9.]+$`)
			if len(lines) < 3 || !first.MatchString(lines[0]) ||
				lines[1] != "guestrun: stats: decoded-cache hit rate 0.00% (12 blocks run, 12 decoded)" ||
				lines[2] != "guestrun: stats: syscalls 12" {
				t.Fatalf("stats:\n%s", stderr)
			}
			counts := map[string]int{}
			for _, l := range lines[3:] {
				f := strings.Fields(strings.TrimPrefix(l, "guestrun: stats:"))
				n, err := strconv.Atoi(f[0])
				if len(f) != 2 || err != nil {
					t.Fatalf("bad line %q", l)
				}
				counts[f[1]] = n
			}
			want := map[string]int{"write": 1, "openat": 2, "read": 1, "fstat": 1, "close": 1, "mmap": 1,
				"mprotect": 1, "munmap": 1, "rt_sigprocmask": 1, "access": 1, "exit_group": 1}
			if d := cmp.Diff(want, counts); d != "" {
				t.Errorf("syscall counts (-want +got):\n%s", d)
			}
		})
	}
	t.Run("loop", func(t *testing.T) {
		// A loop runs its blocks from the decoded cache.
		prog := filepath.Join(buildDir, "glibc", "bench_intloop")
		_, stderr, code := runGuestrun(t, nil, "-stats", prog, "100000")
		m := regexp.MustCompile(`hit rate ([0-9.]+)%`).FindStringSubmatch(stderr)
		if code != 0 || m == nil {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		if rate, _ := strconv.ParseFloat(m[1], 64); rate < 99 {
			t.Errorf("hit rate %s%%, want above 99%%", m[1])
		}
	})
}

// TestGDB debugs a static program with Debian's gdb in batch mode.
func TestGDB(t *testing.T) {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		t.Skip("gdb not installed")
	}
	prog := filepath.Join(buildDir, "glibc", "gdbtarget")
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, guestrun, "-g", "0", prog)
	cmd.Env = testEnv
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	r := bufio.NewReader(errPipe)
	line, err := r.ReadString('\n')
	m := regexp.MustCompile(`^guestrun: waiting for gdb on 127\.0\.0\.1:(\d+)\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("guestrun -g 0 said %q (%v)", line, err)
	}
	go io.Copy(io.Discard, r)

	script := []string{
		"set pagination off",
		"target remote 127.0.0.1:" + m[1],
		"break main",
		"continue",
		"info registers rip",
		"x/s &greeting",
		"stepi",
		"info registers rip",
		"break bump",
		"continue",
		"print $rdi",
		"continue",
		"print $rdi",
		"delete",
		"continue",
	}
	args := []string{"-batch", "-nx"}
	for _, s := range script {
		args = append(args, "-ex", s)
	}
	gcmd := exec.CommandContext(ctx, gdb, append(args, prog)...)
	out, err := gcmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	werr := cmd.Wait()
	for _, want := range []string{
		`(?m)^Breakpoint 1, 0x[0-9a-f]+ in main \(\)$`,
		`(?m)^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <main(\+\d+)?>$`,
		`(?m)^0x[0-9a-f]+ <greeting>:\s+"hello from the guest"$`,
		`(?m)^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <main\+\d+>$`,
		`(?m)^Breakpoint 2, 0x[0-9a-f]+ in bump \(\)$`,
		`(?m)^\$1 = 1$`,
		`(?m)^\$2 = 2$`,
		`(?m)^\[Inferior 1 \(.*\) exited with code 04\]$`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("gdb output lacks %s:\n%s", want, out)
		}
	}
	// stepi moved rip past main's first instruction.
	rips := regexp.MustCompile(`(?m)^rip +(0x[0-9a-f]+)`).FindAllSubmatch(out, -1)
	if len(rips) != 2 || string(rips[0][1]) == string(rips[1][1]) {
		t.Errorf("rip before and after stepi: %q", rips)
	}
	if stdout.String() != "hello from the guest: 20\n" {
		t.Errorf("guest stdout %q", stdout.String())
	}
	if ee, ok := werr.(*exec.ExitError); !ok || ee.ExitCode() != 4 {
		t.Errorf("guestrun: %v, want exit 4", werr)
	}
}

// TestUsage checks the one-line usage errors and the help texts.
func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--bogus"}, "guestrun: unknown option --bogus (try --help)\n", 1},
		{[]string{"-g", "x", "prog"}, "guestrun: bad gdb port \"x\"\n", 1},
		{[]string{"-stats"}, "guestrun: no program given (try --help)\n", 1},
	} {
		_, stderr, code := runGuestrun(t, nil, c.args...)
		if stderr != c.want || code != c.code {
			t.Errorf("guestrun %q: exit %d, stderr %q; want %d, %q", c.args, code, stderr, c.code, c.want)
		}
	}
	stdout, _, code := runGuestrun(t, nil, "--help")
	for _, opt := range []string{"-strace", "-stats", "-g port", "-E var=value", "-U var", "-0 argv0", "-L prefix", "-d item", "-D logfile"} {
		if !strings.Contains(stdout, opt) || code != 0 {
			t.Errorf("--help lacks %s:\n%s", opt, stdout)
		}
	}
}
