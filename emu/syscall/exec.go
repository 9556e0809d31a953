package syscall

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"guestrun/emu/dbg"
	"guestrun/emu/loader"
	"guestrun/emu/mem"
	"guestrun/emu/signal"
)

// execve and execveat. The new program runs under a new guestrun: the host
// execve is always of guestrun itself (/proc/self/exe), with the guest's
// argv and environment and the guestrun options in force, so the whole
// process tree stays emulated. Every error the guest can be told about is
// found first: once the host execve succeeds, the old guest is gone. The
// host execve does what Linux's does to the rest: other threads end,
// close-on-exec fds close, the pid stays.
//
// The new guestrun gets from its command line what the kernel keeps across
// an execve that the guest cannot pass itself: the ignored signals, the
// signal mask (handled signals go back to the default), the pending signals
// (in a memfd), the debug options.

func init() {
	def(unix.SYS_EXECVE, "execve", sysExecve, ArgStr, ArgArgv, ArgEnvp)
	def(unix.SYS_EXECVEAT, "execveat", sysExecveat, ArgFD, ArgStr, ArgArgv, ArgEnvp, ArgAtFlags)
}

// Limits of the kernel's execve.
const (
	maxArgStrlen  = 32 * mem.PageSize // MAX_ARG_STRLEN, NUL included
	maxArgStrings = 0x7fffffff        // MAX_ARG_STRINGS
	argMax        = 32 * mem.PageSize // ARG_MAX: the least room for arguments
	stkLim        = 8 << 20           // _STK_LIM
)

func sysExecve(t *Task, a *Args) int64 {
	return t.execve(unix.AT_FDCWD, a[0], a[1], a[2], 0)
}

func sysExecveat(t *Task, a *Args) int64 {
	return t.execve(int32(a[0]), a[1], a[2], a[3], int(int32(a[4])))
}

// execTarget is the program an execve names, as the new guestrun finds it.
type execTarget struct {
	load   string // path the new guestrun loads
	execfn string // AT_EXECFN, if not load
	fd     int    // fd the new guestrun loads from (and closes), or -1
	// here is load as guestrun opens it, if not load: a path relative
	// to a stub's cwd or fd made absolute.
	here string
}

// hereOrLoad is the program's path for guestrun.
func (tg *execTarget) hereOrLoad() string {
	if tg.here != "" {
		return tg.here
	}
	return tg.load
}

func (t *Task) execve(dirfd int32, pathAddr, argvAddr, envpAddr uint64, flags int) int64 {
	if flags&^(unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW) != 0 {
		return -int64(unix.EINVAL)
	}
	_, pb, e := t.cpath(pathAddr)
	if e != 0 {
		return e
	}
	path := string(pb)
	tg, e := t.execTarget(dirfd, path, flags)
	if e != 0 {
		return e
	}
	if tg.fd >= 0 {
		// Also when a stub's exec succeeds and its task's goroutine ends.
		defer unix.Close(tg.fd)
	}
	if err := loader.Check(tg.hereOrLoad(), loader.Options{Sysroot: launch.Sysroot}); err != nil {
		t.P.Log.Printf(dbg.Exec, "exec: %v", err)
		if le, ok := err.(*loader.Error); ok {
			return -int64(le.Errno)
		}
		return errno(err)
	}
	argv, env, e := t.execArgs(argvAddr, envpAddr, len(tg.execfnOrLoad()))
	if e != 0 {
		return e
	}
	hostArgv, undo := t.execCommand(tg, argv)
	// Guestrun's copy goes also when a stub's exec succeeds and its
	// task's goroutine ends.
	defer t.dropPending()
	var lend []int
	for _, fd := range []int{tg.fd, t.execPending} {
		if fd > 0 {
			lend = append(lend, fd)
		}
	}
	unlend, err := t.lendFDs(lend)
	if err != nil {
		undo()
		return errno(err)
	}
	t.P.Log.Printf(dbg.Exec, "exec: %q %q", tg.load, argv)
	t.P.execRobust(t)
	err = t.hostExec(hostArgv, env)
	unlend()
	undo()
	t.P.Log.Printf(dbg.Exec, "exec: host execve of guestrun: %v", err)
	return errno(err)
}

// execfnOrLoad is the program's name as the kernel gives it.
func (tg *execTarget) execfnOrLoad() string {
	if tg.execfn != "" {
		return tg.execfn
	}
	return tg.load
}

