// Process-wide runtime choices: which device computations run on and how many CPU threads
// LibTorch uses. The command line calls these once at start-up.
#pragma once

#include <torch/types.h>

#include <string>

namespace setformer {

/// Parses "cpu", "cuda" or "cuda:N"; throws naming the value when it is malformed or when CUDA
/// is asked for but not available in this build or on this machine.
torch::Device parse_device(const std::string& name);

/// Number of CPU cores this process may use (affinity mask, falling back to hardware threads).
int available_cores();

/// Sets LibTorch's intra-op thread count; 0 means available_cores().
void set_threads(int threads);

/// How a command spends its CPU cores (use_cores()).
struct CoreUse {
  int64_t shards = 1;            // batch shards run in parallel threads (core/shards.h)
  int64_t threads = 1;           // CPU threads in all: shards × LibTorch's intra-op threads
  std::string parallel = "ops";  // as applied: "batch" when there is more than one shard
};

/// Spends `threads` CPU cores (0: all available) as `parallel` says: "ops" gives LibTorch
/// `threads` intra-op threads and one shard; "batch" gives it one intra-op thread and one batch
/// shard per core. A CUDA device has no CPU work to spread, so there "batch" means "ops". Throws
/// naming `key` and the value when `parallel` is neither.
CoreUse use_cores(int threads, const std::string& parallel, const torch::Device& device,
                  const std::string& key = "parallel");

/// The BLAS library this process loaded, e.g. "OpenBLAS, SkylakeX kernels (/usr/lib/...)", or a
/// warning when it is the slow reference implementation.
std::string blas_library();

/// The kernel family OpenBLAS chose at load time ("SkylakeX", "Haswell", "Prescott", ...), or ""
/// when the BLAS in this process is not OpenBLAS.
std::string openblas_kernels();

/// The best OpenBLAS kernel family this CPU can run ("SkylakeX" with AVX-512, "Haswell" with
/// AVX2 and FMA, "Sandybridge" with AVX), or "" when it has none of these.
std::string best_openblas_kernels();

/// Call first in main(). OpenBLAS picks its kernels once, when it is loaded, from a table of CPU
/// models; a model newer than its table (Debian 12's 0.3.21 on Sapphire Rapids) gets the generic
/// SSE3 "Prescott" kernels, about 3× slower than the CPU can go. The choice can only be changed
/// through OPENBLAS_CORETYPE before the library loads, so when OpenBLAS fell back to kernels
/// weaker than best_openblas_kernels() this sets that variable and re-executes the program with
/// the same arguments. A OPENBLAS_CORETYPE already set (by the user, or by the re-execution) is
/// left alone, so this runs at most once per process and the user keeps the last word.
void select_blas_kernels(char** argv);

/// Call first in main(). glibc returns every freed block above its mmap threshold (128 KiB at
/// start, raised only as such blocks are freed) to the kernel, so a short process that allocates
/// the same activation tensors batch after batch pays page faults for each: `setformer eval`
/// ran 20% slower than the same evaluation late in a training run. This serves blocks up to
/// 256 MiB from the heap and keeps up to 1 GiB of freed memory for reuse.
void keep_freed_memory();

/// Waits for all queued work on `device` (no-op on CPU), so timings measure finished work.
void synchronize(const torch::Device& device);

}  // namespace setformer
