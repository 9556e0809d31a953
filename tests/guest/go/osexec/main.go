// Command osexec runs its own binary through os/exec (clone with
// CLONE_VM|CLONE_VFORK and a pidfd in Go's runtime): serially, 8 at a
// time from goroutines, with stdin, stdout, stderr, environment, working
// directory and exit statuses, and a child it kills. Outputs are sorted.
//
// "osexec child N" is the program it runs.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func child(args []string) {
	n, _ := strconv.Atoi(args[0])
	in, _ := io.ReadAll(os.Stdin)
	wd, _ := os.Getwd()
	fmt.Printf("child %d: stdin %q, env %q, cwd is / %v\n", n, strings.TrimSpace(string(in)),
		os.Getenv("OSEXEC_VAR"), wd == "/")
	fmt.Fprintf(os.Stderr, "child %d stderr\n", n)
	if len(args) > 1 && args[1] == "hang" {
		fmt.Println("hanging")
		// Not select{}: the runtime would end a program whose only
		// goroutine blocks for good (exit 2), racing the parent's kill.
		time.Sleep(time.Hour)
	}
	os.Exit(n % 4)
}

// runOne runs "self child n" and describes what came back.
func runOne(self string, n int) string {
	cmd := exec.Command(self, "child", strconv.Itoa(n))
	cmd.Stdin = strings.NewReader(fmt.Sprintf("input %d\n", n))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "OSEXEC_VAR=v"+strconv.Itoa(n))
	if n%3 == 0 {
		cmd.Dir = "/"
	}
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return fmt.Sprintf("run %d: %v", n, err)
	}
	return fmt.Sprintf("run %d: exit %d, stdout %q, stderr %q", n, code, out.String(), errb.String())
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "child" {
		child(os.Args[2:])
		return
	}
	// A relative argv[0] would be resolved against cmd.Dir.
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}

	for i := 0; i < 20; i++ {
		fmt.Println(runOne(self, i))
	}

	var mu sync.Mutex
	var lines []string
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 3; r++ {
				s := runOne(self, 100+g*10+r)
				mu.Lock()
				lines = append(lines, s)
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println("parallel", l)
	}

	out, err := exec.Command(self, "child", "5").CombinedOutput()
	fmt.Printf("combined: %q, %v\n", out, err)

	_, err = exec.Command("/nonexistent/program").Output()
	fmt.Println("missing program:", err)

	// A child killed while it blocks.
	cmd := exec.Command(self, "child", "7", "hang")
	pipe, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fmt.Println("start:", err)
		return
	}
	line := make([]byte, 64)
	total := 0
	for !bytes.Contains(line[:total], []byte("hanging\n")) {
		n, err := pipe.Read(line[total:])
		if err != nil {
			break
		}
		total += n
	}
	cmd.Process.Kill()
	err = cmd.Wait()
	fmt.Printf("killed child: %v, exit code %d\n", err, cmd.ProcessState.ExitCode())
}
