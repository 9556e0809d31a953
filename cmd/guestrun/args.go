package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"guestrun/emu/dbg"
)

// version is printed by --version.
const version = "0.1.0"

const usage = `usage: guestrun [options] program [arguments...]
Run an x86-64 Linux program by interpretation.

Options:
  -h, --help         print this help and exit
  --version          print the version and exit
  -strace            log system calls in strace's format   (GUESTRUN_STRACE)
  -E var=value       set a variable in the guest environment (GUESTRUN_SET_ENV)
  -U var             remove a variable from the guest environment (GUESTRUN_UNSET_ENV)
  -0 argv0           run the program with this argv[0]       (GUESTRUN_ARGV0)
  -L prefix          look for the ELF interpreter under prefix (GUESTRUN_LD_PREFIX)
  -d item[,...]      enable debug logs; -d help lists them   (GUESTRUN_LOG)
  -D logfile         write debug logs to logfile             (GUESTRUN_LOG_FILENAME)
  -stats             at exit, print instructions, MIPS, syscalls (GUESTRUN_STATS)
  -g port            wait for gdb on 127.0.0.1:port; 0: any port (GUESTRUN_GDB)

The exit status is the guest's; a guest killed by a signal kills guestrun by it.
`

type options struct {
	prog    string
	argv    []string
	env     []string
	sysroot string
	strace  bool
	stats   bool
	gdbPort int // -g: -1 when not debugging; 0 picks a free port
	debug   dbg.Category
	logFile string
	done    bool       // the options asked for something other than a run
	inh     *inherited // set when another guestrun started this one (process.go)
}

// parseArgs reads options as qemu-x86_64 does: they come before the program,
// and GUESTRUN_* environment variables give defaults.
func parseArgs(args, environ []string) (*options, error) {
	if o, ok, err := parseInternal(args, environ); ok {
		return o, err
	}
	o := &options{env: append([]string(nil), environ...), gdbPort: -1}
	getenv := func(k string) string {
		for _, kv := range environ {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	var argv0 string
	var sets, unsets []string
	if v := getenv("GUESTRUN_STRACE"); v != "" {
		o.strace = true
	}
	o.stats = getenv("GUESTRUN_STATS") != ""
	if v := getenv("GUESTRUN_GDB"); v != "" {
		p, err := parsePort(v)
		if err != nil {
			return nil, fmt.Errorf("GUESTRUN_GDB: %v", err)
		}
		o.gdbPort = p
	}
	o.sysroot = getenv("GUESTRUN_LD_PREFIX")
	o.logFile = getenv("GUESTRUN_LOG_FILENAME")
	argv0 = getenv("GUESTRUN_ARGV0")
	if v := getenv("GUESTRUN_SET_ENV"); v != "" {
		sets = append(sets, strings.Split(v, ",")...)
	}
	if v := getenv("GUESTRUN_UNSET_ENV"); v != "" {
		unsets = append(unsets, strings.Split(v, ",")...)
	}
	if v := getenv("GUESTRUN_LOG"); v != "" {
		c, err := dbg.Parse(v)
		if err != nil {
			return nil, err
		}
		o.debug = c
	}

	i := 0
	next := func(name string) (string, error) {
		if i+1 >= len(args) {
			return "", fmt.Errorf("option %s needs an argument", name)
		}
		i++
		return args[i], nil
	}
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		name := "-" + strings.TrimLeft(a, "-")
		var err error
		var v string
		switch name {
		case "-h", "-help":
			fmt.Print(usage)
			o.done = true
			return o, nil
		case "-version":
			fmt.Printf("guestrun version %s\n", version)
			o.done = true
			return o, nil
		case "-strace":
			o.strace = true
		case "-stats":
			o.stats = true
		case "-g":
			if v, err = next(a); err == nil {
				o.gdbPort, err = parsePort(v)
			}
		case "-E":
			if v, err = next(a); err == nil {
				sets = append(sets, v)
			}
		case "-U":
			if v, err = next(a); err == nil {
				unsets = append(unsets, v)
			}
		case "-0":
			argv0, err = next(a)
		case "-L":
			o.sysroot, err = next(a)
		case "-D":
			o.logFile, err = next(a)
		case "-d":
			if v, err = next(a); err == nil {
				if v == "help" {
					fmt.Print(dbg.Help())
					o.done = true
					return o, nil
				}
				var c dbg.Category
				if c, err = dbg.Parse(v); err == nil {
					o.debug |= c
				}
			}
		default:
			return nil, fmt.Errorf("unknown option %s (try --help)", a)
		}
		if err != nil {
			return nil, err
		}
	}
	if i >= len(args) {
		return nil, errors.New("no program given (try --help)")
	}
	o.prog = args[i]
	o.argv = append([]string{o.prog}, args[i+1:]...)
	if argv0 != "" {
		o.argv[0] = argv0
	}
	for _, u := range unsets {
		o.env = unsetEnv(o.env, u)
	}
	for _, s := range sets {
		k, _, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("-E %s: expected var=value", s)
		}
		o.env = append(unsetEnv(o.env, k), s)
	}
	if o.strace {
		o.debug |= dbg.Strace
	}
	return o, nil
}

// parsePort reads -g's TCP port; 0 lets the system pick one.
func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("bad gdb port %q", s)
	}
	return p, nil
}

func unsetEnv(env []string, k string) []string {
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, k+"=") {
			out = append(out, kv)
		}
	}
	return out
}
