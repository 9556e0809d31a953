//go:build !profile

package main

import (
	"fmt"
	"os"
)

// Without -tags profile there is no CPU profile (profile.go): say so to one
// who asks for it.
func init() {
	if os.Getenv("GUESTRUN_CPUPROFILE") != "" {
		fmt.Fprintln(os.Stderr, "guestrun: GUESTRUN_CPUPROFILE: this guestrun was built without -tags profile")
	}
}

// stopProfile ends the CPU profile; there is none in this build.
func stopProfile() {}
