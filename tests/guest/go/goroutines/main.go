// Command goroutines runs many goroutines on several threads: channels,
// mutexes, a pipeline and a worker pool, with results independent of the
// scheduling.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

func pipeline(n int) int {
	src := make(chan int)
	sq := make(chan int)
	go func() {
		for i := 1; i <= n; i++ {
			src <- i
		}
		close(src)
	}()
	go func() {
		for v := range src {
			sq <- v * v
		}
		close(sq)
	}()
	sum := 0
	for v := range sq {
		sum += v
	}
	return sum
}

func main() {
	runtime.GOMAXPROCS(4)
	fmt.Println("pipeline:", pipeline(1000))

	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	var ops atomic.Int64
	for g := 0; g < 200; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				mu.Lock()
				counts[g%10]++
				mu.Unlock()
				ops.Add(1)
				if i%100 == 0 {
					runtime.Gosched()
				}
			}
		}(g)
	}
	wg.Wait()
	keys := make([]int, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		fmt.Printf("bucket %d: %d\n", k, counts[k])
	}
	fmt.Println("ops:", ops.Load())

	jobs := make(chan int, 100)
	results := make(chan [2]int, 100)
	for w := 0; w < 8; w++ {
		go func() {
			for j := range jobs {
				f := 1
				for k := 2; k <= j%20; k++ {
					f *= k
				}
				results <- [2]int{j, f}
			}
		}()
	}
	go func() {
		for j := 0; j < 1000; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	sum := 0
	for i := 0; i < 1000; i++ {
		r := <-results
		sum += r[1] % 1000003
	}
	fmt.Println("worker pool:", sum)

	// Goroutines parked on a condition variable, woken together.
	var cmu sync.Mutex
	cond := sync.NewCond(&cmu)
	ready := false
	var woke atomic.Int32
	var cw sync.WaitGroup
	for i := 0; i < 50; i++ {
		cw.Add(1)
		go func() {
			defer cw.Done()
			cmu.Lock()
			for !ready {
				cond.Wait()
			}
			cmu.Unlock()
			woke.Add(1)
		}()
	}
	cmu.Lock()
	ready = true
	cond.Broadcast()
	cmu.Unlock()
	cw.Wait()
	fmt.Println("woken:", woke.Load())
}
