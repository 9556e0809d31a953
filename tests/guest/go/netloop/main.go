// Command netloop exercises Go's network poller on loopback: a TCP echo
// server with many concurrent clients, an HTTP round trip, UDP, a Unix
// socket pair, and deadlines. It prints only what is deterministic.
package main

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	tcpEcho()
	httpRoundTrip()
	udp()
	unixSocket()
	deadline()
}

// tcpEcho runs 32 clients against one echo server, each sending 200 lines.
func tcpEcho() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	var wg sync.WaitGroup
	sums := make([]string, 32)
	for i := range sums {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", ln.Addr().String())
			check(err)
			defer c.Close()
			r := bufio.NewReader(c)
			h := sha256.New()
			for j := 0; j < 200; j++ {
				fmt.Fprintf(c, "client %d line %d\n", i, j)
				line, err := r.ReadString('\n')
				check(err)
				h.Write([]byte(line))
			}
			sums[i] = fmt.Sprintf("%x", h.Sum(nil))[:12]
		}()
	}
	wg.Wait()
	fmt.Println("tcp echo: clients", len(sums), "first", sums[0], "last", sums[31])
}

func httpRoundTrip() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %d bytes", r.Method, r.URL.Path, len(body))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post("http://"+ln.Addr().String()+fmt.Sprintf("/item/%d", i), "text/plain",
				strings.NewReader(strings.Repeat("x", 1000*i)))
			check(err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			check(err)
			got[i] = fmt.Sprintf("%d %s", resp.StatusCode, b)
		}()
	}
	wg.Wait()
	sort.Strings(got)
	fmt.Println("http:", strings.Join(got, "; "))
}

func udp() {
	a, err := net.ListenPacket("udp", "127.0.0.1:0")
	check(err)
	defer a.Close()
	b, err := net.ListenPacket("udp", "127.0.0.1:0")
	check(err)
	defer b.Close()
	for i := 0; i < 10; i++ {
		_, err := b.WriteTo([]byte(fmt.Sprintf("datagram %d", i)), a.LocalAddr())
		check(err)
	}
	buf := make([]byte, 64)
	var msgs []string
	for i := 0; i < 10; i++ {
		n, from, err := a.ReadFrom(buf)
		check(err)
		if from.String() != b.LocalAddr().String() {
			fmt.Println("udp: wrong sender")
		}
		msgs = append(msgs, string(buf[:n]))
	}
	fmt.Println("udp:", len(msgs), msgs[0], "..", msgs[9])
}

func unixSocket() {
	dir, err := os.MkdirTemp("", "netloop")
	check(err)
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", path)
	check(err)
	defer ln.Close()
	done := make(chan string)
	go func() {
		c, err := ln.Accept()
		check(err)
		defer c.Close()
		b, err := io.ReadAll(c)
		check(err)
		done <- fmt.Sprintf("%d bytes, %x", len(b), sha256.Sum256(b))[:24]
	}()
	c, err := net.Dial("unix", path)
	check(err)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(c, "%05d", i)
	}
	c.Close()
	fmt.Println("unix:", <-done)
}

// deadline checks that a read deadline fires as a timeout error.
func deadline() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			time.Sleep(300 * time.Millisecond)
			c.Close()
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	check(err)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	fmt.Println("deadline: timeout", errors.As(err, &ne) && ne.Timeout())
}

func check(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}
