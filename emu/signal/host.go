package signal

import (
	"os"
	ossignal "os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// Host signals caught for the guest. For now they come through os/signal,
// which loses the siginfo: they are queued as SI_KERNEL, which is right
// for the interval timers that use this.
var caught struct {
	mu     sync.Mutex
	sigs   Set
	target *Process
	ch     chan os.Signal
}

// CatchHost routes the host signal sig, sent to guestrun, to the guest
// process p as a process-directed signal.
func CatchHost(p *Process, sig unix.Signal) {
	caught.mu.Lock()
	defer caught.mu.Unlock()
	caught.target = p
	if caught.ch == nil {
		caught.ch = make(chan os.Signal, NSig)
		go forwardHost(caught.ch)
	}
	if !caught.sigs.Has(int(sig)) {
		caught.sigs |= Bit(int(sig))
		ossignal.Notify(caught.ch, sig)
	}
}

func forwardHost(ch <-chan os.Signal) {
	for s := range ch {
		caught.mu.Lock()
		p := caught.target
		caught.mu.Unlock()
		p.Send(nil, Info{Signo: int32(s.(unix.Signal)), Code: SIKernel})
	}
}
