#!/usr/bin/env bash
# Sets up a fresh machine, builds, and runs the whole test suite with CTest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${SETFORMER_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "$(nproc)" "$@"
