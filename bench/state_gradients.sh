#!/usr/bin/env bash
# The state-gradients benchmark (Verwimp et al.): LstmLens's `memory` verb against the PyTorch peer
# tools/torch_state_gradients.py on the same model and text, alternating, for ROUNDS rounds.
#   bench/state_gradients_setup.sh OUT_DIR          (once: Brown splits, plain text, the model directory)
#   bench/state_gradients.sh OUT_DIR [ROUNDS]       (ROUNDS defaults to 2)
# Each round runs PyTorch for every configuration in TORCH_RUNS (dtype:threads), then LstmLens
# (`memory --model OUT_DIR/model --data OUT_DIR/valid.txt --tokens 73760 --max-delay 50 --no-normalize
# --precision float32 --threads 2 --out RUN --json`). When the built CLI has no `memory` verb yet, a note
# says so and only the PyTorch side runs. Prints a Markdown report (CPU, date, commit, seconds per side,
# tokens/s, GFLOP/s, speed ratio LstmLens/PyTorch, sigma1 agreement per delay, relative 1e-3 in float32)
# and keeps it with every run's CSV and JSON under OUT_DIR/results-<time>/. Exit status 1 when the two
# sides' sigma1 disagree.
# Environment knobs (defaults): TOKENS=73760 MAX_DELAY=50 METHOD=factored
#   TORCH_RUNS="float32:2 float32:1 float64:2 float64:1"  LSTMLENS_THREADS=2  LSTMLENS_PRECISIONS="float32 float64"
#   LSTMLENS_KERNELS=auto (a list such as "simd openblas" runs each kernel set)
# Time: at full size one PyTorch float32 run took about 21 minutes on a shared 2-core Zen 3 EPYC and a
# float64 run about 40 (extrapolated from 5,000 tokens, bench/results/state-gradients-torch-*.md), so the
# default 2 rounds of 4 PyTorch configurations take about 4 hours plus LstmLens's runs;
# TORCH_RUNS="float32:2 float32:1" (or ROUNDS=1) trims them.
set -euo pipefail
out=$(realpath "${1:?usage: bench/state_gradients.sh OUT_DIR [ROUNDS]}")
rounds=${2:-2}
tokens=${TOKENS:-73760}
delay=${MAX_DELAY:-50}
method=${METHOD:-factored}
torch_runs=${TORCH_RUNS:-float32:2 float32:1 float64:2 float64:1}
lstmlens_threads=${LSTMLENS_THREADS:-2}
lstmlens_precisions=${LSTMLENS_PRECISIONS:-float32 float64}
lstmlens_kernels=${LSTMLENS_KERNELS:-auto}
cd "$(dirname "$0")/.."
model=$out/model
text=$out/valid.txt
if [ ! -s "$model/model.safetensors" ] || [ ! -s "$text" ]; then
  echo "state_gradients.sh: $model or $text missing; run bench/state_gradients_setup.sh $1 first" >&2
  exit 2
fi
results=$out/results-$(date +%Y%m%dT%H%M%S)
mkdir -p "$results"
raw=$results/runs.jsonl
: > "$raw"

# The LstmLens side, if its CLI has the memory verb.
cli=""
if command -v dotnet >/dev/null; then
  dotnet build -c Release src/LstmLens.Cli >"$results/dotnet-build.log" 2>&1 || echo "note: dotnet build failed (see $results/dotnet-build.log)" >&2
  for dll in src/LstmLens.Cli/bin/Release/net10.0/lstmlens.dll src/LstmLens.Cli/bin/Release/net10.0/LstmLens.Cli.dll; do
    if [ -f "$dll" ]; then cli=$dll; break; fi
  done
fi
lstmlens_note=""
if [ -z "$cli" ]; then
  lstmlens_note="no LstmLens CLI build found (dotnet build -c Release src/LstmLens.Cli); only the PyTorch side ran"
elif ! grep -q -- '--no-normalize' <<< "$(dotnet "$cli" memory --help 2>&1 || true)"; then
  lstmlens_note="$cli has no \`memory\` verb (with --no-normalize) yet; only the PyTorch side ran"
  cli=""
