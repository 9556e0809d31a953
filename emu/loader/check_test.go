package loader

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	loop := write("loop", "#!"+filepath.Join(dir, "loop")+"\n", 0o755)
	for _, c := range []struct {
		name string
		path string
		want unix.Errno
	}{
		{"elf", self, 0},
		{"script", write("ok.sh", "#!/bin/sh\necho\n", 0o755), 0},
		{"script-arg", write("arg.sh", "#! /bin/sh -e\n", 0o755), 0},
		{"nested", write("nested", "#!"+filepath.Join(dir, "ok.sh")+"\n", 0o755), 0},
		{"missing", filepath.Join(dir, "nope"), unix.ENOENT},
		{"notdir", filepath.Join(dir, "ok.sh", "x"), unix.ENOTDIR},
		{"noexec", write("plain.sh", "#!/bin/sh\n", 0o644), unix.EACCES},
		{"dir", dir, unix.EACCES},
		{"garbage", write("garbage", "\x01\x02 not a program\n", 0o755), unix.ENOEXEC},
		{"empty", write("empty", "", 0o755), unix.ENOEXEC},
		{"bad-interp", write("bad.sh", "#!/no/such/shell\n", 0o755), unix.ENOENT},
		{"loop", loop, unix.ELOOP},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Check(c.path, Options{})
			var le *Error
			switch {
			case c.want == 0 && err != nil:
				t.Errorf("Check(%s): %v", c.path, err)
			case c.want != 0 && (!errors.As(err, &le) || le.Errno != c.want):
				t.Errorf("Check(%s) = %v, want %v", c.path, err, c.want)
			}
		})
	}
}
