// The input-pipeline benchmark behind `setformer bench data`: training images per second of the
// image-folder loader (decode, RandomResizedCrop, flip, RandAugment, normalise, batch) at 1, 2,
// ... worker threads, side by side with the pipeline a PyTorch user would otherwise run:
// torchvision's ImageFolder with the same transforms in a DataLoader with as many workers
// (bench/torchvision_data.py, run under the Python that imports torch). Both read the same files;
// the two take turns round by round so that the machine's drift affects them alike, and the
// median over rounds is reported. The first batch of each round (worker start-up) is not timed.
#pragma once

#include "setformer/bench/stats.h"
#include "setformer/io/table.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace setformer::bench {

struct DataBenchOptions {
  std::string root;             // an image folder (or its split, see split)
  std::string split = "train";  // the sub-folder read ("" : root itself)
  std::vector<int64_t> workers{1, 2};
  int64_t batch = 64;
  int64_t batches = 8;  // timed batches per row and round
  int64_t rounds = 3;
  int64_t size = 224;
  std::string rand_augment = "rand-m9-mstd0.5";
  /// The interpreter that runs the torchvision peer ("": no peer).
  std::string python = "/usr/bin/python3";
  std::string peer_script = "bench/torchvision_data.py";
  uint64_t seed = 0;
};

struct DataBenchRow {
  int64_t workers = 0;
  Spread setformer;        // images/s over rounds
  Spread torchvision;      // images/s over rounds (median 0 without a peer)
  std::string peer_error;  // why the peer did not run, if it did not
};

struct DataBenchResult {
  DataBenchOptions options;
  int64_t images = 0;          // files in the folder
  double mean_file_bytes = 0;  // their mean size
  double mean_pixels = 0;      // their mean width × height, from the headers
  std::vector<DataBenchRow> rows;
};

DataBenchResult run_data_bench(const DataBenchOptions& options,
                               const std::function<void(const std::string&)>& print);

/// | workers | setformer img/s | torchvision img/s | ratio |
io::Table data_bench_table(const DataBenchResult& result);

/// <prefix>.md (command, setup and table) and <prefix>.json, each written atomically.
void write_data_bench_outputs(const DataBenchResult& result, const std::string& prefix,
                              const std::string& command);

}  // namespace setformer::bench
