package guest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Environment of TestCloneSoak:
//
//	GUESTTEST_SOAK_N     clones per run (default 10000, 1000 with -short)
//	GUESTTEST_SOAK_IDLE  longest wait for a line of output (default 2m)

// Leak limits between the soak's two pause points. A leaked stub,
// trampoline, stack or mailbox per clone would exceed them many times over.
const (
	soakMaxNewMaps  = 64
	soakMaxNewRSSkB = 64 << 10
)

// soakUsage is what is counted of the soak program's host process and its
// pid namespace at one pause point.
type soakUsage struct {
	procs, fds, maps, rssKB int
}

// TestCloneSoak runs clone/soak natively and under guestrun, each in its
// own pid namespace, and checks between its pause points that the clones
// leave nothing behind: no process in the namespace, no fd or mapping in
// the program's host process (guestrun itself, under guestrun), no RSS
// growth beyond noise. The two runs must also print the same counts.
func TestCloneSoak(t *testing.T) {
	if !usePidNS {
		t.Skip("needs unshare -p")
	}
	n := 10000
	if testing.Short() {
		n = 1000
	}
	if v := os.Getenv("GUESTTEST_SOAK_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("GUESTTEST_SOAK_N: %v", err)
		}
	}
	idle := 2 * time.Minute
	if v := os.Getenv("GUESTTEST_SOAK_IDLE"); v != "" {
		var err error
		if idle, err = time.ParseDuration(v); err != nil {
			t.Fatalf("GUESTTEST_SOAK_IDLE: %v", err)
		}
	}
	for _, libc := range []string{"glibc", "musl"} {
		t.Run(libc, func(t *testing.T) {
			prog := filepath.Join(buildDir, libc, "soak")
			if _, err := os.Stat(prog); err != nil {
				t.Skipf("%s not built: %v", prog, err)
			}
			var native string
			t.Run("native", func(t *testing.T) {
				native = soakRun(t, nil, prog, n, idle)
			})
			t.Run("guestrun", func(t *testing.T) {
				if nativeOnly {
					t.Skip("GUESTTEST_NATIVE_ONLY")
				}
				out := soakRun(t, []string{guestrun}, prog, n, idle)
				if native != "" && !t.Failed() {
					if d := cmp.Diff(native, out); d != "" {
						soakFail(t, "output differs (-native +guestrun):\n"+d)
					}
				}
			})
		})
	}
}

// soakFail fails t, or skips it if xfail.txt lists it.
func soakFail(t *testing.T, msg string) {
	t.Helper()
	if m := xfailMatch(t.Name()); m != nil && !strict {
		t.Skipf("known failure (xfail.txt: %s): %s", m.pattern, msg)
	}
	t.Fatal(msg)
}

