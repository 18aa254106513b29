#include "setformer/core/runtime.h"

#include "setformer/core/error.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <sched.h>

#include <fstream>
#include <regex>
#include <thread>

namespace setformer {

torch::Device parse_device(const std::string& name) {
  static const std::regex pattern("^(cpu|cuda)(:[0-9]+)?$");
  SETFORMER_CHECK(std::regex_match(name, pattern),
                  "device '{}' is not valid; expected cpu, cuda or cuda:N", name);
  torch::Device device(name);
  if (device.is_cuda()) {
    SETFORMER_CHECK(torch::cuda::is_available(),
                    "device '{}' was asked for, but CUDA is not available (this LibTorch build or "
                    "machine has no GPU); use --device cpu",
                    name);
    const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    SETFORMER_CHECK(!device.has_index() || device.index() < count,
                    "device '{}' does not exist; this machine has {} CUDA device(s)", name, count);
  }
  return device;
}

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

void set_threads(int threads) {
  SETFORMER_CHECK(threads >= 0, "threads must be >= 0 (0 = all available cores), got {}", threads);
  torch::set_num_threads(threads == 0 ? available_cores() : threads);
}

std::string blas_library() {
  std::ifstream maps("/proc/self/maps");
  std::string line, reference;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("openblas") != std::string::npos) return "OpenBLAS (" + path + ")";
    if (path.find("mkl") != std::string::npos) return "MKL (" + path + ")";
    if (path.find("libblas.so") != std::string::npos) reference = path;
  }
  if (!reference.empty()) {
    return "reference BLAS (" + reference + "); ~15x slower matrix products: run scripts/setup.sh";
  }
  return "built into LibTorch or not loaded";
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

}  // namespace setformer
