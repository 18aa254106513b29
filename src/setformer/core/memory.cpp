#include "setformer/core/memory.h"

#include "setformer/core/error.h"

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#ifdef SETFORMER_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace setformer {
namespace {

std::atomic<int64_t> g_current{0};
std::atomic<int64_t> g_peak{0};

// Each allocation keeps the wrapped allocator's DataPtr alive in a table keyed by the data
// pointer, so freeing goes through the original deleter; we only add the byte counting around
// it. The data pointer is also the context, as Allocator::raw_allocate() requires (some LibTorch
// kernels allocate raw buffers through the CPU allocator).
struct TrackedBlock {
  c10::DataPtr inner;
  int64_t bytes;     // asked for
  int64_t capacity;  // allocated: more than asked when a cached block served the request
};

std::mutex g_blocks_mutex;
std::unordered_map<void*, TrackedBlock>& blocks() {
  static auto* table = new std::unordered_map<void*, TrackedBlock>();  // outlives static tensors
  return *table;
}

// Freed blocks of at least kCachedBytes, kept for the next request that fits. glibc serves
// blocks above its mmap threshold (at most 256 MiB, as keep_freed_memory() sets it; 32 MiB
// without that call) with mmap and unmaps them on free, so a training loop that allocates the
// same large activations every step (softmax scores at 2000 tokens: 1 GiB a layer) made the
// kernel fault in and zero them anew each time: half of a ListOps softmax step. Batches of
// varying length change the sizes from step to step, so a request takes the smallest cached
// block that fits it, unless that block is over twice its size.
//
// How much to keep: the large blocks held and cached together (the footprint) never exceed a
// ceiling, which starts at a quarter of the memory available when the tracker was installed and
// rises only to what a fresh allocation really needed with the cache emptied. A freed block is
// always kept (the footprint does not change); a request that no cached block fits first frees
// the longest-cached blocks until it fits under the ceiling. So the process never holds more
// than its largest real need, and at that need every block is reused: with a fixed ceiling of a
// quarter of the memory, the 4.3 GB score tensors of softmax at 4096 tokens (16 e-mails, 4
// heads) found at most one cached block, and the kernel spent 38% of a step zeroing new pages.
constexpr int64_t kCachedBytes = int64_t{32} << 20;

struct CachedBlock {
  c10::DataPtr data;
  uint64_t freed_at;  // the cache's clock when it came in: the oldest leave first
};

struct BlockCache {
  std::mutex mutex;
  std::multimap<int64_t, CachedBlock> blocks;  // capacity -> the wrapped allocation
  int64_t cached = 0;                          // bytes in `blocks`
  int64_t held = 0;                            // capacity of the large blocks tensors hold now
  int64_t ceiling = 0;                         // the most held + cached may reach
  uint64_t clock = 0;
};

BlockCache& block_cache() {
  static auto* cache = new BlockCache();  // outlives static tensors
  return *cache;
}

/// For a request of `bytes`: the smallest cached block of at least `bytes` and at most twice
/// that, with its capacity. Else an empty DataPtr, after freeing the oldest cached blocks until a
/// fresh block of `bytes` fits under the ceiling (or nothing is cached), and raising the ceiling
/// when it still does not.
std::pair<c10::DataPtr, int64_t> take_cached(int64_t bytes) {
  if (bytes < kCachedBytes) return {};
  BlockCache& cache = block_cache();
  std::vector<c10::DataPtr> evicted;  // unmapped after the lock is released
  std::lock_guard<std::mutex> lock(cache.mutex);
  auto it = cache.blocks.lower_bound(bytes);
  if (it != cache.blocks.end() && it->first <= 2 * bytes) {
    const int64_t capacity = it->first;
    c10::DataPtr block = std::move(it->second.data);
    cache.blocks.erase(it);
    cache.cached -= capacity;
    cache.held += capacity;
    return {std::move(block), capacity};
  }
  while (!cache.blocks.empty() && cache.held + cache.cached + bytes > cache.ceiling) {
    auto oldest = cache.blocks.begin();
    for (auto b = cache.blocks.begin(); b != cache.blocks.end(); ++b)
      if (b->second.freed_at < oldest->second.freed_at) oldest = b;
    cache.cached -= oldest->first;
    evicted.push_back(std::move(oldest->second.data));
    cache.blocks.erase(oldest);
  }
  cache.held += bytes;
  cache.ceiling = std::max(cache.ceiling, cache.held + cache.cached);
  return {};
}

/// Undoes take_cached's count of a fresh block that could not be allocated.
void forget_fresh(int64_t bytes) {
  if (bytes < kCachedBytes) return;
  std::lock_guard<std::mutex> lock(block_cache().mutex);
  block_cache().held -= bytes;
}

/// Keeps a freed large block for reuse; small ones are freed.
void cache_or_free(c10::DataPtr block, int64_t capacity) {
  if (capacity < kCachedBytes) return;
  BlockCache& cache = block_cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.held -= capacity;
  cache.blocks.emplace(capacity, CachedBlock{std::move(block), ++cache.clock});
  cache.cached += capacity;
}

void release_tracked(void* data) {
  TrackedBlock block;
  {
    std::lock_guard<std::mutex> lock(g_blocks_mutex);
    auto it = blocks().find(data);
    if (it == blocks().end()) return;
    block = std::move(it->second);
    blocks().erase(it);
  }
  g_current.fetch_sub(block.bytes, std::memory_order_relaxed);
  // Cached, or freed when `block.inner` goes out of scope.
  cache_or_free(std::move(block.inner), block.capacity);
}

// LibTorch 2.3 made Allocator::allocate non-const and added the pure virtual copy_data(); the
// GPU machine builds against a 2.x LibTorch, this machine against Debian's 1.13.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define SETFORMER_ALLOCATE_CONST
#define SETFORMER_ALLOCATOR_HAS_COPY_DATA 1
#else
#define SETFORMER_ALLOCATE_CONST const
#define SETFORMER_ALLOCATOR_HAS_COPY_DATA 0
#endif

class TrackingCpuAllocator final : public c10::Allocator {
 public:
  explicit TrackingCpuAllocator(c10::Allocator* inner) : inner_(inner) {}

