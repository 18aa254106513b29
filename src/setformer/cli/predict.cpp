// `setformer predict --checkpoint K INPUT...`: a checkpoint of any task run on the user's files.
// The checkpoint records its task, which says what an input is: an image (image classification,
// object discovery, set prediction, unique counting), a text file (a document to classify, text
// with [MASK] tokens to fill), lines of sources (seq2seq, ListOps), or a set, one element per
// line (max regression, clustering). Options only some tasks take are grouped by family.
#include "setformer/cli/commands.h"

#include "setformer/cli/task_flags.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/runtime.h"
#include "setformer/data/fashion_mnist.h"
#include "setformer/data/transforms.h"
#include "setformer/tasks/image_classification.h"
#include "setformer/tasks/language.h"
#include "setformer/tasks/seq2seq.h"
#include "setformer/tasks/sets.h"
#include "setformer/tasks/slots.h"
#include "setformer/tasks/task.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <fstream>
#include <iostream>
#include <memory>

namespace setformer::cli {
namespace {

struct PredictArgs {
  std::string checkpoint, device = "cpu";
  std::vector<std::string> inputs;
  int threads = 0;
  int64_t top = 3;
  // image classification
  bool invert = false, raw = false, json = false;
  double stop_tolerance = -1.0;
  // slots
  tasks::SlotPredictOptions slots;
  // language
  tasks::TextPredictOptions text;
  std::string glue_submission;
  // seq2seq
  int64_t beam = 1, batch = 64, max_length = 0;
  double length_penalty = 0.6;
};

void predict_image_classifier(const PredictArgs& a) {
  set_threads(a.threads);
  const auto device = parse_device(a.device);
  const auto paths = tasks::image_inputs(a.inputs);
  auto loaded = tasks::load_image_classifier(a.checkpoint, !a.raw, device, a.stop_tolerance);
  const auto predictions = tasks::predict_images(loaded, paths, a.top, a.invert, device);
  if (a.json) {
    auto out = nlohmann::json::array();
    for (const auto& p : predictions) {
      auto top = nlohmann::json::array();
      for (size_t j = 0; j < p.classes.size(); ++j)
        top.push_back({{"class", p.classes[j]}, {"probability", p.probabilities[j]}});
      out.push_back({{"input", p.path}, {"top", top}});
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  for (const auto& p : predictions) {
    std::string line = p.path + ":";
    for (size_t j = 0; j < p.classes.size(); ++j)
      line += fmt::format("  {} {:.3f}", p.classes[j], p.probabilities[j]);
    fmt::print("{}\n", line);
  }
}

void predict_slots(PredictArgs a) {
  set_threads(a.threads);
  a.slots.device = a.device;
  for (const auto& line : tasks::predict_slot_images(a.checkpoint, a.inputs, a.slots))
    fmt::print("{}\n", line);
  fmt::print("wrote {}/predictions.json and pictures\n", a.slots.out);
}

/// The lines of `path` ("-": standard input), without line ends.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    SETFORMER_CHECK(file.good(), "{}: cannot read the file", path);
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

void predict_seq2seq(const PredictArgs& a) {
  set_threads(a.threads);
  std::vector<std::vector<std::string>> files;
  for (const auto& path : a.inputs) files.push_back(read_lines(path));
  auto model = tasks::load_sequence_model(a.checkpoint, a.device);
  for (size_t f = 0; f < files.size(); ++f) {
    const auto& lines = files[f];
    size_t longest = 1;
    for (const auto& l : lines) longest = std::max(longest, l.size());
    const auto options =
        models::DecodeOptions()
            .bos_id(data::Vocabulary::kBos)
            .eos_id(data::Vocabulary::kEos)
            .beam(a.beam)
            .length_penalty(a.length_penalty)
            .max_length(a.max_length > 0 ? a.max_length : 2 * static_cast<int64_t>(longest) + 10);
    const std::string source = a.inputs[f] == "-" ? "stdin" : a.inputs[f];
    const auto outputs = tasks::translate(model, lines, options, a.batch, [&](size_t i) {
      return fmt::format("{} line {}", source, i + 1);
    });
    for (const auto& o : outputs) fmt::print("{}\n", o);
  }
}

void predict_sets(const PredictArgs& a) {
  set_threads(a.threads);
  for (const auto& line : tasks::predict_sets(a.checkpoint, a.inputs, a.device))
    fmt::print("{}\n", line);
}

void predict_language(const PredictArgs& a) {
  set_threads(a.threads);
  auto options = a.text;
  options.top = a.top;
  options.json = a.json;
  if (!a.glue_submission.empty()) {
    SETFORMER_CHECK(a.inputs.empty(),
                    "--glue-submission reads the run's test files; give no inputs with it");
    tasks::write_glue_submission(a.checkpoint, a.glue_submission, options, a.device,
                                 [](const std::string& line) { std::cerr << line << std::endl; });
    return;
  }
  for (const auto& line : tasks::predict_language(a.checkpoint, a.inputs, options, a.device))
    fmt::print("{}\n", line);
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand(
      "predict",
      "Run a checkpoint of any task on input files: images, text or sets (the task, read from "
      "the checkpoint, says which)");
  cmd->footer(
      "Inputs by task: image files or folders of them for image_classification; image files for "
      "object_discovery, set_prediction "
      "and unique_count (all files one set); text files for classify (a document each), mlm "
      "(text with [MASK] markers), listops, copy, reverse, sort and addition (a source per line, "
      "- for standard input); JSON files for max_regression (an array of reals) and clustering, "
      "clustering_large (an array of [x, y] points), one set each.");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt written by setformer train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("inputs", args->inputs, "Input files (what they hold depends on the task)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0: all available cores)")
      ->capture_default_str();
  auto flags = std::make_shared<TaskFlags>(*cmd);
  using tasks::Family;
  flags
      ->group({Family::image_classification, Family::language},
              "image_classification and mlm checkpoints")
      ->add_option("--top", args->top, "Classes (or tokens, per [MASK]) shown, most likely first")
      ->capture_default_str();
  flags
      ->group({Family::image_classification, Family::language},
              "image_classification and classify checkpoints")
      ->add_flag("--json", args->json,
                 "Images: a JSON array of {input, top: [{class, probability}]}; text: JSON lines "
                 "{source, id, prediction, probability, probabilities} (or score); instead of "
                 "lines / TSV");
  auto* text = flags->group(Family::language);
  text->add_option("--glue-submission", args->glue_submission,
                   "Write the GLUE server's files (or <split>.tsv per data.test_files) for the "
                   "run's test splits into this folder");
  text->add_option("--data-root", args->text.data_root,
                   "Replace the run's data.root (where its GLUE or test files are)");
  text->add_option("--batch-size", args->text.batch_size, "Texts per batch")->capture_default_str();
  auto* image = flags->group(Family::image_classification);
  image->add_flag("--invert", args->invert,
                  "Invert grey levels (Fashion-MNIST items are light on a dark background)");
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
  slots
      ->add_option("--out", args->slots.out,
                   "Folder of predictions.json and the pictures (slots.png, attention.png, "
                   "segments_I.pgm, or predictions.png)")
      ->capture_default_str();
  auto* seq2seq = flags->group(Family::seq2seq);
  seq2seq->add_option("--beam", args->beam, "Beam width (1: greedy)")->capture_default_str();
  seq2seq->add_option("--length-penalty", args->length_penalty, "α of the GNMT length penalty")
      ->capture_default_str();
  seq2seq
      ->add_option("--max-length", args->max_length,
                   "Most tokens generated per line (0: twice the source length + 10)")
      ->capture_default_str();
  seq2seq->add_option("--batch", args->batch, "Lines decoded together")->capture_default_str();
  cmd->callback([args, flags] {
    const auto family = flags->checkpoint_family(args->checkpoint);
    SETFORMER_CHECK(
        !args->inputs.empty() || (family == Family::language && !args->glue_submission.empty()),
        "predict: give the input files (or --glue-submission DIR for a text "
        "classifier)");
    switch (family) {
      case Family::image_classification:
        return predict_image_classifier(*args);
      case Family::sets:
        return predict_sets(*args);
      case Family::slots:
        return predict_slots(*args);
      case Family::seq2seq:
        return predict_seq2seq(*args);
      case Family::language:
        return predict_language(*args);
    }
  });
}

}  // namespace setformer::cli
