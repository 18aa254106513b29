// `setformer train`, `eval` and `predict`: image classification on Fashion-MNIST with a SeTformer
// backbone and any attention kernel. Every training option is declared once here, as a flag and
// a config key; the resolved configuration travels inside checkpoints.
#include "setformer/cli/commands.h"

#include "setformer/cli/config_options.h"
#include "setformer/core/files.h"
#include "setformer/core/runtime.h"
#include "setformer/data/fashion_mnist.h"
#include "setformer/data/transforms.h"
#include "setformer/io/image_file.h"
#include "setformer/io/table.h"
#include "setformer/train/image_classification.h"
#include "setformer/train/progress.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <memory>

namespace setformer::cli {

using Config = train::ImageClassifierConfig;

void declare_train_options(ConfigurableOptions<Config>& o) {
  // data
  o.add("--data-dir", "data.dir", &Config::data_dir, "Folder of the Fashion-MNIST IDX files");
  o.add("--train-limit", "data.train_limit", &Config::train_limit,
        "Use the first N training images (0: all)");
  o.add("--test-limit", "data.test_limit", &Config::test_limit,
        "Evaluate on the first N test images (0: all)");
  o.add("--batch-size", "data.batch_size", &Config::batch_size, "Training batch size");
  o.add("--eval-batch-size", "data.eval_batch_size", &Config::eval_batch_size,
        "Evaluation batch size");
  o.add("--crop-padding", "data.crop_padding", &Config::crop_padding,
        "Random crop from the image padded by this many pixels (0: off)");
  o.add("--flip", "data.flip", &Config::flip, "Random horizontal flips");
  o.add("--erase", "data.erase", &Config::erase, "Random-erasing probability");
  // model
  o.add("--model", "model.preset", &Config::model,
        "Preset: setformer-fmnist | setformer-miny | -tiny | -small | -base");
  o.add("--kernel", "model.kernel", &Config::kernel, "Attention kernel: set | softmax | window");
  o.add("--stem-strides", "model.stem_strides", &Config::stem_strides,
        "Strides of the two stem convolutions");
  o.add("--depths", "model.depths", &Config::depths, "Blocks per stage");
  o.add("--dims", "model.dims", &Config::dims, "Width per stage");
  o.add("--heads", "model.heads", &Config::heads, "Attention heads per stage");
  o.add("--m", "model.m", &Config::m, "SeT references per stage");
  o.add("--window", "model.window", &Config::window, "Window size of kernel 'window'");
  o.add("--mlp-ratio", "model.mlp_ratio", &Config::mlp_ratio,
        "MLP width / model width (0: preset)");
  o.add("--drop-path", "model.drop_path", &Config::drop_path, "Stochastic depth of the last block");
  o.add("--dropout", "model.dropout", &Config::dropout, "Dropout in the MLPs");
  // SeT
  o.add("--values", "set.values", &Config::values, "SeT values: linear | nystrom");
  o.add("--positions", "set.positions", &Config::positions, "SeT positions: lpe | none | ape");
  o.add("--references", "set.references", &Config::references, "SeT references: learned | none");
  o.add("--similarity", "set.kernel", &Config::similarity,
        "SeT similarity: spherical_gaussian | gaussian | dot");
  o.add("--epsilon", "set.epsilon", &Config::epsilon, "SeT entropic regularisation");
  o.add("--iterations", "set.iterations", &Config::iterations, "SeT Sinkhorn iterations T");
  o.add("--fused-sinkhorn", "set.fused_sinkhorn", &Config::fused_sinkhorn,
        "SeT's fused CPU kernels (false: the log-domain reference composition)");
  o.add("--sinkhorn-backward", "set.sinkhorn_backward", &Config::sinkhorn_backward,
        "Backward of the fused kernels: unrolled (exact for T iterations) | implicit (fixed "
        "point, memory independent of T)");
  o.add("--stop-tolerance", "set.stop_tolerance", &Config::stop_tolerance,
        "Sinkhorn stops early in evaluation once row marginals are within this relative error "
        "(0: always T iterations)");
  o.add("--sigma", "set.sigma", &Config::sigma, "SeT LPE width");
  o.add("--alpha", "set.alpha", &Config::alpha, "SeT kernel sharpness");
  o.add("--init-refs", "set.init_refs", &Config::init_refs,
        "Reference initialisation: kmeans | random");
  o.add("--init-refs-images", "set.init_refs_images", &Config::init_refs_images,
        "Training images whose features seed the k-means");
  // optimisation
  o.add("--epochs", "optim.epochs", &Config::epochs, "Training epochs");
  o.add("--lr", "optim.lr", &Config::lr, "Peak learning rate (AdamW)");
  o.add("--min-lr", "optim.min_lr", &Config::min_lr, "Final learning rate of the cosine decay");
  o.add("--warmup-epochs", "optim.warmup_epochs", &Config::warmup_epochs,
        "Linear warm-up length in epochs (may be fractional)");
  o.add("--weight-decay", "optim.weight_decay", &Config::weight_decay, "AdamW weight decay");
  o.add("--clip-norm", "optim.clip_norm", &Config::clip_norm, "Gradient-norm clipping (0: off)");
  o.add("--label-smoothing", "optim.label_smoothing", &Config::label_smoothing,
        "Label smoothing of the cross-entropy");
  o.add("--ema", "optim.ema", &Config::ema, "EMA decay of the weights per step (0: off)");
  // run
  o.add("--seed", "run.seed", &Config::seed, "Random seed (model, data order, augmentation)");
  o.add("--threads", "run.threads", &Config::threads, "CPU threads (0: all available cores)");
  o.add("--parallel", "run.parallel", &Config::parallel,
        "How CPU threads share the work: batch (one batch shard per core) or ops (LibTorch's "
        "intra-op threads)");
  o.add("--device", "run.device", &Config::device, "cpu, cuda or cuda:N");
  o.add("--out", "run.out", &Config::out,
        "Run folder: checkpoint.pt, log.jsonl, curves.png, confusion.*, summary.json");
  o.add("--checkpoint-every", "run.checkpoint_every", &Config::checkpoint_every,
        "Checkpoint every N steps (0: only at the end)");
  o.add("--log-every", "run.log_every", &Config::log_every, "Progress line every N steps");
  o.add("--eval-every", "run.eval_every", &Config::eval_every,
        "Evaluate on the test set every N epochs (0: only at the end)");
  o.add("--resume", "run.resume", &Config::resume, "Continue the run in --out from its checkpoint");
}

namespace {

void add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "train",
      "Train an image classifier (SeTformer backbone, any attention kernel) on Fashion-MNIST; "
      "with no options, the default small SeTformer");
  auto options = std::make_shared<ConfigurableOptions<Config>>(cmd);
  declare_train_options(*options);
  cmd->callback([options] {
    const Config config = options->resolve();
    train::install_interrupt_handler();
    const auto result = train::train_image_classifier(
        config, [](const std::string& line) { std::cerr << line << std::endl; });
    if (result.summary.interrupted) std::exit(train::interrupted_exit_code());
    fmt::print("test accuracy: {:.4f} on {} images\n", result.test.confusion.accuracy(),
               result.test.confusion.total());
    fmt::print("parameters: {:.3f} M, FLOPs: {:.1f} M per image\n",
               static_cast<double>(result.parameters) / 1e6, result.flops / 1e6);
    fmt::print("training time: {}, inference: {:.0f} images/s on {} thread(s), parallel {}\n",
               train::format_duration(result.summary.train_seconds), result.test.images_per_second,
               result.cores, result.parallel);
    fmt::print(
        "wrote {0}/checkpoint.pt, {0}/log.jsonl, {0}/curves.png, {0}/confusion.png, "
        "{0}/summary.json\n",
        config.out);
  });
}

