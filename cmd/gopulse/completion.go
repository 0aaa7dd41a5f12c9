package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

func completionCommand() *command {
	return &command{
		path:    "completion",
		summary: "print a shell completion script (bash, zsh or fish)",
		usage:   "completion bash|zsh|fish",
		long: `Prints a completion script for commands, subcommands, flags and file
arguments. Load it in the current shell, or install it:

  bash: /etc/bash_completion.d/gopulse  (or: source <(gopulse completion bash))
  zsh:  a file named _gopulse in a directory of $fpath  (or: source <(gopulse completion zsh))
  fish: ~/.config/fish/completions/gopulse.fish`,
		examples: `source <(gopulse completion bash)
gopulse completion zsh > "${fpath[1]}/_gopulse"
gopulse completion fish > ~/.config/fish/completions/gopulse.fish`,
		flags: func(*flag.FlagSet) {},
		args:  "bash zsh fish",
	}
}

func runCompletion(args []string, stdout, stderr io.Writer) error {
	c := completionCommand()
	_, pos, err := parseCommandFlags(c, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr(c, "want one shell: bash, zsh or fish")
	}
	var script string
	switch pos[0] {
	case "bash":
		script = bashCompletion()
	case "zsh":
		script = zshCompletion()
	case "fish":
		script = fishCompletion()
	default:
		return usageErr(c, "unknown shell %q (want bash, zsh or fish)", pos[0])
	}
	_, err = io.WriteString(stdout, script)
	return err
}

