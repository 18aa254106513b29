#!/usr/bin/env bash
# The checks that need a GPU (issue 8), prepared here and run in one go on a lent GPU machine,
# whose device time is short (minutes): build against that machine's CUDA LibTorch, run the
# CUDA tests, time SeT against softmax on the GPU, train one quick epoch with --device cuda, and
# run the Slot Attention rows' configs briefly on CUDA.
#
#   scripts/gpu_check.sh prepare       here: stage into .gpu/ (git-ignored) what that machine
#                                      lacks: Debian's packages of our header and small library
#                                      dependencies, and the Fashion-MNIST files
#   scripts/gpu_check.sh run OUT       there, from the repository root, with .gpu carried:
#                                      writes build.log, tests.log, train.log, the bench table
#                                      (bench_attention_cuda.{md,csv,json,png}), the Slot
#                                      Attention logs (slots_*.log) and slots_predict/ to OUT
#
# The GPU machine has CMake, Ninja, a compiler and python3 with a CUDA PyTorch, whose LibTorch
# this builds against (CMake turns CUDA support on when it finds c10_cuda). The Debian packages
# are only unpacked into a private prefix, never installed there.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=.gpu
packages=(libfmt-dev libfmt9 libgtest-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libstb-dev libpng-dev libpng16-16 zlib1g-dev)

prepare() {
  mkdir -p "$stage/debs" "$stage/fashion-mnist"
  (cd "$stage/debs" && apt-get download "${packages[@]}")
  cp /usr/share/datasets/fashion-mnist/*-ubyte.gz "$stage/fashion-mnist/"
  du -sh "$stage"
}

run() {
  local out=${1:?usage: scripts/gpu_check.sh run OUT}
  mkdir -p "$out"
  local sysroot=/tmp/setformer-sysroot
  mkdir -p "$sysroot"
  for deb in "$stage"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
  export LD_LIBRARY_PATH="$sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local torch_prefix
  torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/build.log"
  {
    cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DSETFORMER_BUILD_BENCHMARKS=OFF \
      -DCMAKE_PREFIX_PATH="$torch_prefix;$sysroot/usr" -DCMAKE_INCLUDE_PATH="$sysroot/usr/include" \
      -DCMAKE_LIBRARY_PATH="$sysroot/usr/lib/x86_64-linux-gnu"
    cmake --build build-cuda --target setformer test_attention -j "$(nproc)"
  } >>"$out/build.log" 2>&1 || { tail -n 60 "$out/build.log"; exit 1; }
  ./build-cuda/setformer version | tee -a "$out/build.log"
  # Every attention kernel on CUDA against the CPU (forward and gradients, double precision),
  # then the rest of the attention suite on this build.
  ./build-cuda/test_attention --gtest_filter='*Cuda*' 2>&1 | tee "$out/tests.log" | tail -n 15
  ./build-cuda/test_attention --gtest_brief=1 >>"$out/tests.log" 2>&1 || echo "attention suite failed"
  tail -n 3 "$out/tests.log"
  # Issue 8's shapes (batch 8, 4 heads, d_h = 32, m = 64, T = 10) up to n = 16384, with peak
  # memory against T for the SeT variants.
  ./build-cuda/setformer bench attention --device cuda --kernels softmax set set-implicit \
    set-reference --lengths 1024 4096 16384 --batch 8 --heads 4 --dim 128 --reps 5 \
    --memory-iterations 5 10 20 --memory-length 16384 --out "$out/bench_attention_cuda"
  # One quick epoch of the default SeTformer on the GPU: the training path end to end.
  ./build-cuda/setformer train --device cuda --data-dir "$stage/fashion-mnist" --epochs 1 \
    --train-limit 10000 --test-limit 2000 --out /tmp/setformer-gpu-train 2>&1 |
    tr '\r' '\n' | tail -n 25 >"$out/train.log"
  tail -n 5 "$out/train.log"
  # Slot Attention with --device cuda (issue 5): the Tetrominoes and CLEVR rows' configs for a few
  # hundred steps each (their images/s and a first evaluation), then `predict` on CUDA with
  # the Tetrominoes checkpoint.
  local row name
  for row in tetrominoes/slot_attention:500 clevr_properties/slot_attention:300; do
    name=${row%%/*}
    ./build-cuda/setformer train --config "configs/slots/${row%%:*}.toml" --device cuda \
      --steps "${row##*:}" --eval-every 0 --checkpoint-every 0 --log-every 50 \
      --out "/tmp/setformer-gpu-slots-$name" 2>&1 | tr '\r' '\n' | tail -n 20 >"$out/slots_$name.log"
    tail -n 4 "$out/slots_$name.log"
  done
  ./build-cuda/setformer slots scenes --dataset tetrominoes --count 3 --out /tmp/setformer-gpu-scenes.png \
    --files /tmp/setformer-gpu-scenes >/dev/null
  ./build-cuda/setformer predict --device cuda \
    --checkpoint /tmp/setformer-gpu-slots-tetrominoes/checkpoint.pt /tmp/setformer-gpu-scenes/*.png \
    --out "$out/slots_predict" 2>&1 | tee "$out/slots_predict.log"
}

case ${1:-} in
  prepare) prepare ;;
  run) run "${2:-}" ;;
  *)
    echo "usage: scripts/gpu_check.sh prepare | run OUT" >&2
    exit 1
    ;;
esac
