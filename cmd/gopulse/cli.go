package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// command documents one (sub)command: what `gopulse help X`, `X --help`
// and the shell completions show.
type command struct {
	path     string // "logs parse"
	summary  string // one line, for the command list
	usage    string // after "Usage: gopulse "
	long     string // description
	examples string // one example per line, "# comment" lines allowed
	// flags declares the command's flags on fs (for help and completion);
	// the run function declares the same set through it.
	flags func(fs *flag.FlagSet)
	// args completes positional arguments: "file", "dir", "shell" or a
	// space-separated word list.
	args string
}

// commands is the CLI's table, in the order `gopulse help` lists them.
func commands() []*command {
	return []*command{
		agentCommand(),
		configValidateCommand(),
		configDefaultCommand(),
		probeCommand(),
		logsInspectCommand(),
		logsParseCommand(),
		versionCommand(),
		completionCommand(),
		helpCommand(),
	}
}

// groups are commands that only hold subcommands.
var groups = map[string]string{
	"config": "check and print agent configuration files",
	"logs":   "inspect and parse log files",
}

func findCommand(path string) *command {
	for _, c := range commands() {
		if c.path == path {
			return c
		}
	}
	return nil
}

// subcommands returns the commands directly under group ("" for the top).
func subcommands(group string) []*command {
	var out []*command
	for _, c := range commands() {
		parent, _, _ := cutLast(c.path)
		if parent == group {
			out = append(out, c)
		}
	}
	return out
}

func cutLast(path string) (parent, name string, ok bool) {
	i := strings.LastIndexByte(path, ' ')
	if i < 0 {
		return "", path, false
	}
	return path[:i], path[i+1:], true
}

const exitCodes = `Exit status:
  0  success
  1  the command failed (a config with problems, an unreadable input, probes that cannot load…)
  2  usage error (unknown command or flag, missing argument)
  N  probe --exec: the program's own exit status (128+signal when a signal ended it)
`

// topUsage is `gopulse help`.
func topUsage() string {
	var b strings.Builder
	b.WriteString("gopulse watches Go programs from the outside: runtime probes (eBPF), log\nparsing, exporters and health decisions.\n\nUsage:\n  gopulse COMMAND [flags] [arguments]\n\nCommands:\n")
	seen := map[string]bool{}
	for _, c := range commands() {
		parent, _, sub := cutLast(c.path)
		if sub {
			if !seen[parent] {
				seen[parent] = true
				fmt.Fprintf(&b, "  %-18s %s\n", parent, groups[parent])
			}
			continue
		}
		fmt.Fprintf(&b, "  %-18s %s\n", c.path, c.summary)
	}
	b.WriteString("\nRun 'gopulse help COMMAND' (or 'gopulse COMMAND --help') for its flags and examples.\n\n")
	b.WriteString(exitCodes)
	return b.String()
}

// groupUsage is `gopulse help logs`.
func groupUsage(group string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "gopulse %s: %s\n\nUsage:\n", group, groups[group])
	for _, c := range subcommands(group) {
		fmt.Fprintf(&b, "  gopulse %-30s %s\n", c.path, c.summary)
	}
	fmt.Fprintf(&b, "\nRun 'gopulse help %s SUBCOMMAND' for its flags and examples.\n", group)
	return b.String()
}

// help renders a command's full help.
func (c *command) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: gopulse %s\n\n%s\n", c.usage, strings.TrimSpace(c.long))
	if c.flags != nil {
		fs := flag.NewFlagSet(c.path, flag.ContinueOnError)
		c.flags(fs)
		if hasFlags(fs) {
			b.WriteString("\nFlags:\n")
			writeFlags(&b, fs)
		}
	}
	if c.examples != "" {
		b.WriteString("\nExamples:\n")
		for _, l := range strings.Split(strings.TrimSpace(c.examples), "\n") {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// writeFlags lists flags as "--name VALUE" (one dash for one-letter
// flags) with their usage and default. A back-quoted word in a usage names
// the value (flag.UnquoteUsage); usages hold no other back quotes.
func writeFlags(w io.Writer, fs *flag.FlagSet) {
	type row struct{ left, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *flag.Flag) {
		left := "--" + f.Name
		if len(f.Name) == 1 {
			left = "-" + f.Name
		}
		_, usage := flag.UnquoteUsage(f)
		if v := valueName(f); v != "" {
			left += " " + v
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" && d != "[]" {
			usage += fmt.Sprintf(" (default %s)", d)
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	})
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.left, r.usage)
	}
}

// valueName names a flag's value ("" for booleans): the back-quoted word of
// its usage, else its type, upper-cased.
func valueName(f *flag.Flag) string {
	if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
		return ""
	}
	name, _ := flag.UnquoteUsage(f)
	switch name {
	case "", "value":
		name = "value"
	case "float":
		name = "x"
	case "int", "uint":
		name = "n"
	}
	return strings.ToUpper(name)
}

// parseCommandFlags declares c's flags on a new set and parses args with
// flags allowed anywhere (before, between or after positional arguments;
// "--" ends them, "-" is an argument). -h/--help prints the help to stdout
// and returns errHelpShown.
func parseCommandFlags(c *command, args []string, stdout, stderr io.Writer) (*flag.FlagSet, []string, error) {
	fs := flag.NewFlagSet(c.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.flags(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				io.WriteString(stdout, c.help())
				return nil, nil, errHelpShown
			}
			return nil, nil, usageErr(c, "%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return fs, pos, nil
		}
		if args[0] == "--" {
			return fs, append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// errHelpShown: help was printed on request; the command exits 0.
var errHelpShown = errors.New("help shown")

// usageError is a usage problem: one line saying what, one saying where
// the help is; exit status 2.
type usageError struct {
	cmd string
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usageErr(c *command, format string, args ...any) error {
	path := ""
	if c != nil {
		path = c.path
	}
	return &usageError{cmd: path, msg: fmt.Sprintf(format, args...)}
}

// flagNames returns the "--name" of every flag of c, sorted.
func flagNames(c *command) []string {
	if c.flags == nil {
		return nil
	}
	fs := flag.NewFlagSet(c.path, flag.ContinueOnError)
	c.flags(fs)
	var out []string
	fs.VisitAll(func(f *flag.Flag) { out = append(out, "--"+f.Name) })
	sort.Strings(out)
	return append(out, "--help")
}
