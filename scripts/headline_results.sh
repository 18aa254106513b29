#!/usr/bin/env bash
# Writes results/headline.md, the README's table of headline results: one line per paper table,
# our figure read from the committed run's summary.json (or benchmark JSON), the paper's figure
# read from the generated table beside it, the command that reproduces the row and a link to the
# page with the whole table. No figure is typed here. scripts/update_docs.sh copies the file into
# the README; run both after a headline row changes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=results/headline.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# jq -r FILTER FILE. A missing value (a renamed row or metric) prints MISSING, which fails the
# script below: the lookups run inside $(...), whose exit status would go unnoticed.
value() {
  local v
  v=$(jq -r "$1" "$2" 2>/dev/null) || v=
  if [ -z "$v" ] || [ "$v" = "null" ]; then
    echo "headline_results: no $1 in $2" >&2
    v=MISSING
  fi
  printf '%s' "$v"
}
number() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "MISSING") print v; else printf f, v }'; }
percent() { value "$1" "$2" | awk '{ print ($1 == "MISSING") ? $1 : sprintf("%.1f", 100 * $1) }'; }
fixed() { number "$(value "$1" "$2")" "%.4f"; }
# The paper's figure of row $2 in the generated table $1 (key $3).
paper() { value "[.rows[] | select(.row == \"$2\") | .paper.\"$3\"][0]" "$1"; }

