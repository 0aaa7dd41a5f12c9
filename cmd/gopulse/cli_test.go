package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopulse/gopulse/internal/privtest"
)

// exitOf runs a command line and returns its exit status, stdout and
// stderr as main would print them.
func exitOf(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	code := report(err, &errb)
	return code, out.String(), errb.String()
}

// Every command answers --help, -h and `gopulse help X` the same way: on
// stdout, exit 0, with its usage, every flag and examples.
func TestHelpEveryCommand(t *testing.T) {
	for _, c := range commands() {
		words := strings.Fields(c.path)
		variants := [][]string{
			append(append([]string{}, words...), "--help"),
			append(append([]string{}, words...), "-h"),
			append([]string{"help"}, words...),
		}
		var first string
		for _, args := range variants {
			code, out, errs := exitOf(t, args...)
			if code != 0 || errs != "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, errs)
				continue
			}
			if first == "" {
				first = out
			} else if out != first {
				t.Errorf("%v: help differs from %v's", args, variants[0])
			}
		}
		if !strings.HasPrefix(first, "Usage: gopulse "+c.path) {
			t.Errorf("%s: help does not start with its usage:\n%s", c.path, first)
		}
		if !strings.Contains(first, "\nExamples:\n  gopulse ") && !strings.Contains(first, "\nExamples:\n  sudo gopulse ") && !strings.Contains(first, "\nExamples:\n  source <(gopulse") && !strings.Contains(first, "\nExamples:\n  kubectl") {
			t.Errorf("%s: no examples:\n%s", c.path, first)
		}
		if c.flags != nil {
			fs := flag.NewFlagSet("", flag.ContinueOnError)
			c.flags(fs)
			fs.VisitAll(func(f *flag.Flag) {
				if !strings.Contains(first, "-"+f.Name) {
					t.Errorf("%s: flag %s not in help", c.path, f.Name)
				}
				if strings.Contains(f.Usage, "`") && strings.Count(f.Usage, "`") != 2 {
					t.Errorf("%s: flag %s: back quotes in a usage name its value; use one pair at most", c.path, f.Name)
				}
			})
		}
		if strings.Contains(first, "`") {
			t.Errorf("%s: back quote left in help:\n%s", c.path, first)
		}
	}
	// Groups and the top level.
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"logs", "--help"}, {"help", "logs"}, {"config", "-h"}} {
		if code, out, _ := exitOf(t, args...); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
	if _, out, _ := exitOf(t, "help"); !strings.Contains(out, "Exit status:") {
		t.Error("exit codes not documented in 'gopulse help'")
	}
}

