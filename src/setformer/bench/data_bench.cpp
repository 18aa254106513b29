#include "setformer/bench/data_bench.h"

#include "setformer/bench/report.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/memory.h"
#include "setformer/data/image_folder.h"
#include "setformer/data/loader.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace setformer::bench {
namespace {

const std::vector<double> kMean{0.485, 0.456, 0.406}, kStd{0.229, 0.224, 0.225};

double setformer_round(const data::ImageFiles& files, const DataBenchOptions& o, int64_t workers,
                       int64_t round) {
  const data::ImageLoader loader(
      files, data::LoaderOptions()
                 .batch_size(o.batch)
                 .augmentation(data::AugmentOptions().crop_padding(0).horizontal_flip(false))
                 .transform(data::ImageTransformOptions().size(o.size).rand_augment(o.rand_augment))
                 .mean(kMean)
                 .std(kStd)
                 .seed(o.seed)
                 .workers(workers)
                 .prefetch(2 * workers));
  auto it = loader.epoch(round);
  it.next();  // start-up, untimed
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < o.batches; ++i) it.next();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(o.batches * o.batch) / seconds;
}

/// The peer's images/s, or throws with its output.
double torchvision_round(const std::string& folder, const DataBenchOptions& o, int64_t workers,
                         int64_t round) {
  const auto command = fmt::format(
      "'{}' '{}' --root '{}' --workers {} --batch {} --batches {} --size {} --magnitude {} "
      "--seed {}",
      o.python, o.peer_script, folder, workers, o.batch, o.batches, o.size,
      data::parse_rand_augment(o.rand_augment).magnitude, o.seed + static_cast<uint64_t>(round));
  return run_peer(command, o.peer_script).at("images_per_second").get<double>();
}

}  // namespace

DataBenchResult run_data_bench(const DataBenchOptions& o,
                               const std::function<void(const std::string&)>& print) {
  SETFORMER_CHECK(o.batch >= 1 && o.batches >= 1 && o.rounds >= 1,
                  "bench data: --batch, --batches and --rounds must be >= 1");
  for (const int64_t w : o.workers)
    SETFORMER_CHECK(w >= 1, "bench data: --workers must be >= 1, got {}", w);
  const auto folder = o.split.empty() ? o.root : (std::filesystem::path(o.root) / o.split).string();
  const auto files = data::scan_image_folder(folder);
  SETFORMER_CHECK(files.size() >= (o.batches + 1) * o.batch,
                  "bench data: {} holds {} images; {} batches of {} (and one untimed) need {}",
                  folder, files.size(), o.batches, o.batch, (o.batches + 1) * o.batch);
  // As training does (tasks/image_classification.cpp): batches reuse freed blocks.
  install_cpu_memory_tracker();
  DataBenchResult result;
  result.options = o;
  result.images = files.size();
  const int64_t probed = std::min<int64_t>(files.size(), 500);
  for (int64_t i = 0; i < probed; ++i) {
    const auto& path = files.paths[static_cast<size_t>(i)];
    const auto bytes = read_file(path);
    const auto size = io::probe_image(bytes, path);
    result.mean_file_bytes += static_cast<double>(bytes.size()) / static_cast<double>(probed);
    result.mean_pixels +=
        static_cast<double>(size.width * size.height) / static_cast<double>(probed);
  }
  std::vector<std::vector<double>> ours(o.workers.size()), theirs(o.workers.size());
  result.rows.resize(o.workers.size());
  for (int64_t round = 0; round < o.rounds; ++round) {
    for (size_t w = 0; w < o.workers.size(); ++w) {
      auto& row = result.rows[w];
      row.workers = o.workers[w];
      ours[w].push_back(setformer_round(files, o, row.workers, round));
      std::string line = fmt::format("round {} workers {}: setformer {:.1f} img/s", round + 1,
                                     row.workers, ours[w].back());
      if (!o.python.empty() && row.peer_error.empty()) {
        try {
          theirs[w].push_back(torchvision_round(folder, o, row.workers, round));
          line += fmt::format(", torchvision {:.1f} img/s", theirs[w].back());
        } catch (const std::exception& e) {
          row.peer_error = e.what();
          line += fmt::format(", torchvision failed: {}", row.peer_error);
        }
      }
      print(line);
    }
  }
  for (size_t w = 0; w < o.workers.size(); ++w) {
    result.rows[w].setformer = spread(ours[w]);
    if (!theirs[w].empty() && result.rows[w].peer_error.empty())
      result.rows[w].torchvision = spread(theirs[w]);
  }
  return result;
}

io::Table data_bench_table(const DataBenchResult& r) {
  io::Table t;
  t.columns = {"workers", "setformer img/s", "torchvision img/s", "setformer / torchvision"};
  for (const auto& row : r.rows) {
    const bool peer = row.torchvision.median > 0;
    t.add({std::to_string(row.workers),
           fmt::format("{:.1f} ({:.1f}–{:.1f})", row.setformer.median, row.setformer.min,
                       row.setformer.max),
           peer ? fmt::format("{:.1f} ({:.1f}–{:.1f})", row.torchvision.median, row.torchvision.min,
                              row.torchvision.max)
                : std::string("—"),
           peer ? fmt::format("{:.2f}x", row.setformer.median / row.torchvision.median)
                : std::string("—")});
  }
  return t;
}

void write_data_bench_outputs(const DataBenchResult& r, const std::string& prefix,
                              const std::string& command) {
  const auto& o = r.options;
  const auto setup = fmt::format(
      "{} JPEG/PNG files in {} (mean {:.0f} KB, {:.0f} k pixels); each image decoded, "
      "random-resized-cropped to {}x{}, flipped, RandAugment {} (torchvision: two "
      "RandomApply(RandAugment(num_ops=1, magnitude={:g}), p=0.5), timm's structure), "
      "normalised and batched by {}; {} timed batches after an untimed first, median over {} "
      "rounds (min–max in brackets), the two pipelines taking turns",
      r.images, o.split.empty() ? o.root : o.root + "/" + o.split, r.mean_file_bytes / 1024,
      r.mean_pixels / 1000, o.size, o.size, o.rand_augment,
      data::parse_rand_augment(o.rand_augment).magnitude, o.batch, o.batches, o.rounds);
  write_bench_markdown(prefix, command, setup, data_bench_table(r));
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    rows.push_back({{"workers", row.workers},
                    {"setformer_images_per_second", row.setformer.median},
                    {"setformer_min", row.setformer.min},
                    {"setformer_max", row.setformer.max},
                    {"torchvision_images_per_second", row.torchvision.median},
                    {"torchvision_min", row.torchvision.min},
                    {"torchvision_max", row.torchvision.max},
                    {"peer_error", row.peer_error}});
  }
  const nlohmann::json json{{"command", command},
                            {"images", r.images},
                            {"mean_file_bytes", r.mean_file_bytes},
                            {"mean_pixels", r.mean_pixels},
                            {"batch", o.batch},
                            {"batches", o.batches},
                            {"rounds", o.rounds},
                            {"size", o.size},
                            {"rand_augment", o.rand_augment},
                            {"rows", rows}};
  write_file_atomic(prefix + ".json", json.dump(2) + "\n");
}

}  // namespace setformer::bench