void add_eval(CLI::App& app) {
  struct Args {
    std::string checkpoint, device = "cpu", data_dir = data::kFashionMnistFolder, out;
    int64_t batch_size = 500, limit = 0;
    int threads = 0;
    std::string parallel = "batch";
    double stop_tolerance = -1.0;
    bool raw = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Test-set accuracy, per-class accuracy, confusion matrix and throughput of a "
      "checkpoint");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt written by train")->required();
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0: all)")->capture_default_str();
  cmd->add_option("--parallel", args->parallel,
                  "How CPU threads share a batch: batch (one shard per thread) or ops (LibTorch's "
                  "intra-op threads)")
      ->capture_default_str();
  cmd->add_option("--batch-size", args->batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--data-dir", args->data_dir, "Folder of the Fashion-MNIST IDX files")
      ->capture_default_str();
  cmd->add_option("--limit", args->limit, "First N test images (0: all)")->capture_default_str();
  cmd->add_flag("--raw-weights", args->raw, "Use the trained weights, not their EMA");
  cmd->add_option("--stop-tolerance", args->stop_tolerance,
                  "Replace the run's set.stop_tolerance: Sinkhorn stops once row marginals are "
                  "within this relative error (0: always T iterations)");
  cmd->add_option("--out", args->out,
                  "Folder for eval.json, confusion.txt and confusion.png (default: the "
                  "checkpoint's folder)");
  cmd->callback([args] {
    const auto device = parse_device(args->device);
    const auto cores = use_cores(args->threads, args->parallel, device, "--parallel");
    auto loaded =
        train::load_image_classifier(args->checkpoint, !args->raw, device, args->stop_tolerance);
    const auto test =
        train::first_images(data::load_fashion_mnist("test", args->data_dir), args->limit);
    const auto report =
        train::evaluate_classifier(loaded.model, test, args->batch_size, device, cores.shards);
    const auto& names = loaded.classes;
    fmt::print("{} ({}, {} weights) on {} test images\n", args->checkpoint, loaded.config.model,
               loaded.ema ? "EMA" : "trained", report.confusion.total());
    fmt::print(
        "accuracy: {:.4f}   loss: {:.4f}   throughput: {:.0f} images/s ({} thread(s), parallel "
        "{}, {})\n",
        report.confusion.accuracy(), report.loss, report.images_per_second, cores.threads,
        cores.parallel, args->device);
    fmt::print("\nconfusion matrix (rows: true class, columns: predicted)\n{}",
               report.confusion.text(names));
    const std::string out = args->out.empty()
                                ? std::filesystem::path(args->checkpoint).parent_path().string()
                                : args->out;
    const std::string folder = out.empty() ? "." : out;
    std::filesystem::create_directories(folder);
    write_file_atomic(folder + "/confusion.txt", report.confusion.text(names));
    report.confusion.image(names).save_png(folder + "/confusion.png");
    auto json = report.metrics();
    json["per_class_accuracy"] = report.confusion.per_class_accuracy();
    json["classes"] = names;
    json["checkpoint"] = args->checkpoint;
    json["ema"] = loaded.ema;
    json["threads"] = cores.threads;
    json["parallel"] = cores.parallel;
    json["device"] = args->device;
    write_file_atomic(folder + "/eval.json", json.dump(2) + "\n");
    fmt::print("wrote {0}/eval.json, {0}/confusion.txt, {0}/confusion.png\n", folder);
  });
}

