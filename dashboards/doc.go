// Package dashboards builds gopulse's Grafana dashboards with the Grafana
// Foundation SDK. The JSON files beside it are generated from Build (run
// `go generate ./dashboards`) and committed, so that they can be imported into
// Grafana as they are; the tests check that they are up to date, that they
// validate strictly, and that every metric they query is exposed by the agent.
package dashboards

//go:generate go run ./internal/gen -dir .
