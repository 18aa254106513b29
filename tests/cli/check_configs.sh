#!/usr/bin/env bash
# Every committed configuration must load and build its model without training: `train --config
# C --dry-run` on each experiment config, `bench attention --config C --dry-run` on each benchmark
# config (configs/bench_*.toml). GLUE configs read the download from --data-root, which a dry run
# only names. Usage: check_configs.sh SETFORMER_BINARY CONFIGS_DIR
set -uo pipefail
binary=$1 configs=$2
failed=0 checked=0
while IFS= read -r config; do
  case "$(basename "$config")" in
    bench_*) command=(bench attention) expect="bench attention: kernels" ;;
    *) command=(train) expect="task: " ;;
  esac
  case "$config" in
    */glue/*) command+=(--data-root GLUE_DIR) ;;
  esac
  if ! output=$("$binary" "${command[@]}" --config "$config" --dry-run 2>&1) ||
     [[ "$output" != *"$expect"* ]]; then
    echo "FAILED $config: $output"
    failed=$((failed + 1))
  fi
  checked=$((checked + 1))
done < <(find "$configs" -name '*.toml' | sort)
echo "$checked configs checked, $failed failed"
[ "$checked" -gt 0 ] && [ "$failed" -eq 0 ]
