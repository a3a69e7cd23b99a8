#!/usr/bin/env bash
# Side-by-side throughput: the PyTorch anchor (bench/torch_lstm_bench.py, Debian's python3-torch) and
# `lstmlens bench`, alternating, for several rounds at 1 and 2 threads. Prints per configuration the
# median tokens/s of each side at its best thread setting and the ratio LstmLens/PyTorch; the last line
# is `min ratio <value>`. Writes the table to bench/results/compare-<cpu>-family<F>-model<M>-<date>.md, with
# the load average before and after (the machine should be otherwise idle).
#   bench/compare.sh [ROUNDS] [CONFIGS]     e.g. bench/compare.sh 3 copy,ptb,synthetic
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
configs=${2:-copy,ptb,synthetic}
dotnet build -c Release src/LstmLens.Cli >/dev/null
cli=src/LstmLens.Cli/bin/Release/net10.0/LstmLens.Cli.dll
raw=$(mktemp)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_lstm_bench.py --threads "$threads" --configs "$configs" --json \
      | sed 's/^/torch /' >> "$raw"
    for config in ${configs//,/ }; do   # one process per configuration, so peak memory is that configuration's
      dotnet "$cli" bench --threads "$threads" --configs "$config" --json | sed 's/^/lstmlens /' >> "$raw"
    done
    echo "round $round, threads $threads done" >&2
  done
done
field() { grep -m1 "^$1[[:space:]]*:" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'; }
model=$(field 'model name'); family=$(field 'cpu family'); number=$(field 'model')
cpu="$model (family $family, model $number)"
mkdir -p bench/results
out="bench/results/compare-$(echo "$model" | tr -cs 'A-Za-z0-9' '-' | sed 's/-$//')-family$family-model$number-$(date +%F).md"
load="load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$raw" "$cpu" "$(git rev-parse --short HEAD)" "$rounds" "$out" "$load" <<'PY'
import json, statistics, sys, datetime
raw, cpu, commit, rounds, out, load = sys.argv[1:]
runs = {}
for line in open(raw):
    side, record = line.split(" ", 1)
    r = json.loads(record)
    runs.setdefault((side, r["config"], r["threads"]), []).append(r)
configs = sorted({c for _, c, _ in runs}, key=["copy", "ptb", "synthetic"].index)
lines = [f"# LstmLens vs PyTorch, training step tokens/s", "",
         f"CPU: {cpu}; date: {datetime.date.today()}; commit: {commit}; {rounds} alternating rounds, median per cell; {load}.", "",
         "| config | threads | PyTorch tokens/s | LstmLens tokens/s | ratio | LstmLens GFLOP/s | LstmLens eval tokens/s | LstmLens peak MB | LstmLens bytes allocated/step |",
         "|---|---|---|---|---|---|---|---|---|"]
ratios = []
for c in configs:
    best = {}
    for t in (1, 2):
        torch = statistics.median(r["tokens_per_s"] for r in runs[("torch", c, t)])
        ours = runs[("lstmlens", c, t)]
        mine = statistics.median(r["tokens_per_s"] for r in ours)
        best["torch"] = max(best.get("torch", 0), torch)
        best["lstmlens"] = max(best.get("lstmlens", 0), mine)
        lines.append(f"| {c} | {t} | {torch:,.0f} | {mine:,.0f} | {mine / torch:.2f} | {statistics.median(r['gflops'] for r in ours):.1f} | "
                     f"{statistics.median(r['eval_tokens_per_s'] for r in ours):,.0f} | {max(r['peak_working_set_mb'] for r in ours)} | "
                     f"{statistics.median(r['allocated_bytes_per_step'] for r in ours):,.0f} |")
    ratios.append((c, best["lstmlens"] / best["torch"], best))
lines += ["", "Each side at its best thread setting:", ""]
for c, ratio, best in ratios:
    lines.append(f"- {c}: PyTorch {best['torch']:,.0f}, LstmLens {best['lstmlens']:,.0f} tokens/s, ratio {ratio:.2f}")
lines += ["", f"min ratio {min(r for _, r, _ in ratios):.2f}"]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
print(f"(written to {out})", file=sys.stderr)
PY
rm -f "$raw"
