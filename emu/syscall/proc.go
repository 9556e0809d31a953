package syscall

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/mem"
)

// The guest sees its own /proc/self: exe is the guest program, and maps,
// auxv and cmdline describe the guest, not guestrun; stat and status are the
// host's with the guest's figures (procstat.go). Other /proc files are the
// host's.

// procFile is an emulated /proc file: its kind in the low byte and, for
// stat and status, above it the tid of the thread whose file it is (0: the
// process's).
type procFile uint64

func (f procFile) kind() procFile { return f & 0xff }
func (f procFile) tid() int       { return int(f >> 8) }

const (
	procNone procFile = iota
	procExe
	procMaps
	procAuxv
	procCmdline
	procStat
	procStatus
	procMem
)

var procNames = map[string]procFile{"exe": procExe, "maps": procMaps, "auxv": procAuxv, "cmdline": procCmdline,
	"stat": procStat, "status": procStatus, "mem": procMem}

// startDir is guestrun's working directory at start, which a relative
// program path is relative to.
var startDir, _ = os.Getwd()

// procLookup tells whether path, looked up from dirfd, names one of the
// emulated /proc files of this process or of one of its threads.
func (t *Task) procLookup(dirfd int32, path []byte) procFile {
	if len(path) == 0 || t.P.Image == nil {
		return procNone
	}
	// Cheap filter first: every open and stat comes through here.
	base := path[bytes.LastIndexByte(path, '/')+1:]
	f, ok := procNames[string(base)]
	if !ok {
		return procNone
	}
	p := string(path)
	if p[0] != '/' {
		dir, ok := dirPath(dirfd)
		if !ok {
			return procNone
		}
		p = dir + "/" + p
	}
	if !strings.HasPrefix(p, "/proc/") {
		return procNone
	}
	parts := strings.Split(filepath.Clean(p), "/")[2:] // after "", "proc"
	tid := 0
	switch {
	case len(parts) == 2 && (parts[0] == "self" || isOurPid(parts[0])):
	case len(parts) == 2 && parts[0] == "thread-self":
		tid = t.Tid
	case len(parts) == 4 && (parts[0] == "self" || isOurPid(parts[0])) && parts[1] == "task" && t.isGuestTid(parts[2]):
		tid, _ = strconv.Atoi(parts[2])
	default:
		return procNone
	}
	if f == procStat || f == procStatus {
		f |= procFile(tid) << 8
	}
	return f
}

// dirPath is the path of dirfd (or the cwd).
func dirPath(dirfd int32) (string, bool) {
	if dirfd == unix.AT_FDCWD {
		d, err := os.Getwd()
		return d, err == nil
	}
	d, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(dirfd)))
	return d, err == nil && strings.HasPrefix(d, "/")
}

func isOurPid(s string) bool { return s == strconv.Itoa(unix.Getpid()) }

// isGuestTid reports whether s names one of the guest's threads: a live one,
// or the main thread, whose directory outlives it.
func (t *Task) isGuestTid(s string) bool {
	tid, err := strconv.Atoi(s)
	return err == nil && (tid == unix.Getpid() || t.P.thread(tid) != nil)
}

// The guest's /proc/self/task lists only its threads, not guestrun's Go
// runtime threads, and its /proc/self/fd and fdinfo not guestrun's own fds:
// a getdents on those directories drops the others' entries.

func sysGetdents64(t *Task, a *Args) int64 { return t.getdents(unix.SYS_GETDENTS64, a) }
func sysGetdents(t *Task, a *Args) int64   { return t.getdents(unix.SYS_GETDENTS, a) }

func (t *Task) getdents(nr uintptr, a *Args) int64 {
	if t.badFD(a[0]) {
		return fdBad
	}
	p, ok := t.gp(a[1], a[2], unix.PROT_WRITE)
	if !ok {
		return efault
	}
	keep := t.procDirFilter(int(int32(a[0])))
	if keep != nil {
		spaceFree.RLock()
		defer spaceFree.RUnlock()
	}
	for {
		r := t.hcall(nr, uintptr(a[0]), p, uintptr(a[2]))
		if r <= 0 || keep == nil {
			return r
		}
		b, ok := t.out(a[1], uint64(r))
		if !ok {
			return efault
		}
		// A batch of nothing but guestrun's entries: read on.
		if n := keepEntries(b, nr == unix.SYS_GETDENTS64, keep); n > 0 {
			return int64(n)
		}
	}
}

// procDirFilter returns which names of directory fd the guest may see, or
// nil for all: fd is this process's /proc/PID/task, fd or fdinfo.
func (t *Task) procDirFilter(fd int) func(name string) bool {
	var buf [64]byte
	pid := "/proc/" + strconv.Itoa(t.P.Pid) + "/"
	n, err := unix.Readlink(pid+"fd/"+strconv.Itoa(fd), buf[:])
	if err != nil {
		return nil
	}
	dir, ok := strings.CutPrefix(string(buf[:n]), pid)
	if !ok {
		return nil
	}
	switch dir {
	case "task":
		return t.isGuestTid
	case "fd", "fdinfo":
		return func(name string) bool {
			fd, err := strconv.Atoi(name)
			return err != nil || !t.P.reserved(fd)
		}
	}
	return nil
}

