package guest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A busybox or bash case: a static host program that does not fork for
// these arguments, run in the shared data directory.
type toolCase struct {
	name  string
	args  []string // after the program
	stdin string   // file in the data directory; "" for /dev/null
	scrub string   // regexp of output that may differ (timings)
}

var busyboxCases = []toolCase{
	// Text.
	{"echo", []string{"echo", "hello", "  spaced  ", "world"}, "", ""},
	{"echo-e", []string{"echo", "-e", `a\tb\nc\x41\0101`}, "", ""},
	{"echo-n", []string{"echo", "-n", "no newline"}, "", ""},
	{"printf", []string{"printf", `%5.2f|%x|%-6s|%05d|%e|%c|%%\n`, "3.14159", "255", "str", "42", "12345.678", "xyz"}, "", ""},
	{"cat", []string{"cat", "words.txt", "nums.txt"}, "", ""},
	{"cat-stdin", []string{"cat"}, "words.txt", ""},
	{"head", []string{"head", "-n", "7", "words.txt"}, "", ""},
	{"head-c", []string{"head", "-c", "100", "bin.dat"}, "", ""},
	{"tail", []string{"tail", "-n", "5", "words.txt"}, "", ""},
	{"tail-c", []string{"tail", "-c", "50", "words.txt"}, "", ""},
	{"tail-plus", []string{"tail", "-n", "+490", "words.txt"}, "", ""},
	{"sort", []string{"sort", "words.txt"}, "", ""},
	{"sort-n", []string{"sort", "-n", "nums.txt"}, "", ""},
	{"sort-rk2", []string{"sort", "-r", "-k2", "words.txt"}, "", ""},
	{"sort-t", []string{"sort", "-t", ",", "-k3,3n", "-k1,1", "data.csv"}, "", ""},
	{"sort-u", []string{"sort", "-u", "sorted.txt"}, "", ""},
	{"uniq-c", []string{"uniq", "-c", "sorted.txt"}, "", ""},
	{"uniq-d", []string{"uniq", "-d", "sorted.txt"}, "", ""},
	{"wc", []string{"wc", "words.txt", "nums.txt", "bin.dat"}, "", ""},
	{"wc-stdin", []string{"wc", "-l", "-w", "-c"}, "words.txt", ""},
	{"cut-f", []string{"cut", "-d", ",", "-f", "2,4", "data.csv"}, "", ""},
	{"cut-c", []string{"cut", "-c", "3-10", "words.txt"}, "", ""},
	{"tr", []string{"tr", "a-z", "A-Z"}, "words.txt", ""},
	{"tr-d", []string{"tr", "-d", "0-9 "}, "words.txt", ""},
	{"tr-s", []string{"tr", "-s", "a-z"}, "words.txt", ""},
	{"rev", []string{"rev", "words.txt"}, "", ""},
	{"tac", []string{"tac", "nums.txt"}, "", ""},
	{"nl", []string{"nl", "words.txt"}, "", ""},
	{"paste", []string{"paste", "-d", ":", "nums.txt", "words.txt"}, "", ""},
	{"expand", []string{"expand", "tabs.txt"}, "", ""},
	{"expand-t", []string{"expand", "-t", "3", "tabs.txt"}, "", ""},
	{"unexpand", []string{"unexpand", "-a", "spaces.txt"}, "", ""},
	{"fold", []string{"fold", "-w", "17", "words.txt"}, "", ""},
	{"od", []string{"od", "-A", "x", "-t", "x1z", "-N", "256", "bin.dat"}, "", ""},
	{"od-c", []string{"od", "-c", "-N", "200", "words.txt"}, "", ""},
	{"od-d", []string{"od", "-t", "d4", "-t", "f8", "-N", "128", "bin.dat"}, "", ""},
	{"hexdump", []string{"hexdump", "-C", "-n", "512", "bin.dat"}, "", ""},
	{"xxd", []string{"xxd", "-l", "256", "bin.dat"}, "", ""},
	{"strings", []string{"strings", "-n", "5", "bin.dat"}, "", ""},
	{"seq", []string{"seq", "1", "3", "100"}, "", ""},
	{"seq-w", []string{"seq", "-w", "8", "12"}, "", ""},
	{"seq-float", []string{"seq", "0.5", "0.25", "3"}, "", ""},
	{"basename", []string{"basename", "/a/b/c.txt", ".txt"}, "", ""},
	{"dirname", []string{"dirname", "/a/b/c.txt"}, "", ""},
	{"base64", []string{"base64", "bin.dat"}, "", ""},
	{"base64-d", []string{"base64", "-d", "words.b64"}, "", ""},
	{"uuencode", []string{"uuencode", "words.txt", "name"}, "", ""},
	{"cmp", []string{"cmp", "words.txt", "sorted.txt"}, "", ""},
	{"diff", []string{"diff", "-u", "words.txt", "words2.txt"}, "", ""},
	{"factor", []string{"factor", "1234567890", "600851475143", "97", "4294967291", "18446744073709551615"}, "", ""},
	{"expr", []string{"expr", "7", "*", "6", "+", "100", "/", "7"}, "", ""},
	{"expr-str", []string{"expr", "substr", "hello world", "2", "5"}, "", ""},
	{"expr-zero", []string{"expr", "3", "-", "3"}, "", ""},
	{"dc", []string{"dc", "-e", "2 64 ^ 1 - p 10 3 / p 17 5 % p"}, "", ""},
	{"bc", []string{"bc", "-l"}, "calc.bc", ""},
	{"date", []string{"date", "-u", "-d", "@1700000000", "+%Y-%m-%d %H:%M:%S %a %j %s"}, "", ""},
	{"cal", []string{"cal", "2", "2024"}, "", ""},
	// Hashing.
	{"md5sum", []string{"md5sum", "words.txt", "bin.dat", "big.txt"}, "", ""},
	{"sha1sum", []string{"sha1sum", "words.txt", "bin.dat", "big.txt"}, "", ""},
	{"sha256sum", []string{"sha256sum", "words.txt", "bin.dat", "big.txt"}, "", ""},
	{"sha512sum", []string{"sha512sum", "words.txt", "bin.dat", "big.txt"}, "", ""},
	{"sha3sum", []string{"sha3sum", "words.txt", "bin.dat"}, "", ""},
	{"sha256sum-c", []string{"sha256sum", "-c", "sums.txt"}, "", ""},
	{"crc32", []string{"crc32", "big.txt"}, "", ""},
	{"cksum", []string{"cksum", "words.txt", "big.txt"}, "", ""},
	// Compression.
	{"gzip", []string{"gzip", "-c", "words.txt"}, "", ""},
	{"gzip-9", []string{"gzip", "-c", "-9", "big.txt"}, "", ""},
	{"gunzip", []string{"gunzip", "-c", "words.txt.gz"}, "", ""},
	{"gunzip-big", []string{"gunzip", "-c", "big.txt.gz"}, "", ""},
	{"bzip2", []string{"bzip2", "-c", "big.txt"}, "", ""},
	{"bunzip2", []string{"bunzip2", "-c", "big.txt.bz2"}, "", ""},
	{"unxz", []string{"unxz", "-c", "big.txt.xz"}, "", ""},
	{"lzop", []string{"lzop", "-c", "big.txt"}, "", ""},
	// Files and directories (mtimes are fixed).
	{"ls-l", []string{"ls", "-l", "tree"}, "", ""},
	{"ls-lR", []string{"ls", "-lRa", "--full-time", "tree"}, "", ""},
	{"ls-1", []string{"ls", "-1", "-p", "tree/sub"}, "", ""},
	{"find", []string{"find", "tree"}, "", ""},
	{"find-name", []string{"find", "tree", "-name", "*.txt", "-type", "f"}, "", ""},
	{"find-size", []string{"find", "tree", "-size", "+1k"}, "", ""},
	{"stat", []string{"stat", "-c", "%n %s %a %A %F %h %U %G %Y", "tree/a.txt", "tree/sub", "tree/link", "tree/exec.sh"}, "", ""},
	{"du", []string{"du", "-a", "tree"}, "", ""},
	{"readlink", []string{"readlink", "tree/link"}, "", ""},
	{"realpath", []string{"realpath", "tree/sub/../a.txt"}, "", ""},
	{"tar-c", []string{"tar", "-cf", "-", "tree"}, "", ""},
	{"tar-t", []string{"tar", "-tvf", "tree.tar"}, "", ""},
	{"dd", []string{"dd", "if=bin.dat", "bs=1000", "count=5", "skip=2"}, "", `copied, .*`},
	// Programs.
	{"awk", []string{"awk", `{ s += $2; n[$1]++ } END { printf "%d %d %.3f\n", s, NR, s / NR; for (k in n) c++; print c }`, "words.txt"}, "", ""},
	{"awk-str", []string{"awk", "-F,", `{ gsub(/[aeiou]/, "#", $2); print toupper($2), length($1), substr($4, 2, 3), sprintf("%08.3f", $3 / 7); split($0, p, "") ; print p[1] p[3] }`, "data.csv"}, "", ""},
	{"awk-num", []string{"awk", `BEGIN { for (i = 1; i <= 30; i++) { x = x * 1.5 + i / 7; printf "%.10g %d %o %x %e %s\n", x, x, i * 100, i * 4099, x / 3, x "" } }`}, "", ""},
	{"sed", []string{"sed", "-n", "5,10p", "words.txt"}, "", ""},
	{"sed-s", []string{"sed", "s/[aeiou]/_/g", "words.txt"}, "", ""},
	{"sed-e", []string{"sed", "-e", "/^a/d", "-e", `s/\(..\)\(.*\)/\2\1/`, "-e", "3q", "words.txt"}, "", ""},
	{"grep", []string{"grep", "-n", "-i", "ab", "words.txt"}, "", ""},
	{"grep-c", []string{"grep", "-c", "e", "words.txt"}, "", ""},
	{"grep-E", []string{"grep", "-E", "^[a-f]+ [0-9]+$", "words.txt"}, "", ""},
	{"grep-v", []string{"grep", "-v", "-F", "a", "words.txt"}, "", ""},
	{"grep-o", []string{"grep", "-o", "[0-9][0-9]*", "data.csv"}, "", ""},
	{"grep-none", []string{"grep", "no such text", "words.txt"}, "", ""},
	{"test", []string{"test", "3", "-lt", "5"}, "", ""},
	{"test-false", []string{"[", "-d", "words.txt", "]"}, "", ""},
	{"true", []string{"true"}, "", ""},
	{"false", []string{"false"}, "", ""},
	{"sh-loop", []string{"sh", "-c", `i=0; s=0; while [ $i -lt 200 ]; do i=$((i+1)); s=$((s+i*i)); done; echo $i $s`}, "", ""},
	{"sh-args", []string{"sh", "-c", `set -- a "b c" d; for x; do echo "<$x>"; done; echo $# ${#1} ${HOME:-none} ${NOPE:-default}`}, "", ""},
	{"sh-exit", []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, "", ""},
	{"sh-kill", []string{"sh", "-c", "echo before; kill -9 $$; echo after"}, "", ""},
	{"sh-read", []string{"sh", "-c", `n=0; while read a b; do n=$((n+1)); done; echo $n lines`}, "words.txt", ""},
	{"env", []string{"env"}, "", ""},
	{"pwd", []string{"pwd"}, "", ""},
	{"id", []string{"id"}, "", ""},
	{"uname", []string{"uname", "-s", "-m"}, "", ""},
	{"missing-file", []string{"cat", "no-such-file"}, "", ""},
}

