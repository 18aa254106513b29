#include "setformer/tasks/image_classification.h"

#include "setformer/attention/set.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
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

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    ImageClassifierConfig, task, data_dir, train_limit, test_limit, batch_size, eval_batch_size,
    crop_padding, flip, erase, model, kernel, stem_strides, depths, dims, heads, m, window,
    mlp_ratio, drop_path, dropout, values, positions, references, similarity, epsilon, iterations,
    fused_sinkhorn, sinkhorn_backward, stop_tolerance, sigma, alpha, init_refs, init_refs_images,
    epochs, lr, min_lr, warmup_epochs, weight_decay, clip_norm, label_smoothing, ema, seed, threads,
    parallel, device, out, checkpoint_every, log_every, eval_every, resume)

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

nlohmann::json EvalReport::metrics() const {
  return {{"test_accuracy", confusion.accuracy()},
          {"test_loss", loss},
          {"images_per_second", images_per_second}};
}

torch::Tensor classifier_logits(models::SeTformer& model, const torch::Tensor& images,
                                int64_t shards) {
  std::vector<torch::Tensor> parts(static_cast<size_t>(shard_count(shards, images.size(0))));
  run_shards(shards, images.size(0), 0, [&](int64_t shard, int64_t begin, int64_t end) {
    parts[static_cast<size_t>(shard)] = model(images.slice(0, begin, end));
  });
  return parts.size() == 1 ? parts[0] : torch::cat(parts);
}

EvalReport evaluate_classifier(models::SeTformer& model, const data::ImageDataset& data,
                               int64_t batch_size, const torch::Device& device, int64_t shards) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  data::ImageLoader loader(data, data::LoaderOptions()
                                     .batch_size(batch_size)
                                     .shuffle(false)
                                     .drop_last(false)
                                     .augment(false)
                                     .mean(kFashionMnistMean)
                                     .std(kFashionMnistStd));
  EvalReport report;
  report.confusion = ConfusionMatrix(static_cast<int64_t>(data.classes.size()));
  double loss_sum = 0;
  double compute_seconds = 0;
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
  }
  report.loss = loss_sum / static_cast<double>(loader.size());
  report.seconds = compute_seconds;
  report.images_per_second = static_cast<double>(loader.size()) / std::max(1e-9, compute_seconds);
  model->train(was_training);
  return report;
}

StepOutput classifier_step(models::SeTformer& model, const torch::Tensor& images,
                           const torch::Tensor& labels, double label_smoothing, int64_t shards,
                           uint64_t seed) {
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
    const auto loss = torch::nn::functional::cross_entropy(logits, y, cross_entropy) *
                      (static_cast<double>(end - begin) / static_cast<double>(out.count));
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
}

}  // namespace

