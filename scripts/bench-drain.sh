#!/usr/bin/env bash
# Template mining beside Grafana Loki's Drain (the benchmark peer built by
# scripts/peers/drain.sh, outside the repository), per CPU-second, on the
# same lines, in one run. Datasets: each LogHub-2k development set
# (../shared/data/loghub-dev, skipped when absent) and each dataset of the
# generated corpus (docs/logcorpus.md; built when missing), every file
# repeated REPEAT times. For each, with the file read into memory first:
#   drain    Drain.Train on every line (Loki's DefaultConfig)
#   mine     gopulse: format detection, header, template mining
#   online   the agent's path: the same + schema inference
#   twopass  `gopulse logs parse`'s two passes, without its JSON output
#   cli      `gopulse logs parse FILE >/dev/null`, the whole command (file
#            reading and JSON output included)
# and prints CPU seconds and each one's speed relative to Drain (drain CPU
# / its CPU: above 1 is faster than Drain).
#
# Drain is given whole lines and does no header parsing, no timestamps and
# no format detection, which mine, online and twopass do: those columns
# compare unequal work (gopulse's header work counted, Drain's absent). Two
# more columns compare template mining alone, on the same text for both:
#   drainmsg Drain.Train on the messages gopulse's header model leaves
#            (what the miner gets), one per line
#   minemsg  gopulse's miner alone (Miner.AddIn) on those messages, the
#            lines parsed beforehand, outside the measurement
#
# RUNS=N measures every cell N times, interleaved, and keeps the least CPU
# time (the machine's other jobs only ever add to it); PARTS chooses the
# dataset groups (default "loghub dev held"); PGO=off builds gopulse's side
# without profile-guided optimization.
#
#   scripts/bench-drain.sh              # REPEAT=25
#   REPEAT=5 scripts/bench-drain.sh     # quicker
#   PARTS=loghub REPEAT=100 RUNS=3 scripts/bench-drain.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-25}
RUNS=${RUNS:-1}
# gopulse's binaries are built with the profile the shipped binary is built
# with (cmd/gopulse/default.pgo, see scripts/pgo.sh); PGO=off builds them
# without. Drain is built as its module builds it (no profile).
PGO=${PGO:-$PWD/cmd/gopulse/default.pgo}
PARTS=" ${PARTS:-loghub dev held} "
CACHE=${GOPULSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopulse}
DATA=$CACHE/bench-drain
mkdir -p "$DATA"
shared=../shared
[ -d "$shared/data" ] || shared=../../shared
LOGHUB=${LOGHUB_DIR:-$shared/data/loghub-dev}
DRAIN=$(scripts/peers/drain.sh)
go build -pgo="$PGO" -o "$DATA/enginebench" ./logengine/internal/enginebench
go build -pgo="$PGO" -o "$DATA/gopulse" ./cmd/gopulse
go build -o "$DATA/logcorpus" ./tools/logcorpus
[[ $PARTS != *" dev "* && $PARTS != *" held "* ]] || [ -n "$(ls "$CACHE"/logcorpus/dev/*.log 2>/dev/null)" ] || "$DATA/logcorpus" build -cache "$CACHE/logcorpus" >&2

files=()
if [ -d "$LOGHUB" ] && [[ $PARTS == *" loghub "* ]]; then
	for d in "$LOGHUB"/*/; do
		n=$(basename "$d")
		[ -f "$d/${n}_2k.log" ] || continue
		f=$DATA/loghub-$n-x$REPEAT.log
		[ -s "$f" ] || for _ in $(seq "$REPEAT"); do tr -d '\r' <"$d/${n}_2k.log"; done >"$f"
		files+=("$f")
	done
fi
for part in dev held; do
	[[ $PARTS == *" $part "* ]] || continue
	for src in "$CACHE"/logcorpus/$part/*.log; do
		f=$DATA/corpus-$part-$(basename "$src" .log)-x$REPEAT.log
		[ -s "$f" ] || for _ in $(seq "$REPEAT"); do cat "$src"; done >"$f"
		files+=("$f")
	done
done

cpu_of() { sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p'; }
echo "# $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3); REPEAT=$REPEAT RUNS=$RUNS PGO=${PGO#"$PWD"/}"
printf "%-58s %8s %8s %8s %8s %8s %8s %8s\n" dataset drain mine online twopass cli drainmsg minemsg
declare -A tot
least() { awk -v a="$1" -v b="$2" 'BEGIN {print (a == "" || b + 0 < a + 0) ? b : a}'; }
for f in "${files[@]}"; do
	d= m= o= t= c= g= e=
	for _ in $(seq "$RUNS"); do
		d=$(least "$d" "$("$DRAIN" "$f" | cpu_of)")
		m=$(least "$m" "$("$DATA/enginebench" -preload -mode mine "$f" | cpu_of)")
		o=$(least "$o" "$("$DATA/enginebench" -preload -mode online "$f" | cpu_of)")
		t=$(least "$t" "$("$DATA/enginebench" -mode twopass "$f" | cpu_of)")
		c=$(least "$c" "$( { /usr/bin/time -f '%U %S' "$DATA/gopulse" logs parse "$f" >/dev/null; } 2>&1 | awk '{printf "%.3f", $1 + $2}')")
		g=$(least "$g" "$("$DATA/enginebench" -mode minemsg -messages "$DATA/messages.tmp" "$f" | cpu_of)")
		e=$(least "$e" "$("$DRAIN" "$DATA/messages.tmp" | cpu_of)")
	done
	name=$(basename "$f" "-x$REPEAT.log")
	printf "%-58s %8s %8s %8s %8s %8s %8s %8s\n" "${name:0:58}" "$d" "$m" "$o" "$t" "$c" "$e" "$g"
	group=corpus
	case $name in loghub-*) group=loghub ;; corpus-held-*) group=held ;; esac
	for k in d m o t c e g; do
		tot[$group.$k]=$(awk -v a="${tot[$group.$k]:-0}" -v b="${!k}" 'BEGIN {printf "%.3f", a + b}')
	done
done
rm -f "$DATA/messages.tmp"
echo
printf "%-10s %8s %8s %8s %8s %8s %8s %8s   %s\n" total drain mine online twopass cli drainmsg minemsg "speed vs Drain (mine / online / twopass / cli; mining alone: minemsg vs drainmsg)"
for grp in loghub corpus held; do
	[ -n "${tot[$grp.d]:-}" ] || continue
	awk -v g="$grp" -v d="${tot[$grp.d]}" -v m="${tot[$grp.m]}" -v o="${tot[$grp.o]}" -v t="${tot[$grp.t]}" -v c="${tot[$grp.c]}" -v e="${tot[$grp.e]}" -v n="${tot[$grp.g]}" \
		'BEGIN {printf "%-10s %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f   %.2fx / %.2fx / %.2fx / %.2fx; %.2fx\n", g, d, m, o, t, c, e, n, d/m, d/o, d/t, d/c, e/n}'
done
