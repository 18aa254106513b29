#!/usr/bin/env bash
# The input-pipeline benchmark of issue 39: a folder of JPEGs of ImageNet's typical size
# (500×375, generated from Fashion-MNIST by `setformer data export`, into data/, gitignored), then
# `setformer bench data` with torchvision's ImageFolder + DataLoader beside it at each worker
# count. Installs Debian's python3-torchvision (for /usr/bin/python3) when missing. Writes
# results/bench_data.md and .json.
#   ./scripts/bench_data.sh [IMAGES]     (default 2560 training images)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
images=${1:-2560}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
for p in python3-torchvision python3-pil; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "$p" >/dev/null
  fi
done
folder=$root/data/bench_jpeg
marker=$folder/.complete-$images
if [ ! -f "$marker" ]; then
  rm -rf "$folder"
  "$root/build/setformer" data export --limit "$images" --format jpeg --size 500x375 --out "$folder"
  touch "$marker"
fi
cd "$root"
./build/setformer bench data --root "$folder" --workers 1,2 --batch 64 --batches 16 --rounds 5 \
  --table results/bench_data
