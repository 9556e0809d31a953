// Command gctimers allocates enough for many garbage collections while
// timers fire and a ticker ticks, and checks what does not depend on timing:
// results, that every timer fired, that sleeps last long enough, and that
// finalizers run.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

type node struct {
	next *node
	buf  []byte
}

func churn(rounds int) int {
	total := 0
	for r := 0; r < rounds; r++ {
		var head *node
		for i := 0; i < 1000; i++ {
			head = &node{next: head, buf: make([]byte, 256+i%512)}
		}
		for n := head; n != nil; n = n.next {
			total += len(n.buf)
		}
	}
	return total
}

func main() {
	debug.SetGCPercent(20)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var wg sync.WaitGroup
	sums := make([]int, 4)
	for g := range sums {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			sums[g] = churn(20)
		}(g)
	}

	// Timers all fire, whatever the allocation load.
	var mu sync.Mutex
	fired := 0
	var tw sync.WaitGroup
	for _, ms := range []int{50, 10, 30, 20, 40} {
		tw.Add(1)
		time.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
			mu.Lock()
			fired++
			mu.Unlock()
			tw.Done()
		})
	}
	tick := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	for ticks < 10 {
		<-tick.C
		ticks++
	}
	tick.Stop()
	start := time.Now()
	time.Sleep(30 * time.Millisecond)
	slept := time.Since(start)
	wg.Wait()
	tw.Wait()

	finalized := make(chan int, 10)
	for i := 0; i < 10; i++ {
		p := new([64]byte)
		runtime.SetFinalizer(p, func(*[64]byte) { finalized <- 1 })
	}
	got := 0
	for deadline := time.Now().Add(10 * time.Second); got < 10 && time.Now().Before(deadline); {
		runtime.GC()
		select {
		case <-finalized:
			got++
		case <-time.After(10 * time.Millisecond):
		}
	}

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	fmt.Println("sums:", sums)
	fmt.Println("timers fired:", fired)
	fmt.Println("ticks:", ticks)
	fmt.Println("slept at least 30ms:", slept >= 30*time.Millisecond)
	fmt.Println("finalizers run:", got)
	fmt.Println("collections happened:", after.NumGC-before.NumGC > 10)
}
