#!/usr/bin/env bash
# Trains the rows of one results table and writes the table beside the paper's figures:
#   ./scripts/experiments.sh sets TASK [ROW...]    Set Transformer (configs/sets/TASK/ROW.toml)
#   ./scripts/experiments.sh slots TABLE [ROW...]  Slot Attention (configs/slots/TABLE/ROW.toml)
#   ./scripts/experiments.sh seq2seq TABLE [ROW...] Transformer (configs/seq2seq/TABLE/ROW.toml)
#   ./scripts/experiments.sh language TABLE [ROW...] text encoder (configs/language/TABLE/ROW.toml)
# Each row runs `setformer train --config <row config>` into results/<kind>/<table>/<row>;
# after each row `setformer <kind> table` writes results/<kind>/<table>.{md,json} over every
# finished row and scripts/update_docs.sh refreshes the docs. A row with a summary.json is
# kept; a row with only a checkpoint (an interrupted run) is resumed, so a table can be built
# over several sessions. Each row's progress lines go to results/<kind>/<table>/<row>/train.log.
# THREADS=N overrides run.threads. Two queues with THREADS=1 use 2 cores better than one with 2
# for the small set and sequence models, too small for intra-op parallelism to pay; the
# convolutional slot models gain nothing from it: side by side on one thread each, multi-dSprites
# trained at 6.2 images/s and CLEVR at about 64 (the first progress lines, one and eight, of
# train.log in results/slots/multi_dsprites/slot_attention and clevr_properties/slot_attention_50k),
# against 12.2 and 100–146 alone on two (docs/results/slot_attention.md). Never give two queues more
# threads than cores: OpenMP processes that oversubscribe them slow each other many times over.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/experiments.sh sets|slots|seq2seq|language TABLE [ROW...]"
kind=${1:?$usage}
table=${2:?$usage}
shift 2
case $kind in sets | slots | seq2seq | language) ;; *) echo "$usage" >&2; exit 1 ;; esac
[ -d "configs/$kind/$table" ] || { echo "no such table: configs/$kind/$table" >&2; exit 1; }
all_rows=()
for config in configs/"$kind"/"$table"/*.toml; do all_rows+=("$(basename "$config" .toml)"); done
rows=("$@")
[ ${#rows[@]} -eq 0 ] && rows=("${all_rows[@]}")
# Runs a private copy of the binary, so that rebuilding while a queue runs cannot make a row that
# starts mid-link fail ("Permission denied") and stop the queue.
bin=$(mktemp "${TMPDIR:-/tmp}/setformer.XXXXXX")
trap 'rm -f "$bin"' EXIT
cp build/setformer "$bin"
chmod u+x "$bin"
# The table over every finished row: rows whose configs appeared while this queue ran (another
# queue may have finished them), and rows that are evaluations of a trained row (`setformer
# eval --out results/slots/TABLE/ROW`, the paper's test-time generalisation); then the
# docs. Fails when no row has finished.
refresh_table() {
  local summaries=() summary
  for summary in results/"$kind"/"$table"/*/summary.json; do
    [ -f "$summary" ] && summaries+=("$summary")
  done
  [ ${#summaries[@]} -gt 0 ] || return 1
  "$bin" "$kind" table --out "results/$kind/$table" "${summaries[@]}"
  ./scripts/update_docs.sh
}
last=${rows[${#rows[@]}-1]}
for row in "${rows[@]}"; do
  config=configs/$kind/$table/$row.toml
  out=results/$kind/$table/$row
  [ -f "$config" ] || { echo "no such row: $config" >&2; exit 1; }
  if [ -f "$out/summary.json" ]; then
    echo "== $row: done ($out/summary.json)"
    continue
  fi
  extra=()
  [ -f "$out/checkpoint.pt" ] && extra=(--resume)
  [ -n "${THREADS:-}" ] && extra+=(--threads "$THREADS")
  mkdir -p "$out"
  echo "== $row: ./build/setformer train --config $config ${extra[*]}"
  "$bin" train --config "$config" "${extra[@]}" 2> >(tee -a "$out/train.log" >&2)
  # After every row but the last (the refresh below), so that a queue stopped later (the session
  # ends) leaves its finished rows in the table and the docs.
  if [ "$row" != "$last" ]; then refresh_table; fi
done
refresh_table || { echo "no finished rows in results/$kind/$table" >&2; exit 1; }
