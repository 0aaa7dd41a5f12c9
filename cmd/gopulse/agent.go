package main

import (
	"context"
	"errors"
	"io"
)

// PLACEHOLDER: replaced by the agent work (issue 5).
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("agent: not built yet")
}

// PLACEHOLDER: replaced by the agent work (issue 5).
func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("config: not built yet")
}