TrainResult train_image_classifier(const ImageClassifierConfig& c,
                                   const std::function<void(const std::string&)>& print) {
  check_config(c);
  const auto device = parse_device(c.device);
  const auto cores = use_cores(static_cast<int>(c.threads), c.parallel, device, "run.parallel");
  const int64_t shards = cores.shards;
  // Shards draw stochastic depth from their own generators (core/shards.h); dropout draws from
  // LibTorch's shared one, whose order between threads would make the run nondeterministic.
  SETFORMER_CHECK(shards == 1 || c.dropout == 0,
                  "model.dropout = {} needs run.parallel = ops (with run.parallel = batch, {} "
                  "shards would share dropout's generator and the run would not be repeatable)",
                  c.dropout, shards);
  const auto train_set = first_images(data::load_fashion_mnist("train", c.data_dir), c.train_limit);
  const auto test_set = first_images(data::load_fashion_mnist("test", c.data_dir), c.test_limit);
  const auto classes = static_cast<int64_t>(train_set.classes.size());

  torch::manual_seed(c.seed);
  const auto options =
      model_options(c, train_set.images.size(1), train_set.images.size(2), classes);
  models::SeTformer model(options);
  model->to(device);

  data::ImageLoader loader(train_set, data::LoaderOptions()
                                          .batch_size(c.batch_size)
                                          .augmentation(data::AugmentOptions()
                                                            .crop_padding(c.crop_padding)
                                                            .horizontal_flip(c.flip)
                                                            .erase_probability(c.erase))
                                          .mean(kFashionMnistMean)
                                          .std(kFashionMnistStd)
                                          .seed(c.seed));
  const int64_t steps_per_epoch = loader.batches_per_epoch();
  SETFORMER_CHECK(steps_per_epoch >= 1, "data.batch_size = {} exceeds the {} training images",
                  c.batch_size, loader.size());

  TrainResult result;
  result.cores = cores.threads;
  result.parallel = cores.parallel;
  for (const auto& p : model->parameters()) result.parameters += p.numel();
  result.flops = model->flops();
  print(
      fmt::format("{}: {:.2f} M parameters, {:.1f} MFLOPs per image, kernel '{}', {} steps "
                  "({} epochs of {})",
                  c.model, static_cast<double>(result.parameters) / 1e6, result.flops / 1e6,
                  c.kernel, c.epochs * steps_per_epoch, c.epochs, steps_per_epoch));

  if (!c.resume && c.init_refs == "kmeans" && c.kernel == "set" && c.references == "learned") {
    const int64_t n = std::min(c.init_refs_images, loader.size());
    const auto images =
        data::normalize(train_set.images.slice(0, 0, n), kFashionMnistMean, kFashionMnistStd);
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

  // Batches come from a prefetching iterator over the current epoch; the batch of step s is
  // batch s % steps_per_epoch of epoch s / steps_per_epoch whatever the iterator's history.
  std::optional<data::ImageLoader::EpochIterator> epoch_batches;
  int64_t expected_step = -1;
  const auto step = [&](int64_t s) {
    const int64_t epoch = s / steps_per_epoch, index = s % steps_per_epoch;
    if (!epoch_batches || s != expected_step) epoch_batches.emplace(loader.epoch(epoch, index));
    auto batch = epoch_batches->next();
    SETFORMER_CHECK(batch && batch->epoch == epoch && batch->index == index,
                    "loader out of step at training step {}", s);
    expected_step = index + 1 == steps_per_epoch ? -1 : s + 1;
    return classifier_step(model, batch->images.to(device), batch->labels.to(device),
                           c.label_smoothing, shards,
                           data::mix(c.seed, static_cast<uint64_t>(s), 0xD5));
  };
  const auto evaluate = [&] {
    result.test = evaluate_classifier(model, test_set, c.eval_batch_size, device, shards);
    return result.test.metrics();
  };
  result.summary = trainer.run(step, evaluate, print);
  if (result.summary.interrupted) return result;

  const auto& names = test_set.classes;
  write_file_atomic(c.out + "/confusion.txt", result.test.confusion.text(names));
  result.test.confusion.image(names).save_png(c.out + "/confusion.png");
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
  write_file_atomic(c.out + "/summary.json", summary.dump(2) + "\n");
  return result;
}

std::string describe_image_classifier(const ImageClassifierConfig& c) {
  check_config(c);
  // Checks run.device and run.parallel as a run does.
  use_cores(static_cast<int>(c.threads), c.parallel, parse_device(c.device), "run.parallel");
  models::SeTformer model(model_options(c, data::kFashionMnistChannels, data::kFashionMnistSize,
                                        data::kFashionMnistClasses));
  int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();
  return fmt::format(
      "{}: {:.2f} M parameters, {:.1f} MFLOPs per image, kernel '{}', {} epochs of batches of {}",
      c.model, static_cast<double>(parameters) / 1e6, model->flops() / 1e6, c.kernel, c.epochs,
      c.batch_size);
}

std::string describe_image_data(const ImageClassifierConfig& c) {
  const auto count = [](int64_t limit) {
    return limit > 0 ? fmt::format("the first {}", limit) : std::string("all");
  };
  return fmt::format("Fashion-MNIST IDX files in {} ({} training images, {} test images)",
                     c.data_dir, count(c.train_limit), count(c.test_limit));
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
  out.classes = data::fashion_mnist_classes();
  out.model = models::SeTformer(model_options(out.config, data::kFashionMnistChannels,
                                              data::kFashionMnistSize, data::kFashionMnistClasses));
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
