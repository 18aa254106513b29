// `setformer version`: the versions and the runtime this binary will use.
#include "setformer/cli/commands.h"

#include "setformer/core/runtime.h"

#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <fmt/format.h>

namespace setformer::cli {

void add_version_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print versions, BLAS library, threads and devices");
  cmd->callback([] {
    set_threads(0);
    fmt::print("setformer {}\n", SETFORMER_VERSION);
    fmt::print("LibTorch {}\n", TORCH_VERSION);
    fmt::print("BLAS: {}\n", blas_library());
    fmt::print("CPU threads: {} (cores available: {})\n", torch::get_num_threads(),
               available_cores());
#ifdef SETFORMER_WITH_CUDA
    fmt::print("CUDA: built with CUDA; {} device(s) visible\n", torch::cuda::device_count());
#else
    fmt::print("CUDA: not in this build (LibTorch without CUDA)\n");
#endif
  });
}

}  // namespace setformer::cli
