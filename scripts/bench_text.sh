#!/usr/bin/env bash
# The tokenizer and loader benchmark of issue 40: `setformer bench text` on SpamAssassin's
# training e-mails, SentencePiece in setformer beside the same model in Python's sentencepiece
# package. Installs Debian's python3-sentencepiece (for /usr/bin/python3) when missing. Writes
# results/bench_text.md and .json.
#   ./scripts/bench_text.sh [ROUNDS]     (default 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! dpkg-query -W -f='${Status}' python3-sentencepiece 2>/dev/null | grep -q "install ok installed"; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3-sentencepiece >/dev/null
fi
cd "$root"
./build/setformer bench text --corpus spam_assassin --vocab-size 8192 --rounds "$rounds" \
  --batch 16 --length 1024 --table results/bench_text
