// Command gosignals uses os/signal: signals sent by the process to itself
// (kill, tgkill of another thread), an ignored signal, a signal while a
// thread blocks in a read, and the default action of SIGTERM at the end.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func wait(c chan os.Signal, what string) {
	select {
	case s := <-c:
		fmt.Printf("%s: got %v\n", what, s)
	case <-time.After(10 * time.Second):
		fmt.Printf("%s: timed out\n", what)
	}
}

func main() {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	wait(c, "kill")

	// tgkill from a thread locked to itself to the main thread.
	done := make(chan bool)
	go func() {
		runtime.LockOSThread()
		syscall.Tgkill(os.Getpid(), os.Getpid(), syscall.SIGUSR2)
		done <- true
	}()
	<-done
	wait(c, "tgkill")

	// Ignored signals are dropped; the next one still arrives.
	signal.Ignore(syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	wait(c, "after ignore")

	// A signal while a thread blocks in a read (a raw one, not the
	// netpoller's): the runtime's handler has SA_RESTART, so the read
	// goes on and returns the byte written after the signal.
	var p [2]int
	syscall.Pipe(p[:])
	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Kill(os.Getpid(), syscall.SIGUSR2)
		wait(c, "during a blocking read")
		syscall.Write(p[1], []byte("x"))
	}()
	var b [1]byte
	n, err := syscall.Read(p[0], b[:])
	fmt.Println("read:", n, err)

	signal.Stop(c)
	fmt.Println("raising SIGTERM")
	os.Stdout.Sync()
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.Sleep(10 * time.Second)
	fmt.Println("still alive")
}
