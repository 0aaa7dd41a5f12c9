// Command gen writes gopulse's Grafana dashboards as JSON files.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gopulse/gopulse/dashboards"
)

func main() {
	dir := flag.String("dir", ".", "output directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := dashboards.Build()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.JSON, 0o644); err != nil {
			return fmt.Errorf("write dashboard: %w", err)
		}
	}
	return nil
}
