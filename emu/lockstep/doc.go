// Package lockstep is the CPU oracle: it runs an x86-64 program twice
// side by side, natively under ptrace and in guestrun's interpreter
// (cpu.CPU.Step), and compares the 16 general registers, RIP, RFLAGS
// (without the flags the Intel SDM leaves undefined for the instructions
// run), the FS and GS bases, XMM0-15, MXCSR, the x87 registers and the
// memory the instructions wrote. The first difference is reported with the
// instruction, the ones before it and the registers before and after.
//
// # Making the two runs one
//
// The guest side is set up as cmd/guestrun does it: loader.Load into a fresh
// mem.Mem, a syscall.Process and its main Task. The native child is started
// with PTRACE_TRACEME and ASLR off and stops after execve. Then the checker
// makes it a copy of the guest rather than the other way round:
//
//   - Layout and memory: a page mapped above the guest window holds a
//     SYSCALL through which the checker injects system calls into the child.
//     Everything the kernel mapped inside the window is unmapped (after
//     comparing it and the start of the break with what guestrun's loader
//     did: differences become warnings), and every guest VMA is mapped anew
//     (anonymous, same protection) and filled from guest memory through
//     /proc/pid/mem. So the stack, auxv, brk and mmap area are guestrun's.
//   - Registers: the child takes all of the guest's, FS base included.
//   - A seccomp filter lets the child make system calls only from the
//     injection page: a child that strays from the guest's path (after a
//     difference) stops with SIGSYS instead of touching the outside world.
//   - System calls run only in guestrun (Task.Syscall, which also delivers
//     pending guest signals as Task.Run does). The child skips its SYSCALL
//     and takes the results. The guest's VMA list before and after the call
//     is compared and the changes are repeated in the child by injected
//     munmap, mmap (new mappings, filled from the guest) and mprotect. The
//     memory the call wrote is copied: for common calls the buffers their
//     arguments name (read's, fstat's, clock_gettime's...; sysout.go); for
//     the others, and when a signal frame was pushed, every guest data page
//     of the writable mappings (the memfd's data extents) is compared with
//     the child's. Then the child takes all of the guest's registers and FP
//     state (RAX, RCX and R11, or a handler's entry or rt_sigreturn's whole
//     context). This follows guestrun's answers wherever they differ from
//     the kernel's or from one run to the next (getpid, getrandom,
//     clock_gettime) and lets only guestrun's side do I/O. exit and
//     exit_group end the comparison; clone, fork, vfork and execve stop it
//     (it follows one thread of one process). A guest killed by a signal
//     kills the checker, as it would kill guestrun.
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
// A ptrace stop costs about 20µs on a VM whether it ends one instruction or
// millions, so by default the checker compares runs rather than single
// instructions (block.go): the interpreter executes ahead across branches
// and loops, keeping the pre-image of every page it writes, and the child
// then runs to a breakpoint where the interpreter stopped, counting its
// arrivals there. At the end of a run the registers, the FP state (if an
// instruction used it) and every page the run wrote are compared. On a
// difference both sides are rewound to the start of the run and it is
// replayed in basic blocks, and the block that differs one instruction at a
// time, so the report names the instruction either way. What runs cannot
// see is a wrong value that is dead by the end of the run (overwritten
// without being stored, branched on or used in an address): Config.Step
// compares after every instruction, at about 20µs each. The tracer and the
// child are pinned to one CPU, which halves the cost of a stop. Typical
// speed in runs is 0.05 to 1µs per instruction.
//
// Other limits: one thread; code that changes without an mmap or mprotect
// is only noticed at the start of a basic block; XSAVE areas are not
// compared.
package lockstep
