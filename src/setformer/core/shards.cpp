#include "setformer/core/shards.h"

#include "setformer/core/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <exception>
#include <future>
#include <vector>

namespace setformer {

namespace {

thread_local c10::optional<at::Generator> t_generator;

/// SplitMix64 of (seed, shard): independent, well-spread generator seeds per shard.
uint64_t shard_seed(uint64_t seed, uint64_t shard) {
  uint64_t z = seed ^ (shard + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Installs a shard's generator on this thread for its lifetime.
class ScopedShardGenerator {
 public:
  explicit ScopedShardGenerator(uint64_t seed) : previous_(t_generator) {
    t_generator = at::detail::createCPUGenerator(seed);
  }
  ~ScopedShardGenerator() { t_generator = previous_; }
  ScopedShardGenerator(const ScopedShardGenerator&) = delete;
  ScopedShardGenerator& operator=(const ScopedShardGenerator&) = delete;

 private:
  c10::optional<at::Generator> previous_;
};

}  // namespace

ShardRange shard_range(int64_t n, int64_t shards, int64_t shard) {
  SETFORMER_CHECK(n >= 0 && shards >= 1 && shard >= 0 && shard < shards,
                  "shard_range: shard {} of {} over {} rows is out of range", shard, shards, n);
  return {shard * n / shards, (shard + 1) * n / shards};
}

int64_t shard_count(int64_t shards, int64_t n) {
  SETFORMER_CHECK(shards >= 1, "run_shards: shards must be >= 1, got {}", shards);
  SETFORMER_CHECK(n >= 0, "run_shards: n must be >= 0, got {}", n);
  return std::max<int64_t>(1, std::min(shards, n));
}

void run_shards(int64_t shards, int64_t n, uint64_t seed,
                const std::function<void(int64_t shard, int64_t begin, int64_t end)>& fn) {
  shards = shard_count(shards, n);
  if (shards == 1) {
    fn(0, 0, n);
    return;
  }
  SETFORMER_CHECK(at::get_num_threads() == 1,
                  "run_shards: {} shards need one intra-op thread per shard, but LibTorch runs "
                  "{} threads",
                  shards, at::get_num_threads());
  const bool grad_mode = torch::GradMode::is_enabled();
  const auto run = [&](int64_t shard) {
    const auto r = shard_range(n, shards, shard);
    ScopedShardGenerator generator(shard_seed(seed, static_cast<uint64_t>(shard)));
    fn(shard, r.begin, r.end);
  };
  std::vector<std::future<void>> others;
  others.reserve(static_cast<size_t>(shards - 1));
  for (int64_t shard = 1; shard < shards; ++shard) {
    others.push_back(std::async(std::launch::async, [&, shard] {
      // A new thread starts with OpenMP's default team size (every core), which LibTorch and
      // OpenBLAS would use; one thread per shard is the point.
      at::set_num_threads(1);
      torch::AutoGradMode mode(grad_mode);
      run(shard);
    }));
  }
  std::exception_ptr error;
  try {
    run(0);
  } catch (...) {
    error = std::current_exception();
  }
  for (auto& f : others) {
    try {
      f.get();
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

c10::optional<at::Generator> shard_generator() {
  return t_generator;
}

}  // namespace setformer
