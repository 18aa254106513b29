#!/usr/bin/env bash
# Usage: bad_image_folder.sh SETFORMER GOOD_FOLDER WORK_FOLDER CONFIG
# A copy of an exported image folder with a zero-byte file and a text file named .jpg added to
# its training split: data.bad_files = error stops before training, listing both; skip trains
# without them and says so.
set -u
setformer=$1 good=$2 work=$3 config=$4
rm -rf "$work" && mkdir -p "$work" && cp -r "$good" "$work/data"
: >"$work/data/train/0_T-shirt_top/empty.png"
echo "not an image" >"$work/data/train/1_Trouser/notes.jpg"
common=(train --config "$config" --data-root "$work/data" --crop resize --image-size 28 --epochs 1
  --batch-size 8)
"$setformer" "${common[@]}" --out "$work/error" 2>&1
echo "exit=$?"
"$setformer" "${common[@]}" --bad-files skip --out "$work/skip" 2>&1
echo "exit=$?"
cat "$work/skip/bad_files.tsv"
