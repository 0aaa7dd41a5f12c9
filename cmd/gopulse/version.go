package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/gopulse/gopulse/internal/version"
)

type versionFlags struct{ json bool }

func (f *versionFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.json, "json", false, "print a JSON object (version, revision, modified, go_version, platform)")
}

func versionCommand() *command {
	return &command{
		path:    "version",
		summary: "print the version, source revision and Go version",
		usage:   "version [--json]",
		long:    "Prints the release version and source revision stamped at build time.",
		examples: `gopulse version
gopulse version --json`,
		flags: func(fs *flag.FlagSet) { new(versionFlags).register(fs) },
	}
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	var f versionFlags
	c := versionCommand()
	c.flags = f.register
	_, pos, err := parseCommandFlags(c, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr(c, "unexpected argument %q", pos[0])
	}
	v := version.Get()
	if f.json {
		b, _ := json.Marshal(map[string]any{"version": v.Version, "revision": v.Revision, "modified": v.Modified,
			"go_version": v.GoVersion, "platform": v.Platform})
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	_, err = fmt.Fprintln(stdout, v.String())
	return err
}