// `logs parse --help` used to show back-quoted example text as the flags'
// value names ("-online tail -f", "-pattern <ip:client> - …").
func TestLogsParseHelpFlagNames(t *testing.T) {
	_, out, _ := exitOf(t, "logs", "parse", "--help")
	for _, want := range []string{"\n  --online  ", "\n  --pattern PATTERN  "} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

// `config validate --help` used to open a file named --help.
func TestConfigValidateHelp(t *testing.T) {
	code, out, errs := exitOf(t, "config", "validate", "--help")
	if code != 0 || strings.Contains(errs, "open") || !strings.Contains(out, "Usage: gopulse config validate") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// Usage errors: one style, exit status 2, a pointer to the help.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"probe", "--bogus"}, "gopulse probe: flag provided but not defined: -bogus\nRun 'gopulse help probe' for usage.\n"},
		{[]string{"agent", "--bogus"}, "gopulse agent: flag provided but not defined: -bogus\nRun 'gopulse help agent' for usage.\n"},
		{[]string{"logs", "parse", "--bogus"}, "gopulse logs parse: flag provided but not defined: -bogus\nRun 'gopulse help logs parse' for usage.\n"},
		{[]string{"frob"}, "gopulse: unknown command \"frob\"\nRun 'gopulse help' for usage.\n"},
		{[]string{"logs", "frob"}, "gopulse: unknown command \"logs frob\"\nRun 'gopulse help' for usage.\n"},
		{[]string{"probe"}, "gopulse probe: give exactly one of --pid, --all or --exec CMD\nRun 'gopulse help probe' for usage.\n"},
		{[]string{"probe", "--pid", "1", "--all"}, "gopulse probe: give exactly one of --pid, --all or --exec CMD\nRun 'gopulse help probe' for usage.\n"},
		{[]string{"config", "validate"}, "gopulse config validate: no config file given\nRun 'gopulse help config validate' for usage.\n"},
		{[]string{"logs", "inspect", "--output", "xml"}, "gopulse logs inspect: unknown --output \"xml\" (want table, json or jsonschema)\nRun 'gopulse help logs inspect' for usage.\n"},
		{[]string{"completion", "tcsh"}, "gopulse completion: unknown shell \"tcsh\" (want bash, zsh or fish)\nRun 'gopulse help completion' for usage.\n"},
	}
	for _, c := range cases {
		code, out, errs := exitOf(t, c.args...)
		if code != 2 || errs != c.want || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, stderr %q", c.args, code, out, errs, c.want)
		}
	}
	// A bare group or no command: its command list on stderr, exit 2.
	for _, args := range [][]string{{}, {"logs"}, {"config"}} {
		if code, _, errs := exitOf(t, args...); code != 2 || !strings.Contains(errs, "Usage:") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// A command that fails says so as "gopulse CMD: …" with exit status 1.
func TestCommandErrorStyle(t *testing.T) {
	code, _, errs := exitOf(t, "logs", "parse", filepath.Join(t.TempDir(), "missing.log"))
	if code != 1 || !strings.HasPrefix(errs, "gopulse logs parse: ") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

// `probe --pid N` for a pid that does not exist says so (it used to say
// "process exited"), before anything is loaded.
func TestProbeNoSuchPID(t *testing.T) {
	if _, err := os.Stat("/proc/4000000"); err == nil {
		t.Skip("pid 4000000 exists")
	}
	code, _, errs := exitOf(t, "probe", "--pid", "4000000")
	if code != 1 || !strings.Contains(errs, "no such process") || strings.Contains(errs, "exited") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestVersionCommand(t *testing.T) {
	code, out, _ := exitOf(t, "version")
	want, _ := os.ReadFile(filepath.Join("..", "..", "internal", "version", "VERSION"))
	if code != 0 || !strings.HasPrefix(out, "gopulse "+strings.TrimSpace(string(want))+" (") {
		t.Fatalf("exit %d: %q (VERSION %q)", code, out, want)
	}
	if strings.Contains(out, "dev") {
		t.Fatalf("version says dev: %q", out)
	}
	code, out, _ = exitOf(t, "version", "--json")
	if code != 0 || !strings.Contains(out, `"version":"`+strings.TrimSpace(string(want))+`"`) {
		t.Fatalf("exit %d: %q", code, out)
	}
}

// The completion scripts are valid for their shell and complete commands,
// subcommands, flags and files. bash is always there; zsh and fish are
// installed by scripts/test.sh on CI.
func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, script, errs := exitOf(t, "completion", sh)
		if code != 0 || script == "" {
			t.Fatalf("%s: exit %d %s", sh, code, errs)
		}
		path, err := exec.LookPath(sh)
		if err != nil {
			if sh == "bash" || privtest.Required() {
				t.Fatalf("%s not installed (scripts/test.sh installs it on CI)", sh)
			}
			t.Logf("%s not installed: syntax not checked", sh)
			continue
		}
		f := filepath.Join(t.TempDir(), "gopulse."+sh)
		os.WriteFile(f, []byte(script), 0o644)
		if out, err := exec.Command(path, "-n", f).CombinedOutput(); err != nil {
			t.Fatalf("%s -n: %v\n%s", sh, err, out)
		}
		if sh == "fish" {
			// fish completes for real with `complete -C`.
			for line, want := range map[string]string{
				"gopulse lo":                 "logs",
				"gopulse logs pa":            "parse",
				"gopulse logs parse --pat":   "--pattern",
				"gopulse config validate --": "--help",
				"gopulse probe --ex":         "--exec",
			} {
				out, err := exec.Command(path, "-c", "source "+f+"; complete -C '"+line+"'").CombinedOutput()
				if err != nil || !strings.Contains(string(out), want) {
					t.Errorf("fish %q: %v %q, want %q", line, err, out, want)
				}
			}
		}
	}
	// bash: run the completion function on command lines.
	_, script, _ := exitOf(t, "completion", "bash")
	f := filepath.Join(t.TempDir(), "c.bash")
	os.WriteFile(f, []byte(script), 0o644)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.log"), nil, 0o644)
	for line, want := range map[string]string{
		"gopulse lo":                   "logs",
		"gopulse logs pa":              "parse",
		"gopulse logs parse --pa":      "--pattern",
		"gopulse logs parse --online ": "app.log",
		"gopulse config va":            "validate",
		"gopulse agent --con":          "--config",
		"gopulse probe --ex":           "--exec",
		"gopulse completion z":         "zsh",
		"gopulse help pro":             "probe",
	} {
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		var b strings.Builder
		b.WriteString("source " + f + "\nCOMP_WORDS=(")
		for _, w := range words {
			b.WriteString("'" + w + "' ")
		}
		b.WriteString(")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n_gopulse\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
		cmd := exec.Command("bash", "-c", b.String())
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("bash %q: %v %q, want %q", line, err, out, want)
		}
	}
}