// execTarget resolves execveat's dirfd, path and flags to a path the new
// guestrun can load, and the name the kernel gives the program.
func (t *Task) execTarget(dirfd int32, path string, flags int) (execTarget, int64) {
	tg := execTarget{load: path, fd: -1}
	if path == "" && flags&unix.AT_EMPTY_PATH == 0 {
		return tg, -int64(unix.ENOENT)
	}
	if t.procLookup(dirfd, []byte(path)) == procExe {
		// /proc/self/exe is the guest's program, not guestrun (busybox
		// runs its applets so).
		tg.load, tg.execfn = t.exePath(), path
		return tg, 0
	}
	own := t.stub != nil && !t.P.sharedFiles
	if path != "" && path[0] != '/' && dirfd == unix.AT_FDCWD && t.stub != nil {
		// Relative to the stub's cwd, which may not be guestrun's; the
		// new guestrun runs in it.
		var buf [unix.PathMax]byte
		if n := t.hraw(unix.SYS_GETCWD, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0); n > 1 {
			tg.here = string(buf[:n-1]) + "/" + path
		}
	}
	if path != "" && (path[0] == '/' || dirfd == unix.AT_FDCWD) {
		if flags&unix.AT_SYMLINK_NOFOLLOW != 0 {
			var st unix.Stat_t
			if err := unix.Lstat(tg.hereOrLoad(), &st); err == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				return tg, -int64(unix.ELOOP)
			}
		}
		return tg, 0
	}
	if dirfd == unix.AT_FDCWD {
		// execveat(AT_FDCWD, "", AT_EMPTY_PATH): the cwd, a directory.
		return tg, -int64(unix.EACCES)
	}
	if t.badFD(uint64(uint32(dirfd))) {
		return tg, fdBad
	}
	// hfd is dirfd among guestrun's fds, and fdPath a path by which
	// guestrun can open it.
	hfd, fdPath := int(dirfd), "/dev/fd/"+strconv.Itoa(int(dirfd))
	fl := t.hraw(unix.SYS_FCNTL, uintptr(dirfd), unix.F_GETFD, 0)
	if fl < 0 {
		return tg, fl
	}
	if own {
		h, e := t.importFD(int(dirfd))
		if e != 0 {
			return tg, e
		}
		defer unix.Close(h)
		hfd, fdPath = h, "/proc/"+strconv.Itoa(t.P.Pid)+"/fd/"+strconv.Itoa(int(dirfd))
	}
	var st unix.Stat_t
	if err := unix.Fstat(hfd, &st); err != nil {
		return tg, errno(err)
	}
	// The kernel names the program /dev/fd/N[/path], which is also the
	// path a script's interpreter gets: it can open it only if the fd
	// survives the execve. An ELF is loaded even when it does not.
	dev := "/dev/fd/" + strconv.Itoa(int(dirfd))
	cloexec := fl&unix.FD_CLOEXEC != 0
	if path != "" {
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return tg, -int64(unix.ENOTDIR)
		}
		tg.load = dev + "/" + path
		if own {
			tg.here = fdPath + "/" + path
		}
		if flags&unix.AT_SYMLINK_NOFOLLOW != 0 {
			var lst unix.Stat_t
			if err := unix.Lstat(tg.hereOrLoad(), &lst); err == nil && lst.Mode&unix.S_IFMT == unix.S_IFLNK {
				return tg, -int64(unix.ELOOP)
			}
		}
		if !cloexec {
			return tg, 0
		}
		if isScript(tg.hereOrLoad()) {
			return tg, -int64(unix.ENOENT)
		}
		// The directory's path, which holds as long as nobody renames
		// it meanwhile.
		dir, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(hfd))
		if err != nil || !strings.HasPrefix(dir, "/") {
			return tg, -int64(unix.ENOENT)
		}
		tg.load, tg.execfn, tg.here = dir+"/"+path, dev+"/"+path, ""
		return tg, 0
	}
	// The fd itself (fexecve): an ELF is loaded from an inherited dup.
	if isScript(fdPath) {
		if cloexec {
			return tg, -int64(unix.ENOENT)
		}
		tg.load = dev
		if own {
			tg.here = fdPath
		}
		return tg, 0
	}
	fd, err := unix.FcntlInt(uintptr(hfd), unix.F_DUPFD_CLOEXEC, reservedFloor())
	if err != nil {
		return tg, errno(err)
	}
	tg.fd = fd
	tg.load = "/proc/self/fd/" + strconv.Itoa(fd)
	tg.execfn = dev
	return tg, 0
}

