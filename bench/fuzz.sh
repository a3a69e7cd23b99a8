#!/usr/bin/env bash
# Fuzzes every reader (or those named) with AFL++ through SharpFuzz for a bounded time each, starting from the
# committed corpus in tests/LstmLens.Tests/Fixtures/fuzz/READER/, and prints executions, crashes and hangs per
# reader. Findings land in WORK/findings/READER/default/{crashes,hangs}; replay one with the ordinary build
# (the instrumented copy under WORK needs AFL++'s shared memory)
#   dotnet bench/LstmLens.Fuzz/bin/Release/net10.0/LstmLens.Fuzz.dll READER FILE
# and commit it to the reader's corpus folder with the fix (the test suite replays that folder).
# Usage: bench/fuzz.sh [-s SECONDS] [-w WORK] [READER…]   (default 240 s per reader, WORK=/tmp/lstmlens-fuzz)
# Needs afl-fuzz (Debian: apt-get install afl++); installs the sharpfuzz instrumenter under WORK.
set -euo pipefail
seconds=240 work=/tmp/lstmlens-fuzz
while getopts s:w: flag; do case $flag in s) seconds=$OPTARG ;; w) work=$OPTARG ;; *) exit 2 ;; esac; done
shift $((OPTIND - 1))
root=$(cd "$(dirname "$0")/.." && pwd)
readers=("$@")
[ ${#readers[@]} -gt 0 ] || readers=(text tagged conllu idx safetensors config vocab)
command -v afl-fuzz >/dev/null || { echo "fuzz.sh: afl-fuzz not found (apt-get install afl++)" >&2; exit 1; }

mkdir -p "$work"
[ -x "$work/tool/sharpfuzz" ] || dotnet tool install --tool-path "$work/tool" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
rm -rf "$work/bin"
dotnet build -c Release "$root/bench/LstmLens.Fuzz" -o "$work/bin" >/dev/null
"$work/tool/sharpfuzz" "$work/bin/LstmLens.dll" # instruments the library in place (only the copy under WORK)

# SharpFuzz's harness is a managed program, not an AFL-compiled binary; a 512 MiB GC heap turns runaway
# allocation on a small input into an OutOfMemoryException, which AFL++ records as a crash.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export DOTNET_GCHeapHardLimit=0x20000000
echo "AFL++ $(afl-fuzz -h 2>&1 | grep -o 'afl-fuzz++[0-9.a-z]*' | head -1), SharpFuzz 2.3.0, $seconds s per reader, $(nproc) cores, $(date -u +%FT%TZ)"
printf '%-12s %12s %10s %8s %6s %10s\n' reader executions execs/s crashes hangs paths
for reader in "${readers[@]}"; do
  out="$work/findings/$reader"
  rm -rf "$out"; mkdir -p "$work/findings"
  afl-fuzz -i "$root/tests/LstmLens.Tests/Fixtures/fuzz/$reader" -o "$out" -V "$seconds" -t 5000 -m none \
    -- "$(command -v dotnet)" "$work/bin/LstmLens.Fuzz.dll" "$reader" >"$work/$reader.log" 2>&1 || { tail -20 "$work/$reader.log" >&2; exit 1; }
  stat() { sed -n "s/^$1 *: //p" "$out/default/fuzzer_stats"; }
  printf '%-12s %12s %10s %8s %6s %10s\n' "$reader" "$(stat execs_done)" "$(stat execs_per_sec)" "$(stat saved_crashes)" "$(stat saved_hangs)" "$(stat corpus_count)"
done
