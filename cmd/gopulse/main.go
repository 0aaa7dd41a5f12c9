// Command gopulse watches Go programs from the outside: runtime probes (eBPF),
// log parsing, exporters and health decisions.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `gopulse: watch Go programs from the outside

Usage:
  gopulse agent [--config FILE] [--listen ADDR]   run the node daemon
  gopulse config validate FILE                    check a config file
  gopulse probe (--pid N | --all | --exec CMD…)   live runtime probes
  gopulse logs inspect [FILE…|-]                  detect format, schema, templates
  gopulse logs parse [FILE…|-]                    one JSON record per input line
  gopulse version                                 print the version

Run 'gopulse COMMAND -h' for the flags of a command.
`

// exitError carries a process exit status through the command functions
// (e.g. the status of a program started by 'probe --exec').
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "gopulse:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "agent":
		return runAgent(ctx, rest, stdout, stderr)
	case "config":
		return runConfig(ctx, rest, stdout, stderr)
	case "probe":
		return runProbe(ctx, rest, stdout, stderr)
	case "logs":
		return runLogs(ctx, rest, stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "gopulse: unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}
