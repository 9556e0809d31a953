// Package guest runs guest programs natively and under guestrun and checks
// that both give the same stdout, stderr and wait status.
//
// The programs (c/, asm/, go/) are built by this directory's Makefile into
// build/. Each run gets the same argv, environment, working directory (the
// same path, emptied before each run) and stdin. Runs happen in their own pid
// namespace when unshare(1) allows it, so that a guest bug cannot signal
// processes outside the test.
//
// Environment:
//
//	GUESTRUN_BIN      guestrun binary to test (default: built into a temp dir)
//	GUESTTEST_TIMEOUT timeout of one run (default 60s)
//	GUESTTEST_STRICT  if set, known failures (xfail.txt) fail too
//	GUESTTEST_NATIVE_ONLY if set, only run natively (twice) and log the output,
//	                  to check a new test program
package guest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// reaperEnv makes the test binary act as the init of a pid namespace: it
// runs the program as its child and reports the child's raw wait status on
// fd 3. Init cannot simply be the program itself, because the kernel ignores
// signals that init sends itself.
const reaperEnv = "GUESTTEST_REAPER"

var (
	guestrun   string // path of the guestrun binary
	buildDir   string // absolute path of build/
	scratch    string // root of per-run working directories
	usePidNS   bool   // runs go through unshare -p
	runTimeout = 60 * time.Second
	xfail      []xfailEntry
	strict     bool
	nativeOnly bool
)

func TestMain(m *testing.M) {
	if os.Getenv(reaperEnv) != "" {
		os.Exit(reaper())
	}
	code, err := setup()
	if err != nil {
		fmt.Fprintf(os.Stderr, "guest tests: setup: %v\n", err)
		os.Exit(1)
	}
	if code == 0 {
		code = m.Run()
	}
	summary.print()
	os.RemoveAll(scratch)
	os.Exit(code)
}

func setup() (int, error) {
	var err error
	if scratch, err = os.MkdirTemp("", "guesttest-"); err != nil {
		return 1, err
	}
	if v := os.Getenv("GUESTTEST_TIMEOUT"); v != "" {
		if runTimeout, err = time.ParseDuration(v); err != nil {
			return 1, fmt.Errorf("GUESTTEST_TIMEOUT: %v", err)
		}
	}
	strict = os.Getenv("GUESTTEST_STRICT") != ""
	nativeOnly = os.Getenv("GUESTTEST_NATIVE_ONLY") != ""
	if xfail, err = readXfail("xfail.txt"); err != nil {
		return 1, err
	}
	// A fatal signal must give the same wait status natively and under
	// guestrun, which never dumps core: no core files for either.
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{}); err != nil {
		return 1, fmt.Errorf("setrlimit core: %v", err)
	}
	if buildDir, err = filepath.Abs("build"); err != nil {
		return 1, err
	}
	guestrun = os.Getenv("GUESTRUN_BIN")
	if guestrun == "" {
		guestrun = filepath.Join(scratch, "guestrun")
		out, err := exec.Command("go", "build", "-o", guestrun, "guestrun/cmd/guestrun").CombinedOutput()
		if err != nil {
			return 1, fmt.Errorf("building guestrun: %v\n%s", err, out)
		}
	} else if guestrun, err = filepath.Abs(guestrun); err != nil {
		return 1, err
	}
	if out, err := exec.Command("make", "-s").CombinedOutput(); err != nil {
		return 1, fmt.Errorf("building guest programs: %v\n%s", err, out)
	}
	usePidNS = exec.Command("unshare", "-p", "-f", "--mount-proc", "--kill-child", "true").Run() == nil
	if !usePidNS {
		fmt.Fprintln(os.Stderr, "guest tests: unshare -p does not work here; running without a pid namespace")
	}
	return 0, nil
}

// argsAfterDashes is the test binary's arguments after "--", when it runs
// as a pid namespace's init.
func argsAfterDashes() []string {
	for i, a := range os.Args {
		if a == "--" {
			return os.Args[i+1:]
		}
	}
	return os.Args
}

// nsCommand runs this test binary (self) as the init of a new pid
// namespace, in the role that initEnv selects, with args after "--".
func nsCommand(ctx context.Context, self, initEnv string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "unshare", append([]string{"-p", "-f", "--mount-proc", "--kill-child", self, "--"}, args...)...)
	cmd.Env = append(append([]string(nil), testEnv...), initEnv+"=1")
	killGroupOnCancel(cmd)
	return cmd
}

// killGroupOnCancel makes cmd a process group that a cancel kills whole.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}

// guestEnv is the environment without the harness's own variables.
func guestEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GUESTTEST_") {
			env = append(env, kv)
		}
	}
	return env
}