fi
[ -z "$lstmlens_note" ] || echo "note: $lstmlens_note" >&2

now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
record() {  # side dtype threads method round csv wall load0 load1 stdout-file
  /usr/bin/python3 - "$@" >> "$raw" <<'PY'
import json, sys
side, dtype, threads, method, rnd, csv, t0, t1, l0, l1, stdout = sys.argv[1:]
reported = {}
try:
    reported = json.load(open(stdout))          # LstmLens: its run's memory.json
except ValueError:
    for line in open(stdout):                   # PyTorch: the last JSON line it printed
        try:
            value = json.loads(line)
            if isinstance(value, dict):
                reported = value
        except ValueError:
            pass
print(json.dumps({"side": side, "dtype": dtype, "threads": int(threads), "method": method, "round": int(rnd),
                  "csv": csv, "wall_s": float(t1) - float(t0), "load_before": float(l0), "load_after": float(l1),
                  "reported": reported}))
PY
}

for round in $(seq "$rounds"); do
  for run in $torch_runs; do
    dtype=${run%%:*}; threads=${run##*:}
    name=torch-$dtype-t$threads-r$round
    l0=$(load); t0=$(now)
    /usr/bin/python3 tools/torch_state_gradients.py --model "$model" --data "$text" --tokens "$tokens" \
      --max-delay "$delay" --dtype "$dtype" --threads "$threads" --method "$method" --csv "$results/$name.csv" \
      > "$results/$name.json"
    t1=$(now); l1=$(load)
    record torch "$dtype" "$threads" "$method" "$round" "$results/$name.csv" "$t0" "$t1" "$l0" "$l1" "$results/$name.json"
    echo "round $round: $name $(cat "$results/$name.json")" >&2
  done
  for precision in ${cli:+$lstmlens_precisions}; do
    for kernels in $lstmlens_kernels; do
      name=lstmlens-$precision-$kernels-t$lstmlens_threads-r$round
      l0=$(load); t0=$(now)
      dotnet "$cli" memory --model "$model" --data "$text" --tokens "$tokens" --max-delay "$delay" --no-normalize \
        --precision "$precision" --threads "$lstmlens_threads" --kernels "$kernels" --out "$results/$name" --json > "$results/$name.jsonl"
      t1=$(now); l1=$(load)
      record lstmlens "$precision" "$lstmlens_threads" "kernels $kernels" "$round" "$results/$name/memory.csv" "$t0" "$t1" "$l0" "$l1" "$results/$name/memory.json"
      echo "round $round: $name done in $(/usr/bin/python3 -c "print(round($t1 - $t0, 1))") s" >&2
    done
  done
done

commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- tools bench src 2>/dev/null || echo '+dirty')"
/usr/bin/python3 - "$raw" "$model" "$tokens" "$delay" "$rounds" "$commit" "$lstmlens_note" "$results/report.md" <<'PY'
import csv, datetime, json, platform, statistics, subprocess, sys
raw, model, tokens, delay, rounds, commit, note, report = sys.argv[1:]
tokens, delay = int(tokens), int(delay)
config = json.load(open(f"{model}/config.json"))["model"]
E, H = config["embedding_size"], config["hidden_size"]
# The factored method's tangent-product FLOPs (see tools/torch_state_gradients.py), used for both sides.
ref_gflop = 2.0 * E * sum(min(t, delay) for t in range(1, tokens)) * H * 2 * H / 1e9
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
cores = sum(1 for l in open("/proc/cpuinfo") if l.startswith("processor"))
info = {k.strip(): v.strip() for k, _, v in (l.partition(":") for l in open("/proc/cpuinfo")) if k.strip() in ("cpu family", "model")}
if info:
    cpu += f", family {info.get('cpu family', '?')} model {info.get('model', '?')}"
torch_version = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"],
                               capture_output=True, text=True).stdout.strip()

runs = [json.loads(l) for l in open(raw)]
groups = {}
for r in runs:
    r["seconds"] = float(r["reported"].get("seconds", r["wall_s"]))
    groups.setdefault((r["side"], r["dtype"], r["threads"], r["method"]), []).append(r)
