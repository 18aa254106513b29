#!/usr/bin/env bash
# Copies generated result files into the docs (README.md and docs/**/*.md) between markers of the
# form
#   <!-- results: results/FILE.md -->  ...  <!-- /results -->
# so that no number in the docs is typed by hand. Run after an experiment rewrites its results.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
pages=()
while IFS= read -r page; do pages+=("$page"); done < <(grep -rl --include='*.md' '<!-- results: ' README.md docs 2>/dev/null | sort)
for page in "${pages[@]}"; do
  tmp=$(mktemp)
  awk -v root="$root" '
    /<!-- results: .* -->/ {
      print
      file = $0
      sub(/.*<!-- results: /, "", file); sub(/ -->.*/, "", file)
      path = root "/" file
      if ((getline line < path) <= 0) { print "update_docs: cannot read " path > "/dev/stderr"; exit 1 }
      do { print line } while ((getline line < path) > 0)
      close(path)
      skipping = 1
      next
    }
    /<!-- \/results -->/ { skipping = 0 }
    !skipping { print }
  ' "$page" >"$tmp"
  mv "$tmp" "$page"
done
echo "update_docs: results refreshed in ${#pages[@]} page(s): ${pages[*]}"
