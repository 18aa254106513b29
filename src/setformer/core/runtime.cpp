#include "setformer/core/runtime.h"

#include "setformer/core/error.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <dlfcn.h>
#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
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

CoreUse use_cores(int threads, const std::string& parallel, const torch::Device& device,
                  const std::string& key) {
  SETFORMER_CHECK(parallel == "batch" || parallel == "ops",
                  "{} = '{}' is not valid; expected batch | ops", key, parallel);
  SETFORMER_CHECK(threads >= 0, "threads must be >= 0 (0 = all available cores), got {}", threads);
  const int cores = threads == 0 ? available_cores() : threads;
  CoreUse use;
  use.threads = cores;
  if (parallel == "ops" || !device.is_cpu() || cores == 1) {
    torch::set_num_threads(cores);
    return use;
  }
  torch::set_num_threads(1);
  use.shards = cores;
  use.parallel = "batch";
  return use;
}

std::string blas_library() {
  std::ifstream maps("/proc/self/maps");
  std::string line, reference;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("openblas") != std::string::npos) {
      return "OpenBLAS, " + openblas_kernels() + " kernels (" + path + ")";
    }
    if (path.find("mkl") != std::string::npos) return "MKL (" + path + ")";
    if (path.find("libblas.so") != std::string::npos) reference = path;
  }
  if (!reference.empty()) {
    return "reference BLAS (" + reference + "); ~15x slower matrix products: run scripts/setup.sh";
  }
  return "built into LibTorch or not loaded";
}

std::string openblas_kernels() {
  // Looked up at run time: LibTorch links whichever libblas.so.3 the system selects, and only
  // OpenBLAS has this function.
  using Corename = char* (*)();
  const auto corename = reinterpret_cast<Corename>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (corename == nullptr) return "";
  const char* name = corename();
  return name == nullptr ? "" : name;
}

std::string best_openblas_kernels() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  if (__builtin_cpu_supports("avx")) return "Sandybridge";
  return "";
}

void select_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  std::string loaded = openblas_kernels();
  const std::string best = best_openblas_kernels();
  if (loaded.empty() || best.empty()) return;
  std::transform(loaded.begin(), loaded.end(), loaded.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Only the generic fallbacks are replaced: a model OpenBLAS recognised keeps its own choice
  // (an AMD core's kernels, say, which "SkylakeX" would not beat).
  static const std::array<const char*, 6> generic = {"prescott",   "core2",   "penryn",
                                                     "dunnington", "nehalem", "sandybridge"};
  if (std::find(generic.begin(), generic.end(), loaded) == generic.end()) return;
  if (loaded == "sandybridge" && best == "Sandybridge") return;
  if (setenv("OPENBLAS_CORETYPE", best.c_str(), /*overwrite=*/1) != 0) return;
  execv("/proc/self/exe", argv);
  // Only reached when the re-execution failed: carry on with the kernels already loaded.
  unsetenv("OPENBLAS_CORETYPE");
}

void keep_freed_memory() {
  // Fixed thresholds also switch off glibc's dynamic adjustment, which is what they replace.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

}  // namespace setformer
