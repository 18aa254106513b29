#include "setformer/tasks/slots.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/runtime.h"
#include "setformer/data/object_scenes.h"
#include "setformer/io/image_file.h"
#include "setformer/io/plot.h"
#include "setformer/io/table.h"
#include "setformer/tasks/object_metrics.h"
#include "setformer/tasks/slot_pictures.h"
#include "setformer/train/checkpoint.h"
#include "setformer/train/progress.h"
#include "setformer/train/result_tables.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

namespace setformer::tasks {

using train::Checkpoint;
using train::format_duration;
using train::load_checkpoint;
using train::OptimOptions;
using train::read_checkpoint_info;
using train::read_summaries;
using train::run_summary;
using train::StepOutput;
using train::Trainer;
using train::TrainerOptions;
using train::write_results_table;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    SlotExperimentConfig, task, row, note, dataset, image_size, min_objects, max_objects,
    batch_size, test_images, eval_batch_size, test_seed, grouping, channels, strides, slots,
    iterations, slot_dim, slot_mlp_hidden, normalisation, transport_iterations, weighted_mean, gru,
    residual_mlp, mlp_hidden, decoder_resolution, decoder_channels, decoder_layers, head_hidden,
    loss_every_iteration, coordinate_scale, test_slots, test_iterations, steps, lr, warmup_steps,
    decay_steps, decay_rate, clip_norm, seed, threads, device, out, checkpoint_every, log_every,
    eval_every, resume)

namespace {

using attention::parse_enum;

const PropertyLayout kClevrProperties{data::ClevrLayout::kCoordinates,
                                      {data::ClevrLayout::kSizes, data::ClevrLayout::kMaterials,
                                       data::ClevrLayout::kShapes, data::ClevrLayout::kColours}};
// The names of kClevrProperties' groups, in its order, for the per-property accuracies.
const std::vector<std::string> kClevrPropertyNames{"size", "material", "shape", "colour"};
// AP thresholds of Table 3 (−1: ∞), in CLEVR's units (the scene is 6 wide).
const std::vector<std::pair<double, std::string>> kApThresholds{
    {-1, "ap_inf"}, {1, "ap_1"}, {0.5, "ap_0.5"}, {0.25, "ap_0.25"}, {0.125, "ap_0.125"}};

data::SceneOptions scene_options(const SlotExperimentConfig& c) {
  return data::SceneOptions(parse_enum<data::SceneKind>("data.dataset", c.dataset))
      .image_size(c.image_size)
      .min_objects(c.min_objects)
      .max_objects(c.max_objects)
      .resolved();
}

void check_config(const SlotExperimentConfig& c) {
  SETFORMER_CHECK(c.task == "object_discovery" || c.task == "set_prediction",
                  "task.name = '{}' is not valid; expected object_discovery | set_prediction",
                  c.task);
  const auto scenes = scene_options(c);
  SETFORMER_CHECK(c.task == "object_discovery" || scenes.kind() == data::SceneKind::clevr,
                  "data.dataset = '{}': set prediction needs property targets, only clevr has them",
                  c.dataset);
  SETFORMER_CHECK(c.task == "object_discovery" || scenes.max_objects() <= c.slots,
                  "model.slots = {} cannot predict scenes of up to {} objects (data.max_objects)",
                  c.slots, scenes.max_objects());
  SETFORMER_CHECK(c.batch_size >= 1 && c.test_images >= 1 && c.eval_batch_size >= 1,
                  "data.batch_size, data.test_images and data.eval_batch_size must be >= 1");
  SETFORMER_CHECK(c.steps >= 1, "optim.steps must be >= 1, got {}", c.steps);
  SETFORMER_CHECK(c.coordinate_scale > 0, "loss.coordinate_scale must be > 0, got {}",
                  c.coordinate_scale);
  SETFORMER_CHECK(
      !c.loss_every_iteration || (c.task == "set_prediction" && c.grouping == "slot_attention"),
      "loss.every_iteration needs task.name = set_prediction and model.grouping = "
      "slot_attention (got {} and {})",
      c.task, c.grouping);
  SETFORMER_CHECK(c.coordinate_scale == 1.0 || c.task == "set_prediction",
                  "loss.coordinate_scale applies to set_prediction only (task.name = {})", c.task);
  SETFORMER_CHECK(c.test_slots >= 0 && c.test_iterations >= 0,
                  "eval.slots and eval.iterations must be >= 0 (0: as trained)");
}

models::SlotEncoderOptions encoder_options(const SlotExperimentConfig& c) {
  const auto scenes = scene_options(c);
  return models::SlotEncoderOptions()
      .image_size(scenes.image_size())
      .channels(c.channels)
      .strides(c.strides)
      .grouping(parse_enum<models::Grouping>("model.grouping", c.grouping))
      .slots(nn::SlotAttentionOptions(c.channels)
                 .slot_dim(c.slot_dim)
                 .num_slots(c.slots)
                 .iterations(c.iterations)
                 .mlp_hidden(c.slot_mlp_hidden)
                 .normalisation(
                     parse_enum<nn::SlotNormalisation>("model.normalisation", c.normalisation))
                 .transport_iterations(c.transport_iterations)
                 .weighted_mean(c.weighted_mean)
                 .gru(c.gru)
                 .mlp(c.residual_mlp))
      .mlp_hidden(c.mlp_hidden)
      .mlp_per_slot(c.task == "object_discovery");
}

/// Restores the global CPU generator when it goes out of scope, after seeding it: evaluation
/// draws its slots from a fixed stream without disturbing the training stream.
class SeededGenerator {
 public:
  explicit SeededGenerator(uint64_t seed) : generator_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    state_ = generator_.get_state();
    generator_.set_current_seed(seed);
  }
  ~SeededGenerator() {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state_);
  }

 private:
  at::Generator generator_;
  at::Tensor state_;
};

}  // namespace

