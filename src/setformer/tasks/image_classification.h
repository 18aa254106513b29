// Image classification with a SeTformer backbone (any attention kernel) on Fashion-MNIST: the
// run configuration, the model it describes, training through the shared Trainer, evaluation
// (accuracy, per-class accuracy, confusion matrix, throughput) and prediction.
//
// The configuration is one flat struct so that every field is a TOML key and a flag (declared
// once, in cli/train.cpp) and round-trips through JSON inside checkpoints: `eval` and `predict`
// rebuild the exact model from a checkpoint alone.
#pragma once

#include "setformer/data/fashion_mnist.h"
#include "setformer/models/setformer.h"
#include "setformer/train/metrics.h"
#include "setformer/train/trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace setformer::tasks {

struct ImageClassifierConfig {
  // --- task ---
  std::string task = "image_classification";  // the one task of this family (tasks/task.h)
  // --- data ---
  std::string data_dir = data::kFashionMnistFolder;
  int64_t train_limit = 0;  // first N training images (0: all), for quick runs
  int64_t test_limit = 0;   // first N test images (0: all)
  int64_t batch_size = 64;
  int64_t eval_batch_size = 500;
  int64_t crop_padding = 2;
  bool flip = true;
  double erase = 0.25;  // random-erasing probability
  // --- model ---
  std::string model = "setformer-fmnist";  // preset; the fields below override it when set
  std::string kernel = "set";              // attention kernel of every block
  std::vector<int64_t> stem_strides;       // empty: the preset's
  std::vector<int64_t> depths, dims, heads, m;
  int64_t window = 7;    // window size of kernel "window" (shifted every other block)
  double mlp_ratio = 0;  // 0: the preset's
  double drop_path = 0.05;
  double dropout = 0.0;
  // --- SeT ---
  std::string values = "linear";
  std::string positions = "lpe";
  std::string references = "learned";
  std::string similarity = "spherical_gaussian";
  double epsilon = 0.1;
  int64_t iterations = 10;
  bool fused_sinkhorn = true;                  // false: the log-domain reference composition
  std::string sinkhorn_backward = "unrolled";  // unrolled | implicit (fused paths)
  double stop_tolerance = 0.0;  // Sinkhorn's early stop in evaluation (0: always T iterations)
  double sigma = 0.5;
  double alpha = 1.0;
  std::string init_refs = "kmeans";  // kmeans | random
  int64_t init_refs_images = 256;    // training images whose features seed the k-means
  // --- optimisation ---
  int64_t epochs = 34;
  double lr = 2e-3;
  double min_lr = 1e-5;
  double warmup_epochs = 1.0;
  double weight_decay = 0.05;
  double clip_norm = 1.0;
  double label_smoothing = 0.1;
  double ema = 0.9995;  // EMA decay per step (0: off)
  // --- run ---
  uint64_t seed = 0;
  int64_t threads = 0;  // 0: all available cores
  // How the cores are spent on CPU: "batch" runs one batch shard per core in parallel threads
  // (core/shards.h), "ops" gives LibTorch's intra-op parallelism every core.
  std::string parallel = "batch";
  std::string device = "cpu";
  std::string out = "runs/fashion-mnist";
  int64_t checkpoint_every = 500;
  int64_t log_every = 50;
  int64_t eval_every = 1;  // epochs
  bool resume = false;
};

void to_json(nlohmann::json& j, const ImageClassifierConfig& c);
void from_json(const nlohmann::json& j, ImageClassifierConfig& c);

/// The backbone `config` describes for images of `channels` × `size` × `size` in `classes`
/// classes. Throws naming the field when a value is invalid (e.g. depths and dims of different
/// lengths, an unknown kernel or enum value).
models::SeTformerOptions model_options(const ImageClassifierConfig& config, int64_t channels,
                                       int64_t size, int64_t classes);

/// The first `limit` examples of `data` (all when limit is 0), for quick runs and evaluations.
data::ImageDataset first_images(data::ImageDataset data, int64_t limit);

struct EvalReport {
  train::ConfusionMatrix confusion{1};
  double images_per_second = 0;
  double seconds = 0;
  /// {"test_accuracy", "test_loss", "images_per_second"}.
  nlohmann::json metrics() const;
  double loss = 0;
};

/// The logits [B, K] of `images` [B, C, H, W], the batch cut into `shards` run in parallel threads
/// (core/shards.h). The caller chooses the mode and the gradient guard.
torch::Tensor classifier_logits(models::SeTformer& model, const torch::Tensor& images,
                                int64_t shards);

/// Accuracy, mean cross-entropy, confusion matrix and throughput of `model` on `data`
/// (evaluation mode, no gradients, batches of `batch_size`, each cut into `shards` run in
/// parallel threads, core/shards.h).
EvalReport evaluate_classifier(models::SeTformer& model, const data::ImageDataset& data,
                               int64_t batch_size, const torch::Device& device, int64_t shards = 1);

/// One training step's forward and backward of `images` [B, C, H, W] with `labels` [B], the batch
/// cut into `shards` run in parallel threads (core/shards.h, stochastic depth seeded by `seed`):
/// each shard's label-smoothed cross-entropy is weighted by its share of the batch, so the
/// gradients it accumulates into the model's parameters are those of the batch's mean loss.
/// Returns that loss and the correct predictions, detached, with backward_done set.
train::StepOutput classifier_step(models::SeTformer& model, const torch::Tensor& images,
                                  const torch::Tensor& labels, double label_smoothing,
                                  int64_t shards, uint64_t seed);

struct TrainResult {
  train::TrainSummary summary;
  EvalReport test;
  int64_t parameters = 0;
  double flops = 0;
  int64_t cores = 1;             // CPU threads the run used
  std::string parallel = "ops";  // how they shared the work (run.parallel as applied)
};

/// Trains the classifier `config` describes on Fashion-MNIST and evaluates it on the test split;
/// writes checkpoint.pt, log.jsonl, curves.png, confusion.png/txt and summary.json under
/// config.out. `print` receives progress lines.
TrainResult train_image_classifier(const ImageClassifierConfig& config,
                                   const std::function<void(const std::string&)>& print);

/// Validates `config` and builds its model without training or reading data: the preset, its
/// parameters and FLOPs per image, the kernel and the budget. Throws naming the field when a value
/// is invalid.
std::string describe_image_classifier(const ImageClassifierConfig& config);

/// The data `config` trains and evaluates on, in words.
std::string describe_image_data(const ImageClassifierConfig& config);

/// A model rebuilt from a checkpoint written by train_image_classifier, with its EMA weights
/// when it has them (use_ema) and the run's configuration.
struct LoadedClassifier {
  models::SeTformer model{nullptr};
  ImageClassifierConfig config;
  std::vector<std::string> classes;
  bool ema = false;
};
/// `stop_tolerance` >= 0 replaces the run's set.stop_tolerance (Sinkhorn's early stop in
/// evaluation); negative keeps it.
LoadedClassifier load_image_classifier(const std::string& checkpoint, bool use_ema,
                                       const torch::Device& device, double stop_tolerance = -1.0);

/// The normalisation every split and `predict` use (data/fashion_mnist.h).
using data::kFashionMnistMean;
using data::kFashionMnistStd;

}  // namespace setformer::tasks
