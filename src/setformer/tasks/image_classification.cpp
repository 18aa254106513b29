#include "setformer/tasks/image_classification.h"

#include "setformer/attention/set.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/memory.h"
#include "setformer/core/runtime.h"
#include "setformer/core/shards.h"
#include "setformer/data/loader.h"
#include "setformer/data/random.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>

namespace setformer::tasks {

using train::apply_weights;
using train::ConfusionMatrix;
using train::load_checkpoint;
using train::OptimOptions;
using train::read_checkpoint_info;
using train::StepOutput;
using train::Trainer;
using train::TrainerOptions;

// By hand rather than NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT, which takes at most 64
// fields: the same expansion over two lists.
#define SETFORMER_IMAGE_FIELDS_1                                                                   \
  task, data_dir, train_limit, test_limit, batch_size, eval_batch_size, crop_padding, flip, erase, \
      model, kernel, stem_strides, depths, dims, heads, m, window, mlp_ratio, drop_path, dropout,  \
      values, positions, references, similarity, epsilon, iterations, fused_sinkhorn,              \
      sinkhorn_backward, stop_tolerance, sigma, alpha, init_refs, init_refs_images, epochs, lr,    \
      min_lr, warmup_epochs, weight_decay, clip_norm, label_smoothing, ema, seed, threads,         \
      parallel, device, out, checkpoint_every, log_every, eval_every, resume
#define SETFORMER_IMAGE_FIELDS_2                                                                \
  root, train_split, val_split, train_list, val_list, bad_files, max_pixels, workers, prefetch, \
      channels, crop, scale, ratio, rand_augment, color_jitter, crop_pct, mean, std_dev,        \
      erase_mode, mixup, cutmix, mix_switch, mix_probability, image_size, classes

void to_json(nlohmann::json& nlohmann_json_j, const ImageClassifierConfig& nlohmann_json_t) {
  NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, SETFORMER_IMAGE_FIELDS_1))
  NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, SETFORMER_IMAGE_FIELDS_2))
}

void from_json(const nlohmann::json& nlohmann_json_j, ImageClassifierConfig& nlohmann_json_t) {
  const ImageClassifierConfig nlohmann_json_default_obj;
  NLOHMANN_JSON_EXPAND(
      NLOHMANN_JSON_PASTE(NLOHMANN_JSON_FROM_WITH_DEFAULT, SETFORMER_IMAGE_FIELDS_1))
  NLOHMANN_JSON_EXPAND(
      NLOHMANN_JSON_PASTE(NLOHMANN_JSON_FROM_WITH_DEFAULT, SETFORMER_IMAGE_FIELDS_2))
}

namespace {

/// Replaces field `name` of every stage by `values` when given, checking the count.
template <class Setter>
void override_stages(std::vector<models::StageOptions>& stages, const std::vector<int64_t>& values,
                     const char* name, Setter set) {
  if (values.empty()) return;
  SETFORMER_CHECK(values.size() == stages.size(),
                  "{} has {} entries but the model has {} stages (set model.depths to change "
                  "the number of stages)",
                  name, values.size(), stages.size());
  for (size_t i = 0; i < stages.size(); ++i) set(stages[i], values[i]);
}

}  // namespace