namespace {

// ---- evaluation --------------------------------------------------------------------------------

struct Task {
  const SlotExperimentConfig& c;
  data::SceneOptions scenes;
  torch::Device device;

  data::SceneBatch train(int64_t step) const {
    return data::scene_batch(scenes, c.seed, step * c.batch_size, c.batch_size);
  }
  int64_t test_chunks() const {
    return (c.test_images + c.eval_batch_size - 1) / c.eval_batch_size;
  }
  data::SceneBatch test(int64_t chunk) const {
    const int64_t first = chunk * c.eval_batch_size;
    return data::scene_batch(scenes, c.test_seed, first,
                             std::min(c.eval_batch_size, c.test_images - first));
  }
  /// Targets [B, max_objects, F] padded with zero rows to [B, k, F] (k: the slots, the trained
  /// ones by default); unchanged when there are k or fewer slots than objects.
  torch::Tensor padded_targets(const data::SceneBatch& batch, int64_t k = 0) const {
    const auto t = batch.properties;
    const int64_t missing = (k > 0 ? k : c.slots) - t.size(1);
    return missing <= 0 ? t : torch::cat({t, torch::zeros({t.size(0), missing, t.size(2)})}, 1);
  }
};

nlohmann::json evaluate_discovery(models::ObjectDiscovery& model, const Task& task,
                                  const std::string& pictures_prefix) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  SeededGenerator seeded(task.c.test_seed);
  double squared_error = 0, ari_sum = 0, seconds = 0;
  int64_t images = 0, ari_count = 0;
  for (int64_t chunk = 0; chunk < task.test_chunks(); ++chunk) {
    const auto batch = task.test(chunk);
    const auto x = batch.images.to(task.device);
    const auto start = std::chrono::steady_clock::now();
    const auto out = model->forward(x, task.c.test_slots, task.c.test_iterations);
    synchronize(task.device);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    squared_error += (out.reconstruction - x).pow(2).mean({1, 2, 3}).sum().item<double>();
    images += x.size(0);
    const auto ari =
        foreground_ari(batch.instances.flatten(1), out.masks.flatten(2).to(torch::kCPU));
    for (int64_t i = 0; i < ari.size(0); ++i) {
      const double v = ari[i].item<double>();
      if (std::isfinite(v)) {
        ari_sum += v;
        ++ari_count;
      }
    }
    if (chunk == 0 && !pictures_prefix.empty()) {
      const std::string title =
          fmt::format("{} on {}: foreground ARI of these images {:.3f}",
                      task.c.row.empty() ? "model" : task.c.row, task.c.dataset,
                      ari.slice(0, 0, 4).mean().item<double>());
      draw_slots(pictures_prefix + "slots.png", title, x.cpu(), out, 4);
      if (!out.grouped.attention.empty()) {
        draw_attention(pictures_prefix + "attention.png",
                       fmt::format("attention of each slot per iteration ({})", task.c.dataset),
                       x[0].cpu(), out.grouped);
      }
    }
  }
  if (was_training) model->train();
  return {{"test_ari", ari_count > 0 ? ari_sum / static_cast<double>(ari_count) : NAN},
          {"test_mse", squared_error / static_cast<double>(images)},
          {"images_per_second", static_cast<double>(images) / seconds},
          {"test_images", images}};
}

/// What set prediction's attention does, gathered over the test batches (Slot Attention only; the
/// metrics are NaN, null in JSON, for the Slot MLP): the foreground ARI of the last iteration's
/// attention maps against the masks at their resolution (§4.2), and how much of the slots'
/// weighted means comes from the background, for the slots matched to real objects, the others,
/// and uniform weights. A slot that averages background into an object's features also averages
/// the background's positions into its own, which pulls them toward the middle; the distance
/// from each object to its slot's attention centroids (weighted, and of the cells it wins) says
/// how far.
struct AttentionDiagnostics {
  std::vector<torch::Tensor> object_background, spare_background, background_fraction, ari,
      weighted_position_error, segment_position_error;

