// Image classification with a SeTformer backbone (any attention kernel) on the built-in
// Fashion-MNIST or on the user's own images (an image folder or list file, data.root): the run
// configuration, the data it names, the model it describes, training through the shared Trainer,
// evaluation (top-1, top-5, per-class accuracy, confusion matrix, throughput) and prediction.
//
// The configuration is one flat struct so that every field is a TOML key and a flag (declared
// once, in cli/train.cpp) and round-trips through JSON inside checkpoints: `eval` and `predict`
// rebuild the exact model from a checkpoint alone.
#pragma once

#include "setformer/data/fashion_mnist.h"
#include "setformer/data/image_folder.h"
#include "setformer/data/loader.h"
#include "setformer/models/setformer.h"
#include "setformer/train/metrics.h"
#include "setformer/train/trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
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
  // --- data: the user's images (data.root) instead of Fashion-MNIST's IDX files ---
  std::string root;  // "": the built-in Fashion-MNIST
  std::string train_split = "train", val_split = "val";
  std::string train_list, val_list;     // list files instead of class folders
  std::string bad_files = "error";      // error | skip
  int64_t max_pixels = 89478485;        // decompression-bomb guard, checked on each header
  int64_t workers = 2;                  // decoding threads
  int64_t prefetch = 4;                 // batches made ahead of training
  int64_t channels = 0;                 // 0: 3 when any image is colour, else 1
  std::string crop = "random_resized";  // random_resized | resize (whole image, then pad-crop)
  std::vector<double> scale{0.08, 1.0};
  std::vector<double> ratio{3.0 / 4.0, 4.0 / 3.0};
  std::string rand_augment;  // timm's specification, e.g. rand-m9-mstd0.5
  double color_jitter = 0.0;
  double crop_pct = 0.875;
  std::vector<double> mean, std_dev;  // empty: ImageNet's (folders) or Fashion-MNIST's
  std::string erase_mode = "zero";    // zero | pixel (timm's)
  double mixup = 0.0, cutmix = 0.0, mix_switch = 0.5, mix_probability = 1.0;
  // --- model ---
  std::string model = "setformer-fmnist";  // preset; the fields below override it when set
  int64_t image_size = 0;                  // 0: 28 for Fashion-MNIST, 224 for folders
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
  // --- written by training: the class names in label order ---
  std::vector<std::string> classes;
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
data::ImageFiles first_images(data::ImageFiles files, int64_t limit);

/// The data a run trains and evaluates on: Fashion-MNIST's IDX files, or the user's image folder
/// or list files (scanned and checked when opened, data/image_folder.h).
struct ImageData {
  std::optional<data::ImageDataset> train_set, test_set;    // built-in
  std::optional<data::ImageFiles> train_files, test_files;  // data.root
};

/// Opens the data `config` names and fills in its automatic fields from it: channels, image
/// size, mean and std, and the class names. `print` receives the scan's counts.
ImageData open_image_data(ImageClassifierConfig& config,
                          const std::function<void(const std::string&)>& print);

/// How a configuration (with its automatic fields filled in) decodes and transforms files.
data::ImageTransformOptions transform_options(const ImageClassifierConfig& config);

/// The held-out data of a loaded run (`config` from load_image_classifier): Fashion-MNIST's test
/// split, or the validation split of config.root (or list), its files checked as training
/// checks them (data.bad_files). `limit` > 0 keeps the first images.
ImageData open_evaluation_data(const ImageClassifierConfig& config, int64_t limit,
                               const std::function<void(const std::string&)>& print);

/// Image paths from `inputs`: files as given, folders searched recursively for image files
/// (data/image_folder.h extensions), sorted.
std::vector<std::string> image_inputs(const std::vector<std::string>& inputs);

/// The training loader (shuffled, augmented, mixed) and an evaluation loader (in order, only
/// resized and normalised) of `data`, as `config` (filled in) describes them.
data::ImageLoader training_loader(const ImageData& data, const ImageClassifierConfig& config);
data::ImageLoader evaluation_loader(const ImageData& data, const ImageClassifierConfig& config,
                                    int64_t batch_size, bool training_split = false);

struct EvalReport {
  train::ConfusionMatrix confusion{1};
  double top5 = -1;  // top-5 accuracy (< 0 with five classes or fewer)
  double images_per_second = 0;
  double seconds = 0;
  /// {"test_accuracy", "test_loss", "images_per_second"} and "test_top5" with over five classes.
  nlohmann::json metrics() const;
  double loss = 0;
};

