// Batch-parallel execution on CPU cores: a batch is cut into contiguous shards that run in
// parallel threads, each on one core with LibTorch's intra-op parallelism off.
//
// Why: the models trained here are small (a 28×28 image is 49 tokens of width 32 in its first
// stage), so LibTorch's intra-op parallelism spends more time forking and joining than it saves:
// on 2 cores a Fashion-MNIST SeTformer step runs slower with 2 intra-op threads than with 1.
// Independent shards keep every core busy for a whole forward and backward pass instead.
//
// The shards share the module and its parameters. Their backward passes accumulate into the same
// gradients (LibTorch's AccumulateGrad serialises them); with two shards the sum is the same in
// either order, and in general it is the full batch's gradient up to the order of float sums. The
// model must not keep batch statistics (no BatchNorm in training), which SeTformer satisfies.
//
// Randomness inside a forward pass (stochastic depth) would race for LibTorch's default generator
// and make runs depend on thread timing; instead each shard thread installs its own generator,
// seeded from (seed, shard), and forward-pass code draws from shard_generator().
#pragma once

#include <ATen/core/Generator.h>
#include <c10/util/Optional.h>

#include <cstdint>
#include <functional>

namespace setformer {

/// The rows [begin, end) of shard `shard` when n rows are cut into `shards` contiguous pieces of
/// sizes differing by at most one.
struct ShardRange {
  int64_t begin = 0;
  int64_t end = 0;
};
ShardRange shard_range(int64_t n, int64_t shards, int64_t shard);

/// How many shards run_shards(shards, n, ...) runs: min(shards, n), at least one, so that no
/// shard is empty. Callers collecting one result per shard size their storage with it.
int64_t shard_count(int64_t shards, int64_t n);

/// Runs fn(shard, begin, end) for every shard of [0, n): shard 0 on the calling thread, the others
/// on new threads, all at once, and returns when all are done, over shard_count(shards, n)
/// shards; with one shard fn runs on the calling thread with nothing changed. With several, every
/// thread runs LibTorch with one intra-op thread, inherits the caller's grad mode and draws from
/// its own generator seeded with (seed, shard) (shard_generator()). The first exception a shard
/// throws is rethrown after every shard has finished. The caller must itself run with one
/// intra-op thread (set_threads(1)), or cores would be oversubscribed; that is checked.
void run_shards(int64_t shards, int64_t n, uint64_t seed,
                const std::function<void(int64_t shard, int64_t begin, int64_t end)>& fn);

/// The generator forward-pass randomness on this thread should use: the shard's inside
/// run_shards with several shards, otherwise nullopt (LibTorch's default generator).
c10::optional<at::Generator> shard_generator();

}  // namespace setformer
