#!/usr/bin/env bash
# Usage: expect_error.sh FRAGMENT COMMAND...
# Passes when COMMAND exits non-zero and prints exactly one line on stderr that contains
# FRAGMENT: the contract for bad input (a one-line error naming the culprit).
set -u
fragment=$1
shift
stderr=$("$@" 2>&1 >/dev/null)
code=$?
if [ "$code" -eq 0 ]; then
  echo "FAIL: exit code 0 for: $*"
  exit 1
fi
lines=$(printf '%s\n' "$stderr" | grep -c .)
if [ "$lines" -ne 1 ]; then
  echo "FAIL: expected one line on stderr, got $lines:"
  printf '%s\n' "$stderr"
  exit 1
fi
case "$stderr" in
  *"$fragment"*) echo "ok (exit $code): $stderr" ;;
  *)
    echo "FAIL: '$fragment' not in: $stderr"
    exit 1
    ;;
esac
