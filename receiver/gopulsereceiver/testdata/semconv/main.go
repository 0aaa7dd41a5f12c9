// Command semconv prints the pinned semantic-convention Go runtime metrics
// (internal/semconvpin) as JSON, for the e2e tests of the collector
// distribution, which live outside this module.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/semconvpin"
)

func main() {
	ms, err := semconvpin.Metrics()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := struct {
		Version string                       `json:"version"`
		Metrics map[string]semconvpin.Metric `json:"metrics"`
	}{semconvpin.Version, ms}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
