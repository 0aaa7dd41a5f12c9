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

// exitError carries a process exit status through the command functions
// (e.g. the status of a program started by 'probe --exec'). Whatever had to
// be said was said before.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// commandError is a command's failure, printed as "gopulse CMD: err".
type commandError struct {
	cmd string
	err error
}

func (e *commandError) Error() string { return e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

func main() {
	// The agent handles SIGINT/SIGTERM/SIGHUP itself (graceful stop,
	// reload); every other command stops on SIGINT/SIGTERM.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, os.Stderr))
}

// report prints err in the one error style of the CLI and returns the exit
// status.
func report(err error, stderr io.Writer) int {
	var (
		ee exitError
		ue *usageError
		ce *commandError
	)
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		name := "gopulse"
		if ue.cmd != "" {
			name += " " + ue.cmd
		}
		fmt.Fprintf(stderr, "%s: %s\n", name, ue.msg)
		if ue.cmd != "" {
			fmt.Fprintf(stderr, "Run 'gopulse help %s' for usage.\n", ue.cmd)
		} else {
			fmt.Fprintln(stderr, "Run 'gopulse help' for usage.")
		}
		return 2
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "gopulse %s: %v\n", ce.cmd, ce.err)
		return 1
	default:
		fmt.Fprintf(stderr, "gopulse: %v\n", err)
		return 1
	}
}

// run dispatches a command line. Help asked for goes to stdout (exit 0);
// usage problems come back as *usageError (exit 2).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		io.WriteString(stderr, topUsage())
		return exitError{2}
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		return runHelp(args[1:], stdout)
	case "--version", "-version":
		args = append([]string{"version"}, args[1:]...)
	}
	path, rest := args[0], args[1:]
	if _, ok := groups[path]; ok {
		if len(rest) == 0 {
			io.WriteString(stderr, groupUsage(path))
			return exitError{2}
		}
		switch rest[0] {
		case "help", "-h", "--help", "-help":
			return runHelp(append([]string{path}, rest[1:]...), stdout)
		}
		path, rest = path+" "+rest[0], rest[1:]
	}
	if findCommand(path) == nil {
		return usageErr(nil, "unknown command %q", path)
	}
	var err error
	switch path {
	case "agent":
		err = runAgent(ctx, rest, stdout, stderr)
	case "config validate":
		err = runConfigValidate(rest, stdout, stderr)
	case "config default":
		err = runConfigDefault(rest, stdout, stderr)
	case "probe":
		err = runProbe(ctx, rest, stdout, stderr)
	case "logs inspect":
		err = runLogsInspect(ctx, rest, stdin, stdout, stderr)
	case "logs parse":
		err = runLogsParse(ctx, rest, stdin, stdout, stderr)
	case "version":
		err = runVersion(rest, stdout, stderr)
	case "completion":
		err = runCompletion(rest, stdout, stderr)
	}
	var ue *usageError
	var ee exitError
	switch {
	case err == nil, errors.Is(err, errHelpShown), errors.As(err, &ue), errors.As(err, &ee):
		return err
	}
	return &commandError{cmd: path, err: err}
}

func helpCommand() *command {
	return &command{
		path:    "help",
		summary: "show the help of a command",
		usage:   "help [COMMAND [SUBCOMMAND]]",
		long:    "Prints the flags, arguments and examples of a command, or the command list.",
		examples: `gopulse help probe
gopulse help logs parse`,
		args: "agent config probe logs version completion",
	}
}

// runHelp prints the help of the command named by args.
func runHelp(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		io.WriteString(stdout, topUsage())
		return nil
	}
	path := args[0]
	switch path {
	case "-h", "--help", "-help":
		path = "help"
	}
	if _, ok := groups[path]; ok {
		if len(args) == 1 {
			io.WriteString(stdout, groupUsage(path))
			return nil
		}
		path += " " + args[1]
	}
	c := findCommand(path)
	if c == nil {
		return usageErr(helpCommand(), "unknown command %q", path)
	}
	io.WriteString(stdout, c.help())
	return nil
}
