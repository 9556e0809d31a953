package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestManPage checks that docs/guestrun.1 is what scripts/gen-man.sh makes
// of docs/usage.md, and that the guide has a section for every option in
// the --help text.
func TestManPage(t *testing.T) {
	if _, err := exec.LookPath("awk"); err != nil {
		t.Skip("no awk")
	}
	out := filepath.Join(t.TempDir(), "guestrun.1")
	if b, err := exec.Command("../../scripts/gen-man.sh", "docs/usage.md", out).CombinedOutput(); err != nil {
		t.Fatalf("gen-man.sh: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../docs/guestrun.1")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("docs/guestrun.1 is out of date: run scripts/gen-man.sh")
	}
	guide, err := os.ReadFile("../../docs/usage.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^  (--?[a-z0-9]+)`).FindAllStringSubmatch(usage, -1) {
		if !strings.Contains(string(guide), "### `"+m[1]+"`") && !strings.Contains(string(guide), "`"+m[1]+"`, `") &&
			!strings.Contains(string(guide), ", `"+m[1]+"`") {
			t.Errorf("docs/usage.md has no section for %s", m[1])
		}
	}
}