  /// grouped: one batch's slots and attention; instances [B, S, S]; padded [B, K, F] the targets
  /// the predictions were matched to; assignment [B, K] the matching (match_objects).
  void add(const models::Grouped& grouped, const torch::Tensor& instances,
           const torch::Tensor& padded, const torch::Tensor& assignment) {
    const int64_t h = grouped.feature_height, w = grouped.feature_width;
    const auto attention = grouped.attention.back().to(torch::kCPU);                  // [B, N, K]
    const auto shares = slot_background_shares(attention, instances, h, w);           // [B, K]
    const auto real = matched_to_real_objects(padded, assignment, kClevrProperties);  // [B, K]
    object_background.push_back(shares.masked_select(real));
    spare_background.push_back(shares.masked_select(real.logical_not()));
    background_fraction.push_back(slot_background_shares(
        torch::ones({attention.size(0), attention.size(1), 1}, torch::kDouble), instances, h, w));
    const auto scores =
        foreground_ari(majority_instances(instances, h, w), attention.transpose(1, 2));
    ari.push_back(scores.masked_select(torch::isfinite(scores)));
    // Where the attention alone would place each object: at its slot's weighted centroid (what
    // line 8 passes on) or at the centroid of the cells its slot wins (what the maps segment).
    const auto centroids = slot_centroids(attention, h, w);
    const auto errors = [&](const torch::Tensor& xy) {
      const auto e = matched_position_errors(xy, padded, assignment, kClevrProperties);
      return e.masked_select(torch::isfinite(e));
    };
    weighted_position_error.push_back(errors(centroids.weighted));
    segment_position_error.push_back(errors(centroids.segment));
  }

  void write(nlohmann::json& metrics) const {
    const auto mean = [](const std::vector<torch::Tensor>& parts) {
      const auto all = parts.empty() ? torch::empty({0}, torch::kDouble) : torch::cat(parts);
      return all.numel() > 0 ? all.mean().item<double>() : NAN;
    };
    metrics["test_object_slot_background"] = mean(object_background);
    metrics["test_spare_slot_background"] = mean(spare_background);
    metrics["test_background_fraction"] = mean(background_fraction);
    metrics["test_attention_ari"] = mean(ari);
    metrics["test_attention_mean_position_error"] = mean(weighted_position_error);
    metrics["test_attention_segment_position_error"] = mean(segment_position_error);
  }
};

nlohmann::json evaluate_set_prediction(models::SetPrediction& model, const Task& task,
                                       const std::string& pictures_prefix) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  SeededGenerator seeded(task.c.test_seed);
  std::vector<torch::Tensor> predictions, targets, position_errors, property_hits;
  AttentionDiagnostics diagnostics;
  double loss_sum = 0, seconds = 0;
  int64_t images = 0;
  for (int64_t chunk = 0; chunk < task.test_chunks(); ++chunk) {
    const auto batch = task.test(chunk);
    const auto x = batch.images.to(task.device);
    const auto start = std::chrono::steady_clock::now();
    const auto out = model->predict(x, task.c.test_slots, task.c.test_iterations);
    const auto& predicted = out.objects;
    synchronize(task.device);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    images += x.size(0);
    // The training loss's matching, on targets padded to the slots at test time: the test loss
    // (with the trained K only) and how far each object's prediction lies from it.
    const auto padded = task.padded_targets(batch, predicted.size(1)).to(task.device);
    const auto matching = models::match_objects(predicted, padded);
    if (task.c.test_slots == 0 || task.c.test_slots == task.c.slots) {
      loss_sum += matching.loss().item<double>() * static_cast<double>(x.size(0));
    }
    position_errors.push_back(
        matched_position_errors(predicted, padded, matching.assignment, kClevrProperties));
    property_hits.push_back(
        matched_property_hits(predicted, padded, matching.assignment, kClevrProperties));
    if (!out.grouped.attention.empty()) {
      diagnostics.add(out.grouped, batch.instances, padded, matching.assignment);
    }
    predictions.push_back(predicted.cpu());
    targets.push_back(batch.properties);
    if (chunk == 0 && !pictures_prefix.empty()) {
      draw_set_predictions(pictures_prefix + "predictions.png",
                           fmt::format("{}: crosses = predicted objects (confidence > 0.5), white "
                                       "squares = true centres",
                                       task.c.row.empty() ? "model" : task.c.row),
                           x.cpu(), predicted.cpu(), batch.properties, 6);
      if (!out.grouped.attention.empty()) {
        draw_attention(pictures_prefix + "attention.png",
                       fmt::format("attention of each slot per iteration ({})", task.c.dataset),
                       x[0].cpu(), out.grouped);
      }
    }
  }
  if (was_training) model->train();
  const auto all_predicted = torch::cat(predictions), all_targets = torch::cat(targets);
  nlohmann::json metrics{{"images_per_second", static_cast<double>(images) / seconds},
                         {"test_images", images},
                         {"test_loss", loss_sum / static_cast<double>(images)}};
  // In scene units, as AP's thresholds; NaN (null in JSON) without a matched object.
  const auto errors = torch::cat(position_errors);
  metrics["test_position_error"] = errors.numel() > 0 ? errors.mean().item<double>() : NAN;
  metrics["test_position_error_median"] = errors.numel() > 0 ? errors.median().item<double>() : NAN;
  // Which properties the matched predictions get right, each alone and all four together: what
  // AP∞ asks of a prediction, without its ranking by confidence.
  const auto hits = torch::cat(property_hits).to(torch::kDouble);
  const auto accuracy = [&](const torch::Tensor& h) {
    return h.numel() > 0 ? h.mean().item<double>() : NAN;
  };
  for (size_t g = 0; g < kClevrPropertyNames.size(); ++g) {
    metrics["test_" + kClevrPropertyNames[g] + "_accuracy"] =
        accuracy(hits.select(1, static_cast<int64_t>(g)));
  }
  metrics["test_property_accuracy"] = accuracy(std::get<0>(hits.min(1)));
  diagnostics.write(metrics);
  for (const auto& [threshold, key] : kApThresholds) {
    metrics["test_" + key] =
        average_precision(all_predicted, all_targets, kClevrProperties, threshold);
  }
  return metrics;
}