rows = []
for key, rs in groups.items():
    seconds = statistics.median(r["seconds"] for r in rs)
    rows.append((key, seconds, statistics.median(r["wall_s"] for r in rs), len(rs),
                 max(max(r["load_before"], r["load_after"]) for r in rs)))
torch_f32 = [row for row in rows if row[0][0] == "torch" and row[0][1] == "float32"]
best_torch = min(torch_f32 or [row for row in rows if row[0][0] == "torch"], key=lambda row: row[1])
ours = sorted([row for row in rows if row[0][0] == "lstmlens"], key=lambda row: (row[0][1] != "float32", row[1]))

out = ["# State gradients: LstmLens `memory` vs PyTorch (tools/torch_state_gradients.py)", "",
       f"CPU: {cpu} ({cores} logical CPUs); date: {datetime.date.today()}; commit: {commit}; PyTorch {torch_version}.",
       f"Model: embedding {E}, LSTM {H}, vocabulary {config['input_size']}; {tokens:,} tokens, delays 0..{delay}, "
       f"no normalisation; {rounds} alternating round(s), median per row.",
       f"GFLOP/s counts the factored method's tangent products ({ref_gflop:,.0f} GFLOP) for every row; "
       "seconds are each side's own timing of the analysis (`seconds` in its JSON; process wall time where it "
       "reports none), wall is the whole process.", ""]
if note:
    out += [f"Note: {note}.", ""]
out += ["| side | dtype | threads | method | runs | seconds | wall s | tokens/s | GFLOP/s | LstmLens speed / this (same dtype) | max load |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
for (side, dtype, threads, method), seconds, wall, n, peak in sorted(rows, key=lambda row: (row[0][0] != "lstmlens", row[1])):
    same = [row for row in ours if row[0][1] == dtype]
    ratio = f"{seconds / same[0][1]:.2f}" if same else "–"
    out.append(f"| {'LstmLens' if side == 'lstmlens' else 'PyTorch'} | {dtype} | {threads} | {method} | {n} | {seconds:,.1f} | "
               f"{wall:,.1f} | {tokens / seconds:,.1f} | {ref_gflop / seconds:,.1f} | {ratio} | {peak:.1f} |")
status = 0
if ours:
    ratio = best_torch[1] / ours[0][1]
    out += ["", f"Speed ratio LstmLens / PyTorch at PyTorch's best setting ({best_torch[0][1]}, {best_torch[0][2]} thread(s), "
            f"{best_torch[0][3]}): {ratio:.2f}"]

    def read(path, group=None):
        table = {}
        for row in csv.DictReader(open(path)):
            if group is None or row.get("group") == group:
                table[int(row["delay"])] = (int(row["count"]), float(row["sigma1"]))
        return table

    mine = read(next(r for r in runs if r["side"] == "lstmlens" and r["dtype"] == "float32")["csv"], "all")   # the first kernel set's run
    out += ["", "sigma1 agreement per delay (max over delays of |LstmLens − PyTorch| / |PyTorch|):", ""]
    for r in runs:
        if r["side"] != "torch" or r["round"] != 1:
            continue
        theirs = read(r["csv"])
        worst = max((abs(mine[d][1] - theirs[d][1]) / abs(theirs[d][1]), d) for d in theirs if d in mine)
        counts_ok = all(mine.get(d, (None,))[0] == theirs[d][0] for d in theirs) and set(mine) == set(theirs)
        bound = 1e-3 if r["dtype"] == "float32" else None
        verdict = "" if bound is None else (" ok" if worst[0] <= bound and counts_ok else f" FAIL (bound {bound:g})")
        if verdict.startswith(" FAIL"):
            status = 1
        out.append(f"- PyTorch {r['dtype']} {r['threads']} thread(s): {worst[0]:.2e} at delay {worst[1]}; "
                   f"counts {'agree' if counts_ok else 'DIFFER'}{verdict}")
text = "\n".join(out) + "\n"
open(report, "w").write(text)
print(text, end="")
print(f"(report and runs in {report.rsplit('/', 1)[0]})", file=sys.stderr)
sys.exit(status)
PY