void add_predict(CLI::App& app) {
  struct Args {
    std::string checkpoint, device = "cpu";
    std::vector<std::string> images;
    int64_t top = 3;
    bool invert = false, raw = false;
    double stop_tolerance = -1.0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "predict", "Classify PNG or PGM images with a checkpoint: class names and probabilities");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt written by train")->required();
  cmd->add_option("images", args->images, "PNG or PGM files (resized to 28x28 grey levels)")
      ->required();
  cmd->add_option("--top", args->top, "Classes shown per image")->capture_default_str();
  cmd->add_flag("--invert", args->invert,
                "Invert grey levels (Fashion-MNIST items are light on a dark background)");
  cmd->add_flag("--raw-weights", args->raw, "Use the trained weights, not their EMA");
  cmd->add_option("--stop-tolerance", args->stop_tolerance,
                  "Replace the run's set.stop_tolerance: Sinkhorn stops once row marginals are "
                  "within this relative error (0: always T iterations)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->callback([args] {
    set_threads(0);
    const auto device = parse_device(args->device);
    const int64_t size = data::kFashionMnistSize;
    std::vector<torch::Tensor> batch;
    for (const auto& path : args->images) {
      auto image = io::read_grey_image(path);
      if (args->invert) image = 255 - image;
      if (image.size(1) != size || image.size(2) != size) {
        image = torch::nn::functional::interpolate(image.unsqueeze(0).to(torch::kFloat),
                                                   torch::nn::functional::InterpolateFuncOptions()
                                                       .size(std::vector<int64_t>{size, size})
                                                       .mode(torch::kArea))[0]
                    .round()
                    .clamp(0, 255)
                    .to(torch::kUInt8);
      }
      batch.push_back(image);
    }
    // Images are read first: a bad file is reported before the model is built.
    auto loaded =
        train::load_image_classifier(args->checkpoint, !args->raw, device, args->stop_tolerance);
    const int64_t k = std::min<int64_t>(std::max<int64_t>(1, args->top),
                                        static_cast<int64_t>(loaded.classes.size()));
    const auto images =
        data::normalize(torch::stack(batch), train::kFashionMnistMean, train::kFashionMnistStd);
    torch::NoGradGuard no_grad;
    const auto probabilities = torch::softmax(loaded.model(images.to(device)), 1).cpu();
    const auto [values, indices] = probabilities.topk(k, 1);
    for (size_t i = 0; i < args->images.size(); ++i) {
      std::string line = args->images[i] + ":";
      for (int64_t j = 0; j < k; ++j) {
        const auto c = indices[static_cast<int64_t>(i)][j].item<int64_t>();
        line += fmt::format("  {} {:.3f}", loaded.classes[static_cast<size_t>(c)],
                            values[static_cast<int64_t>(i)][j].item<double>());
      }
      fmt::print("{}\n", line);
    }
  });
}

}  // namespace

void add_train_commands(CLI::App& app) {
  add_train(app);
  add_eval(app);
  add_predict(app);
}

}  // namespace setformer::cli
