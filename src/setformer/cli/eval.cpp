// `setformer eval --checkpoint K`: a checkpoint of any task evaluated again on its held-out data.
// The checkpoint records its task (tasks/task.h), so nothing else is needed; options that only
// some tasks take are grouped by family in the help, and given to a checkpoint of another family
// they are an error rather than silently ignored.
#include "setformer/cli/commands.h"

#include "setformer/cli/task_flags.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/runtime.h"
#include "setformer/data/fashion_mnist.h"
#include "setformer/tasks/image_classification.h"
#include "setformer/tasks/language.h"
#include "setformer/tasks/seq2seq.h"
#include "setformer/tasks/sets.h"
#include "setformer/tasks/slots.h"
#include "setformer/tasks/task.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

namespace setformer::cli {
namespace {

struct EvalArgs {
  std::string checkpoint, device = "cpu", out;
  int threads = 0;
  // image classification
  std::string data_dir = data::kFashionMnistFolder, data_root, parallel = "batch";
  int64_t batch_size = 500, limit = 0;
  bool raw = false;
  double stop_tolerance = -1.0;
  // slots
  tasks::SlotEvalOptions slots;
};

void print_lines(const std::string& line) {
  std::cerr << line << std::endl;
}

/// Prints every number of `metrics` (floats to four places, lists by their length).
void print_metrics(const nlohmann::json& metrics) {
  for (const auto& [key, value] : metrics.items()) {
    if (value.is_array())
      fmt::print("{}: {} ({})\n", key, value.size(), value.dump());
    else if (value.is_number_float())
      fmt::print("{}: {:.4f}\n", key, value.get<double>());
    else if (value.is_number())
      fmt::print("{}: {}\n", key, value.dump());
  }
}

/// The folder a family writes into: --out, else the checkpoint's own folder.
std::string out_folder(const EvalArgs& a) {
  if (!a.out.empty()) return a.out;
  const auto parent = std::filesystem::path(a.checkpoint).parent_path().string();
  return parent.empty() ? "." : parent;
}

void eval_image_classifier(const EvalArgs& a) {
  const auto device = parse_device(a.device);
  const auto cores = use_cores(a.threads, a.parallel, device, "--parallel");
  auto loaded = tasks::load_image_classifier(a.checkpoint, !a.raw, device, a.stop_tolerance);
  auto config = loaded.config;
  config.data_dir = a.data_dir;
  if (!a.data_root.empty()) {
    SETFORMER_CHECK(loaded.files(),
                    "--data-root: {} was trained on the built-in Fashion-MNIST; evaluate it with "
                    "--data-dir",
                    a.checkpoint);
    config.root = a.data_root;
  }
  const auto data = tasks::open_evaluation_data(config, a.limit, print_lines);
  const auto report = tasks::evaluate_classifier(
      loaded.model, tasks::evaluation_loader(data, config, a.batch_size), device, cores.shards);
  const auto& names = loaded.classes;
  fmt::print("{} ({}, {} weights) on {} {} images\n", a.checkpoint, loaded.config.model,
             loaded.ema ? "EMA" : "trained", report.confusion.total(),
             loaded.files() ? "validation" : "test");
  fmt::print(
      "accuracy: {:.4f}{}   loss: {:.4f}   throughput: {:.0f} images/s ({} thread(s), "
      "parallel {}, {})\n",
      report.confusion.accuracy(),
      report.top5 >= 0 ? fmt::format("   top-5: {:.4f}", report.top5) : "", report.loss,
      report.images_per_second, cores.threads, cores.parallel, a.device);
  if (report.confusion.classes() <= 20) {
    fmt::print("\nconfusion matrix (rows: true class, columns: predicted)\n{}",
               report.confusion.text(names));
  }
  const std::string folder = out_folder(a);
  const auto written = tasks::write_confusion(report.confusion, names, folder);
  auto json = report.metrics();
  json["per_class_accuracy"] = report.confusion.per_class_accuracy();
  json["classes"] = names;
  json["checkpoint"] = a.checkpoint;
  json["ema"] = loaded.ema;
  json["threads"] = cores.threads;
  json["parallel"] = cores.parallel;
  json["device"] = a.device;
  write_file_atomic(folder + "/eval.json", json.dump(2) + "\n");
  std::string files = folder + "/eval.json";
  for (const auto& w : written) files += ", " + folder + "/" + w;
  fmt::print("wrote {}\n", files);
}

void eval_sets(const EvalArgs& a) {
  set_threads(a.threads);
  const std::string folder = out_folder(a);
  print_metrics(tasks::evaluate_set_checkpoint(a.checkpoint, folder, a.device, print_lines));
  fmt::print("wrote {0}/eval.json, {0}/predictions.png\n", folder);
}

void eval_slots(EvalArgs a) {
  set_threads(a.threads);
  // A slots evaluation writes a summary.json that `slots table` reads as a row of its own, so it
  // goes to a folder of its own rather than over the training run's.
  a.slots.out = a.out.empty() ? "runs/slots-eval" : a.out;
  a.slots.device = a.device;
  print_metrics(tasks::evaluate_slot_checkpoint(a.checkpoint, a.slots, print_lines));
  fmt::print("wrote {}/summary.json and pictures\n", a.slots.out);
}

void eval_seq2seq(const EvalArgs& a) {
  set_threads(a.threads);
  const std::string folder = out_folder(a);
  print_metrics(tasks::evaluate_sequence_checkpoint(a.checkpoint, folder, a.device, print_lines));
  fmt::print("wrote {0}/summary.json, {0}/samples.txt\n", folder);
}

void eval_language(const EvalArgs& a) {
  set_threads(a.threads);
  const auto result = tasks::evaluate_language_checkpoint(a.checkpoint, a.device, a.data_root);
  fmt::print("{} ({}) at step {}\n", a.checkpoint, result["task"].get<std::string>(),
             result["step"].get<int64_t>());
  print_metrics(result["metrics"]);
  const std::string folder = out_folder(a);
  std::filesystem::create_directories(folder);
  write_file_atomic(folder + "/eval.json", result.dump(2) + "\n");
  fmt::print("wrote {}/eval.json\n", folder);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Evaluate a checkpoint of any task on its held-out data (the task is read from the "
      "checkpoint); writes its metrics beside the checkpoint unless --out");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt written by setformer train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out,
                  "Folder written (default: the checkpoint's; for object_discovery and "
                  "set_prediction runs/slots-eval, since that summary.json is a table row)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0: all available cores)")
      ->capture_default_str();
  auto flags = std::make_shared<TaskFlags>(*cmd);
  using tasks::Family;
  auto* image = flags->group(Family::image_classification);
  image
      ->add_option("--parallel", args->parallel,
                   "How CPU threads share a batch: batch (one shard per thread) or ops "
                   "(LibTorch's intra-op threads)")
      ->capture_default_str();
  image->add_option("--batch-size", args->batch_size, "Batch size")->capture_default_str();
  image->add_option("--data-dir", args->data_dir, "Folder of the Fashion-MNIST IDX files")
      ->capture_default_str();
  flags
      ->group({Family::image_classification, Family::language},
              "image_classification and classify checkpoints")
      ->add_option("--data-root", args->data_root,
                   "Dataset folder of a run trained on image files, labelled text or GLUE "
                   "(default: the run's data.root)");
  image->add_option("--limit", args->limit, "First N test images (0: all)")->capture_default_str();
  image->add_flag("--raw-weights", args->raw, "Use the trained weights, not their EMA");
  image->add_option("--stop-tolerance", args->stop_tolerance,
                    "Replace the run's set.stop_tolerance: Sinkhorn stops once row marginals are "
                    "within this relative error (0: always T iterations)");
  auto* slots = flags->group(Family::slots);
  slots->add_option("--test-slots", args->slots.test_slots, "K at test time (0: as trained)")
      ->capture_default_str();
  slots
      ->add_option("--test-iterations", args->slots.test_iterations,
                   "T at test time (0: as trained)")
      ->capture_default_str();
  slots->add_option("--row", args->slots.row, "Row name in results tables (default: the run's)");
  slots->add_option("--note", args->slots.note, "Printed under the results table");
  cmd->callback([args, flags] {
    switch (flags->checkpoint_family(args->checkpoint)) {
      case Family::image_classification:
        return eval_image_classifier(*args);
      case Family::sets:
        return eval_sets(*args);
      case Family::slots:
        return eval_slots(*args);
      case Family::seq2seq:
        return eval_seq2seq(*args);
      case Family::language:
        return eval_language(*args);
    }
  });
}

}  // namespace setformer::cli
