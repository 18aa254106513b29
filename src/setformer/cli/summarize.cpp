// `setformer summarize`: one results table (markdown and JSON) and one test-accuracy plot from
// the summary.json and log.jsonl files that `setformer train` runs leave in their folders. The
// Fashion-MNIST table of docs/results/setformer_vision.md is this command's output, never
// hand-written.
#include "setformer/cli/commands.h"

#include "setformer/core/files.h"
#include "setformer/io/plot.h"
#include "setformer/io/table.h"
#include "setformer/train/progress.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>

namespace setformer::cli {
namespace {

/// The value at `key` (a JSON pointer such as "/config/values"), or fail naming the file.
const nlohmann::json& field(const nlohmann::json& j, const std::string& pointer,
                            const std::string& file) {
  const nlohmann::json::json_pointer p(pointer);
  if (!j.contains(p)) {
    throw std::runtime_error(fmt::format("{}: no '{}' (not a summary written by setformer train)",
                                         file, pointer.substr(1)));
  }
  return j.at(p);
}

/// What distinguishes a row: the attention kernel and, for SeT, its ablation settings.
std::string describe(const nlohmann::json& config) {
  const std::string kernel = config.value("kernel", "?");
  if (kernel == "window") return fmt::format("window {}", config.value("window", 0));
  if (kernel != "set") return kernel;
  return fmt::format("set: {} values, {} refs, {}", config.value("values", "?"),
                     config.value("init_refs", "?"), config.value("positions", "?"));
}

}  // namespace

void add_summarize_command(CLI::App& app) {
  struct Args {
    std::vector<std::string> summaries;
    std::string out = "results/table";
    std::string title = "test accuracy";
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "summarize",
      "Table (<out>.md, <out>.json) and test-accuracy curves (<out>.png) of training runs, from "
      "their summary.json files (log.jsonl beside each gives the curve)");
  cmd->add_option("summaries", args->summaries, "summary.json files written by setformer train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out, "Output path prefix")->capture_default_str();
  cmd->add_option("--title", args->title, "Plot title")->capture_default_str();
  cmd->callback([args] {
    io::Table table;
    table.columns = {"run",    "attention",  "test acc. %", "params (M)",  "MFLOPs/img",
                     "epochs", "train time", "train img/s", "infer img/s", "threads"};
    nlohmann::json rows = nlohmann::json::array();
    std::vector<io::Series> curves;
    for (const auto& file : args->summaries) {
      nlohmann::json s;
      try {
        s = nlohmann::json::parse(read_file(file));
      } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(fmt::format("{}: not JSON ({})", file, e.what()));
      }
      const auto folder = std::filesystem::path(file).parent_path();
      const std::string run = folder.filename().string();
      const auto& config = field(s, "/config", file);
      const double seconds = field(s, "/train_seconds", file).get<double>();
      const int64_t epochs = field(s, "/config/epochs", file).get<int64_t>();
      // Images actually processed: steps of full batches (the loader drops the last one).
      const int64_t images = field(s, "/steps", file).get<int64_t>() *
                             field(s, "/config/batch_size", file).get<int64_t>();
      const double train_rate = static_cast<double>(images) / std::max(1e-9, seconds);
      table.add(
          {run, describe(config),
           fmt::format("{:.2f}", 100 * field(s, "/test_accuracy", file).get<double>()),
           fmt::format("{:.3f}", field(s, "/parameters", file).get<double>() / 1e6),
           fmt::format("{:.2f}", field(s, "/flops", file).get<double>() / 1e6),
           std::to_string(epochs), train::format_duration(seconds),
           fmt::format("{:.0f}", train_rate),
           fmt::format("{:.0f}", field(s, "/inference_images_per_second", file).get<double>()),
           // Runs from before run.parallel existed used LibTorch's intra-op threads.
           fmt::format("{} {}", field(s, "/threads", file).get<int64_t>(),
                       s.value("parallel", std::string("ops")))});
      rows.push_back({{"run", run},
                      {"summary", file},
                      {"test_accuracy", s["test_accuracy"]},
                      {"parameters", s["parameters"]},
                      {"flops", s["flops"]},
                      {"train_seconds", seconds},
                      {"train_images_per_second", train_rate},
                      {"inference_images_per_second", s["inference_images_per_second"]},
                      {"config", config}});
      io::Series curve;
      curve.label = run;
      const auto log = (folder / "log.jsonl").string();
      if (std::filesystem::exists(log)) {
        for (const auto& r : train::read_jsonl(log)) {
          if (r.value("kind", "") != "eval" || !r.contains("test_accuracy")) continue;
          curve.x.push_back(r["epoch"].get<double>());
          curve.y.push_back(100 * r["test_accuracy"].get<double>());
        }
      }
      curves.push_back(curve);
    }
    const std::string md = fmt::format(
        "Command: `{}`\n\n{}\nTrain time excludes the per-epoch test evaluations; train img/s "
        "= training steps × batch size / train time; infer img/s is the model alone on the test "
        "set "
        "(batches of 500, no gradients); threads: CPU threads and how they shared the work (batch: "
        "one batch shard per thread; ops: LibTorch's intra-op threads).\n",
        command_line(), table.markdown());
    write_file_atomic(args->out + ".md", md);
    write_file_atomic(args->out + ".json",
                      nlohmann::json{{"command", command_line()}, {"rows", rows}}.dump(2) + "\n");
    io::Image image(1000, 620);
    io::ChartOptions options;
    options.title = args->title;
    options.x_label = "epoch";
    options.y_label = "test accuracy %";
    io::draw_line_chart(image, 0, 10, 1000, 600, options, curves);
    image.save_png(args->out + ".png");
    fmt::print("{0}wrote {1}.md, {1}.json, {1}.png\n", md, args->out);
  });
}

}  // namespace setformer::cli
