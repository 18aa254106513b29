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

/// Spends `threads` CPU cores (0: all available) as `parallel` says and returns how many batch
/// shards to run in parallel threads (core/shards.h): "ops" gives LibTorch `threads` intra-op
/// threads and returns 1; "batch" gives it one intra-op thread and returns the core count. A
/// CUDA device has no CPU work to spread, so there "batch" means "ops". Throws naming the value
/// when `parallel` is neither.
int64_t use_cores(int threads, const std::string& parallel, const torch::Device& device);

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

/// Waits for all queued work on `device` (no-op on CPU), so timings measure finished work.
void synchronize(const torch::Device& device);

}  // namespace setformer
