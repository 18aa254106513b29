#!/usr/bin/env bash
# Inference throughput of trained Fashion-MNIST rows measured side by side: R rounds, each
# evaluating every row's checkpoint once on the 10 000 test images in turn, so that the machine's
# drift affects every row alike. Writes the median and range per row to
# results/fashion_mnist_inference.md. The checkpoints come from ./scripts/fashion_mnist_table.sh
# (they are not committed).
#   ./scripts/inference_side_by_side.sh [ROUNDS] [ROW...]   (default: 5 rounds; set softmax window)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
shift || true
rows=("$@")
[ ${#rows[@]} -eq 0 ] && rows=(set softmax window)
for row in "${rows[@]}"; do
  [ -f "results/fashion_mnist/$row/checkpoint.pt" ] || {
    echo "no checkpoint for row '$row': run ./scripts/fashion_mnist_table.sh $row first" >&2
    exit 1
  }
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for ((r = 1; r <= rounds; r++)); do
  for row in "${rows[@]}"; do
    ./build/setformer eval --checkpoint "results/fashion_mnist/$row/checkpoint.pt" \
      --out "$scratch/$row" >/dev/null
    sed -n 's/.*"images_per_second": *\([0-9.e+-]*\).*/\1/p' "$scratch/$row/eval.json" \
      >>"$scratch/$row.txt"
    echo "round $r/$rounds: $row $(tail -1 "$scratch/$row.txt") images/s" >&2
  done
done
out=results/fashion_mnist_inference.md
{
  echo "Command: \`./scripts/inference_side_by_side.sh $rounds ${rows[*]}\`"
  echo
  echo "Inference on the 10 000 test images (batches of 500 cut into one shard per thread, no" \
    "gradients, $(nproc) threads), rows evaluated in turn, $rounds rounds."
  echo
  echo "| run | median img/s | min | max |"
  echo "|-----|--------------|-----|-----|"
  for row in "${rows[@]}"; do
    sort -g "$scratch/$row.txt" | awk -v row="$row" '
      { v[NR] = $1 }
      END {
        median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "| %s | %.0f | %.0f | %.0f |\n", row, median, v[1], v[NR]
      }'
  done
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
