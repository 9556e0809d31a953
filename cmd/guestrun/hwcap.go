package main

// hwcap is AT_HWCAP: on x86 the kernel passes CPUID.1:EDX.
func hwcap() uint64 { return 0 }