// reaper is the pid namespace's init: argv after "--" is the program.
func reaper() int {
	args := argsAfterDashes()
	env := guestEnv()
	status := os.NewFile(3, "status")
	pid, err := syscall.ForkExec(args[0], args, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "reaper: exec %s: %v\n", args[0], err)
		return 126
	}
	// As init, reap everything; stop when the program itself is done.
	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "reaper: wait: %v\n", err)
			return 126
		}
		if wpid == pid {
			fmt.Fprintf(status, "%d", uint32(ws))
			return 0
		}
	}
}

// invocation is one run of a program.
type invocation struct {
	argv    []string       // argv[0] is the program's path
	dir     string         // working directory; emptied before the run if fresh
	fresh   bool           // whether dir is recreated empty before each run
	stdin   string         // file for stdin; "" is /dev/null
	scrub   *regexp.Regexp // output that may differ between runs, blanked
	timeout time.Duration  // 0 means runTimeout
}

// result is what a run is judged by.
type result struct {
	Stdout string
	Stderr string
	Status string // the wait status, decoded, with its raw value
}

func describe(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit %d (raw %#x)", ws.ExitStatus(), uint32(ws))
	case ws.Signaled():
		core := ""
		if ws.CoreDump() {
			core = ", core dumped"
		}
		return fmt.Sprintf("killed by signal %d %v%s (raw %#x)", ws.Signal(), ws.Signal(), core, uint32(ws))
	}
	return fmt.Sprintf("raw status %#x", uint32(ws))
}

// testEnv is the whole environment of every run.
var testEnv = []string{
	"PATH=/usr/local/bin:/usr/bin:/bin",
	"HOME=/nonexistent-home",
	"LANG=C",
	"LC_ALL=C",
	"TZ=UTC",
	"TERM=dumb",
	"USER=guest",
	"GUEST_TEST=1",
}