/// The model of a row: object discovery or set prediction, with what training and evaluation
/// need of it.
struct SlotModel {
  models::ObjectDiscovery discovery{nullptr};
  models::SetPrediction prediction{nullptr};
  torch::nn::Module* module = nullptr;
  std::string name;
  double flops = 0;
  int64_t parameters = 0;

  bool is_discovery() const { return !discovery.is_empty(); }
  /// The loss of one training batch.
  torch::Tensor loss(const Task& task, const data::SceneBatch& batch) {
    const auto x = batch.images.to(task.device);
    if (is_discovery()) return (discovery->forward(x).reconstruction - x).pow(2).mean();
    return set_prediction_loss(prediction, x, task.padded_targets(batch).to(task.device), task.c);
  }
  /// Metrics on the test images; with a non-empty prefix, the pictures too.
  nlohmann::json evaluate(const Task& task, const std::string& prefix) {
    return is_discovery() ? evaluate_discovery(discovery, task, prefix)
                          : evaluate_set_prediction(prediction, task, prefix);
  }
  std::string picture() const { return is_discovery() ? "slots.png" : "predictions.png"; }
};

nlohmann::json summary_json(const SlotExperimentConfig& c, const SlotModel& model,
                            const nlohmann::json& metrics, int64_t steps, double train_seconds) {
  return run_summary(c.task, c.row, model.parameters, metrics, steps, train_seconds, c.device, c,
                     {{"dataset", c.dataset}, {"flops", model.flops}});
}

}  // namespace

models::ObjectDiscoveryOptions object_discovery_options(const SlotExperimentConfig& c) {
  return models::ObjectDiscoveryOptions()
      .encoder(encoder_options(c))
      .decoder_resolution(c.decoder_resolution)
      .decoder_channels(c.decoder_channels)
      .decoder_layers(c.decoder_layers);
}

torch::Tensor set_prediction_loss(models::SetPrediction& model, const torch::Tensor& images,
                                  const torch::Tensor& targets, const SlotExperimentConfig& c) {
  // Scaling both sides is the supplement's [0, scale] normalisation of the targets with outputs
  // read on the same scale; the sigmoid keeps the head's range, so nothing else changes.
  const auto scaled = [&](const torch::Tensor& objects) {
    if (c.coordinate_scale == 1.0) return objects;
    const int64_t n = kClevrProperties.coordinates;
    return torch::cat(
        {objects.narrow(2, 0, n) * c.coordinate_scale, objects.narrow(2, n, objects.size(2) - n)},
        2);
  };
  const auto target = scaled(targets);
  if (!c.loss_every_iteration)
    return models::matched_huber_loss(scaled(model->forward(images)), target);
  // Each iteration is matched on its own: a slot may stand for another object early on.
  const auto objects = model->predict_every_iteration(images);
  auto total = torch::zeros({}, images.options());
  for (const auto& o : objects) total = total + models::matched_huber_loss(scaled(o), target);
  return total / static_cast<double>(objects.size());
}

models::SetPredictionOptions set_prediction_options(const SlotExperimentConfig& c) {
  return models::SetPredictionOptions()
      .encoder(encoder_options(c))
      .hidden(c.head_hidden)
      .outputs(data::ClevrLayout::kFeatures);
}

namespace {

SlotModel build_model(const SlotExperimentConfig& c, const torch::Device& device) {
  torch::manual_seed(c.seed);
  SlotModel m;
  if (c.task == "object_discovery") {
    m.discovery = models::ObjectDiscovery(object_discovery_options(c));
    m.module = m.discovery.ptr().get();
    m.flops = m.discovery->flops();
    m.name = "slot-object-discovery";
  } else {
    m.prediction = models::SetPrediction(set_prediction_options(c));
    m.module = m.prediction.ptr().get();
    m.flops = m.prediction->flops();
    m.name = "slot-set-prediction";
  }
  m.module->to(device);
  for (const auto& p : m.module->parameters()) m.parameters += p.numel();
  return m;
}

}  // namespace

