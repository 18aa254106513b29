#!/usr/bin/env bash
# Sets up a fresh machine, builds, and runs the whole test suite with CTest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${SETFORMER_BUILD_DIR:-$root/build}"
# Every test process would otherwise restart itself once to leave OpenBLAS's generic kernels
# (core/runtime.h, select_blas_kernels), about 0.8 s each; pass on the choice setformer makes.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  kernels=$(./setformer version | sed -n 's/^BLAS: OpenBLAS, \(.*\) kernels .*/\1/p')
  if [ -n "$kernels" ]; then export OPENBLAS_CORETYPE=$kernels; fi
fi
ctest --output-on-failure -j "$(nproc)" "$@"
