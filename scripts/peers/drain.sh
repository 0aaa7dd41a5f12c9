#!/usr/bin/env bash
# Builds the template-mining benchmark peer: a small program around Grafana
# Loki's Drain (github.com/grafana/loki/v3/pkg/pattern/drain, v3.7.8), in a
# cache directory outside the repository, keyed by version. Loki is AGPL:
# the peer is built from a copy of Loki's own module (as scripts/backends.sh
# builds the Loki binary) and never becomes a dependency of gopulse's
# modules. Prints the binary path.
#
#   scripts/peers/drain.sh                    # build if missing, print the path
#   $(scripts/peers/drain.sh) FILE…           # train on every line of FILE…
#
# The peer reads the files into memory, then calls Drain.Train on every
# line in order (Loki's DefaultConfig, the format detected from the first
# line as the pattern ingester does) and prints lines, clusters and its
# CPU time (getrusage, training only) as key=value pairs. With -out FILE it
# writes each line's cluster (its pattern text) for scoring.
set -euo pipefail

VERSION=v3.7.8
CACHE=${GOPULSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopulse}
DIR=$CACHE/peers/drain-$VERSION
BIN=$DIR/drainpeer
if [ -x "$BIN" ]; then
	echo "$BIN"
	exit 0
fi
moddir() {
	(cd /tmp && GOFLAGS=-mod=mod GOWORK=off go mod download -json "$1") |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}
mkdir -p "$DIR"
src=$DIR/src
if [ ! -f "$src/go.mod" ]; then
	echo "copying loki $VERSION's module for the drain peer" >&2
	dir=$(moddir "github.com/grafana/loki/v3@$VERSION")
	[ -n "$dir" ] || { echo "cannot download loki" >&2; exit 1; }
	rm -rf "$src.tmp"
	cp -r "$dir" "$src.tmp"
	chmod -R u+w "$src.tmp"
	pushver=$(awk '$1=="github.com/grafana/loki/pkg/push" && $2 ~ /^v/ {print $2; exit}' "$src.tmp/go.mod")
	pushdir=$(moddir "github.com/grafana/loki/pkg/push@$pushver")
	rm -rf "$src.tmp/pkg/push"
	cp -r "$pushdir" "$src.tmp/pkg/push"
	chmod -R u+w "$src.tmp/pkg/push"
	mv "$src.tmp" "$src"
fi
mkdir -p "$src/cmd/drainpeer"
cat >"$src/cmd/drainpeer/main.go" <<'GO'
// Command drainpeer trains Loki's Drain on the lines of files and reports
// its CPU time: gopulse's template-mining benchmark peer.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"syscall"

	"github.com/grafana/loki/v3/pkg/pattern/drain"
)

type limits struct{}

func (limits) PatternIngesterTokenizableJSONFields(string) []string {
	return []string{"log", "message", "msg", "msg_", "_msg", "content"}
}

func cpu() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func main() {
	out := flag.String("out", "", "write each line's pattern to this file")
	flag.Parse()
	var lines []string
	var size int64
	for _, f := range flag.Args() {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		size += int64(len(b))
		for _, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			lines = append(lines, string(bytes.TrimSuffix(l, []byte("\r"))))
		}
	}
	if len(lines) == 0 {
		fmt.Fprintln(os.Stderr, "no lines")
		os.Exit(1)
	}
	d := drain.New("", drain.DefaultConfig(), limits{}, drain.DetectLogFormat(lines[0]), nil)
	clusters := make([]*drain.LogCluster, len(lines))
	start := cpu()
	trained := 0
	for i, l := range lines {
		if c := d.Train(l, int64(i)*1e6); c != nil {
			trained++
			clusters[i] = c
		}
	}
	used := cpu() - start
	fmt.Printf("lines=%d trained=%d clusters=%d bytes=%d cpu_s=%.3f mb_per_cpu_s=%.1f ns_per_line=%.0f\n",
		len(lines), trained, len(d.Clusters()), size, used, float64(size)/1e6/used, used*1e9/float64(len(lines)))
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		w := bufio.NewWriter(f)
		for _, c := range clusters {
			if c == nil {
				w.WriteString("<untrained>\n")
				continue
			}
			fmt.Fprintf(w, "%p\t%s\n", c, c.String())
		}
		w.Flush()
		f.Close()
	}
}
GO
echo "building the drain peer (a few minutes on an empty cache)" >&2
(cd "$src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$BIN.tmp" ./cmd/drainpeer >&2)
mv "$BIN.tmp" "$BIN"
echo "$BIN"