// soakRun runs prog N -pause (under prefix) and returns its output without
// the pause and progress lines.
func soakRun(t *testing.T, prefix []string, prog string, n int, idle time.Duration) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := workDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer statusR.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := append(append(append([]string(nil), prefix...), prog), strconv.Itoa(n), "-pause")
	cmd := nsCommand(ctx, self, reaperEnv, args)
	cmd.ExtraFiles = []*os.File{statusW}
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	statusW.Close()
	defer func() {
		cancel()
		cmd.Wait()
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	var out strings.Builder
	// next returns the next line that is not a progress report.
	next := func(what string) string {
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					soakFail(t, fmt.Sprintf("output ended waiting for %s\noutput:\n%sstderr:\n%s", what, out.String(), stderr.String()))
				}
				if !strings.HasPrefix(l, "progress ") {
					return l
				}
			case <-time.After(idle):
				soakFail(t, fmt.Sprintf("no output for %v waiting for %s\noutput:\n%sstderr:\n%s", idle, what, out.String(), stderr.String()))
			}
		}
	}
	if l := next("READY before"); l != "READY before" {
		soakFail(t, fmt.Sprintf("unexpected output %q\nstderr:\n%s", l, stderr.String()))
	}
	reaper, progPid, err := soakPids(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	before, err := soakMeasure(reaper, progPid)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "g")
	start := time.Now()
	for {
		l := next("READY after")
		if l == "READY after" {
			break
		}
		out.WriteString(l + "\n")
	}
	elapsed := time.Since(start)
	// Give exiting helpers a moment to be reaped before counting.
	var after soakUsage
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if after, err = soakMeasure(reaper, progPid); err != nil {
			t.Fatal(err)
		}
		if after.procs <= before.procs && after.fds <= before.fds || time.Now().After(deadline) {
			break
		}
	}
	io.WriteString(stdin, "g")
	stdin.Close()
	for drained := false; !drained; {
		select {
		case _, ok := <-lines:
			drained = !ok
		case <-time.After(idle):
			cancel()
		}
	}
	cmd.Wait()
	raw, _ := bufio.NewReader(statusR).ReadString(0)
	status, ok := "no status", false
	if v, err := strconv.ParseUint(raw, 10, 32); err == nil {
		ws := syscall.WaitStatus(v)
		status, ok = describe(ws), ws.Exited() && ws.ExitStatus() == 0
	}
	t.Logf("%d clones in %v (%.0f/s); before: %+v; after: %+v; status %s", n, elapsed.Round(time.Millisecond),
		float64(n)/elapsed.Seconds(), before, after, status)
	var problems []string
	if !ok {
		problems = append(problems, "status "+status)
	}
	if after.procs != before.procs {
		problems = append(problems, fmt.Sprintf("processes in the namespace: %d before, %d after", before.procs, after.procs))
	}
	if after.fds > before.fds {
		problems = append(problems, fmt.Sprintf("fds: %d before, %d after", before.fds, after.fds))
	}
	if after.maps > before.maps+soakMaxNewMaps {
		problems = append(problems, fmt.Sprintf("mappings: %d before, %d after", before.maps, after.maps))
	}
	if after.rssKB > before.rssKB+soakMaxNewRSSkB {
		problems = append(problems, fmt.Sprintf("VmRSS: %d kB before, %d kB after", before.rssKB, after.rssKB))
	}
	if len(problems) > 0 {
		soakFail(t, fmt.Sprintf("%s\noutput:\n%sstderr:\n%s", strings.Join(problems, "\n"), out.String(), clip(stderr.String(), 20)))
	}
	return out.String()
}

// soakPids finds, under unshare's pid, the namespace's init (the reaper)
// and its one child, the program (guestrun under guestrun).
func soakPids(unshare int) (reaper, prog int, err error) {
	parents, err := procParents()
	if err != nil {
		return 0, 0, err
	}
	kids := children(parents, unshare)
	if len(kids) != 1 {
		return 0, 0, fmt.Errorf("unshare has %d children, want 1", len(kids))
	}
	reaper = kids[0]
	if kids = children(parents, reaper); len(kids) != 1 {
		return 0, 0, fmt.Errorf("the pid namespace's init has %d children, want 1", len(kids))
	}
	return reaper, kids[0], nil
}

// procParents maps every host pid to its parent's.
func procParents() (map[int]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	parents := map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 {
			if ppid, err := strconv.Atoi(f[1]); err == nil {
				parents[pid] = ppid
			}
		}
	}
	return parents, nil
}

func children(parents map[int]int, pid int) []int {
	var kids []int
	for c, p := range parents {
		if p == pid {
			kids = append(kids, c)
		}
	}
	return kids
}

// soakMeasure counts the processes under the reaper and prog's fds,
// mappings and resident memory.
func soakMeasure(reaper, prog int) (soakUsage, error) {
	var u soakUsage
	parents, err := procParents()
	if err != nil {
		return u, err
	}
	todo := []int{reaper}
	for len(todo) > 0 {
		kids := children(parents, todo[0])
		todo = append(todo[1:], kids...)
		u.procs += len(kids)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", prog))
	if err != nil {
		return u, err
	}
	u.fds = len(fds)
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", prog))
	if err != nil {
		return u, err
	}
	u.maps = strings.Count(string(maps), "\n")
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", prog))
	if err != nil {
		return u, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			u.rssKB, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return u, nil
}
