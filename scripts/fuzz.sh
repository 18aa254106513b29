#!/usr/bin/env bash
# Fuzzes the parsers of user files with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer, each from a seed corpus of every kind of input it reads:
#   image_decode  the JPEG/PNG/PGM/PPM decoder and header probe (fuzz/image_decode_fuzz.cpp)
#   image_list    CSV/TSV list files of images and labels (fuzz/image_list_fuzz.cpp)
#   text_files    labelled TSV/CSV/JSONL text (fuzz/text_files_fuzz.cpp)
# Installs clang and its runtime from Debian when missing. Not part of the test suite (it runs for
# minutes); a crash leaves its input in build-fuzz/ and a non-zero exit.
#   ./scripts/fuzz.sh [SECONDS] [TARGET...]      (default 300 seconds each, every target)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(image_decode image_list text_files)
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
for p in clang libclang-rt-14-dev libturbojpeg0-dev libpng-dev libfmt-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    as_root apt-get install -y -qq --no-install-recommends "$p" >/dev/null
  fi
done
out=$root/build-fuzz
src=$root/src/setformer
flags=(-std=c++17 -g -O1 -I"$root/src" -I"$root/tests" -DFMT_HEADER_ONLY)
sanitize=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
mkdir -p "$out"
clang++ "${flags[@]}" "$root/fuzz/make_seeds.cpp" "$root/tests/common/image_fixtures.cpp" \
  -lturbojpeg -lpng -lz -o "$out/make_seeds"
for target in "${targets[@]}"; do
  case "$target" in
    image_decode) sources=("$src/io/image_decode.cpp"); seed_flag=() ;;
    image_list)
      sources=("$src/data/image_folder.cpp" "$src/data/text_files.cpp" "$src/io/delimited.cpp"
               "$src/io/image_decode.cpp" "$src/core/files.cpp")
      seed_flag=(--lists) ;;
    text_files)
      sources=("$src/data/text_files.cpp" "$src/io/delimited.cpp")
      seed_flag=(--text) ;;
    *) echo "fuzz: unknown target '$target' (image_decode, image_list, text_files)" >&2; exit 2 ;;
  esac
  clang++ "${flags[@]}" "${sanitize[@]}" "$root/fuzz/${target}_fuzz.cpp" "${sources[@]}" \
    -lturbojpeg -lpng -lz -o "$out/${target}_fuzz"
  mkdir -p "$out/$target/corpus" "$out/$target/seeds"
  "$out/make_seeds" "${seed_flag[@]}" "$out/$target/seeds"
  echo "fuzz: $target for ${seconds}s"
  (cd "$out/$target" && "$out/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 \
    -rss_limit_mb=2048 -print_final_stats=1 corpus seeds)
done
