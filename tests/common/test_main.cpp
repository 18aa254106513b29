// Test entry point: one LibTorch thread per test process (CTest runs processes in parallel,
// one per core) unless SETFORMER_TEST_THREADS says otherwise, and a fixed global seed; the
// fastest BLAS kernels the CPU runs, as the command line uses.
#include "setformer/core/runtime.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  setformer::select_blas_kernels(argv);
  ::testing::InitGoogleTest(&argc, argv);
  const char* threads = std::getenv("SETFORMER_TEST_THREADS");
  torch::set_num_threads(threads ? std::stoi(threads) : 1);
  torch::manual_seed(0);
  return RUN_ALL_TESTS();
}
