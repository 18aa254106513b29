// Batch shards in parallel threads (core/shards.h): the ranges tile the batch, every shard runs
// once on its own thread with one intra-op thread and the caller's grad mode, errors come back,
// concurrent BLAS calls give the serial results, and stochastic depth stays repeatable.
#include "setformer/core/shards.h"
#include "setformer/core/runtime.h"
#include "setformer/nn/drop_path.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace setformer {
namespace {

TEST(Shards, RangesTileTheBatchInNearlyEqualPieces) {
  for (int64_t n : {0, 1, 7, 64, 65}) {
    for (int64_t shards : {1, 2, 3, 8}) {
      int64_t next = 0;
      for (int64_t s = 0; s < shards; ++s) {
        const auto r = shard_range(n, shards, s);
        EXPECT_EQ(r.begin, next) << n << " rows, shard " << s << " of " << shards;
        EXPECT_LE(r.end - r.begin, n / shards + 1);
        EXPECT_GE(r.end - r.begin, n / shards);
        next = r.end;
      }
      EXPECT_EQ(next, n);
    }
  }
  testing::expect_invalid_argument([] { shard_range(10, 2, 2); }, "shard 2 of 2 over 10 rows");
}

TEST(Shards, EveryShardRunsOnceOnItsOwnThread) {
  set_threads(1);
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> seen(3, {-1, -1});
  std::set<std::thread::id> threads;
  std::vector<int> intra_op(3, 0);
  std::vector<bool> grad_mode(3, true);
  {
    torch::NoGradGuard no_grad;
    run_shards(3, 10, 0, [&](int64_t shard, int64_t begin, int64_t end) {
      const std::lock_guard<std::mutex> lock(mutex);
      seen[static_cast<size_t>(shard)] = {begin, end};
      threads.insert(std::this_thread::get_id());
      intra_op[static_cast<size_t>(shard)] = at::get_num_threads();
      grad_mode[static_cast<size_t>(shard)] = torch::GradMode::is_enabled();
    });
  }
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, int64_t>>{{0, 3}, {3, 6}, {6, 10}}));
  EXPECT_EQ(threads.size(), 3u);
  EXPECT_TRUE(threads.count(std::this_thread::get_id()));  // shard 0 runs on the caller
  EXPECT_EQ(intra_op, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(grad_mode, (std::vector<bool>{false, false, false}));
  EXPECT_TRUE(torch::GradMode::is_enabled());

  // More shards than rows: one per row.
  std::atomic<int> calls{0};
  run_shards(4, 2, 0, [&](int64_t, int64_t begin, int64_t end) {
    EXPECT_EQ(end - begin, 1);
    ++calls;
  });
  EXPECT_EQ(calls.load(), 2);
}

TEST(Shards, AShardsErrorIsRethrownAfterAllFinish) {
  set_threads(1);
  std::atomic<int> finished{0};
  testing::expect_invalid_argument(
      [&] {
        run_shards(2, 4, 0, [&](int64_t shard, int64_t, int64_t) {
          if (shard == 0) throw std::invalid_argument("shard zero failed");
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          ++finished;
        });
      },
      "shard zero failed");
  EXPECT_EQ(finished.load(), 1);
  testing::expect_invalid_argument([] { run_shards(0, 4, 0, [](int64_t, int64_t, int64_t) {}); },
                                   "shards must be >= 1");
}

TEST(Shards, RefusesToOversubscribeIntraOpThreads) {
  if (available_cores() < 2) GTEST_SKIP() << "needs two cores to set two intra-op threads";
  set_threads(2);
  testing::expect_invalid_argument(
      [] { run_shards(2, 4, 0, [](int64_t, int64_t, int64_t) {}); },
      "2 shards need one intra-op thread per shard, but LibTorch runs 2 threads");
  set_threads(1);
}

TEST(Shards, ConcurrentMatrixProductsEqualSerialOnes) {
  // OpenBLAS is called from several threads at once here; its results must be those of serial
  // calls (a shared work buffer would corrupt them).
  set_threads(1);
  auto gen = at::detail::createCPUGenerator(3);
  const auto a = torch::randn({4, 96, 200}, gen), b = torch::randn({4, 200, 150}, gen);
  std::vector<torch::Tensor> serial;
  for (int64_t i = 0; i < 4; ++i) serial.push_back(torch::mm(a[i], b[i]));
  for (int round = 0; round < 5; ++round) {
    std::vector<torch::Tensor> parallel(4);
    run_shards(4, 4, 0, [&](int64_t shard, int64_t begin, int64_t) {
      parallel[static_cast<size_t>(shard)] = torch::mm(a[begin], b[begin]);
    });
    for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(parallel[i].equal(serial[i])) << "product " << i;
  }
}

TEST(Shards, StochasticDepthDrawsFromEachShardsOwnGenerator) {
  set_threads(1);
  nn::DropPath drop(0.5);
  drop->train();
  const auto x = torch::ones({64, 3});
  const auto masks = [&](uint64_t seed) {
    std::vector<torch::Tensor> out(2);
    run_shards(2, x.size(0), seed, [&](int64_t shard, int64_t begin, int64_t end) {
      out[static_cast<size_t>(shard)] = drop(x.slice(0, begin, end));
    });
    return torch::cat(out);
  };
  const auto first = masks(7);
  // Kept rows are scaled by 1 / (1 − p), dropped rows are zero, whole rows at a time.
  EXPECT_TRUE(((first == 0) | (first == 2)).all().item<bool>());
  EXPECT_TRUE((first.amin(1) == first.amax(1)).all().item<bool>());
  // Repeatable from the seed whatever the threads' timing, and different across seeds and shards.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(masks(7).equal(first));
  EXPECT_FALSE(masks(8).equal(first));
  EXPECT_FALSE(first.slice(0, 0, 32).equal(first.slice(0, 32, 64)));
  // One shard leaves LibTorch's default generator in charge: torch::manual_seed repeats it.
  const auto unsharded = [&] {
    torch::manual_seed(5);
    torch::Tensor out;
    run_shards(1, x.size(0), 0, [&](int64_t, int64_t, int64_t) { out = drop(x); });
    return out;
  };
  EXPECT_TRUE(unsharded().equal(unsharded()));
}

}  // namespace
}  // namespace setformer
