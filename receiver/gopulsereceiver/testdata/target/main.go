// Command target allocates and forces GC cycles, so that the receiver's
// real-probe tests see GC cycles, stop-the-world pauses, memory and
// scheduling. With -wait it starts on "start" (a line on stdin), else at
// once. On "stop" it stops, waits until no GC cycle runs any more and prints
// its own GC count (/gc/cycles/total:gc-cycles) as "gc_cycles N"; on "quit"
// it exits.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

func main() {
	wait := flag.Bool("wait", false, "start on \"start\"")
	flag.Parse()
	var stop atomic.Bool
	done := make(chan struct{})
	begin := make(chan struct{})
	if !*wait {
		close(begin)
	}
	go func() {
		defer close(done)
		<-begin
		var keep [][]byte
		for i := 0; !stop.Load(); i++ {
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
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "start":
			select {
			case <-begin:
			default:
				close(begin)
			}
		case "stop":
			stop.Store(true)
			select {
			case <-begin:
			default:
				close(begin)
			}
			<-done
			fmt.Printf("gc_cycles %d\n", settle())
		case "quit":
			return
		}
	}
}

// settle waits until the GC count has not moved for 200 ms and returns it.
func settle() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	last := s[0].Value.Uint64()
	for i := 0; i < 50; i++ {
		time.Sleep(200 * time.Millisecond)
		metrics.Read(s)
		if n := s[0].Value.Uint64(); n == last {
			return n
		} else {
			last = n
		}
	}
	return last
}