namespace {

/// The line a run starts with: the model's size and cost, and the budget.
std::string describe(const SlotExperimentConfig& c, const SlotModel& model) {
  return fmt::format(
      "{} on {} ({}): {:.3f} M parameters, {:.1f} MFLOPs per image, {} steps of {} "
      "images",
      c.row.empty() ? "slot model" : c.row, c.dataset, c.task,
      static_cast<double>(model.parameters) / 1e6, model.flops / 1e6, c.steps, c.batch_size);
}

}  // namespace

std::string describe_slot_experiment(const SlotExperimentConfig& c) {
  check_config(c);
  return describe(c, build_model(c, parse_device(c.device)));
}

std::string describe_slot_data(const SlotExperimentConfig& c) {
  const auto scenes = scene_options(c);
  return fmt::format(
      "generated {} scenes, {}x{} pixels, {}..{} objects each; {} test images (seed {})", c.dataset,
      scenes.image_size(), scenes.image_size(), scenes.min_objects(), scenes.max_objects(),
      c.test_images, c.test_seed);
}

std::pair<int64_t, int64_t> slots_iterations_at_test(const SlotExperimentConfig& c) {
  return {c.test_slots > 0 ? c.test_slots : c.slots,
          c.test_iterations > 0 ? c.test_iterations : c.iterations};
}

SlotTrainResult train_slot_experiment(const SlotExperimentConfig& c,
                                      const std::function<void(const std::string&)>& print) {
  check_config(c);
  const Task task{c, scene_options(c), parse_device(c.device)};
  auto model = build_model(c, task.device);
  SlotTrainResult result;
  result.parameters = model.parameters;
  print(describe(c, model));

  const int64_t per_eval = c.eval_every > 0 ? std::min(c.eval_every, c.steps) : c.steps;
  Trainer trainer(
      *model.module,
      TrainerOptions()
          .out_dir(c.out)
          .model_name(model.name)
          .config_json(nlohmann::json(c).dump())
          .total_steps(c.steps)
          .steps_per_epoch(per_eval)
          .optim(OptimOptions()
                     .lr(c.lr)
                     .min_lr(c.lr)
                     .warmup_steps(c.warmup_steps)
                     .exponential_steps(c.decay_steps)
                     .exponential_rate(c.decay_rate)
                     .weight_decay(0.0)
                     .clip_norm(c.clip_norm))
          .checkpoint_every(c.checkpoint_every)
          .log_every(c.log_every)
          .eval_every_epochs(c.eval_every > 0 ? 1 : 0)
          .resume(c.resume)
          .unit("img")
          .curves(model.is_discovery() ? std::vector<std::string>{"loss", "test_ari", "test_mse"}
                                       : std::vector<std::string>{"loss", "test_ap_inf",
                                                                  "test_ap_1", "test_ap_0.5"}));
  const auto step = [&](int64_t s) {
    const auto batch = task.train(s);
    StepOutput out;
    out.count = batch.images.size(0);
    out.loss = model.loss(task, batch);
    return out;
  };
  int64_t evaluations = 0;
  const std::string prefix = c.out + "/";
  const auto evaluate_now = [&] {
    const bool last = ++evaluations * per_eval >= c.steps;  // only the last one draws
    result.metrics = model.evaluate(task, last ? prefix : "");
    return result.metrics;
  };
  result.summary = trainer.run(step, evaluate_now, print);
  if (result.summary.interrupted) return result;
  if (!std::filesystem::exists(prefix + model.picture())) {
    result.metrics = model.evaluate(task, prefix);
  }
  write_file_atomic(c.out + "/summary.json",
                    summary_json(c, model, result.metrics, result.summary.steps_done,
                                 result.summary.train_seconds)
                            .dump(2) +
                        "\n");
  return result;
}

namespace {

/// A `setformer train` checkpoint rebuilt with the config it was trained with: `eval` and
/// `predict`.
struct LoadedSlotModel {
  SlotExperimentConfig config;
  SlotModel model;
  Checkpoint info;
};

/// Reads the config from `checkpoint`, sets its evaluation fields from `o` (K and T at test
/// time, out, device), checks it and loads the weights.
LoadedSlotModel load_slot_checkpoint(const std::string& checkpoint,
                                     const SlotCheckpointOptions& o) {
  LoadedSlotModel loaded;
  loaded.info = read_checkpoint_info(checkpoint);
  try {
    loaded.config = nlohmann::json::parse(loaded.info.config).get<SlotExperimentConfig>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: not a checkpoint of setformer train ({})", checkpoint, e.what()));
  }
  loaded.config.test_slots = o.test_slots;
  loaded.config.test_iterations = o.test_iterations;
  loaded.config.out = o.out;
  loaded.config.device = o.device;
  check_config(loaded.config);
  loaded.model = build_model(loaded.config, parse_device(loaded.config.device));
  load_checkpoint(checkpoint, loaded.model.name, *loaded.model.module);
  return loaded;
}

}  // namespace

