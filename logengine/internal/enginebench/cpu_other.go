//go:build !unix

package main

import "time"

// cpuTime is not available here: measure reports an error.
func cpuTime() time.Duration { return 0 }
