package guest

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// killParentEnv makes the test binary the init of a pid namespace that runs
// the rounds of TestKillParent (see killParentInit).
const killParentEnv = "GUESTTEST_KILLPARENT"

// How long the processes of a round may outlive its SIGKILLed parent: the
// guest's children work a few milliseconds, and stubs blocked in a host call
// die when it returns.
const killParentGone = 2 * time.Second

func init() {
	if os.Getenv(killParentEnv) != "" {
		os.Exit(killParentInit())
	}
}

// TestKillParent SIGKILLs clone/killparent (guestrun itself, under guestrun)
// at random points while it makes children of every kind, and checks that
// every process of the round is gone soon after: stubs of CLONE_VM children
// whose interpreter died, fork and exec children, children blocked in short
// sleeps. In the _sidekill runs, one round of three first SIGKILLs another
// process of the run (a child mid clone or mid exec, a stub, a fork helper).
// The native runs check the test.
func TestKillParent(t *testing.T) {
	if !usePidNS {
		t.Skip("needs unshare -p")
	}
	rounds := 100
	if testing.Short() {
		rounds = 25
	}
	for _, libc := range []string{"glibc", "musl"} {
		t.Run(libc, func(t *testing.T) {
			prog := filepath.Join(buildDir, libc, "killparent")
			if _, err := os.Stat(prog); err != nil {
				t.Skipf("%s not built: %v", prog, err)
			}
			for _, side := range []bool{false, true} {
				name := "native"
				if side {
					name += "_sidekill"
				}
				t.Run(name, func(t *testing.T) {
					killParentRun(t, rounds/4, side, []string{prog, "loop"})
				})
				t.Run("guestrun"+strings.TrimPrefix(name, "native"), func(t *testing.T) {
					if nativeOnly {
						t.Skip("GUESTTEST_NATIVE_ONLY")
					}
					killParentRun(t, rounds, side, []string{guestrun, prog, "loop"})
				})
			}
		})
	}
}

// killParentRun runs the rounds in a pid namespace of their own and checks
// the init's report.
func killParentRun(t *testing.T, rounds int, side bool, argv []string) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := nsCommand(ctx, self, killParentEnv, append([]string{strconv.Itoa(rounds), strconv.FormatBool(side)}, argv...))
	cmd.Dir = workDir(t)
	if err := os.MkdirAll(cmd.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	report := string(out)
	if err != nil {
		soakFail(t, fmt.Sprintf("the rounds' init: %v\n%s", err, clip(report, 40)))
	}
	sc := bufio.NewScanner(strings.NewReader(report))
	summary := ""
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "rounds ") {
			summary = sc.Text()
		}
	}
	t.Logf("%s; %v in all", summary, time.Since(start).Round(time.Millisecond))
	if summary == "" || !strings.Contains(summary, " leaked 0 ") || !strings.HasSuffix(summary, " output 0") {
		soakFail(t, "processes outlived their killed parent, or output appeared:\n"+clip(report, 60))
	}
}

// killParentInit is the pid namespace's init. Its arguments after "--" are
// the number of rounds, whether to kill other processes too, and the
// parent's argv. Each round starts the parent, waits a random 0-20 ms (plus
// 25 ms every other round, to catch it in its loop rather than starting),
// if asked in one round of three SIGKILLs another process of the run, then
// SIGKILLs the parent, and reaps and looks at /proc
// until the namespace holds only init. What is still there after
// killParentGone is reported (and killed). Output of the run's processes
// goes to a file and is reported too: they have nothing to say.
func killParentInit() int {
	args := argsAfterDashes()
	if len(args) < 3 {
		fmt.Println("usage: rounds side argv...")
		return 2
	}
	rounds, err := strconv.Atoi(args[0])
	sideKill, err2 := strconv.ParseBool(args[1])
	if err != nil || err2 != nil {
		fmt.Println("usage: rounds side argv...")
		return 2
	}
	argv := args[2:]
	env := guestEnv()
	outFile, err := os.CreateTemp("", "killparent-*.out")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer os.Remove(outFile.Name())
	null, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	rng := rand.New(rand.NewPCG(8, uint64(rounds)))
	leaked, sideKills := 0, 0
	var worst, total time.Duration
	for r := 0; r < rounds; r++ {
		pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
			Env: env, Files: []uintptr{null.Fd(), outFile.Fd(), outFile.Fd()}})
		if err != nil {
			fmt.Printf("round %d: start: %v\n", r, err)
			return 1
		}
		delay := time.Duration(rng.IntN(20001)) * time.Microsecond
		if r%2 == 1 {
			delay += 25 * time.Millisecond
		}
		time.Sleep(delay)
		side := ""
		if sideKill && rng.IntN(3) == 0 {
			if others := namespacePids(pid); len(others) > 0 {
				victim := others[rng.IntN(len(others))]
				side = "; first killed " + describePid(victim)
				syscall.Kill(victim, syscall.SIGKILL)
				sideKills++
				time.Sleep(time.Duration(rng.IntN(3001)) * time.Microsecond)
			}
		}
		syscall.Kill(pid, syscall.SIGKILL)
		killed := time.Now()
		for {
			var ws syscall.WaitStatus
			if wpid, err := syscall.Wait4(pid, &ws, 0, nil); wpid == pid || err != syscall.EINTR {
				break
			}
		}
		for {
			reapAll()
			left := namespacePids(0)
			gone := time.Since(killed)
			if len(left) == 0 {
				worst = max(worst, gone)
				total += gone
				break
			}
			if gone > killParentGone {
				for _, p := range left {
					fmt.Printf("round %d (killed after %v%s): left after %v: %s\n", r, delay, side, killParentGone, describePid(p))
					syscall.Kill(p, syscall.SIGKILL)
				}
				leaked += len(left)
				time.Sleep(50 * time.Millisecond)
				continue
			}
			time.Sleep(time.Millisecond)
		}
	}
	out, _ := os.ReadFile(outFile.Name())
	if len(out) > 0 {
		fmt.Printf("output of the runs:\n%s\n", clip(string(out), 20))
	}
	fmt.Printf("rounds %d leaked %d side kills %d gone in %v on average, %v at worst; output %d\n",
		rounds, leaked, sideKills, (total / time.Duration(rounds)).Round(time.Microsecond),
		worst.Round(time.Microsecond), len(out))
	return 0
}

// reapAll collects every exited child of init.
func reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 && err != syscall.EINTR {
			return
		}
	}
}

// namespacePids lists the processes of the namespace but init and skip.
func namespacePids(skip int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid != 1 && pid != skip {
			pids = append(pids, pid)
		}
	}
	return pids
}

// describePid says what a process is: pid, state, parent, command line and
// where each of its threads waits in the kernel.
func describePid(pid int) string {
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	var wchan []string
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		w, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/wchan", pid, task.Name()))
		wchan = append(wchan, string(w))
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		f := strings.Fields(s[i+1:])
		if len(f) > 1 {
			s = fmt.Sprintf("%s state %s ppid %s", s[:i+1], f[0], f[1])
		}
	}
	return fmt.Sprintf("%s cmdline %q wchan %s", s, strings.ReplaceAll(string(cmdline), "\x00", " "), wchan)
}
