// Command preempt needs asynchronous preemption: with one P, a goroutine
// spinning in a loop without calls must still be stopped (the runtime's
// SIGURG, whose handler rewrites the signal context) so that main, a timer
// and the garbage collector get to run.
package main

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

var spins atomic.Uint64

//go:noinline
func spin(stop *atomic.Bool) {
	n := uint64(0)
	for !stop.Load() {
		n++
		if n&0xffff == 0 {
			spins.Store(n)
		}
	}
}

func main() {
	runtime.GOMAXPROCS(1)
	var stop atomic.Bool
	done := make(chan bool)
	go func() {
		spin(&stop)
		done <- true
	}()
	// Let the spinner take the only P.
	runtime.Gosched()
	time.Sleep(20 * time.Millisecond)
	fmt.Println("main ran while the loop spun")
	runtime.GC()
	fmt.Println("GC finished while the loop spun")
	t := time.NewTimer(10 * time.Millisecond)
	<-t.C
	fmt.Println("timer fired while the loop spun")
	stop.Store(true)
	<-done
	fmt.Println("spinner stopped; it spun:", spins.Load() > 0)
}
