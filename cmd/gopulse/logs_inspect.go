package main

import (
	"context"
	"errors"
	"io"
)

func runLogsInspect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("inspect: todo")
}
