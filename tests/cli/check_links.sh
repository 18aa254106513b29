#!/usr/bin/env bash
# Every relative link and image of README.md and docs/**/*.md must name a file of the tree.
# Usage: check_links.sh SOURCE_DIR
set -uo pipefail
cd "$1" || exit 1
checked=0 broken=0
while IFS= read -r page; do
  dir=$(dirname "$page")
  while IFS= read -r target; do
    target=${target%%#*}
    case "$target" in '' | http://* | https://* | mailto:*) continue ;; esac
    checked=$((checked + 1))
    if [ ! -e "$dir/$target" ]; then
      echo "BROKEN $page: $target"
      broken=$((broken + 1))
    fi
  done < <(grep -o '](\([^) ]*\))' "$page" | sed 's/^](//; s/)$//')
done < <(find README.md docs -name '*.md' | sort)
echo "$checked links checked, $broken broken"
[ "$checked" -gt 0 ] && [ "$broken" -eq 0 ]
