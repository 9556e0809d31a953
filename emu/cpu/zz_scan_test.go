package cpu

import (
	"fmt"
	"sort"
	"testing"

)

func TestZZScan(t *testing.T) {
	missing := map[string]bool{}
	failed := map[string]bool{}
	for _, pfx := range [][]byte{nil, {0x66}, {0xf2}, {0xf3}, {0x66, 0x48}, {0xf2, 0x48}, {0xf3, 0x48}, {0x48}} {
		for _, mp := range [][]byte{{0x0f}, {0x0f, 0x38}, {0x0f, 0x3a}} {
			for op := 0; op < 256; op++ {
				if len(mp) == 1 && (op == 0x38 || op == 0x3a) {
					continue
				}
				for _, modrm := range []byte{0xc1, 0x06} {
					code := append(append(append([]byte{}, pfx...), mp...), byte(op), modrm, 1, 0, 0, 0, 0, 0)
					xi, err := decodeX86(code)
					key := fmt.Sprintf("% x %02x %02x", pfx, mp, op)
					if err != nil || xi.Op == 0 {
						failed[key] = true
						continue
					}
					var in Inst
					in.next = 0x1000
					if !(&CPU{}).translate(&in, &xi) {
						missing[fmt.Sprintf("%v (translate) %s", xi.Op, key)] = true
						continue
					}
					sel := ops[xi.Op]
					if sel == nil || sel(&in) == nil {
						missing[fmt.Sprintf("%-12v %s mod=%02x", xi.Op, key, modrm)] = true
					}
				}
			}
		}
	}
	for k := range failed {
		fmt.Println("FAILED", k)
	}
	var l []string
	for k := range missing {
		l = append(l, k)
	}
	sort.Strings(l)
	for _, k := range l {
		fmt.Println("MISSING", k)
	}
}