/// The logits [B, K] of `images` [B, C, H, W], the batch cut into `shards` run in parallel threads
/// (core/shards.h). The caller chooses the mode and the gradient guard.
torch::Tensor classifier_logits(models::SeTformer& model, const torch::Tensor& images,
                                int64_t shards);

/// Accuracy, top-5 accuracy, mean cross-entropy, confusion matrix and throughput of `model` on
/// the batches of `loader` (evaluation mode, no gradients, each batch cut into `shards` run in
/// parallel threads, core/shards.h).
EvalReport evaluate_classifier(models::SeTformer& model, const data::ImageLoader& loader,
                               const torch::Device& device, int64_t shards = 1);

/// The confusion picture for up to 100 classes (confusion.png); beyond, the `count` most
/// confused pairs as text (confused_pairs.txt). Writes into `folder` and returns the file names.
std::vector<std::string> write_confusion(const train::ConfusionMatrix& confusion,
                                         const std::vector<std::string>& names,
                                         const std::string& folder, int64_t count = 30);

/// One training step's forward and backward of `images` [B, C, H, W] with `labels` [B], the batch
/// cut into `shards` run in parallel threads (core/shards.h, stochastic depth seeded by `seed`):
/// each shard's cross-entropy (label-smoothed, or against the soft `targets` [B, K] of Mixup and
/// CutMix when given) is weighted by its share of the batch, so the gradients it accumulates
/// into the model's parameters are those of the batch's mean loss. Returns that loss and the
/// correct predictions (against `labels`), detached, with backward_done set.
train::StepOutput classifier_step(models::SeTformer& model, const torch::Tensor& images,
                                  const torch::Tensor& labels, double label_smoothing,
                                  int64_t shards, uint64_t seed, const torch::Tensor& targets = {});

struct TrainResult {
  train::TrainSummary summary;
  EvalReport test;
  int64_t parameters = 0;
  double flops = 0;
  int64_t cores = 1;             // CPU threads the run used
  std::string parallel = "ops";  // how they shared the work (run.parallel as applied)
};

/// Trains the classifier `config` describes on its data and evaluates it on the test (or
/// validation) split; writes checkpoint.pt, log.jsonl, curves.png, confusion.png/txt,
/// classes.tsv and summary.json under config.out. `print` receives progress lines.
TrainResult train_image_classifier(const ImageClassifierConfig& config,
                                   const std::function<void(const std::string&)>& print);

/// Validates `config` and builds its model without training or reading data: the preset, its
/// parameters and FLOPs per image, the kernel and the budget. Throws naming the field when a value
/// is invalid.
std::string describe_image_classifier(const ImageClassifierConfig& config);

/// The data `config` trains and evaluates on, in words.
std::string describe_image_data(const ImageClassifierConfig& config);

/// A model rebuilt from a checkpoint written by train_image_classifier, with its EMA weights
/// when it has them (use_ema) and the run's configuration (automatic fields filled in).
struct LoadedClassifier {
  models::SeTformer model{nullptr};
  ImageClassifierConfig config;
  std::vector<std::string> classes;
  bool ema = false;
  /// Trained on image files (data.root) rather than the built-in Fashion-MNIST.
  bool files() const { return !config.root.empty(); }
};
/// `stop_tolerance` >= 0 replaces the run's set.stop_tolerance (Sinkhorn's early stop in
/// evaluation); negative keeps it.
LoadedClassifier load_image_classifier(const std::string& checkpoint, bool use_ema,
                                       const torch::Device& device, double stop_tolerance = -1.0);

/// The top `k` classes and their probabilities for each image file: the checkpoint's own
/// preprocessing (eval_sample for folder-trained runs; Fashion-MNIST's reading, `invert`
/// optional, for built-in ones).
struct ImagePrediction {
  std::string path;
  std::vector<std::string> classes;
  std::vector<double> probabilities;
};
std::vector<ImagePrediction> predict_images(LoadedClassifier& loaded,
                                            const std::vector<std::string>& paths, int64_t k,
                                            bool invert, const torch::Device& device);

/// The normalisation every split and `predict` use (data/fashion_mnist.h).
using data::kFashionMnistMean;
using data::kFashionMnistStd;

}  // namespace setformer::tasks
