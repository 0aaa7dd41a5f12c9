package main

import (
	"context"
	"errors"
	"io"
)

// PLACEHOLDER: replaced by the log engine work (issue 3).
func runLogs(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("logs: not built yet")
}