// isScript reports whether path starts with #!.
func isScript(path string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var magic [2]byte
	n, _ := unix.Pread(fd, magic[:], 0)
	return n == 2 && string(magic[:]) == "#!"
}

// execArgs reads argv and envp with the kernel's limits: each string at
// most MAX_ARG_STRLEN, and all of them, with their pointers and the
// program's name, within a quarter of the stack limit (at least ARG_MAX,
// at most three quarters of _STK_LIM).
func (t *Task) execArgs(argvAddr, envpAddr uint64, nameLen int) ([]string, []string, int64) {
	var total int
	argv, e := t.execStrings(argvAddr, &total)
	if e != 0 {
		return nil, nil, e
	}
	env, e := t.execStrings(envpAddr, &total)
	if e != 0 {
		return nil, nil, e
	}
	limit := uint64(stkLim / 4 * 3)
	limit = min(limit, GuestLimit(unix.RLIMIT_STACK).Cur/4)
	limit = max(limit, argMax)
	ptrs := uint64(max(len(argv), 1)+len(env)) * 8
	if limit <= ptrs || uint64(total+nameLen+1) > limit-ptrs {
		return nil, nil, -int64(unix.E2BIG)
	}
	return argv, env, 0
}

// execStrings reads a NULL-terminated array of string pointers; NULL is an
// empty array.
func (t *Task) execStrings(addr uint64, total *int) ([]string, int64) {
	var out []string
	if addr == 0 {
		return nil, 0
	}
	for i := uint64(0); ; i++ {
		if i >= maxArgStrings {
			return nil, -int64(unix.E2BIG)
		}
		p, ok := t.readU64(addr + 8*i)
		if !ok {
			return nil, efault
		}
		if p == 0 {
			return out, 0
		}
		s, err := t.P.Mem.ReadString(p, maxArgStrlen-1)
		switch {
		case err == unix.ENAMETOOLONG:
			return nil, -int64(unix.E2BIG)
		case err != nil:
			return nil, efault
		}
		*total += len(s) + 1
		out = append(out, s)
	}
}

// execCommand is the host command line of the new guestrun, and what to
// undo if the host execve fails.
func (t *Task) execCommand(tg execTarget, argv []string) ([]string, func()) {
	l := &launch
	cmd := []string{l.Argv0, "--exec"}
	if l.Strace {
		cmd = append(cmd, "-strace")
	}
	if l.Stats {
		cmd = append(cmd, "-stats")
	}
	if l.Debug != 0 {
		cmd = append(cmd, "--log-mask="+strconv.FormatUint(uint64(l.Debug), 16))
	}
	if l.LogFD >= 0 {
		cmd = append(cmd, "--log-fd="+strconv.Itoa(l.LogFD))
	}
	if l.Sysroot != "" {
		cmd = append(cmd, "-L", l.Sysroot)
	}
	var ignored signal.Set
	for sig := 1; sig < signal.NSig; sig++ {
		if t.P.Sig.Action(sig).Handler == signal.IGN {
			ignored |= signal.Bit(sig)
		}
	}
	if ignored != 0 {
		cmd = append(cmd, "--sig-ignore="+strconv.FormatUint(uint64(ignored), 16))
	}
	if m := t.Sig.Blocked(); m != 0 {
		cmd = append(cmd, "--sig-mask="+strconv.FormatUint(uint64(m), 16))
	}
	if tg.execfn != "" {
		cmd = append(cmd, "--execfn="+tg.execfn)
	}
	if tg.fd >= 0 {
		cmd = append(cmd, "--exec-fd="+strconv.Itoa(tg.fd))
	}
	// Filled right before the host execve (lastPending): a signal may
	// still come until then.
	if pending := t.pendingFile(); pending >= 0 {
		cmd = append(cmd, "--sig-pending="+strconv.Itoa(pending))
	}
	if execFlag != nil {
		atomic.StoreUint32(execFlag, 1)
	}
	undo := func() {
		if execFlag != nil {
			atomic.StoreUint32(execFlag, 0)
		}
	}
	cmd = append(cmd, "--rlimits="+GuestLimits().String())
	argv0 := ""
	if len(argv) > 0 {
		argv0, argv = argv[0], argv[1:]
	}
	cmd = append(cmd, "-0", argv0, "--", tg.load)
	return append(cmd, argv...), undo
}

// pendingRecord is the size of a pending signal in pendingFile's memfd: a byte
// telling the queue, then the siginfo.
const pendingRecord = 1 + signal.InfoSize