// run executes inv natively (prefix empty) or under guestrun (prefix is
// guestrun's argv before the program).
func run(inv invocation, prefix []string) (result, error) {
	if inv.fresh {
		if err := os.RemoveAll(inv.dir); err != nil {
			return result{}, err
		}
		if err := os.MkdirAll(inv.dir, 0o755); err != nil {
			return result{}, err
		}
	}
	argv := append(append([]string(nil), prefix...), inv.argv...)
	timeout := runTimeout
	if inv.timeout > 0 {
		timeout = inv.timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var cmd *exec.Cmd
	var statusR, statusW *os.File
	if usePidNS {
		self, err := os.Executable()
		if err != nil {
			return result{}, err
		}
		if statusR, statusW, err = os.Pipe(); err != nil {
			return result{}, err
		}
		defer statusR.Close()
		cmd = nsCommand(ctx, self, reaperEnv, argv)
		cmd.ExtraFiles = []*os.File{statusW}
	} else {
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = testEnv
		killGroupOnCancel(cmd)
	}
	cmd.Dir = inv.dir
	stdin := os.DevNull
	if inv.stdin != "" {
		stdin = inv.stdin
	}
	in, err := os.Open(stdin)
	if err != nil {
		return result{}, err
	}
	defer in.Close()
	cmd.Stdin = in
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	if statusW != nil {
		statusW.Close()
	}
	werr := cmd.Wait()
	res := result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() != nil {
		res.Status = fmt.Sprintf("timed out after %v", timeout)
		return res, nil
	}
	res.scrub(inv.scrub)
	if statusR != nil {
		raw, _ := bufio.NewReader(statusR).ReadString(0)
		v, perr := strconv.ParseUint(raw, 10, 32)
		if perr != nil {
			return res, fmt.Errorf("no status from the pid namespace (%v): %s", werr, res.Stderr)
		}
		res.Status = describe(syscall.WaitStatus(v))
		return res, nil
	}
	var ee *exec.ExitError
	if werr != nil && !errors.As(werr, &ee) {
		return res, werr
	}
	res.Status = describe(cmd.ProcessState.Sys().(syscall.WaitStatus))
	return res, nil
}

func (r *result) scrub(re *regexp.Regexp) {
	if re != nil {
		r.Stdout = re.ReplaceAllString(r.Stdout, "<scrubbed>")
		r.Stderr = re.ReplaceAllString(r.Stderr, "<scrubbed>")
	}
}

// compare runs inv twice natively (a program whose two native runs differ
// is a broken test) and once under guestrun, and reports any difference.
func compare(t *testing.T, inv invocation) {
	t.Helper()
	native, err := run(inv, nil)
	if err != nil {
		t.Fatalf("native run of %q: %v", inv.argv, err)
	}
	again, err := run(inv, nil)
	if err != nil {
		t.Fatalf("native run of %q: %v", inv.argv, err)
	}
	if d := cmp.Diff(native, again); d != "" {
		t.Fatalf("the program is not deterministic natively: %q\n%s", inv.argv, clip(d, 60))
	}
	if nativeOnly {
		t.Logf("native only: %s\n%s\nstdout:\n%sstderr:\n%s", quoteArgs(inv.argv), native.Status,
			indent(clip(native.Stdout, 20)), indent(clip(native.Stderr, 10)))
		return
	}
	guest, err := run(inv, []string{guestrun})
	if err != nil {
		t.Fatalf("guestrun run of %q: %v", inv.argv, err)
	}
	d := cmp.Diff(native, guest)
	if d == "" {
		summary.add(t, true)
		return
	}
	stdin := inv.stdin
	if stdin == "" {
		stdin = os.DevNull
	}
	msg := fmt.Sprintf("guestrun differs from native\ncommand: guestrun %s\ncwd: %s  stdin: %s\nnative status: %s\nguest status:  %s\n",
		quoteArgs(inv.argv), inv.dir, stdin, native.Status, guest.Status)
	if guest.Stderr != native.Stderr {
		msg += "guest stderr (first lines):\n" + indent(clip(guest.Stderr, 15))
	}
	msg += "diff (-native +guestrun):\n" + clip(d, 80)
	msg += diagnose(inv)
	if m := xfailMatch(t.Name()); m != nil && !strict {
		summary.add(t, false)
		t.Skipf("known failure (xfail.txt: %s): %s", m.pattern, msg)
	}
	summary.add(t, false)
	t.Error(msg)
}

// diagnose reruns a failing guest with guestrun's unimp and signal logs
// and returns the end of the log, where the failure usually is.
func diagnose(inv invocation) string {
	inv.timeout = min(runTimeout, 10*time.Second)
	f, err := os.CreateTemp(scratch, "diag-*.log")
	if err != nil {
		return ""
	}
	f.Close()
	log := f.Name()
	defer os.Remove(log)
	if _, err := run(inv, []string{guestrun, "-d", "unimp,signal", "-D", log}); err != nil {
		return ""
	}
	data, err := os.ReadFile(log)
	if err != nil || len(data) == 0 {
		return ""
	}
	return "guestrun -d unimp,signal log (last lines):\n" + indent(tail(string(data), 12))
}

func quoteArgs(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$*?[]{}()<>|&;#~") {
			a = strconv.Quote(a)
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("... (%d lines before)\n", len(lines)-n) + strings.Join(lines[len(lines)-n:], "")
}

// clip keeps the first n lines of s.
func clip(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "") + fmt.Sprintf("... (%d more lines)\n", len(lines)-n)
}

// Known failures: xfail.txt lists test name patterns (path.Match syntax,
// so * stays within one /-separated part), one a line, # starts a comment.
type xfailEntry struct{ pattern string }

func readXfail(name string) ([]xfailEntry, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []xfailEntry
	for i, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if _, err := path.Match(line, ""); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, i+1, err)
		}
		out = append(out, xfailEntry{line})
	}
	return out, nil
}

func xfailMatch(name string) *xfailEntry {
	for i := range xfail {
		if ok, _ := path.Match(xfail[i].pattern, name); ok {
			return &xfail[i]
		}
	}
	return nil
}

// summary counts comparisons for the closing line of the run.
var summary tally

type tally struct {
	mu                           sync.Mutex
	pass, fail, known, knownPass int
	nowPassing                   []string
}

func (s *tally) add(t *testing.T, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	known := !strict && xfailMatch(t.Name()) != nil
	switch {
	case ok && known:
		s.knownPass++
		s.pass++
		s.nowPassing = append(s.nowPassing, t.Name())
	case ok:
		s.pass++
	case known:
		s.known++
	default:
		s.fail++
	}
}

func (s *tally) print() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pass+s.fail+s.known == 0 {
		return
	}
	fmt.Printf("guest comparisons: %d agree, %d differ, %d differ but are known failures (xfail.txt)\n", s.pass, s.fail, s.known)
	if len(s.nowPassing) > 0 {
		sort.Strings(s.nowPassing)
		fmt.Printf("listed in xfail.txt but now agree (remove them): %s\n", strings.Join(s.nowPassing, " "))
	}
}

// workDir is the fixed working directory of one test case.
func workDir(t *testing.T) string {
	return filepath.Join(scratch, "work", strings.ReplaceAll(t.Name(), "/", "_"))
}