{
  echo "| paper table | measure (our row) | ours | paper | reproduce | all rows |"
  echo "|---|---|---|---|---|---|"

  v=results/fashion_mnist
  echo "| SeTformer Tables 1–3 (ImageNet), here Fashion-MNIST | test accuracy %, SeT / softmax twin, same budget | $(percent .test_accuracy $v/set/summary.json) / $(percent .test_accuracy $v/softmax/summary.json) | — | \`./scripts/fashion_mnist_table.sh set softmax\` | [vision](docs/results/setformer_vision.md) |"

  l=results/language
  echo "| SeTformer Table 11 (GLUE), here SpamAssassin e-mails at 4096 tokens | test accuracy %, SeT / softmax | $(percent .metrics.test_accuracy $l/spam/set_4096/summary.json) / $(percent .metrics.test_accuracy $l/spam/softmax_4096/summary.json) | — | \`./scripts/experiments.sh language spam set_4096 softmax_4096\` | [language](docs/results/language.md) |"
  echo "| Long Range Arena ListOps (500–2000 tokens) | test accuracy %, SeT (m = 256, σ = 0.005) / softmax | $(percent .metrics.test_accuracy $l/listops/set_m256_sigma_0005/summary.json) / $(percent .metrics.test_accuracy $l/listops/softmax/summary.json) | — | \`./scripts/experiments.sh language listops set_m256_sigma_0005 softmax\` | [language](docs/results/language.md) |"
  echo "| Masked language modelling (Moby Dick, SOTU) | validation MLM accuracy %, SeT / softmax | $(percent .metrics.valid_mlm_accuracy $l/mlm/set/summary.json) / $(percent .metrics.valid_mlm_accuracy $l/mlm/softmax/summary.json) | — | \`./scripts/experiments.sh language mlm set softmax\` | [language](docs/results/language.md) |"

  s=results/sets
  echo "| Set Transformer Table 1: max regression | test MAE, SAB + PMA | $(fixed .metrics.test_mae $s/max_regression/sab_pma/summary.json) | $(paper $s/max_regression.json 'SAB + PMA' mae) | \`./scripts/experiments.sh sets max_regression sab_pma\` | [Set Transformer](docs/results/set_transformer.md) |"
  echo "| Set Transformer Tables 4–5: amortized clustering | LL0/data, SAB + PMA | $(fixed .metrics.test_ll0 $s/clustering/sab_pma/summary.json) | $(paper $s/clustering.json 'SAB + PMA' ll0) | \`./scripts/experiments.sh sets clustering sab_pma\` | [Set Transformer](docs/results/set_transformer.md) |"
  echo "| Set Transformer Table 6: large-scale clustering | LL0/data, ISAB (32) + PMA | $(fixed .metrics.test_ll0 $s/clustering_large/isab32_pma/summary.json) | $(paper $s/clustering_large.json 'ISAB (32) + PMA' ll0) | \`./scripts/experiments.sh sets clustering_large isab32_pma\` | [Set Transformer](docs/results/set_transformer.md) |"
  echo "| Set Transformer Table 2: counting unique items | test accuracy, SAB + PMA | $(fixed .metrics.test_accuracy $s/unique_count/sab_pma/summary.json) | $(paper $s/unique_count.json 'SAB + PMA' accuracy) | \`./scripts/experiments.sh sets unique_count sab_pma\` | [Set Transformer](docs/results/set_transformer.md) |"

  o=results/slots
  echo "| Slot Attention Table 1: Tetrominoes | foreground ARI %, Slot Attention (20 000 steps) | $(percent .metrics.test_ari $o/tetrominoes/slot_attention_20k/summary.json) | $(paper $o/tetrominoes.json 'Slot Attention' ari) | \`./scripts/experiments.sh slots tetrominoes slot_attention_20k\` | [Slot Attention](docs/results/slot_attention.md) |"
  echo "| Slot Attention Table 1: Multi-dSprites | foreground ARI %, Slot Attention (4000 steps) | $(percent .metrics.test_ari $o/multi_dsprites/slot_attention/summary.json) | $(paper $o/multi_dsprites.json 'Slot Attention' ari) | \`./scripts/experiments.sh slots multi_dsprites slot_attention\` | [Slot Attention](docs/results/slot_attention.md) |"
  echo "| Slot Attention Table 3: CLEVR set prediction | AP∞ / AP1 %, Slot Attention (50 000 steps) | $(percent .metrics.test_ap_inf $o/clevr_properties/slot_attention_50k/summary.json) / $(percent .metrics.test_ap_1 $o/clevr_properties/slot_attention_50k/summary.json) | $(paper $o/clevr_properties.json 'Slot Attention' ap_inf) / $(paper $o/clevr_properties.json 'Slot Attention' ap_1) | \`./scripts/experiments.sh slots clevr_properties slot_attention_50k\` | [Slot Attention](docs/results/slot_attention.md) |"

  q=results/seq2seq/tasks
  echo "| Transformer: copy / reverse / sort (cosine decay) / addition | held-out exact match %, greedy | $(percent .metrics.test_exact_match $q/copy/summary.json) / $(percent .metrics.test_exact_match $q/reverse/summary.json) / $(percent .metrics.test_exact_match $q/sort_cosine/summary.json) / $(percent .metrics.test_exact_match $q/addition/summary.json) | — | \`./scripts/experiments.sh seq2seq tasks\` | [Transformer](docs/results/transformer.md) |"

  b=results/bench_set_paths.json
  ms() { value "[.rows[] | select(.kernel == \"$1\" and .n == 4096) | .median_ms][0]" $b; }
  quotient() {
    awk -v a="$1" -v b="$2" -v f="$3" \
      'BEGIN { if (a == "MISSING" || b == "MISSING") print "MISSING"; else printf f, a / b }'
  }
  ratio=$(quotient "$(ms set)" "$(ms set-matmuls)" "%.2f")
  soft=$(quotient "$(ms softmax)" "$(ms set)" "%.1f")
  echo "| SeTformer §3: SeT is linear in n | time of SeT at n = 4096 against its matrix products alone / softmax's against SeT's (CPU, forward + backward) | ${ratio}× / ${soft}× | — | \`./build/setformer bench attention --config configs/bench_set_paths.toml --out results/bench_set_paths\` | [performance](docs/results/performance.md) |"
} >"$tmp"
if grep -q MISSING "$tmp"; then
  echo "headline_results: values are missing; $out is unchanged" >&2
  exit 1
fi
mv "$tmp" "$out"
trap - EXIT
echo "headline_results: wrote $out"
