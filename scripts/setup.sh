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
  # data
  dataset-fashion-mnist
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

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
