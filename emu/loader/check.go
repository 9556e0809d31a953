package loader

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Check tells whether execve of path would get as far as running it, with the
// error the kernel would give otherwise, so that a guest's execve can fail
// while the guest is still there to see it: the file and every #!
// interpreter must be executable regular files (EACCES), a valid x86-64 ELF
// in the end (ENOEXEC), at most maxScriptDepth #! levels deep (ELOOP), and
// an ELF interpreter must exist and be an ELF (ENOENT, ELIBBAD).
func Check(path string, opt Options) error {
	for depth := 0; ; depth++ {
		if err := executable(path); err != nil {
			return err
		}
		e, err := openELF(path)
		if err == nil {
			e.f.Close()
			if e.interp == "" {
				return nil
			}
			return checkInterp(e.interp, opt)
		}
		if err != errScript {
			return err
		}
		if depth == maxScriptDepth {
			return fail(path, unix.ELOOP, "too many levels of #! interpreters")
		}
		if path, _, err = readShebang(path); err != nil {
			return err
		}
	}
}

// executable checks the execute permission as execve does: for the
// effective ids, and refused on a noexec mount.
func executable(path string) error {
	if err := unix.Faccessat2(unix.AT_FDCWD, path, unix.X_OK, unix.AT_EACCESS); err != nil {
		return openError(path, err)
	}
	return nil
}

func checkInterp(ipath string, opt Options) error {
	if opt.Sysroot != "" {
		if p := filepath.Join(opt.Sysroot, ipath); fileExists(p) {
			ipath = p
		}
	}
	ie, err := openELF(ipath)
	if err == errScript {
		return fail(ipath, unix.ELIBBAD, "ELF interpreter is a script")
	}
	if err != nil {
		return err
	}
	defer ie.f.Close()
	if ie.interp != "" {
		return fail(ipath, unix.ELIBBAD, "ELF interpreter has an interpreter")
	}
	return nil
}
