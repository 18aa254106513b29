#!/usr/bin/env bash
# Usage: check_generated.sh FILE COMMAND...
# Passes when FILE (a committed, generated page) equals what COMMAND prints; otherwise shows the
# difference and the command that regenerates it.
set -u
file=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" || { echo "FAIL: exit code $? for: $*"; exit 1; }
if ! diff -u "$file" "$out"; then
  echo "FAIL: $file differs from the output of: $*"
  echo "regenerate it with: $* > $file"
  exit 1
fi
echo "ok: $file is what $* prints"
