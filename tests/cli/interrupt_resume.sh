#!/usr/bin/env bash
# Usage: [SIGNAL=INT|TERM] interrupt_resume.sh SETFORMER CONFIG WORKDIR [FLAG...]
# Trains CONFIG (plus the train flags given) twice: once straight, once interrupted with SIGNAL
# (default INT, Ctrl-C; TERM is what schedulers send) after its first progress record and then
# resumed with --resume. The interrupted run must exit 128 + the signal's number (130, 143)
# leaving a checkpoint; the resumed run must end with the same test loss and accuracy, to the
# last digit, as the straight one (same weights).
set -euo pipefail
setformer=$1
config=$2
work=$3
shift 3
flags=("$@")
rm -rf "$work"
mkdir -p "$work"
"$setformer" train --config "$config" --epochs 4 "${flags[@]}" --out "$work/straight" >/dev/null 2>&1

"$setformer" train --config "$config" --epochs 4 "${flags[@]}" --out "$work/resumed" --checkpoint-every 0 \
  >/dev/null 2>"$work/interrupted.log" &
pid=$!
for _ in $(seq 1 600); do
  if grep -q '"kind":"train"' "$work/resumed/log.jsonl" 2>/dev/null; then break; fi
  sleep 0.05
done
signal=${SIGNAL:-INT}
kill "-$signal" "$pid"
set +e
wait "$pid"
code=$?
set -e
expected=$((128 + $(kill -l "$signal")))
if [ "$code" -ne "$expected" ]; then
  echo "FAIL: the interrupted run exited $code, expected $expected (SIG$signal)"
  cat "$work/interrupted.log"
  exit 1
fi
grep -q "continue with --resume" "$work/interrupted.log"
test -f "$work/resumed/checkpoint.pt"

"$setformer" train --config "$config" --epochs 4 "${flags[@]}" --out "$work/resumed" --resume >/dev/null 2>&1
metrics() {
  # summary.json is pretty-printed: one key per line, numbers to full precision.
  grep -E '^  "(test_loss|test_accuracy|steps)"' "$1" | tr -d ' \n'
}
straight=$(metrics "$work/straight/summary.json")
resumed=$(metrics "$work/resumed/summary.json")
echo "straight: $straight"
echo "resumed:  $resumed"
test "$straight" = "$resumed"
