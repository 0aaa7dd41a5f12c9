//go:build !unix

package logparse

import "time"

// processCPU is not available here: the CPU metrics report 0.
func processCPU() time.Duration { return 0 }