nlohmann::json evaluate_slot_checkpoint(const std::string& checkpoint, const SlotEvalOptions& o,
                                        const std::function<void(const std::string&)>& print) {
  auto [c, model, info] = load_slot_checkpoint(checkpoint, o);
  if (!o.row.empty()) c.row = o.row;
  if (!o.note.empty()) c.note = o.note;
  const Task task{c, scene_options(c), parse_device(c.device)};
  const auto [k, t] = slots_iterations_at_test(c);
  print(fmt::format("{} ({} steps) on {} test images with K = {}, T = {}", checkpoint, info.step,
                    c.test_images, k, t));
  std::filesystem::create_directories(c.out);
  const auto metrics = model.evaluate(task, c.out + "/");
  write_file_atomic(c.out + "/summary.json",
                    summary_json(c, model, metrics, info.step, info.train_seconds).dump(2) + "\n");
  return metrics;
}

namespace {

/// RGB images uint8 [3, H, W] as a batch of scenes [B, 3, S, S] in [−1, 1] (read_scene_images).
torch::Tensor to_scene_images(const std::vector<torch::Tensor>& rgb, int64_t image_size) {
  SETFORMER_CHECK(!rgb.empty(), "no images given");
  SETFORMER_CHECK(image_size >= 1, "image size must be >= 1, got {}", image_size);
  std::vector<torch::Tensor> images;
  for (const auto& pixels : rgb) {
    auto image = pixels.to(torch::kFloat).unsqueeze(0);  // [1, 3, H, W]
    if (image.size(2) != image_size || image.size(3) != image_size) {
      // Area averaging loses no pixel when shrinking; bilinear is smoother when enlarging.
      const bool shrink = image.size(2) >= image_size && image.size(3) >= image_size;
      auto options = torch::nn::functional::InterpolateFuncOptions().size(
          std::vector<int64_t>{image_size, image_size});
      options =
          shrink ? options.mode(torch::kArea) : options.mode(torch::kBilinear).align_corners(false);
      image = torch::nn::functional::interpolate(image, options).clamp(0, 255);
    }
    images.push_back(image);
  }
  // The scenes' range (data/object_scenes.h).
  return torch::cat(images) / 127.5 - 1;
}

}  // namespace

torch::Tensor read_scene_images(const std::vector<std::string>& paths, int64_t image_size) {
  std::vector<torch::Tensor> rgb;
  for (const auto& path : paths) rgb.push_back(io::read_rgb_image(path));
  return to_scene_images(rgb, image_size);
}