// pendingFile creates the memfd that carries the signals pending at a host
// execve to the new guestrun (ReadPendingSignals), as t.execPending;
// lastPending fills it just before the execve, and dropPending closes it.
// It returns -1 if the memfd cannot be made.
func (t *Task) pendingFile() int {
	fd, err := unix.MemfdCreate("guestrun-sigpending", unix.MFD_CLOEXEC)
	if err != nil {
		return -1
	}
	// Among guestrun's fds; lendFDs makes it inherited.
	if h, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, reservedFloor()); err == nil {
		unix.Close(fd)
		fd = h
	}
	t.execPending = fd
	return fd
}

// dropPending closes pendingFile's memfd in guestrun.
func (t *Task) dropPending() {
	if t.execPending > 0 {
		unix.Close(t.execPending)
		t.execPending = 0
	}
}

// writePending writes the signals pending for t and for its process into
// fd, replacing what it held.
func (t *Task) writePending(fd int) bool {
	own, shared := t.Sig.PendingQueues()
	b := make([]byte, 0, (len(own)+len(shared))*pendingRecord)
	for q, infos := range [][]signal.Info{own, shared} {
		for i := range infos {
			var r [pendingRecord]byte
			r[0] = byte(q)
			infos[i].Put(r[1:])
			b = append(b, r[:]...)
		}
	}
	return unix.Ftruncate(fd, 0) == nil && pwriteAll(fd, b) == nil
}

// PendingSignal is a signal pending at execve: for the thread that called
// it, or for the process.
type PendingSignal struct {
	Info    signal.Info
	Process bool
}

// ReadPendingSignals reads what lastPending wrote into fd, and closes fd.
func ReadPendingSignals(fd int) ([]PendingSignal, error) {
	f := os.NewFile(uintptr(fd), "pending signals")
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	if len(b)%pendingRecord != 0 {
		return nil, errors.New("truncated pending signals")
	}
	ps := make([]PendingSignal, 0, len(b)/pendingRecord)
	for ; len(b) > 0; b = b[pendingRecord:] {
		ps = append(ps, PendingSignal{Info: signal.GetInfo(b[1:pendingRecord]), Process: b[0] == 1})
	}
	return ps, nil
}

// ExecState is what execve keeps of the old guest for the new one.
type ExecState struct {
	Ignored, Mask signal.Set
	Pending       []PendingSignal
}

// ApplyExecState gives a freshly loaded main task the signal state an
// execve keeps: ignored signals stay ignored, the mask stays, and what was
// pending is pending again, in the same queues and order.
func (t *Task) ApplyExecState(s ExecState) {
	for sig := 1; sig < signal.NSig; sig++ {
		if s.Ignored.Has(sig) && !signal.Unblockable.Has(sig) {
			t.P.Sig.SetAction(sig, &signal.Action{Handler: signal.IGN})
		}
	}
	t.Sig.SetBlocked(s.Mask)
	t.AddPending(s.Pending)
}

// AddPending makes signals pending again, in the same queues and order.
func (t *Task) AddPending(ps []PendingSignal) {
	for _, p := range ps {
		to := t.Sig
		if p.Process {
			to = nil
		}
		t.P.Sig.Send(to, p.Info)
	}
}

// lastPending writes the pending signals right before the host execve,
// after draining the host ring: one caught during the execve's preparation
// (a kill of a child that is about to exec) would otherwise go with the old
// guestrun.
func (t *Task) lastPending() {
	if t.execPending > 0 {
		signal.DrainHost()
		t.writePending(t.execPending)
	}
}

// hostExec execs guestrun with argv and env on the task's kernel task; it
// returns only if that failed.
func (t *Task) hostExec(argv, env []string) error {
	if launch.LogFD >= 0 {
		t.hraw(unix.SYS_FCNTL, uintptr(launch.LogFD), unix.F_SETFD, 0)
	}
	var err error
	if t.stub != nil {
		// The stub's host mask is empty already.
		t.lastPending()
		err = t.hostExecStub(argv, env)
	} else {
		handOffChildren()
		// The new guestrun starts with no host signal blocked: the
		// guest's mask is on its command line.
		var none, old uint64
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&none)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		t.lastPending()
		err = unix.Exec("/proc/self/exe", argv, env)
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	}
	if launch.LogFD >= 0 {
		t.hraw(unix.SYS_FCNTL, uintptr(launch.LogFD), unix.F_SETFD, unix.FD_CLOEXEC)
	}
	return err
}
