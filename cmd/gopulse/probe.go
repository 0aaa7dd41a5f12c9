package main

import (
	"context"
	"errors"
	"io"
)

// PLACEHOLDER: replaced by the probes work (issue 2).
func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("probe: not built yet")
}
