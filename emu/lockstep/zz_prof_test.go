package lockstep

import (
	"os"
	"runtime/pprof"
	"testing"
)

func TestZZProf(t *testing.T) {
	p := os.Getenv("LSPROG")
	if p == "" {
		t.Skip()
	}
	f, _ := os.Create("/tmp/ls.prof")
	pprof.StartCPUProfile(f)
	defer pprof.StopCPUProfile()
	res, err := Run(Config{Path: p, MaxInsts: 3000000})
	t.Log(res, err)
}
