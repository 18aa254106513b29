#!/usr/bin/env bash
# Every committed experiment config must load and build its model: `<kind> train --dry-run` on
# configs/<kind>/*/*.toml. Usage: check_configs.sh SETFORMER_BINARY CONFIGS_DIR KIND
set -uo pipefail
binary=$1 configs=$2 kind=$3
failed=0 checked=0
for config in "$configs/$kind"/*/*.toml; do
  if ! output=$("$binary" "$kind" train --config "$config" --dry-run 2>&1); then
    echo "FAILED $config: $output"
    failed=$((failed + 1))
  fi
  checked=$((checked + 1))
done
echo "$checked configs checked, $failed failed"
[ "$checked" -gt 0 ] && [ "$failed" -eq 0 ]