// bashCases run bash-static with builtins only.
var bashCases = []toolCase{
	{"arith", []string{"-c", `for i in {1..100}; do s=$((s+i*i)); done; echo $s; echo $((2**62)) $((-7/2)) $((-7%2)) $((1<<63))`}, "", ""},
	{"strings", []string{"-c", `x=hello; echo ${x^^} ${x:1:3} ${x//l/L} ${#x}; printf "%05d|%-6s|%x|%q\n" 42 ab 255 'a b'`}, "", ""},
	{"arrays", []string{"-c", `declare -A m=([b]=2 [a]=1 [c]=3); a=(z y x); a+=(w); echo ${#m[@]} ${m[a]} ${a[@]} ${a[1]} ${!a[@]}; [[ abc =~ ^a(.)c$ ]] && echo ${BASH_REMATCH[1]}`}, "", ""},
	{"functions", []string{"-c", `f() { local n=$1; if ((n < 2)); then r=$n; return; fi; f $((n-1)); local a=$r; f $((n-2)); r=$((a+r)); }; f 12; echo $r; echo "${BASH_VERSINFO[0]}" >/dev/null; echo done`}, "", ""},
	{"read", []string{"-c", `while IFS=' ' read -r w n; do t=$((t+n)); done; echo $t`}, "words.txt", ""},
	{"exit", []string{"-c", "exit 77"}, "", ""},
}