std::vector<std::string> predict_slot_images(const std::string& checkpoint,
                                             const std::vector<std::string>& paths,
                                             const SlotPredictOptions& o) {
  // Images are read first, so that a bad file is reported before the model is built; they are
  // resized once the checkpoint gives the trained side.
  std::vector<torch::Tensor> rgb;
  for (const auto& path : paths) rgb.push_back(io::read_rgb_image(path));
  auto [c, model, info] = load_slot_checkpoint(checkpoint, o);
  const auto device = parse_device(c.device);
  const int64_t size = scene_options(c).resolved().image_size();
  const auto images = to_scene_images(rgb, size);
  const auto [k, t] = slots_iterations_at_test(c);
  std::filesystem::create_directories(c.out);
  torch::NoGradGuard no_grad;
  model.module->eval();
  // One image at a time, each with its slots drawn from the start of the evaluation's stream: an
  // image gets the same answer every time, whatever other images come with it.
  const auto each_image = [&](const auto& forward) {
    using Output = decltype(forward(images.slice(0, 0, 1)));
    std::vector<Output> outputs;
    for (int64_t i = 0; i < images.size(0); ++i) {
      SeededGenerator seeded(c.test_seed);
      outputs.push_back(forward(images.slice(0, i, i + 1).to(device)));
    }
    return outputs;
  };
  const std::string title = fmt::format("{} ({} steps), K = {}, T = {}",
                                        c.row.empty() ? "model" : c.row, info.step, k, t);
  nlohmann::json json{{"checkpoint", checkpoint},
                      {"task", c.task},
                      {"steps", info.step},
                      {"slots", k},
                      {"iterations", t},
                      {"image_size", size},
                      {"images", nlohmann::json::array()}};
  std::vector<std::string> lines;
  if (model.is_discovery()) {
    const auto outputs = each_image([&](const torch::Tensor& image) {
      return model.discovery->forward(image, c.test_slots, c.test_iterations);
    });
    std::vector<torch::Tensor> reconstructions, all_masks, pictures;
    for (const auto& output : outputs) {
      reconstructions.push_back(output.reconstruction.cpu());
      all_masks.push_back(output.masks.cpu());
      pictures.push_back(output.rgb.cpu());
    }
    models::ObjectDiscoveryOutput out;  // the batch, with the first image's attention
    out.reconstruction = torch::cat(reconstructions);
    out.masks = torch::cat(all_masks);
    out.rgb = torch::cat(pictures);
    out.grouped = outputs.front().grouped;
    const auto masks = out.masks.squeeze(2);  // [B, K, S, S]
    const auto segments = masks.argmax(1);    // [B, S, S]
    for (int64_t i = 0; i < images.size(0); ++i) {
      const auto share =
          torch::one_hot(segments[i].flatten(), k).to(torch::kDouble).mean(0);  // [K]
      const std::string file = fmt::format("segments_{}.pgm", i);
      io::write_pgm(c.out + "/" + file, segments[i].unsqueeze(0).to(torch::kUInt8));
      nlohmann::json entry{{"file", paths[static_cast<size_t>(i)]}, {"segments", file}};
      std::string line = paths[static_cast<size_t>(i)] + ":";
      for (int64_t j = 0; j < k; ++j) {
        const double v = share[j].item<double>();
        entry["pixels"].push_back(v);
        line += fmt::format("  slot {} {:.1f}%", j + 1, 100 * v);
      }
      json["images"].push_back(entry);
      lines.push_back(line);
    }
    draw_slots(c.out + "/slots.png", title, images, out, images.size(0));
    if (!out.grouped.attention.empty()) {
      draw_attention(c.out + "/attention.png",
                     fmt::format("attention of each slot per iteration ({})", paths.front()),
                     images[0], out.grouped);
    }
  } else {
    const auto outputs = each_image([&](const torch::Tensor& image) {
      return model.prediction->predict(image, c.test_slots, c.test_iterations);
    });
    std::vector<torch::Tensor> objects;
    for (const auto& output : outputs) objects.push_back(output.objects.cpu());
    const auto predicted = torch::cat(objects);
    for (int64_t i = 0; i < images.size(0); ++i) {
      nlohmann::json entry{{"file", paths[static_cast<size_t>(i)]},
                           {"objects", nlohmann::json::array()}};
      std::vector<std::string> found;
      // Most confident first, as AP ranks them.
      const auto order = predicted[i].select(1, -1).argsort(0, /*descending=*/true);
      for (int64_t r = 0; r < order.size(0); ++r) {
        const auto row = predicted[i][order[r].item<int64_t>()];
        const std::string words = data::describe_clevr_object(row);
        if (words.empty()) continue;
        const double confidence = row[-1].item<double>();
        entry["objects"].push_back({{"description", words},
                                    {"x", row[0].item<double>()},
                                    {"y", row[1].item<double>()},
                                    {"confidence", confidence}});
        found.push_back(fmt::format("{} (confidence {:.2f})", words, confidence));
      }
      json["images"].push_back(entry);
      lines.push_back(fmt::format("{}: {} objects{}{}", paths[static_cast<size_t>(i)], found.size(),
                                  found.empty() ? "" : ": ", fmt::join(found, "; ")));
    }
    draw_set_predictions(c.out + "/predictions.png",
                         title + ": crosses = predicted objects (confidence > 0.5)", images,
                         predicted, {}, images.size(0));
    if (!outputs.front().grouped.attention.empty()) {
      draw_attention(c.out + "/attention.png",
                     fmt::format("attention of each slot per iteration ({})", paths.front()),
                     images[0], outputs.front().grouped);
    }
  }
  write_file_atomic(c.out + "/predictions.json", json.dump(2) + "\n");
  return lines;
}

nlohmann::json slot_paper_figures(const SlotExperimentConfig& c) {
  // The paper's figures are for its module trained with §2.3's loss.
  const bool algorithm_1 = c.normalisation == "slots" && c.weighted_mean && c.gru &&
                           c.residual_mlp && !c.loss_every_iteration && c.coordinate_scale == 1.0;
  const std::string model = c.grouping == "slot_mlp"                        ? "Slot MLP"
                            : c.grouping == "slot_attention" && algorithm_1 ? "Slot Attention"
                                                                            : "";
  if (c.task == "object_discovery") {
    // Table 1 (foreground ARI, %, mean of 5 seeds).
    static const std::map<std::pair<std::string, std::string>, double> ari{
        {{"Slot Attention", "clevr"}, 98.8},       {{"Slot Attention", "multi_dsprites"}, 91.3},
        {{"Slot Attention", "tetrominoes"}, 99.5}, {{"Slot MLP", "clevr"}, 60.4},
        {{"Slot MLP", "multi_dsprites"}, 60.3},    {{"Slot MLP", "tetrominoes"}, 25.1}};
    const auto it = ari.find({model, c.dataset});
    return it == ari.end() ? nlohmann::json::object() : nlohmann::json{{"ari", it->second}};
  }
  // Table 3 (CLEVR10, AP in %).
  if (model == "Slot Attention") {
    // §4.2: the ARI of the attention maps on CLEVR10, 78.0 ± 2.9 (read as foreground ARI, the
    // paper's measure of masks in Table 1).
    return {{"ap_inf", 94.3},  {"ap_1", 86.7},    {"ap_0.5", 56.0},
            {"ap_0.25", 10.8}, {"ap_0.125", 0.9}, {"attention_ari", 78.0}};
  }
  if (model == "Slot MLP") {
    return {{"ap_inf", 19.8}, {"ap_1", 1.4}, {"ap_0.5", 0.3}, {"ap_0.25", 0.0}, {"ap_0.125", 0.0}};
  }
  return nlohmann::json::object();
}