// keepEntries compacts a getdents buffer to . and .. and the entries keep
// accepts, and returns its new length. struct linux_dirent64 has the name
// at 19, struct linux_dirent at 18; both have d_reclen at 16.
func keepEntries(b []byte, dirent64 bool, keep func(name string) bool) int {
	nameAt := 18
	if dirent64 {
		nameAt = 19
	}
	out := 0
	for off := 0; off+nameAt <= len(b); {
		rl := int(binary.LittleEndian.Uint16(b[off+16:]))
		if rl == 0 || off+rl > len(b) {
			break
		}
		name := b[off+nameAt : off+rl]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if len(name) == 0 || name[0] == '.' || keep(string(name)) {
			copy(b[out:], b[off:off+rl])
			out += rl
		}
		off += rl
	}
	return out
}

// exePath is what /proc/self/exe links to: the guest program, absolute, with
// symlinks resolved as the kernel's d_path shows them.
func (t *Task) exePath() string {
	p := t.P.Image.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(startDir, p)
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return p
}

// openProc opens an emulated /proc file with the guest's open flags.
func (t *Task) openProc(f procFile, flags, mode uint64) int64 {
	if f == procMem {
		// The host's mem file has guestrun's addresses, and would let the
		// guest reach guestrun's own memory. The guest memory memfd has the
		// guest's addresses as offsets: a new open of it is the guest's
		// mem file, whose reads and writes file.go carries out.
		memFileOpened.Store(true)
		p := cstring("/proc/self/fd/" + strconv.Itoa(t.P.Mem.FD()))
		r := t.hcall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(p)), uintptr(flags&(unix.O_ACCMODE|unix.O_CLOEXEC)), 0, 0, 0)
		runtime.KeepAlive(p)
		return r
	}
	if f == procExe {
		p := cstring(t.exePath())
		r := t.hcall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(p)), uintptr(flags), uintptr(mode), 0, 0)
		runtime.KeepAlive(p)
		return r
	}
	if flags&(unix.O_WRONLY|unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC) != 0 {
		return -int64(unix.EACCES)
	}
	var content []byte
	switch f.kind() {
	case procMaps:
		content = formatMaps(t.P.Mem.VMAs())
	case procAuxv:
		for _, v := range t.P.Image.Auxv {
			content = binary.LittleEndian.AppendUint64(content, v)
		}
	case procCmdline:
		for _, a := range t.P.Image.Argv {
			content = append(append(content, a...), 0)
		}
	case procStat, procStatus:
		var err error
		if f.kind() == procStat {
			content, err = t.procStat(f.tid())
		} else {
			content, err = t.procStatus(f.tid())
		}
		if err != nil {
			return errno(err)
		}
	}
	return t.memfdFile(content, flags)
}

// memfdFile returns a read-only fd, at the lowest free number, whose content
// is b: a memfd written and then reopened read-only over itself.
func (t *Task) memfdFile(b []byte, flags uint64) int64 {
	fd, err := unix.MemfdCreate("guestrun-proc", unix.MFD_CLOEXEC)
	if err != nil {
		return errno(err)
	}
	for done := 0; done < len(b); {
		n, err := unix.Write(fd, b[done:])
		if err != nil {
			unix.Close(fd)
			return errno(err)
		}
		done += n
	}
	ro, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_CLOEXEC|int(flags)&unix.O_NONBLOCK, 0)
	if err != nil {
		unix.Close(fd)
		return errno(err)
	}
	var cloexec int
	if flags&unix.O_CLOEXEC != 0 {
		cloexec = unix.O_CLOEXEC
	}
	err = unix.Dup3(ro, fd, cloexec)
	unix.Close(ro)
	if err != nil {
		unix.Close(fd)
		return errno(err)
	}
	return int64(fd)
}

// formatMaps renders mappings as Linux's /proc/pid/maps does.
func formatMaps(vmas []mem.VMA) []byte {
	var b []byte
	for _, v := range vmas {
		perm := []byte("---p")
		if v.Prot&unix.PROT_READ != 0 {
			perm[0] = 'r'
		}
		if v.Prot&unix.PROT_WRITE != 0 {
			perm[1] = 'w'
		}
		if v.Prot&unix.PROT_EXEC != 0 {
			perm[2] = 'x'
		}
		if v.Flags&unix.MAP_TYPE != unix.MAP_PRIVATE {
			perm[3] = 's'
		}
		name, off := v.Name, v.Offset
		if v.Flags&unix.MAP_ANONYMOUS != 0 && !strings.HasPrefix(name, "[") {
			off = 0
			if perm[3] == 's' && name == "" {
				name = "/dev/zero (deleted)"
			}
		}
		start := len(b)
		b = fmt.Appendf(b, "%08x-%08x %s %08x %02x:%02x %d ", v.Start, v.End, perm, off,
			unix.Major(v.Dev), unix.Minor(v.Dev), v.Inode)
		if name != "" {
			// The kernel pads the name to column 73.
			for len(b)-start < 72 {
				b = append(b, ' ')
			}
			b = append(append(b, ' '), name...)
		}
		b = append(b, '\n')
	}
	return b
}

// readlinkExe answers readlink of /proc/self/exe.
func (t *Task) readlinkExe(buf, size uint64) int64 {
	if int64(size) <= 0 {
		return -int64(unix.EINVAL)
	}
	s := t.exePath()
	n := min(uint64(len(s)), size)
	b, ok := t.out(buf, n)
	if !ok {
		return efault
	}
	copy(b, s)
	return int64(n)
}
