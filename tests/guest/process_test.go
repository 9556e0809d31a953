package guest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Shell scripts that fork and exec: every command they start runs under
// guestrun too (busybox runs its applets by exec'ing /proc/self/exe).
var shellCases = []struct{ name, script string }{
	{"pipeline", `seq 1 200 | grep 7 | sort -r | head -5; seq 1 50 | awk '{ s += $1 } END { print s }' | tr 0-9 a-j
		echo one two three | wc -w; false | true; echo "pipe status $?"`},
	{"subshell", `x=1; (x=2; echo "in $x"; exit 3); echo "status $? x $x"; (cd /; pwd); pwd >/dev/null
		( ( echo nested; exit 5 ); echo "inner $?" ); echo "outer $?"`},
	{"substitution", `a=$(echo one; echo two); echo "$a" | wc -l; b=$(seq 3 | tr '\n' ,); echo "$b"
		echo $(( $(echo 6) * $(echo 7) )); echo "$(echo "$(echo deep)")"; c=` + "`echo backticks`" + `; echo $c`},
	{"functions", `f() { echo "f $1"; return $(( $1 % 3 )); }; for i in 1 2 3 4; do f $i; echo "rc=$?"; done
		g() { f "$@" | tr a-z A-Z; }; g 5; h() { local v=$(f 7); echo "h got [$v]"; }; h`},
	{"traps", `trap 'echo got USR1' USR1; trap 'echo bye' EXIT; kill -USR1 $$; echo after
		sh -c 'trap "echo child TERM; exit 7" TERM; kill -TERM $$; echo not reached'; echo "status $?"
		sh -c 'trap "" INT; kill -INT $$; echo ignored INT'; sh -c 'kill -KILL $$'; echo "killed $?"`},
	{"jobs", `sleep 0.2 & p1=$!; (exit 4) & p2=$!; wait $p2; echo "p2 $?"; wait $p1; echo "p1 $?"
		for i in 1 2 3; do (exit $i) & done; wait; echo all done
		sleep 5 & p=$!; kill $p; wait $p; echo "killed job $?"`},
	{"loops", `i=0; while [ $i -lt 30 ]; do i=$(expr $i + 1); done; echo $i
		for f in a b c; do echo $f | cat; done
		n=0; for i in $(seq 20); do n=$((n + $(echo $i | wc -c))); done; echo $n
		seq 7 | while read x; do [ $((x % 2)) = 0 ] && echo even $x; done; seq 6 | xargs -n 2 echo`},
	{"redirections", `cat <<EOF | sort
b
a
EOF
		{ echo out; echo err >&2; } 2>&1 | sort; exec 3>f; echo x >&3; exec 3>&-; cat f
		echo appended >>f; wc -l <f; ls no-such-file 2>/dev/null || echo "ls failed $?"`},
	{"scripts", `printf '#!/bin/busybox sh\necho "script $0 $1"\nexit 6\n' >s; chmod +x s; ./s arg; echo "rc $?"
		printf '#!./s\n' >t; chmod +x t; ./t x; echo "rc $?"; printf 'echo no shebang $1\n' >u; chmod +x u; ./u y
		chmod -x s; ./s 2>/dev/null; echo "not executable $?"; ./missing 2>/dev/null; echo "missing $?"
		exec sh -c 'echo "exec replaced the shell: $0"' newname`},
}

// TestShell runs busybox sh scripts that fork, exec, pipe and wait.
func TestShell(t *testing.T) {
	if _, err := os.Stat(busybox); err != nil {
		t.Skipf("%s not installed (busybox-static): %v", busybox, err)
	}
	for _, c := range shellCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compare(t, invocation{argv: []string{busybox, "sh", "-c", c.script}, dir: workDir(t), fresh: true})
		})
	}
}

// TestBashForks runs a bash-static script that forks and execs.
func TestBashForks(t *testing.T) {
	bash, err := exec.LookPath("bash-static")
	if err != nil {
		t.Skip("bash-static not installed")
	}
	script := `for i in 1 2 3; do /bin/busybox echo "echo $i"; done; x=$(/bin/busybox expr 2 + 3); echo "expr $x"
		( exit 3 ); echo "subshell $?"; /bin/busybox true | /bin/busybox cat; echo "pipestatus ${PIPESTATUS[@]}"
		` + bash + ` -c 'echo inner $((6*7)); exit 9'; echo "inner status $?"
		f() { echo "f $1"; }; f x | /bin/busybox tr fx FX; mapfile -t lines < <(/bin/busybox seq 3); echo "${lines[@]}"
		coproc /bin/busybox cat; echo through >&"${COPROC[1]}"; exec {COPROC[1]}>&-; read -r l <&"${COPROC[0]}"; echo "coproc $l"
		/bin/busybox sleep 0.1 & wait $!; echo "bg $?"; exec /bin/busybox echo "exec'd"`
	compare(t, invocation{argv: []string{bash, "-c", script}, dir: workDir(t), fresh: true})
}

// TestOnlyGuestrunExecs checks with strace that a guest's process tree
// execs nothing on the host but guestrun itself: fork resumes guestrun,
// execve of a program or a script re-enters it.
func TestOnlyGuestrunExecs(t *testing.T) {
	straceBin, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace not installed")
	}
	if _, err := os.Stat(busybox); err != nil {
		t.Skipf("%s not installed: %v", busybox, err)
	}
	dir := workDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "strace.log")
	script := `printf '#!/bin/busybox sh\necho script\n' >s; chmod +x s; ./s; echo hi | cat | wc -c; x=$(expr 1 + 2); /bin/busybox true`
	cmd := exec.Command(straceBin, "-f", "-qq", "-e", "trace=execve,execveat", "-o", log, guestrun, busybox, "sh", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strace: %v\n%s", err, out)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	execs := 0
	for _, line := range strings.Split(string(data), "\n") {
		i := strings.Index(line, "execve(")
		if i < 0 {
			continue
		}
		execs++
		path := strings.SplitN(line[i+len("execve("):], ",", 2)[0]
		if path != `"/proc/self/exe"` && path != strconv.Quote(guestrun) {
			t.Errorf("the host exec'd something other than guestrun: %s", line)
		}
	}
	// guestrun, ./s, cat, wc and true at least; a fork execs nothing
	// unless its child is handed over to a guestrun of its own.
	if execs < 5 {
		t.Errorf("only %d execve calls traced:\n%s", execs, data)
	}
}
