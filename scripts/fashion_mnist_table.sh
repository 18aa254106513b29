#!/usr/bin/env bash
# Trains the rows of the Fashion-MNIST table of docs/results/setformer_vision.md
# (configs/fashion_mnist/<row>.toml, the same budget for every row) and writes results/fashion_mnist.{md,json,png} with `setformer
# summarize`. A row with a summary.json is kept; a row with only a checkpoint (an interrupted
# run) is resumed, so the table can be built over several sessions. Each row's progress lines
# go to results/fashion_mnist/<row>/train.log.
#   ./scripts/fashion_mnist_table.sh [ROW...]     (default: every row)
set -euo pipefail
cd "$(dirname "$0")/.."
all_rows=(set set_nystrom set_random_refs set_no_positions softmax window)
rows=("$@")
[ ${#rows[@]} -eq 0 ] && rows=("${all_rows[@]}")
for row in "${rows[@]}"; do
  config=configs/fashion_mnist/$row.toml
  out=results/fashion_mnist/$row
  [ -f "$config" ] || { echo "no such row: $config" >&2; exit 1; }
  if [ -f "$out/summary.json" ]; then
    echo "== $row: done ($out/summary.json)"
    continue
  fi
  resume=()
  [ -f "$out/checkpoint.pt" ] && resume=(--resume)
  mkdir -p "$out"
  echo "== $row: ./build/setformer train --config $config ${resume[*]}"
  ./build/setformer train --config "$config" "${resume[@]}" 2> >(tee -a "$out/train.log" >&2)
done
summaries=()
for row in "${all_rows[@]}"; do
  [ -f "results/fashion_mnist/$row/summary.json" ] && summaries+=("results/fashion_mnist/$row/summary.json")
done
./build/setformer summarize --title "Fashion-MNIST, test accuracy per epoch" \
  --out results/fashion_mnist "${summaries[@]}"
./scripts/update_docs.sh
