// Package lockstep is the CPU oracle: it runs a static x86-64 program twice
// side by side, natively under ptrace and in guestrun's interpreter
// (cpu.CPU.Step), and compares them after every instruction: the 16 general
// registers, RIP, RFLAGS (without the flags the Intel SDM leaves undefined
// for the instructions just run), the FS and GS bases, XMM0-15, MXCSR, the
// x87 registers, and the memory each instruction wrote. The first
// difference is reported with the instruction, the ones before it and the
// registers before and after.
//
// # Making the two runs one
//
// The guest side is set up as cmd/guestrun does it: loader.Load into a fresh
// mem.Mem, a syscall.Process and its main Task. The native child is started
// with PTRACE_TRACEME and ASLR off and stops after execve. Then the checker
// makes it a copy of the guest rather than the other way round:
//
//   - Layout and memory: a page mapped outside the guest window holds a
//     SYSCALL through which the checker injects system calls into the child.
//     Everything the kernel mapped inside the window is unmapped, and every
//     guest VMA is mapped anew (anonymous, same protection) and filled from
//     guest memory through /proc/pid/mem. So the stack, auxv, brk and mmap
//     area are guestrun's, and layout bugs of the loader show in both runs
//     alike.
//   - Registers: the child takes all of the guest's, FS base included.
//   - A seccomp filter lets the child make system calls only from the
//     injection page: a child that strays from the guest's path (after a
//     difference) stops with SIGSYS instead of touching the outside world.
//   - System calls run only in guestrun (Task.Syscall). The child skips its
//     SYSCALL and takes the results: the guest VMA list before and after the
//     call is compared and the changes are repeated in the child by injected
//     munmap, mmap (new mappings, filled from the guest) and mprotect; then
//     every guest data page of the writable mappings (the memfd's data
//     extents) is compared with the child's and differing pages are copied;
//     then the child takes all of the guest's registers (RAX, RCX, R11, or a
//     whole context after rt_sigreturn) and FP state. This needs no
//     knowledge of what each call writes, handles results that differ
//     between runs (getrandom, clock_gettime, getpid) and calls guestrun
//     answers differently from the kernel, and lets a single process write
//     the output. exit and exit_group end the comparison; clone, fork, vfork
//     and execve stop it (it follows one thread of one process).
//   - CPUID, RDTSC, RDTSCP, XGETBV, RDRAND and RDPMC read the machine: only
//     the interpreter runs them, and the child takes its registers.
//   - Faults: when both raise the same signal at the same instruction (with
//     the same si_code and si_addr for SIGSEGV and SIGBUS) the comparison
//     ends successfully; a fault on one side only is a difference.
//   - Flags the SDM leaves undefined are masked while they differ, then the
//     guest takes the native values, so that later instructions see the
//     same flags. The x87 C0, C2 and C3 are compared only after the
//     instructions that define them.
//
// # Speed
//
// A ptrace stop costs about 20µs on a VM, whether it ends one instruction or
// thousands, so by default the checker compares runs rather than single
// instructions: the interpreter executes ahead across branches, recording
// the memory it overwrites, and the child then runs to a breakpoint where
// the interpreter stopped. A run ends before the first instruction it would
// execute a second time (so that the child cannot reach the breakpoint
// early), before an instruction that must run alone, or after 10000
// instructions; a loop costs one stop per iteration. At the end of a run
// the registers, the FP state (if an instruction used it) and every byte the
// run wrote are compared. On a difference both sides are rewound to the
// start of the run (the interpreter by a snapshot and its undo log, the
// child by taking the guest's registers and writable memory) and the run is
// replayed in basic blocks, and the block that differs one instruction at a
// time, so the report names the instruction either way. Config.Step
// single-steps everything. The tracer and the child are pinned to one CPU,
// which halves the cost of a stop.
//
// Limits: one thread; no signal delivery to the guest (pending guest signals
// stay pending on both sides); code that changes without an mmap or mprotect
// is only noticed at run boundaries; XSAVE areas are not compared.
package lockstep