  c10::DataPtr allocate(size_t n) SETFORMER_ALLOCATE_CONST override {
    auto [inner, capacity] = take_cached(static_cast<int64_t>(n));
    if (!inner) {
      capacity = static_cast<int64_t>(n);
      try {
        inner = inner_->allocate(n);
      } catch (...) {
        forget_fresh(capacity);
        throw;
      }
    }
    void* data = inner.get();
    if (data == nullptr) return std::move(inner);  // empty allocations: nothing to count
    const c10::Device device = inner.device();
    const auto bytes = static_cast<int64_t>(n);
    {
      std::lock_guard<std::mutex> lock(g_blocks_mutex);
      blocks()[data] = TrackedBlock{std::move(inner), bytes, capacity};
    }
    const int64_t now = g_current.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    int64_t peak = g_peak.load(std::memory_order_relaxed);
    while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
    return {data, data, &release_tracked, device};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release_tracked; }

#if SETFORMER_ALLOCATOR_HAS_COPY_DATA
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
#endif

 private:
  c10::Allocator* inner_;
};

std::atomic<bool> g_installed{false};

#ifdef SETFORMER_WITH_CUDA
/// "cuda" without an index means the current device; the allocator's statistics need a number.
c10::DeviceIndex cuda_index(const torch::Device& device) {
  return device.has_index() ? device.index() : c10::cuda::current_device();
}
#endif

}  // namespace

void install_cpu_memory_tracker() {
  if (g_installed.exchange(true)) return;
  // Static lifetime, as SetCPUAllocator requires. Priority 1 overrides the default (0).
  {
    std::lock_guard<std::mutex> lock(block_cache().mutex);
    block_cache().ceiling = system_available_memory_bytes() / 4;
  }
  static TrackingCpuAllocator tracker(c10::GetCPUAllocator());
  c10::SetCPUAllocator(&tracker, /*priority=*/1);
}

bool cpu_memory_tracker_installed() {
  return g_installed.load();
}

int64_t current_memory_bytes(const torch::Device& device) {
#ifdef SETFORMER_WITH_CUDA
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(cuda_index(device));
    return stats.allocated_bytes[0].current;
  }
#endif
  SETFORMER_CHECK(device.is_cpu(),
                  "memory statistics for device {} are not available in this build", device.str());
  return g_current.load();
}

int64_t peak_memory_bytes(const torch::Device& device) {
#ifdef SETFORMER_WITH_CUDA
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(cuda_index(device));
    return stats.allocated_bytes[0].peak;
  }
#endif
  SETFORMER_CHECK(device.is_cpu(),
                  "memory statistics for device {} are not available in this build", device.str());
  return g_peak.load();
}

void reset_peak_memory(const torch::Device& device) {
#ifdef SETFORMER_WITH_CUDA
  if (device.is_cuda()) {
    c10::cuda::CUDACachingAllocator::resetPeakStats(cuda_index(device));
    return;
  }
#endif
  (void)device;
  g_peak.store(g_current.load());
}

int64_t cpu_block_cache_bytes() {
  std::lock_guard<std::mutex> lock(block_cache().mutex);
  return block_cache().cached;
}

void empty_cpu_block_cache() {
  std::multimap<int64_t, CachedBlock> freed;  // unmapped after the lock is released
  std::lock_guard<std::mutex> lock(block_cache().mutex);
  freed.swap(block_cache().blocks);
  block_cache().cached = 0;
}

void set_cpu_block_cache_ceiling(int64_t bytes) {
  std::lock_guard<std::mutex> lock(block_cache().mutex);
  block_cache().ceiling = bytes;
}

int64_t system_available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

}  // namespace setformer
