// Peak-memory measurement for benchmarks. On CPU, LibTorch has no allocator statistics, so
// install_cpu_memory_tracker() wraps the default CPU allocator with one that counts live bytes;
// on CUDA the caching allocator's own statistics are used.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace setformer {

/// Wraps LibTorch's CPU allocator with a counting one. Call once, early (before large tensors
/// exist); later calls do nothing. Tensors allocated before the call are not counted. The
/// wrapper also keeps freed blocks of 32 MiB and more for the next request of at least half a
/// block's size, which spares the kernel zeroing fresh pages for the same large activations every
/// step. Held and cached large blocks together stay under a ceiling: a quarter of the available
/// memory at first, raised only to what a fresh allocation needed with the cache emptied (the
/// oldest cached blocks are freed first). Cached blocks do not count as held.
void install_cpu_memory_tracker();

/// True once install_cpu_memory_tracker() has run.
bool cpu_memory_tracker_installed();

/// Bytes currently held by tensors on `device` (CPU: only those counted by the tracker).
int64_t current_memory_bytes(const torch::Device& device);

/// Largest value current_memory_bytes reached since the last reset_peak_memory(device).
int64_t peak_memory_bytes(const torch::Device& device);

/// Starts a new peak measurement at the current level.
void reset_peak_memory(const torch::Device& device);

/// Bytes of freed blocks the tracker keeps for reuse.
int64_t cpu_block_cache_bytes();

/// Frees every cached block (the CPU counterpart of emptying CUDA's cache).
void empty_cpu_block_cache();

/// Sets the ceiling on held plus cached large blocks (tests: the tracker starts at a quarter of
/// the available memory).
void set_cpu_block_cache_ceiling(int64_t bytes);

/// Memory the operating system reports as available to new allocations (MemAvailable), bytes.
int64_t system_available_memory_bytes();

}  // namespace setformer