// topWords are the first words of every command, in help order.
func topWords() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range commands() {
		w, _, _ := strings.Cut(c.path, " ")
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

func subWords(group string) []string {
	var out []string
	for _, c := range subcommands(group) {
		_, name, _ := cutLast(c.path)
		out = append(out, name)
	}
	return out
}

func groupNames() []string {
	out := make([]string, 0, len(groups))
	for g := range groups {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// valueFlags are the flags of c that take a value (the word after them is
// not completed as a command or file).
func valueFlags(c *command) []string {
	if c.flags == nil {
		return nil
	}
	fs := flag.NewFlagSet(c.path, flag.ContinueOnError)
	c.flags(fs)
	var out []string
	fs.VisitAll(func(f *flag.Flag) {
		if valueName(f) != "" {
			out = append(out, "--"+f.Name)
		}
	})
	return out
}

// The scripts find the command path the same way: the first word, then,
// for a group (config, logs), the next word that is not a flag.

func bashCompletion() string {
	var b strings.Builder
	b.WriteString(`# bash completion for gopulse (gopulse completion bash)
_gopulse() {
	local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
	local cmd="" w i
	for ((i = 1; i < COMP_CWORD; i++)); do
		w="${COMP_WORDS[i]}"
		if [[ -z $cmd ]]; then
			[[ $w != -* ]] && cmd="$w"
		elif [[ $w != -* && ( `)
	for i, g := range groupNames() {
		if i > 0 {
			b.WriteString(" || ")
		}
		fmt.Fprintf(&b, "$cmd == %s", g)
	}
	b.WriteString(` ) ]]; then
			cmd="$cmd $w"
		fi
	done
	COMPREPLY=()
	case "$cmd" in
`)
	fmt.Fprintf(&b, "\t\"\") COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(topWords(), " "))
	for _, g := range groupNames() {
		fmt.Fprintf(&b, "\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", g, strings.Join(subWords(g), " "))
	}
	for _, c := range commands() {
		fmt.Fprintf(&b, "\t%q)\n", c.path)
		if vf := valueFlags(c); len(vf) > 0 {
			fmt.Fprintf(&b, "\t\tcase \"$prev\" in %s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;; esac\n", strings.Join(vf, "|"))
		}
		fmt.Fprintf(&b, "\t\tif [[ $cur == -* ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\"))\n", strings.Join(flagNames(c), " "))
		switch c.args {
		case "":
		case "file":
			b.WriteString("\t\telse COMPREPLY=($(compgen -f -- \"$cur\"))\n")
		default:
			fmt.Fprintf(&b, "\t\telse COMPREPLY=($(compgen -W %q -- \"$cur\"))\n", c.args)
		}
		b.WriteString("\t\tfi ;;\n")
	}
	b.WriteString("\tesac\n}\ncomplete -o filenames -F _gopulse gopulse\n")
	return b.String()
}

func zshCompletion() string {
	var b strings.Builder
	b.WriteString(`#compdef gopulse
# zsh completion for gopulse (gopulse completion zsh)
_gopulse() {
	local cmd="" w i
	for ((i = 2; i < CURRENT; i++)); do
		w="${words[i]}"
		if [[ -z $cmd ]]; then
			[[ $w != -* ]] && cmd="$w"
		elif [[ $w != -* && ( `)
	for i, g := range groupNames() {
		if i > 0 {
			b.WriteString(" || ")
		}
		fmt.Fprintf(&b, "$cmd == %s", g)
	}
	b.WriteString(` ) ]]; then
			cmd="$cmd $w"
		fi
	done
	local prev="${words[CURRENT-1]}"
	case "$cmd" in
`)
	fmt.Fprintf(&b, "\t\"\") compadd -- %s ;;\n", strings.Join(topWords(), " "))
	for _, g := range groupNames() {
		fmt.Fprintf(&b, "\t%s) compadd -- %s ;;\n", g, strings.Join(subWords(g), " "))
	}
	for _, c := range commands() {
		fmt.Fprintf(&b, "\t%q)\n", c.path)
		if vf := valueFlags(c); len(vf) > 0 {
			fmt.Fprintf(&b, "\t\tcase \"$prev\" in %s) _files; return ;; esac\n", strings.Join(vf, "|"))
		}
		fmt.Fprintf(&b, "\t\tif [[ $PREFIX == -* ]]; then compadd -- %s\n", strings.Join(flagNames(c), " "))
		switch c.args {
		case "":
		case "file":
			b.WriteString("\t\telse _files\n")
		default:
			fmt.Fprintf(&b, "\t\telse compadd -- %s\n", c.args)
		}
		b.WriteString("\t\tfi ;;\n")
	}
	b.WriteString(`	esac
}
if [[ "${funcstack[1]}" == _gopulse ]]; then
	_gopulse "$@"
else
	compdef _gopulse gopulse
fi
`)
	return b.String()
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# fish completion for gopulse (gopulse completion fish)\ncomplete -c gopulse -f\n")
	top := topWords()
	fmt.Fprintf(&b, "complete -c gopulse -n 'not __fish_seen_subcommand_from %s' -a 'help' -d 'show the help of a command'\n", strings.Join(top, " "))
	for _, c := range commands() {
		first, sub, isSub := strings.Cut(c.path, " ")
		var cond string
		if isSub {
			fmt.Fprintf(&b, "complete -c gopulse -n '__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s' -a %s -d %s\n",
				first, strings.Join(subWords(first), " "), sub, fishQuote(c.summary))
			cond = fmt.Sprintf("__fish_seen_subcommand_from %s; and __fish_seen_subcommand_from %s", first, sub)
		} else {
			if c.path != "help" {
				fmt.Fprintf(&b, "complete -c gopulse -n 'not __fish_seen_subcommand_from %s' -a %s -d %s\n",
					strings.Join(top, " "), c.path, fishQuote(c.summary))
			}
			cond = "__fish_seen_subcommand_from " + c.path
		}
		if c.flags != nil {
			fs := flag.NewFlagSet(c.path, flag.ContinueOnError)
			c.flags(fs)
			fs.VisitAll(func(f *flag.Flag) {
				req := ""
				if valueName(f) != "" {
					req = " -r"
				}
				fmt.Fprintf(&b, "complete -c gopulse -n '%s' -l %s%s -d %s\n", cond, f.Name, req, fishQuote(firstClause(f.Usage)))
			})
		}
		fmt.Fprintf(&b, "complete -c gopulse -n '%s' -l help -d %s\n", cond, fishQuote("show the help of "+c.path))
		switch c.args {
		case "":
		case "file":
			fmt.Fprintf(&b, "complete -c gopulse -n '%s' -F\n", cond)
		default:
			fmt.Fprintf(&b, "complete -c gopulse -n '%s' -a '%s'\n", cond, c.args)
		}
	}
	for _, g := range groupNames() {
		fmt.Fprintf(&b, "complete -c gopulse -n 'not __fish_seen_subcommand_from %s' -a %s -d %s\n", strings.Join(top, " "), g, fishQuote(groups[g]))
	}
	return b.String()
}

// firstClause shortens a flag usage for a one-line completion description.
func firstClause(s string) string {
	if i := strings.IndexAny(s, ";("); i > 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
