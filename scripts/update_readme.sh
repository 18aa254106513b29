#!/usr/bin/env bash
# Copies generated result files into README.md between markers of the form
#   <!-- results: results/FILE.md -->  ...  <!-- /results -->
# so that no number in the README is typed by hand. Run after an experiment rewrites its results.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
readme="$root/README.md"
tmp=$(mktemp)
awk -v root="$root" '
  /<!-- results: .* -->/ {
    print
    file = $0
    sub(/.*<!-- results: /, "", file); sub(/ -->.*/, "", file)
    path = root "/" file
    if ((getline line < path) <= 0) { print "update_readme: cannot read " path > "/dev/stderr"; exit 1 }
    do { print line } while ((getline line < path) > 0)
    close(path)
    skipping = 1
    next
  }
  /<!-- \/results -->/ { skipping = 0 }
  !skipping { print }
' "$readme" > "$tmp"
mv "$tmp" "$readme"
echo "update_readme: README.md results refreshed"
