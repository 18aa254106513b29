#!/usr/bin/env bash
# Usage: expect_lines.sh N COMMAND...
# Passes when COMMAND exits 0 and prints exactly N lines on stdout (one answer per input line).
set -u
expected=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" || { echo "FAIL: exit code $? for: $*"; exit 1; }
cat "$out"
lines=$(wc -l <"$out")
[ "$lines" -eq "$expected" ] || { echo "FAIL: $lines lines on stdout, expected $expected"; exit 1; }
echo "ok: $lines lines"