var (
	dataOnce sync.Once
	dataDir  string
	dataErr  error
	applets  map[string]bool
)

// busybox is the static busybox the tests use.
const busybox = "/bin/busybox"

// fixedTime is the mtime of every generated file.
var fixedTime = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

// prepareData writes the input files once, deterministically.
func prepareData(t *testing.T) string {
	dataOnce.Do(func() {
		dataDir = filepath.Join(scratch, "data")
		dataErr = writeData(dataDir)
	})
	if dataErr != nil {
		t.Fatalf("preparing data: %v", dataErr)
	}
	return dataDir
}

// lcg is a small fixed pseudo-random generator.
type lcg uint64

func (l *lcg) next() uint64 {
	*l = *l*6364136223846793005 + 1442695040888963407
	return uint64(*l >> 17)
}

func writeData(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := lcg(1)
	syll := []string{"ab", "ce", "di", "fo", "gu", "ha", "ke", "li", "mo", "nu", "pa", "re", "si", "to", "vu", "xa", "ze", "a", "e"}
	word := func() string {
		var b strings.Builder
		for n := 1 + r.next()%4; n > 0; n-- {
			b.WriteString(syll[r.next()%uint64(len(syll))])
		}
		return b.String()
	}
	var words, words2, nums, csv, tabs, spaces, big bytes.Buffer
	var lines []string
	for i := 0; i < 500; i++ {
		l := fmt.Sprintf("%s %d", word(), r.next()%1000)
		lines = append(lines, l)
		words.WriteString(l + "\n")
		if i%37 == 5 {
			words2.WriteString("changed " + l + "\n")
		} else if i%41 != 7 {
			words2.WriteString(l + "\n")
		}
	}
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&nums, "%d\n", int64(r.next()%200001)-100000)
	}
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&csv, "%s,%s %s,%d,%s\n", word(), word(), word(), r.next()%97, word())
	}
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&tabs, "%s\t%s\t\t%d\t%s\n", word(), strings.Repeat("x", i%11), i, word())
		fmt.Fprintf(&spaces, "%s        %s    %d\n", strings.Repeat(" ", i%9), word(), i)
	}
	for big.Len() < 100000 {
		fmt.Fprintf(&big, "%06d %s %s %s\n", big.Len(), word(), word(), word())
	}
	sorted := append([]string(nil), lines...)
	for i := 0; i < len(lines); i += 3 {
		sorted = append(sorted, lines[i])
	}
	sort.Strings(sorted)
	bin := make([]byte, 65536)
	for i := range bin {
		bin[i] = byte(r.next())
		if i%300 < 40 { // some printable runs for strings(1)
			bin[i] = 'a' + byte(i%26)
		}
	}
	files := map[string][]byte{
		"words.txt":  words.Bytes(),
		"words2.txt": words2.Bytes(),
		"nums.txt":   nums.Bytes(),
		"data.csv":   csv.Bytes(),
		"tabs.txt":   tabs.Bytes(),
		"spaces.txt": spaces.Bytes(),
		"big.txt":    big.Bytes(),
		"sorted.txt": []byte(strings.Join(sorted, "\n") + "\n"),
		"bin.dat":    bin,
		"calc.bc":    []byte("scale=30\n4*a(1)\ne(1)\nsqrt(2)\n2^100\n1/7\nl(10)\ns(1)+c(1)\nx=1;for(i=1;i<=30;i++)x=x*i;x\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	for _, name := range []string{"words.txt", "big.txt"} {
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(files[name])
		w.Close()
		if err := os.WriteFile(filepath.Join(dir, name+".gz"), gz.Bytes(), 0o644); err != nil {
			return err
		}
	}
	// Inputs made by native tools: bzip2 and xz have no encoder in Go's
	// standard library. A missing tool only makes its case fail.
	native := func(out string, name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		data, err := cmd.Output()
		if err != nil {
			return nil
		}
		return os.WriteFile(filepath.Join(dir, out), data, 0o644)
	}
	if err := native("big.txt.bz2", busybox, "bzip2", "-c", "big.txt"); err != nil {
		return err
	}
	if err := native("big.txt.xz", "xz", "-c", "big.txt"); err != nil {
		return err
	}
	if err := native("words.b64", busybox, "base64", "words.txt"); err != nil {
		return err
	}
	if err := native("sums.txt", busybox, "sha256sum", "words.txt", "bin.dat", "nums.txt"); err != nil {
		return err
	}
	// A small tree for ls, find, stat, du and tar.
	tree := filepath.Join(dir, "tree")
	for _, d := range []string{"tree/sub/deeper", "tree/empty"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	treeFiles := map[string]struct {
		data string
		mode os.FileMode
	}{
		"a.txt":            {"alpha\n", 0o644},
		"b.txt":            {strings.Repeat("bravo\n", 500), 0o600},
		"exec.sh":          {"#!/bin/sh\necho hi\n", 0o755},
		"sub/c.txt":        {"charlie\n", 0o640},
		"sub/deeper/d.dat": {strings.Repeat("\x00\x01", 3000), 0o444},
	}
	for name, f := range treeFiles {
		p := filepath.Join(tree, name)
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			return err
		}
		if err := os.Chmod(p, f.mode); err != nil {
			return err
		}
	}
	if err := os.Symlink("a.txt", filepath.Join(tree, "link")); err != nil {
		return err
	}
	if err := fixTimes(tree); err != nil {
		return err
	}
	if err := native("tree.tar", busybox, "tar", "-cf", "-", "tree"); err != nil {
		return err
	}
	return fixTimes(dir)
}