models::SeTformerOptions model_options(const ImageClassifierConfig& c, int64_t channels,
                                       int64_t size, int64_t classes) {
  const auto& names = models::setformer_variant_names();
  SETFORMER_CHECK(std::find(names.begin(), names.end(), c.model) != names.end(),
                  "model.preset = '{}' is not a preset; expected one of: {}", c.model,
                  fmt::format("{}", fmt::join(names, ", ")));
  auto o = models::setformer_variant(c.model);
  o.in_channels(channels).image_size(size).classes(classes).kernel(c.kernel);
  auto stages = o.stages();
  if (!c.depths.empty()) {
    // A new number of stages: the other per-stage lists must then be given too.
    stages.resize(c.depths.size(), stages.back());
    for (size_t i = 0; i < stages.size(); ++i) stages[i].depth(c.depths[i]);
  }
  override_stages(stages, c.dims, "model.dims", [](auto& s, int64_t v) { s.dim(v); });
  override_stages(stages, c.heads, "model.heads", [](auto& s, int64_t v) { s.heads(v); });
  override_stages(stages, c.m, "model.m", [](auto& s, int64_t v) { s.references(v); });
  o.stages(stages);
  if (!c.stem_strides.empty()) o.stem_strides(c.stem_strides);
  if (c.mlp_ratio > 0) o.mlp_ratio(c.mlp_ratio);
  SETFORMER_CHECK(c.window >= 1, "model.window must be >= 1, got {}", c.window);
  o.window(c.window).drop_path(c.drop_path).dropout(c.dropout);
  using namespace attention;
  o.set()
      .values(parse_enum<Values>("set.values", c.values))
      .positions(parse_enum<Positions>("set.positions", c.positions))
      .references(parse_enum<References>("set.references", c.references))
      .kernel(parse_enum<SimilarityKernel>("set.kernel", c.similarity))
      .epsilon(c.epsilon)
      .iterations(c.iterations)
      .fused_sinkhorn(c.fused_sinkhorn)
      .sinkhorn_backward(parse_enum<SinkhornBackward>("set.sinkhorn_backward", c.sinkhorn_backward))
      .stop_tolerance(c.stop_tolerance)
      .sigma(c.sigma)
      .alpha(c.alpha);
  return o;
}

data::ImageDataset first_images(data::ImageDataset d, int64_t limit) {
  SETFORMER_CHECK(limit >= 0, "data.train_limit and data.test_limit must be >= 0 (0: all), got {}",
                  limit);
  if (limit > 0 && limit < d.labels.size(0)) {
    d.images = d.images.slice(0, 0, limit);
    d.labels = d.labels.slice(0, 0, limit);
  }
  return d;
}

data::ImageFiles first_images(data::ImageFiles files, int64_t limit) {
  SETFORMER_CHECK(limit >= 0, "data.train_limit and data.test_limit must be >= 0 (0: all), got {}",
                  limit);
  if (limit > 0 && limit < files.size()) {
    files.paths.resize(static_cast<size_t>(limit));
    files.labels.resize(static_cast<size_t>(limit));
  }
  return files;
}

namespace {

/// The image size and channels of the built-in data, and the defaults for folders.
constexpr int64_t kFolderImageSize = 224;
const std::vector<double> kImageNetMean{0.485, 0.456, 0.406}, kImageNetStd{0.229, 0.224, 0.225};
// A grey image's channel: the mean of ImageNet's three, as timm uses for one-channel models.
const std::vector<double> kGreyMean{0.449}, kGreyStd{0.226};

}  // namespace

namespace {

/// Where a configuration's image files are and how their scan treats bad ones.
data::ImageFolderOptions folder_options(const ImageClassifierConfig& c) {
  data::ImageFolderOptions o;
  o.root = c.root;
  o.train_split = c.train_split;
  o.val_split = c.val_split;
  o.train_list = c.train_list;
  o.val_list = c.val_list;
  o.bad_files = c.bad_files;
  o.bad_files_out = c.out + "/bad_files.tsv";
  o.decode.max_pixels = c.max_pixels;
  o.workers = std::max<int64_t>(1, c.workers);
  return o;
}

}  // namespace

ImageData open_image_data(ImageClassifierConfig& c,
                          const std::function<void(const std::string&)>& print) {
  ImageData out;
  if (c.root.empty()) {
    out.train_set = first_images(data::load_fashion_mnist("train", c.data_dir), c.train_limit);
    out.test_set = first_images(data::load_fashion_mnist("test", c.data_dir), c.test_limit);
    SETFORMER_CHECK(c.image_size == 0 || c.image_size == data::kFashionMnistSize,
                    "model.image_size = {}: the built-in Fashion-MNIST is {}x{} (export it with "
                    "'setformer data export' to train from a folder at another size)",
                    c.image_size, data::kFashionMnistSize, data::kFashionMnistSize);
    c.image_size = data::kFashionMnistSize;
    c.channels = data::kFashionMnistChannels;
    if (c.mean.empty()) c.mean = {kFashionMnistMean};
    if (c.std_dev.empty()) c.std_dev = {kFashionMnistStd};
    c.classes = out.train_set->classes;
    return out;
  }
  const auto o = folder_options(c);
  auto folder = data::open_image_folder(o, print);
  std::filesystem::create_directories(c.out);
  write_file_atomic(c.out + "/classes.tsv", data::class_table(folder));
  if (c.channels == 0) c.channels = folder.colour ? 3 : 1;
  if (c.image_size == 0) c.image_size = kFolderImageSize;
  if (c.mean.empty()) c.mean = c.channels == 3 ? kImageNetMean : kGreyMean;
  if (c.std_dev.empty()) c.std_dev = c.channels == 3 ? kImageNetStd : kGreyStd;
  c.classes = folder.train.classes;
  out.train_files = first_images(std::move(folder.train), c.train_limit);
  out.test_files = first_images(std::move(folder.val), c.test_limit);
  return out;
}

