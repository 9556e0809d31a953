// Command basics is a Go guest program: the Go runtime starts threads,
// uses futexes, signals (SIGURG preemption) and mmap, then the program
// prints deterministic results of ordinary library code.
package main

import (
	"crypto/sha256"
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	fmt.Println("args:", len(os.Args)-1, os.Args[1:])
	fmt.Println("GUEST_TEST =", os.Getenv("GUEST_TEST"))

	m := map[string]int{}
	for i := 0; i < 1000; i++ {
		m[strconv.Itoa(i%97)] += i
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println("map:", len(m), keys[:5], m["42"])

	for _, f := range []float64{0, 1.0 / 3, math.Pi, 1e300, 5e-324, math.Inf(-1), math.NaN()} {
		fmt.Println(strconv.FormatFloat(f, 'g', -1, 64), strconv.FormatFloat(f, 'e', 10, 64),
			math.Sqrt(f), math.Sin(f), math.Exp(f/1000))
	}

	f := new(big.Int).MulRange(1, 100)
	fmt.Println("100! =", f.String())
	sum := sha256.Sum256([]byte(strings.Repeat("guestrun", 1000)))
	fmt.Printf("sha256 %x\n", sum)

	// Goroutines on several threads, joined through a channel.
	var wg sync.WaitGroup
	results := make(chan int, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			s := 0
			for i := 0; i < 200000; i++ {
				s += (i * g) % 7
			}
			results <- s
		}(g)
	}
	wg.Wait()
	close(results)
	total := 0
	for r := range results {
		total += r
	}
	fmt.Println("goroutines total:", total)

	start := time.Now()
	time.Sleep(10 * time.Millisecond)
	fmt.Println("slept at least 10ms:", time.Since(start) >= 10*time.Millisecond)

	var b strings.Builder
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "%d:%x:%q ", i, i*i, string(rune('a'+i%26)))
	}
	fmt.Println(b.Len(), b.String()[:60])
}
