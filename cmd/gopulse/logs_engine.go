package main

import "github.com/gopulse/gopulse/logengine"

// newEngine returns the log engine of the logs commands: every input is a
// stream of one engine, whose template miner spans all inputs.
func newEngine(pattern string, schemas bool) (*logengine.Engine, error) {
	return logengine.New(logengine.Config{Pattern: pattern, MaxTemplates: 1 << 16, Schema: schemas, Params: true})
}
