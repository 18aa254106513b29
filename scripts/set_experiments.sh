#!/usr/bin/env bash
# Trains the rows of one Set Transformer experiment (configs/sets/<task>/<row>.toml) and writes
# its table beside the paper's figures, results/sets/<task>.{md,json}, with `setformer sets
# table`. A row with a summary.json is kept; a row with only a checkpoint (an interrupted run) is
# resumed, so a table can be built over several sessions. Each row's progress lines go to
# results/sets/<task>/<row>/train.log.
#   ./scripts/set_experiments.sh TASK [ROW...]   (TASK: max_regression | clustering |
#                                                  clustering_large | unique_count; default: every row)
# THREADS=N overrides run.threads (two queues with THREADS=1 use 2 cores better than one with 2:
# these models are too small for intra-op parallelism to pay, and OpenMP processes that
# oversubscribe the cores slow each other down many times over).
set -euo pipefail
cd "$(dirname "$0")/.."
task=${1:?usage: scripts/set_experiments.sh TASK [ROW...]}
shift
[ -d "configs/sets/$task" ] || { echo "no such task: configs/sets/$task" >&2; exit 1; }
all_rows=()
for config in configs/sets/"$task"/*.toml; do all_rows+=("$(basename "$config" .toml)"); done
rows=("$@")
[ ${#rows[@]} -eq 0 ] && rows=("${all_rows[@]}")
for row in "${rows[@]}"; do
  config=configs/sets/$task/$row.toml
  out=results/sets/$task/$row
  [ -f "$config" ] || { echo "no such row: $config" >&2; exit 1; }
  if [ -f "$out/summary.json" ]; then
    echo "== $row: done ($out/summary.json)"
    continue
  fi
  extra=()
  [ -f "$out/checkpoint.pt" ] && extra=(--resume)
  [ -n "${THREADS:-}" ] && extra+=(--threads "$THREADS")
  mkdir -p "$out"
  echo "== $row: ./build/setformer sets train --config $config ${extra[*]}"
  ./build/setformer sets train --config "$config" "${extra[@]}" 2> >(tee -a "$out/train.log" >&2)
done
summaries=()
for row in "${all_rows[@]}"; do
  [ -f "results/sets/$task/$row/summary.json" ] && summaries+=("results/sets/$task/$row/summary.json")
done
[ ${#summaries[@]} -gt 0 ] || { echo "no finished rows in results/sets/$task" >&2; exit 1; }
./build/setformer sets table --out "results/sets/$task" "${summaries[@]}"
./scripts/update_readme.sh
