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

/// The BLAS library this process loaded, e.g. "OpenBLAS (/usr/lib/.../libblas.so.3)", or a
/// warning when it is the slow reference implementation.
std::string blas_library();

/// Waits for all queued work on `device` (no-op on CPU), so timings measure finished work.
void synchronize(const torch::Device& device);

}  // namespace setformer
