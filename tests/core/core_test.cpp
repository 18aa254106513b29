// Runtime helpers, shape checks, atomic files and the CPU memory tracker.
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/memory.h"
#include "setformer/core/runtime.h"

#include "common/errors.h"
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <malloc.h>

#include <cstdlib>
#include <filesystem>

namespace setformer {
namespace {

TEST(Runtime, ParsesDevicesAndRejectsNonsense) {
  EXPECT_TRUE(parse_device("cpu").is_cpu());
  EXPECT_THROW(parse_device("gpu"), std::invalid_argument);
  EXPECT_THROW(parse_device("cuda:x"), std::invalid_argument);
  if (!torch::cuda::is_available()) {
    testing::expect_invalid_argument([] { parse_device("cuda"); }, "CUDA is not available");
  }
}

TEST(Runtime, SetsThreads) {
  set_threads(1);
  EXPECT_EQ(torch::get_num_threads(), 1);
  set_threads(0);
  EXPECT_EQ(torch::get_num_threads(), available_cores());
  EXPECT_THROW(set_threads(-1), std::invalid_argument);
  set_threads(1);
}

// keep_freed_memory() serves blocks below 256 MiB from the heap. 64 MiB is above the largest
// threshold glibc's own adjustment reaches (32 MiB), so without the call this block is mapped.
TEST(Runtime, KeepsFreedMemoryInTheHeap) {
  keep_freed_memory();
  const size_t mapped = mallinfo2().hblks;
  void* block = std::malloc(size_t{64} << 20);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(mallinfo2().hblks, mapped) << "a 64 MiB block was mapped";
  std::free(block);
}

// The test entry point calls select_blas_kernels() as the command line does: unless the user chose
// the kernels, OpenBLAS must not be left on a generic fallback weaker than what the CPU runs.
TEST(Runtime, OpenBlasRunsKernelsTheCpuSupports) {
  const std::string loaded = openblas_kernels();
  if (loaded.empty()) {
    GTEST_SKIP() << "the BLAS in this process is not OpenBLAS";
  }
  const char* chosen = std::getenv("OPENBLAS_CORETYPE");
  const std::string best = best_openblas_kernels();
  if (chosen != nullptr && best != chosen) {
    GTEST_SKIP() << "OPENBLAS_CORETYPE=" << chosen << " was chosen by the user";
  }
  if (best == "SkylakeX" || best == "Haswell") {
    EXPECT_NE(loaded, "Prescott") << "OPENBLAS_CORETYPE=" << (chosen ? chosen : "(unset)");
    EXPECT_NE(loaded, "Core2");
    EXPECT_NE(loaded, "Nehalem");
  }
  EXPECT_NE(blas_library().find(loaded + " kernels"), std::string::npos) << blas_library();
}

TEST(CheckShape, NamesTensorLayoutAndSizes) {
  testing::expect_invalid_argument(
      [] {
        check_shape(torch::zeros({2, 3}), "query", {2, -1, 8}, "[B, n, d]");
      },
      "query has shape [2, 3]; expected [B, n, d] = [2, *, 8]");
  EXPECT_NO_THROW(check_shape(torch::zeros({2, 5, 8}), "query", {2, -1, 8}, "[B, n, d]"));
}

TEST(Files, AtomicWriteReplacesContentAndLeavesNoTemporary) {
  const testing::TempDir dir;
  const std::string path = dir.path("sub/out.txt");
  write_file_atomic(path, "first");
  write_file_atomic(path, "second");
  EXPECT_EQ(read_file(path), "second");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.root() / "sub")) {
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  EXPECT_THROW(read_file(dir.path("missing")), std::runtime_error);
  EXPECT_THROW(write_file_atomic("/proc/setformer/x", "y"), std::runtime_error);
}

TEST(Memory, TrackerCountsLiveAndPeakBytes) {
  install_cpu_memory_tracker();
  ASSERT_TRUE(cpu_memory_tracker_installed());
  const torch::Device cpu(torch::kCPU);
  reset_peak_memory(cpu);
  const int64_t before = current_memory_bytes(cpu);
  {
    auto big = torch::empty({1 << 20});  // 4 MiB
    EXPECT_GE(current_memory_bytes(cpu) - before, 4 << 20);
    auto bigger = torch::empty({1 << 21});  // 8 MiB more
    EXPECT_GE(peak_memory_bytes(cpu) - before, 12 << 20);
  }
  EXPECT_LT(current_memory_bytes(cpu) - before, 1 << 20);
  EXPECT_GE(peak_memory_bytes(cpu) - before, 12 << 20);
  reset_peak_memory(cpu);
  EXPECT_LT(peak_memory_bytes(cpu) - before, 1 << 20);
  EXPECT_GT(system_available_memory_bytes(), 0);
}

TEST(Memory, TrackerReusesLargeFreedBlocksOfTheSameSize) {
  install_cpu_memory_tracker();
  const torch::Device cpu(torch::kCPU);
  const int64_t before = current_memory_bytes(cpu);
  void* first = nullptr;
  {
    auto big = torch::empty({int64_t{10} << 20});  // 40 MiB
    first = big.data_ptr();
  }
  EXPECT_LT(current_memory_bytes(cpu) - before, 1 << 20) << "a cached block is not held";
  {
    auto other = torch::empty({int64_t{11} << 20});  // another size: not the cached block
    EXPECT_NE(other.data_ptr(), first);
    auto again = torch::empty({int64_t{10} << 20});
    EXPECT_EQ(again.data_ptr(), first);
    EXPECT_GE(current_memory_bytes(cpu) - before, int64_t{84} << 20);
  }
}

TEST(Memory, TrackerServesASmallerRequestFromACachedBlockAtMostTwiceItsSize) {
  install_cpu_memory_tracker();
  const torch::Device cpu(torch::kCPU);
  void* cached = nullptr;
  {
    auto block = torch::empty({int64_t{25} << 20});  // 100 MiB, cached when freed
    cached = block.data_ptr();
  }
  {
    auto too_small = torch::empty({int64_t{12} << 20});  // 48 MiB: the block is over twice that
    EXPECT_NE(too_small.data_ptr(), cached);
  }
  const int64_t before = current_memory_bytes(cpu);
  auto fits = torch::empty({int64_t{15} << 20});  // 60 MiB
  EXPECT_EQ(fits.data_ptr(), cached);
  EXPECT_EQ(current_memory_bytes(cpu) - before, int64_t{60} << 20) << "held = asked for";
}

// The cache keeps every freed large block while held + cached stay under the ceiling; a request
// that no cached block fits frees the oldest ones first, and raises the ceiling only when even
// an empty cache leaves it too low.
TEST(Memory, TrackerKeepsItsFootprintUnderTheCeiling) {
  install_cpu_memory_tracker();
  constexpr int64_t MiB = int64_t{1} << 20;
  const auto floats = [&](int64_t mib) { return torch::empty({mib * MiB / 4}); };
  empty_cpu_block_cache();  // what earlier tests in this process freed
  ASSERT_EQ(cpu_block_cache_bytes(), 0);
  set_cpu_block_cache_ceiling(100 * MiB);
  void* second = nullptr;
  {
    auto a = floats(40);
    auto b = floats(40);
    second = b.data_ptr();
    a.reset();  // cached first: the older block
  }
  EXPECT_EQ(cpu_block_cache_bytes(), 80 * MiB);
  {
    // 60 MiB: neither 40 MiB block fits; 80 + 60 is over the ceiling, so the older one goes.
    auto c = floats(60);
    EXPECT_EQ(cpu_block_cache_bytes(), 40 * MiB);
    auto again = floats(40);
    EXPECT_EQ(again.data_ptr(), second) << "the younger block stayed";
    EXPECT_EQ(cpu_block_cache_bytes(), 0);
    // Held 100 MiB: 200 more cannot fit with anything cached; the ceiling rises to 300.
    auto d = floats(200);
    EXPECT_EQ(cpu_block_cache_bytes(), 0);
  }
  EXPECT_EQ(cpu_block_cache_bytes(), 300 * MiB) << "every freed block is kept under the ceiling";
  {
    auto big = floats(200);  // served from the cache: nothing is freed or allocated
    EXPECT_EQ(cpu_block_cache_bytes(), 100 * MiB);
    // No block fits 150 MiB, and held 200 + cached 100 + 150 is over 300: both small blocks
    // go, and the ceiling rises to 350.
    auto other = floats(150);
    EXPECT_EQ(cpu_block_cache_bytes(), 0);
  }
  EXPECT_EQ(cpu_block_cache_bytes(), 350 * MiB);
}

}  // namespace
}  // namespace setformer
