#!/usr/bin/env bash
# Fuzzes the image decoder (fuzz/image_decode_fuzz.cpp) with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer, starting from a seed corpus of every kind of file it reads. Installs
# clang and its runtime from Debian when missing. Not part of the test suite (it runs for
# minutes); a crash leaves its input in build-fuzz/ and a non-zero exit.
#   ./scripts/fuzz.sh [SECONDS]      (default 300)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-300}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
for p in clang libclang-rt-14-dev libturbojpeg0-dev libpng-dev libfmt-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    as_root apt-get install -y -qq --no-install-recommends "$p" >/dev/null
  fi
done
out=$root/build-fuzz
mkdir -p "$out/corpus" "$out/seeds"
flags=(-std=c++17 -g -O1 -I"$root/src" -I"$root/tests" -DFMT_HEADER_ONLY)
clang++ "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  "$root/fuzz/image_decode_fuzz.cpp" "$root/src/setformer/io/image_decode.cpp" \
  -lturbojpeg -lpng -lz -o "$out/image_decode_fuzz"
clang++ "${flags[@]}" "$root/fuzz/make_seeds.cpp" "$root/tests/common/image_fixtures.cpp" \
  -lturbojpeg -lpng -lz -o "$out/make_seeds"
"$out/make_seeds" "$out/seeds"
cd "$out"
echo "fuzz: image_decode for ${seconds}s"
./image_decode_fuzz -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
  -print_final_stats=1 corpus seeds