ImageData open_evaluation_data(const ImageClassifierConfig& c, int64_t limit,
                               const std::function<void(const std::string&)>& print) {
  ImageData out;
  if (c.root.empty()) {
    out.test_set = first_images(data::load_fashion_mnist("test", c.data_dir), limit);
    return out;
  }
  auto o = folder_options(c);
  o.bad_files_out.clear();  // evaluation lists bad files in its message, not beside the run
  auto files = first_images(data::open_split(o, /*validation=*/true, &c.classes), limit);
  const auto check = data::check_images(files, o.decode, o.workers);
  data::settle_bad_files(check.bad, o, print);
  files = data::without(std::move(files), check.bad);
  out.test_files = std::move(files);
  return out;
}

std::vector<std::string> image_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const auto& input : inputs) {
    std::error_code error;
    if (!std::filesystem::is_directory(input, error)) {
      out.push_back(input);
      continue;
    }
    const auto found = data::find_image_files(input);
    SETFORMER_CHECK(!found.empty(), "{}: folder holds no image files (.jpg .jpeg .png .ppm .pgm)",
                    input);
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::vector<ImagePrediction> predict_images(LoadedClassifier& loaded,
                                            const std::vector<std::string>& paths, int64_t k,
                                            bool invert, const torch::Device& device) {
  const auto& c = loaded.config;
  const auto transform = transform_options(c);
  std::vector<torch::Tensor> images;
  for (const auto& path : paths) {
    images.push_back(loaded.files() ? data::eval_sample(read_file(path), path, transform)
                                    : data::read_fashion_mnist_image(path, invert));
  }
  k = std::min<int64_t>(std::max<int64_t>(1, k), static_cast<int64_t>(loaded.classes.size()));
  std::vector<ImagePrediction> out;
  torch::NoGradGuard no_grad;
  // Batches of 64: a folder of thousands of images must not become one tensor.
  for (size_t begin = 0; begin < images.size(); begin += 64) {
    const size_t end = std::min(images.size(), begin + 64);
    const auto batch = data::normalize(
        torch::stack(std::vector<torch::Tensor>(images.begin() + static_cast<std::ptrdiff_t>(begin),
                                                images.begin() + static_cast<std::ptrdiff_t>(end))),
        c.mean, c.std_dev);
    const auto probabilities = torch::softmax(loaded.model(batch.to(device)), 1).cpu();
    const auto [values, indices] = probabilities.topk(k, 1);
    for (size_t i = begin; i < end; ++i) {
      ImagePrediction p;
      p.path = paths[i];
      const auto row = static_cast<int64_t>(i - begin);
      for (int64_t j = 0; j < k; ++j) {
        p.classes.push_back(loaded.classes[static_cast<size_t>(indices[row][j].item<int64_t>())]);
        p.probabilities.push_back(values[row][j].item<double>());
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

data::ImageTransformOptions transform_options(const ImageClassifierConfig& c) {
  io::DecodeOptions decode;
  decode.max_pixels = c.max_pixels;
  return data::ImageTransformOptions()
      .size(c.image_size)
      .channels(c.channels)
      .crop(c.crop)
      .scale(c.scale)
      .ratio(c.ratio)
      .flip(c.flip)
      .rand_augment(c.rand_augment)
      .color_jitter(c.color_jitter)
      .crop_pct(c.crop_pct)
      .mean(c.mean)
      .decode(decode);
}

namespace {

data::LoaderOptions loader_options(const ImageClassifierConfig& c) {
  return data::LoaderOptions()
      .mean(c.mean)
      .std(c.std_dev)
      .seed(c.seed)
      .transform(transform_options(c))
      .workers(c.workers)
      .prefetch(c.prefetch);
}

}  // namespace

data::ImageLoader training_loader(const ImageData& d, const ImageClassifierConfig& c) {
  // A random-resized crop of a file already flips; the batch stage pads, crops and flips
  // otherwise (Fashion-MNIST's recipe).
  const bool files_crop = d.train_files && c.crop == "random_resized";
  const auto o = loader_options(c)
                     .batch_size(c.batch_size)
                     .augmentation(data::AugmentOptions()
                                       .crop_padding(files_crop ? 0 : c.crop_padding)
                                       .horizontal_flip(files_crop ? false : c.flip)
                                       .erase_probability(c.erase)
                                       .erase_max_area(c.erase_mode == "pixel" ? 1.0 / 3.0 : 0.25)
                                       .erase_pixels(c.erase_mode == "pixel"))
                     .mixup(data::MixupOptions()
                                .mixup_alpha(c.mixup)
                                .cutmix_alpha(c.cutmix)
                                .switch_probability(c.mix_switch)
                                .probability(c.mix_probability)
                                .label_smoothing(c.label_smoothing)
                                .classes(static_cast<int64_t>(c.classes.size())));
  if (d.train_files) return data::ImageLoader(*d.train_files, o);
  return data::ImageLoader(*d.train_set, o);
}

data::ImageLoader evaluation_loader(const ImageData& d, const ImageClassifierConfig& c,
                                    int64_t batch_size, bool training_split) {
  const auto o =
      loader_options(c).batch_size(batch_size).shuffle(false).drop_last(false).augment(false);
  if (d.test_files) return data::ImageLoader(training_split ? *d.train_files : *d.test_files, o);
  return data::ImageLoader(training_split ? *d.train_set : *d.test_set, o);
}

nlohmann::json EvalReport::metrics() const {
  nlohmann::json j{{"test_accuracy", confusion.accuracy()},
                   {"test_loss", loss},
                   {"images_per_second", images_per_second}};
  if (top5 >= 0) j["test_top5"] = top5;
  return j;
}

torch::Tensor classifier_logits(models::SeTformer& model, const torch::Tensor& images,
                                int64_t shards) {
  std::vector<torch::Tensor> parts(static_cast<size_t>(shard_count(shards, images.size(0))));
  run_shards(shards, images.size(0), 0, [&](int64_t shard, int64_t begin, int64_t end) {
    parts[static_cast<size_t>(shard)] = model(images.slice(0, begin, end));
  });
  return parts.size() == 1 ? parts[0] : torch::cat(parts);
}

EvalReport evaluate_classifier(models::SeTformer& model, const data::ImageLoader& loader,
                               const torch::Device& device, int64_t shards) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const auto classes = static_cast<int64_t>(loader.classes().size());
  EvalReport report;
  report.confusion = ConfusionMatrix(classes);
  double loss_sum = 0;
  double compute_seconds = 0;
  int64_t top5_correct = 0;
  auto epoch = loader.epoch(0);
  while (auto batch = epoch.next()) {
    // Throughput counts the model only, not the loader.
    const auto start = std::chrono::steady_clock::now();
    const auto logits = classifier_logits(model, batch->images.to(device), shards);
    synchronize(device);
    compute_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto labels = batch->labels.to(device);
    loss_sum +=
        torch::nn::functional::cross_entropy(
            logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
    report.confusion.add(logits.argmax(1).cpu(), batch->labels);
    if (classes > 5) {
      const auto top = std::get<1>(logits.topk(5, 1));
      top5_correct += (top == labels.view({-1, 1})).any(1).sum().item<int64_t>();
    }
  }
  report.loss = loss_sum / static_cast<double>(loader.size());
  if (classes > 5)
    report.top5 = static_cast<double>(top5_correct) / static_cast<double>(loader.size());
  report.seconds = compute_seconds;
  report.images_per_second = static_cast<double>(loader.size()) / std::max(1e-9, compute_seconds);
  model->train(was_training);
  return report;
}

std::vector<std::string> write_confusion(const ConfusionMatrix& confusion,
                                         const std::vector<std::string>& names,
                                         const std::string& folder, int64_t count) {
  std::filesystem::create_directories(folder);
  if (confusion.classes() <= 100) {
    write_file_atomic(folder + "/confusion.txt", confusion.text(names));
    confusion.image(names).save_png(folder + "/confusion.png");
    return {"confusion.txt", "confusion.png"};
  }
  // Too many classes for a picture: the pairs most often mistaken, by count.
  auto off = confusion.counts().clone();
  off.fill_diagonal_(0);
  const auto [values, flat] = off.flatten().topk(std::min<int64_t>(count, off.numel()));
  const auto k = confusion.classes();
  const auto row_totals = confusion.counts().sum(1);
  std::string text = "count\tshare of true class\ttrue class\tpredicted as\n";
  for (int64_t i = 0; i < values.size(0); ++i) {
    const int64_t n = values[i].item<int64_t>();
    if (n == 0) break;
    const int64_t t = flat[i].item<int64_t>() / k, p = flat[i].item<int64_t>() % k;
    text += fmt::format("{}\t{:.3f}\t{}\t{}\n", n,
                        static_cast<double>(n) / static_cast<double>(row_totals[t].item<int64_t>()),
                        names[static_cast<size_t>(t)], names[static_cast<size_t>(p)]);
  }
  write_file_atomic(folder + "/confused_pairs.txt", text);
  return {"confused_pairs.txt"};
}

StepOutput classifier_step(models::SeTformer& model, const torch::Tensor& images,
                           const torch::Tensor& labels, double label_smoothing, int64_t shards,
                           uint64_t seed, const torch::Tensor& targets) {
  const auto cross_entropy =
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(label_smoothing);
  StepOutput out;
  out.count = labels.size(0);
  out.backward_done = true;
  const auto count = static_cast<size_t>(shard_count(shards, out.count));
  std::vector<torch::Tensor> losses(count), correct(count);
  run_shards(shards, out.count, seed, [&](int64_t shard, int64_t begin, int64_t end) {
    const auto y = labels.slice(0, begin, end);
    const auto logits = model(images.slice(0, begin, end));
    // Soft targets (Mixup, CutMix) already carry the label smoothing: timm's
    // SoftTargetCrossEntropy, −Σ_k t_k log softmax(z)_k averaged over the shard.
    const auto shard_loss =
        targets.defined()
            ? -(targets.slice(0, begin, end) * torch::log_softmax(logits, 1)).sum(1).mean()
            : torch::nn::functional::cross_entropy(logits, y, cross_entropy);
    const auto loss =
        shard_loss * (static_cast<double>(end - begin) / static_cast<double>(out.count));
    loss.backward();
    const auto i = static_cast<size_t>(shard);
    losses[i] = loss.detach();
    correct[i] = (logits.argmax(1) == y).sum();
  });
  out.loss = torch::stack(losses).sum();
  out.correct = torch::stack(correct).sum();
  return out;
}

namespace {

void check_config(const ImageClassifierConfig& c) {
  SETFORMER_CHECK(c.task == "image_classification",
                  "task.name = '{}' is not an image-classification task; expected "
                  "image_classification",
                  c.task);
  SETFORMER_CHECK(c.epochs >= 1, "optim.epochs must be >= 1, got {}", c.epochs);
  SETFORMER_CHECK(c.lr > 0 && c.min_lr >= 0 && c.min_lr <= c.lr,
                  "need optim.lr > 0 and 0 <= optim.min_lr <= optim.lr, got {} and {}", c.lr,
                  c.min_lr);
  SETFORMER_CHECK(c.warmup_epochs >= 0 && c.warmup_epochs <= static_cast<double>(c.epochs),
                  "optim.warmup_epochs must be in [0, optim.epochs = {}], got {}", c.epochs,
                  c.warmup_epochs);
  SETFORMER_CHECK(c.label_smoothing >= 0 && c.label_smoothing < 1,
                  "optim.label_smoothing must be in [0, 1), got {}", c.label_smoothing);
  SETFORMER_CHECK(c.erase >= 0 && c.erase <= 1, "data.erase must be a probability, got {}",
                  c.erase);
  SETFORMER_CHECK(c.init_refs == "kmeans" || c.init_refs == "random",
                  "set.init_refs = '{}' is not valid; expected kmeans | random", c.init_refs);
  SETFORMER_CHECK(c.init_refs_images >= 1, "set.init_refs_images must be >= 1, got {}",
                  c.init_refs_images);
  SETFORMER_CHECK(c.eval_batch_size >= 1, "data.eval_batch_size must be >= 1, got {}",
                  c.eval_batch_size);
  SETFORMER_CHECK(c.erase_mode == "zero" || c.erase_mode == "pixel",
                  "data.erase_mode = '{}' is not valid; expected zero | pixel", c.erase_mode);
  SETFORMER_CHECK(c.image_size >= 0, "model.image_size must be >= 0 (0: the data's), got {}",
                  c.image_size);
  SETFORMER_CHECK(c.channels == 0 || c.channels == 1 || c.channels == 3,
                  "data.channels must be 0 (the data's), 1 or 3, got {}", c.channels);
  SETFORMER_CHECK(c.max_pixels >= 1, "data.max_pixels must be >= 1, got {}", c.max_pixels);
  SETFORMER_CHECK(c.workers >= 0 && c.prefetch >= 0,
                  "data.workers and data.prefetch must be >= 0, got {} and {}", c.workers,
                  c.prefetch);
  SETFORMER_CHECK(c.bad_files == "error" || c.bad_files == "skip",
                  "data.bad_files = '{}' is not valid; expected error | skip", c.bad_files);
  // The transforms' own checks (crop, scale, ratio, crop_pct, RandAugment), on a filled-in copy.
  auto filled = c;
  if (filled.channels == 0) filled.channels = 3;
  if (filled.image_size == 0) filled.image_size = 224;
  if (filled.mean.empty()) filled.mean = {0.5};
  data::check_transform_options(transform_options(filled));
  for (const double v : c.std_dev) SETFORMER_CHECK(v > 0, "data.std values must be > 0, got {}", v);
  SETFORMER_CHECK(c.mixup >= 0 && c.cutmix >= 0, "data.mixup and data.cutmix must be >= 0");
}

}  // namespace

TrainResult train_image_classifier(const ImageClassifierConfig& config,
                                   const std::function<void(const std::string&)>& print) {
  check_config(config);
  auto c = config;  // its automatic fields are filled in from the data
  const auto device = parse_device(c.device);
  const auto cores = use_cores(static_cast<int>(c.threads), c.parallel, device, "run.parallel");
  const int64_t shards = cores.shards;
  // Batches at 224 are tens of MB: reusing freed blocks spares the kernel zeroing fresh pages for
  // every batch and activation (core/memory.h); at 28×28 it changes nothing.
  if (device.is_cpu()) install_cpu_memory_tracker();
  // Shards draw stochastic depth from their own generators (core/shards.h); dropout draws from
  // LibTorch's shared one, whose order between threads would make the run nondeterministic.
  SETFORMER_CHECK(shards == 1 || c.dropout == 0,
                  "model.dropout = {} needs run.parallel = ops (with run.parallel = batch, {} "
                  "shards would share dropout's generator and the run would not be repeatable)",
                  c.dropout, shards);
  const auto data = open_image_data(c, print);
  const auto classes = static_cast<int64_t>(c.classes.size());

  torch::manual_seed(c.seed);
  models::SeTformer model(model_options(c, c.channels, c.image_size, classes));
  model->to(device);

  const auto loader = training_loader(data, c);
  const auto test_loader = evaluation_loader(data, c, c.eval_batch_size);
  const int64_t steps_per_epoch = loader.batches_per_epoch();
  SETFORMER_CHECK(steps_per_epoch >= 1, "data.batch_size = {} exceeds the {} training images",
                  c.batch_size, loader.size());

  TrainResult result;
  result.cores = cores.threads;
  result.parallel = cores.parallel;
  for (const auto& p : model->parameters()) result.parameters += p.numel();
  result.flops = model->flops();
  print(fmt::format(
      "{}: {:.2f} M parameters, {:.1f} MFLOPs per image ({}x{}x{}), kernel '{}', {} "
      "steps ({} epochs of {})",
      c.model, static_cast<double>(result.parameters) / 1e6, result.flops / 1e6, c.channels,
      c.image_size, c.image_size, c.kernel, c.epochs * steps_per_epoch, c.epochs, steps_per_epoch));

  if (!c.resume && c.init_refs == "kmeans" && c.kernel == "set" && c.references == "learned") {
    // The first training images, resized and normalised as for evaluation.
    const int64_t n = std::min(c.init_refs_images, loader.size());
    const auto images = evaluation_loader(data, c, n, /*training_split=*/true).batch(0, 0).images;
    const auto similarity =
        model->init_references(images.to(device), attention::KMeansOptions().seed(c.seed));
    double mean = 0;
    for (double s : similarity) mean += s / static_cast<double>(similarity.size());
    print(
        fmt::format("references: spherical k-means on the features of {} training images, "
                    "mean cosine similarity to the centroids {:.3f} over {} layers",
                    n, mean, similarity.size()));
  }

  Trainer trainer(*model,
                  TrainerOptions()
                      .out_dir(c.out)
                      .model_name(c.model)
                      .config_json(nlohmann::json(c).dump())
                      .total_steps(c.epochs * steps_per_epoch)
                      .steps_per_epoch(steps_per_epoch)
                      .optim(OptimOptions()
                                 .lr(c.lr)
                                 .min_lr(c.min_lr)
                                 .warmup_steps(static_cast<int64_t>(std::llround(
                                     c.warmup_epochs * static_cast<double>(steps_per_epoch))))
                                 .weight_decay(c.weight_decay)
                                 .clip_norm(c.clip_norm)
                                 .ema_decay(c.ema))
                      .checkpoint_every(c.checkpoint_every)
                      .log_every(c.log_every)
                      .eval_every_epochs(c.eval_every)
                      .resume(c.resume));

  // Batches come from the loader's workers over the current epoch; the batch of step s is batch
  // s % steps_per_epoch of epoch s / steps_per_epoch whatever the iterator's history.
  std::optional<data::ImageLoader::EpochIterator> epoch_batches;
  int64_t expected_step = -1;
  const auto step = [&](int64_t s) {
    const int64_t epoch = s / steps_per_epoch, index = s % steps_per_epoch;
    if (!epoch_batches || s != expected_step) epoch_batches.emplace(loader.epoch(epoch, index));
    const double waited = epoch_batches->wait_seconds();
    auto batch = epoch_batches->next();
    SETFORMER_CHECK(batch && batch->epoch == epoch && batch->index == index,
                    "loader out of step at training step {}", s);
    expected_step = index + 1 == steps_per_epoch ? -1 : s + 1;
    auto out = classifier_step(
        model, batch->images.to(device), batch->labels.to(device), c.label_smoothing, shards,
        data::mix(c.seed, static_cast<uint64_t>(s), 0xD5),
        batch->targets.defined() ? batch->targets.to(device) : torch::Tensor());
    out.data_seconds = epoch_batches->wait_seconds() - waited;
    return out;
  };
  const auto evaluate = [&] {
    result.test = evaluate_classifier(model, test_loader, device, shards);
    return result.test.metrics();
  };
  result.summary = trainer.run(step, evaluate, print);
  if (result.summary.interrupted) return result;

  write_confusion(result.test.confusion, c.classes, c.out);
  nlohmann::json summary{{"model", c.model},
                         {"kernel", c.kernel},
                         {"parameters", result.parameters},
                         {"flops", result.flops},
                         {"test_accuracy", result.test.confusion.accuracy()},
                         {"test_loss", result.test.loss},
                         {"per_class_accuracy", result.test.confusion.per_class_accuracy()},
                         {"train_seconds", result.summary.train_seconds},
                         {"inference_images_per_second", result.test.images_per_second},
                         {"steps", result.summary.steps_done},
                         {"train_images", loader.size()},
                         {"threads", result.cores},
                         {"parallel", result.parallel},
                         {"device", c.device},
                         {"config", c}};
  if (result.test.top5 >= 0) summary["test_top5"] = result.test.top5;
  write_file_atomic(c.out + "/summary.json", summary.dump(2) + "\n");
  return result;
}

namespace {

/// The class count a dry run assumes: the training split's class folders when the data is
/// there, else ImageNet's 1000.
int64_t expected_classes(const ImageClassifierConfig& c) {
  if (c.root.empty()) return data::kFashionMnistClasses;
  if (!c.train_list.empty()) return 1000;
  std::error_code error;
  const auto folder = std::filesystem::path(c.root) / c.train_split;
  if (!std::filesystem::is_directory(folder, error)) return 1000;
  int64_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) n += entry.is_directory();
  return n > 0 ? n : 1000;
}

}  // namespace

std::string describe_image_classifier(const ImageClassifierConfig& c) {
  check_config(c);
  // Checks run.device and run.parallel as a run does.
  use_cores(static_cast<int>(c.threads), c.parallel, parse_device(c.device), "run.parallel");
  const bool files = !c.root.empty();
  const int64_t size = c.image_size > 0 ? c.image_size : files ? 224 : data::kFashionMnistSize;
  const int64_t channels = c.channels > 0 ? c.channels : files ? 3 : data::kFashionMnistChannels;
  const int64_t classes = expected_classes(c);
  models::SeTformer model(model_options(c, channels, size, classes));
  int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();
  return fmt::format(
      "{}: {:.2f} M parameters, {:.1f} MFLOPs per image ({}x{}x{}, {} classes), kernel '{}', {} "
      "epochs of batches of {}",
      c.model, static_cast<double>(parameters) / 1e6, model->flops() / 1e6, channels, size, size,
      classes, c.kernel, c.epochs, c.batch_size);
}

std::string describe_image_data(const ImageClassifierConfig& c) {
  const auto count = [](int64_t limit) {
    return limit > 0 ? fmt::format("the first {}", limit) : std::string("all");
  };
  if (c.root.empty()) {
    return fmt::format("Fashion-MNIST IDX files in {} ({} training images, {} test images)",
                       c.data_dir, count(c.train_limit), count(c.test_limit));
  }
  const auto layout = c.train_list.empty()
                          ? fmt::format("image folders {}/ and {}/", c.train_split, c.val_split)
                          : fmt::format("list files {} and {}", c.train_list, c.val_list);
  std::string augment = c.crop == "random_resized" ? "random-resized crop" : "resize";
  if (c.flip) augment += ", flip";
  if (!c.rand_augment.empty()) augment += ", RandAugment " + c.rand_augment;
  if (c.color_jitter > 0) augment += fmt::format(", colour jitter {}", c.color_jitter);
  if (c.erase > 0) augment += fmt::format(", erasing {} ({})", c.erase, c.erase_mode);
  if (c.mixup > 0) augment += fmt::format(", Mixup {}", c.mixup);
  if (c.cutmix > 0) augment += fmt::format(", CutMix {}", c.cutmix);
  return fmt::format(
      "{} in {} ({} training images, {} validation images); {}; {} decoding "
      "thread(s)",
      layout, c.root, count(c.train_limit), count(c.test_limit), augment, c.workers);
}

LoadedClassifier load_image_classifier(const std::string& checkpoint, bool use_ema,
                                       const torch::Device& device, double stop_tolerance) {
  const auto info = read_checkpoint_info(checkpoint);
  const auto& presets = models::setformer_variant_names();
  if (std::find(presets.begin(), presets.end(), info.model) == presets.end()) {
    throw std::runtime_error(
        fmt::format("{}: checkpoint of model '{}', not an image classifier ({})", checkpoint,
                    info.model, fmt::join(presets, ", ")));
  }
  LoadedClassifier out;
  try {
    out.config = nlohmann::json::parse(info.config).get<ImageClassifierConfig>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: not an image-classifier checkpoint (its configuration does not parse: {})",
                    checkpoint, e.what()));
  }
  if (stop_tolerance >= 0) out.config.stop_tolerance = stop_tolerance;
  // Checkpoints from before the image-folder fields are Fashion-MNIST ones.
  auto& c = out.config;
  if (c.classes.empty()) c.classes = data::fashion_mnist_classes();
  if (c.channels == 0) c.channels = data::kFashionMnistChannels;
  if (c.image_size == 0) c.image_size = data::kFashionMnistSize;
  if (c.mean.empty()) c.mean = {kFashionMnistMean};
  if (c.std_dev.empty()) c.std_dev = {kFashionMnistStd};
  out.classes = c.classes;
  out.model = models::SeTformer(
      model_options(c, c.channels, c.image_size, static_cast<int64_t>(c.classes.size())));
  load_checkpoint(checkpoint, out.config.model, *out.model);
  if (use_ema && !info.ema.empty()) {
    apply_weights(*out.model, info.ema, checkpoint + " (EMA weights)");
    out.ema = true;
  }
  out.model->to(device);
  out.model->eval();
  return out;
}

}  // namespace setformer::tasks
