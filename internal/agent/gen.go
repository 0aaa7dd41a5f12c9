package agent

// docs/metrics.md lists every metric the agent registers (TestMetricsDoc
// checks it in make test).
//go:generate go test -count=1 -run ^TestMetricsDoc$ . -args -update
