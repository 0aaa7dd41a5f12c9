package main

import (
	"flag"

	"github.com/gopulse/gopulse/logengine"
	"github.com/gopulse/gopulse/logparse"
)

// engineFlags are the flags that configure the engine of the logs commands.
type engineFlags struct {
	pattern    string
	fieldNames string
	singleLine bool
}

func (f *engineFlags) register(fs *flag.FlagSet, patternHelp string) {
	fs.StringVar(&f.pattern, "pattern", "", patternHelp)
	fs.StringVar(&f.fieldNames, "field-names", "gopulse", "field `names`: gopulse (each format's own) or otel (OpenTelemetry semantic names: client.address, http.request.method, url.path, …)")
	fs.BoolVar(&f.singleLine, "single-line", false, "one record per line: do not join stack traces and indented continuation lines")
}

// newEngine returns the log engine of the logs commands: every input is a
// stream of one engine, whose template miner spans all inputs.
func newEngine(f engineFlags, schemas bool, c *command) (*logengine.Engine, error) {
	names, err := logparse.ParseNaming(f.fieldNames)
	if err != nil {
		return nil, usageErr(c, "--field-names: %v", err)
	}
	return logengine.New(logengine.Config{Pattern: f.pattern, MaxTemplates: 1 << 16, Schema: schemas, Params: true,
		Names: names, SingleLine: f.singleLine})
}
