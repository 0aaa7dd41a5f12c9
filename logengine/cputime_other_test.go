//go:build !unix

package logengine

import "time"

// processCPU is not available here: benchmarks report wall time only.
func processCPU() time.Duration { return 0 }