std::string write_slot_table(const std::vector<std::string>& files, const std::string& out,
                             const std::string& command) {
  const auto summaries = read_summaries(
      files, {"task", "dataset", "row", "metrics", "steps", "train_seconds", "config"},
      {"task", "dataset"}, "setformer train or eval");
  // Each model where it first appears among the files, and under it its runs by steps, then K
  // and T at test: a trained row and its evaluations with other K or T read together. The file's
  // index, last in the key, keeps ties in the given order.
  std::map<std::string, size_t> first_seen;
  std::vector<SlotExperimentConfig> configs;
  std::vector<std::tuple<size_t, int64_t, std::pair<int64_t, int64_t>, size_t>> order;
  for (size_t i = 0; i < summaries.size(); ++i) {
    const auto& r = summaries[i];
    configs.push_back(r["config"].get<SlotExperimentConfig>());
    const size_t model =
        first_seen.emplace(r["row"].get<std::string>(), first_seen.size()).first->second;
    order.emplace_back(model, r["steps"].get<int64_t>(), slots_iterations_at_test(configs[i]), i);
  }
  std::sort(order.begin(), order.end());
  std::vector<nlohmann::json> runs;
  std::vector<std::string> at_test;    // "K / T" of each run
  std::vector<nlohmann::json> papers;  // the paper's figures for each run
  for (const auto& [model, steps, k_t, i] : order) {
    runs.push_back(summaries[i]);
    at_test.push_back(fmt::format("{} / {}", k_t.first, k_t.second));
    papers.push_back(slot_paper_figures(configs[i]));
  }
  const std::string task = runs.front()["task"], dataset = runs.front()["dataset"];
  const auto percent = [](double v) {
    return std::isfinite(v) ? fmt::format("{:.1f}", 100 * v) : std::string("—");
  };
  const auto paper_percent = [](const nlohmann::json& paper, const std::string& key) {
    return paper.contains(key) ? fmt::format("{:.1f}", paper[key].get<double>()) : std::string("—");
  };
  io::Table table;
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const auto& paper = papers[i];
    const auto& m = r["metrics"];
    const std::string steps = std::to_string(r["steps"].get<int64_t>()),
                      time = format_duration(r["train_seconds"].get<double>()),
                      params = fmt::format("{:.1f}", r.value("parameters", 0.0) / 1e3);
    if (task == "object_discovery") {
      table.columns = {"model",      "K / T at test", "ARI %",      "paper ARI %", "MSE",
                       "params (k)", "steps",         "train time", "eval img/s"};
      table.add({r["row"], at_test[i], percent(m.value("test_ari", NAN)),
                 paper_percent(paper, "ari"), fmt::format("{:.4f}", m.value("test_mse", NAN)),
                 params, steps, time, fmt::format("{:.0f}", m.value("images_per_second", NAN))});
    } else {
      table.columns = {"model", "K / T at test"};
      for (const auto& [threshold, key] : kApThresholds) {
        const std::string name = threshold < 0 ? "AP∞" : fmt::format("AP{}", threshold);
        table.columns.push_back(name + " %");
        table.columns.push_back("paper");
      }
      for (const char* extra : {"attention ARI %", "paper", "params (k)", "steps", "train time"})
        table.columns.push_back(extra);
      std::vector<std::string> row{r["row"], at_test[i]};
      for (const auto& [threshold, key] : kApThresholds) {
        row.push_back(percent(m.value("test_" + key, NAN)));
        row.push_back(paper_percent(paper, key));
      }
      // null where the run has no attention (Slot MLP) or predates the metric.
      const auto attention_ari = m.value("test_attention_ari", nlohmann::json());
      row.push_back(percent(attention_ari.is_number() ? attention_ari.get<double>() : NAN));
      row.push_back(paper_percent(paper, "attention_ari"));
      row.insert(row.end(), {params, steps, time});
      table.add(row);
    }
    rows.push_back({{"row", r["row"]},
                    {"metrics", m},
                    {"paper", paper},
                    {"steps", r["steps"]},
                    {"train_seconds", r["train_seconds"]}});
  }
  return write_results_table(table, runs, {{"task", task}, {"dataset", dataset}, {"rows", rows}},
                             out, command);
}

}  // namespace setformer::tasks
