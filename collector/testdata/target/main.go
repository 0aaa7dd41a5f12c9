// Command target allocates and forces GC cycles, so that the receiver's
// real-probe test sees GC cycles and stop-the-world pauses.
package main

import (
	"runtime"
	"time"
)

func main() {
	var keep [][]byte
	for i := 0; ; i++ {
		for j := 0; j < 32; j++ {
			keep = append(keep, make([]byte, 32<<10))
		}
		if len(keep) > 512 {
			keep = keep[:0]
		}
		if i%5 == 0 {
			runtime.GC()
		}
		time.Sleep(10 * time.Millisecond)
	}
}