// fixTimes gives everything under dir fixedTime, symlinks included,
// children before their directories.
func fixTimes(dir string) error {
	var paths []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Sort(sort.Reverse(sort.StringSlice(paths)))
	ts := []unix.Timespec{unix.NsecToTimespec(fixedTime.UnixNano()), unix.NsecToTimespec(fixedTime.UnixNano())}
	for _, p := range paths {
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("utimes %s: %v", p, err)
		}
	}
	return nil
}

func busyboxApplets() (map[string]bool, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, a := range strings.Fields(string(out)) {
		m[a] = true
	}
	return m, nil
}

// TestBusybox compares busybox applets that do not fork.
func TestBusybox(t *testing.T) {
	if _, err := os.Stat(busybox); err != nil {
		t.Skipf("%s not installed (busybox-static): %v", busybox, err)
	}
	apps, err := busyboxApplets()
	if err != nil {
		t.Fatalf("%s --list: %v", busybox, err)
	}
	dir := prepareData(t)
	for _, c := range busyboxCases {
		t.Run(c.name, func(t *testing.T) {
			if !apps[c.args[0]] {
				t.Skipf("busybox has no %s applet", c.args[0])
			}
			t.Parallel()
			compare(t, toolInvocation(dir, busybox, c))
		})
	}
}

// TestBash compares bash-static running builtins only.
func TestBash(t *testing.T) {
	bash, err := exec.LookPath("bash-static")
	if err != nil {
		t.Skip("bash-static not installed")
	}
	dir := prepareData(t)
	for _, c := range bashCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compare(t, toolInvocation(dir, bash, c))
		})
	}
}

func toolInvocation(dir, prog string, c toolCase) invocation {
	inv := invocation{argv: append([]string{prog}, c.args...), dir: dir}
	if c.scrub != "" {
		inv.scrub = regexp.MustCompile(c.scrub)
	}
	if c.stdin != "" {
		inv.stdin = filepath.Join(dir, c.stdin)
	}
	return inv
}
