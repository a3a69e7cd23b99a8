#!/bin/bash
# Interdependence of every word pair up to distance 5 over the whole UD English-EWT dev set (about 25k words and
# 65k pairs, three contextual-decomposition passes each) with an LSTM 256 / vocabulary 10k language model, at 1 and
# 2 threads in alternating rounds. Prints pairs/s and the FLOP rate of the matrix products (counted from the pass plan
# by bench/interdependence_flops.py) and writes bench/results/interdependence-<cpu>-<date>.md.
#
#   bench/interdependence.sh [ROUNDS]        (default 2; needs Debian's python3-torch for the model)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
data=${EWT_DEV:-../shared/data/ud-english-ewt/en_ewt-ud-dev.conllu}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build src/LstmLens.Cli -c Release -v q -nologo >/dev/null
cli="dotnet src/LstmLens.Cli/bin/Release/net10.0/LstmLens.Cli.dll"
/usr/bin/python3 bench/interdependence_model.py "$data" "$work/model" >/dev/null
flops=$(/usr/bin/python3 bench/interdependence_flops.py "$data" 256 256 10000)
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
family=$(lscpu | sed -n 's/^CPU family: *//p' | head -1); model=$(lscpu | sed -n 's/^Model: *//p' | head -1)
out=bench/results/interdependence-$(echo "$cpu" | tr ' ' '-' | tr -cd 'A-Za-z0-9-')-family${family}-model${model}-$(date +%F).md
{
  echo "# Interdependence over UD English-EWT dev: LSTM 256, vocabulary 10,000"
  echo
  echo "CPU: $cpu (family $family, model $model), $(nproc) cores; date $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD)."
  echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg). Matrix-product FLOPs of the whole run (from the pass plan): $flops."
  echo
  echo "| round | threads | pairs | seconds | pairs/s | GFLOP/s |"
  echo "|---:|---:|---:|---:|---:|---:|"
} > "$out"
for round in $(seq 1 "$rounds"); do
  for threads in 1 2; do
    line=$($cli interdependence --model "$work/model" --data "$data" --threads "$threads" | grep ' pairs in ')
    pairs=$(echo "$line" | sed -E 's/.*, ([0-9,]+) pairs in.*/\1/' | tr -d ,)
    seconds=$(echo "$line" | sed -E 's/.* pairs in ([0-9.]+) s.*/\1/')
    row=$(awk -v r="$round" -v t="$threads" -v p="$pairs" -v s="$seconds" -v f="$flops" 'BEGIN { printf "| %d | %d | %d | %.1f | %.0f | %.1f |", r, t, p, s, p / s, f / s / 1e9 }')
    echo "$row" | tee -a "$out"
  done
done
echo "wrote $out"
