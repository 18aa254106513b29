// The Slot Attention paper's experiments (§4) on scenes generated here (data/object_scenes.h):
// unsupervised object discovery (reconstruction; foreground ARI on 320 test images) and
// supervised set prediction on CLEVR-like scenes (Hungarian-matched Huber loss; AP at distance
// thresholds). One flat configuration per row, trained through the shared Trainer, evaluated on
// test images every row shares, tabulated beside the paper's figures.
#pragma once

#include "setformer/data/object_scenes.h"
#include "setformer/io/plot.h"
#include "setformer/models/slot_models.h"
#include "setformer/train/trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace setformer::tasks {

/// The seed of the test images every slots row is evaluated on.
inline constexpr uint64_t kSlotTestSeed = 20200619;

struct SlotExperimentConfig {
  // --- task ---
  /// object_discovery | set_prediction
  std::string task = "object_discovery";
  /// The row's name in results tables ("Slot Attention", "Slot MLP", "Slot Attention, no GRU").
  std::string row = "";
  std::string note = "";
  // --- data ---
  /// tetrominoes | multi_dsprites | clevr
  std::string dataset = "tetrominoes";
  int64_t image_size = 0, min_objects = 0, max_objects = 0;  // 0: the dataset's
  int64_t batch_size = 64;
  int64_t test_images = 320;  // the paper's 320 for object discovery
  int64_t eval_batch_size = 32;
  uint64_t test_seed = kSlotTestSeed;  // the test images: the same for every row
  // --- model ---
  std::string grouping = "slot_attention";  // slot_attention | slot_mlp
  int64_t channels = 32;                    // encoder CNN width (Table 5: 32; Table 4: 64)
  std::vector<int64_t> strides{1, 1, 1, 1};
  int64_t slots = 4;       // K
  int64_t iterations = 3;  // T
  int64_t slot_dim = 64;
  int64_t slot_mlp_hidden = 128;        // hidden width of the slot update's residual MLP
  std::string normalisation = "slots";  // slots | inputs | transport
  int64_t transport_iterations = 10;
  bool weighted_mean = true;
  bool gru = true;
  bool residual_mlp = true;
  std::vector<int64_t> mlp_hidden{512, 1024, 1024};  // the Slot MLP baseline's widths
  int64_t decoder_resolution = 0;                    // 0: decode at the image size
  int64_t decoder_channels = 32;
  int64_t decoder_layers = 3;
  int64_t head_hidden = 64;  // set prediction: the MLP per slot
  // --- set prediction's loss: the supplement's variants (Figure 23); the defaults are §2.3's ---
  /// The matched loss after every iteration, averaged over the iterations, instead of after the
  /// last only.
  bool loss_every_iteration = false;
  /// Coordinates scaled from [0, 1] to [0, scale] in the loss and its matching, so that position
  /// weighs more against the properties' one-hot features.
  double coordinate_scale = 1.0;
  // --- evaluation: K and T at test time (0: as trained; the paper's Figure 2) ---
  int64_t test_slots = 0;
  int64_t test_iterations = 0;
  // --- optimisation (Adam, warm-up then exponential decay: Table 11) ---
  int64_t steps = 10000;
  double lr = 4e-4;
  int64_t warmup_steps = 1000;
  int64_t decay_steps = 100000;
  double decay_rate = 0.5;
  double clip_norm = 0.0;
  // --- run ---
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string device = "cpu";
  std::string out = "runs/slots";
  int64_t checkpoint_every = 500;
  int64_t log_every = 50;
  int64_t eval_every = 2000;  // steps
  bool resume = false;
};

void to_json(nlohmann::json& j, const SlotExperimentConfig& c);
void from_json(const nlohmann::json& j, SlotExperimentConfig& c);

/// The options of the model `config` describes; throws naming the field when one is invalid.
models::ObjectDiscoveryOptions object_discovery_options(const SlotExperimentConfig& config);
models::SetPredictionOptions set_prediction_options(const SlotExperimentConfig& config);

/// Set prediction's training loss (§2.3): the Huber loss of the objects `model` predicts for
/// images [B, 3, S, S], matched to targets [B, K, F] (padded to the K slots) by the Hungarian
/// method, with config's variants: coordinates × coordinate_scale, and the mean over the
/// iterations of the loss after each when loss_every_iteration. -> scalar.
torch::Tensor set_prediction_loss(models::SetPrediction& model, const torch::Tensor& images,
                                  const torch::Tensor& targets, const SlotExperimentConfig& config);

struct SlotTrainResult {
  train::TrainSummary summary;
  nlohmann::json metrics;  // the final evaluation
  int64_t parameters = 0;
};

/// Validates `config` and builds its model without training: the line a run of it starts with
/// (parameters, FLOPs, budget). Throws naming the field when a value is invalid.
std::string describe_slot_experiment(const SlotExperimentConfig& config);

/// The scenes `config` trains and is tested on, in words (generator, size, objects, test set).
std::string describe_slot_data(const SlotExperimentConfig& config);

/// Trains the row `config` describes and evaluates it on the test images; writes checkpoint.pt,
/// log.jsonl, curves.png, summary.json and pictures under config.out: object discovery
/// slots.png (image, reconstruction, combined mask, per-slot reconstructions: the paper's
/// Figure 3) and attention.png (attention per iteration); set prediction predictions.png.
SlotTrainResult train_slot_experiment(const SlotExperimentConfig& config,
                                      const std::function<void(const std::string&)>& print);

/// K and T at test time: `test_slots` and `test_iterations` when set, else the trained ones.
std::pair<int64_t, int64_t> slots_iterations_at_test(const SlotExperimentConfig& config);

/// How `setformer eval` and `setformer predict` run a checkpoint of `setformer train`.
struct SlotCheckpointOptions {
  int64_t test_slots = 0;       // K at test time (0: as trained)
  int64_t test_iterations = 0;  // T at test time (0: as trained)
  std::string out;              // the folder written
  std::string device = "cpu";
};

struct SlotEvalOptions : SlotCheckpointOptions {
  SlotEvalOptions() { out = "runs/slots-eval"; }
  std::string row, note;  // empty: the trained row's
};

/// Evaluates a checkpoint of `setformer train` on its test images with K and T changed (the paper's
/// Figure 2 and Figure 5, centre); writes summary.json (the training run's steps and time) and
/// the pictures under options.out, so the result is a row of `slots table`.
nlohmann::json evaluate_slot_checkpoint(const std::string& checkpoint,
                                        const SlotEvalOptions& options,
                                        const std::function<void(const std::string&)>& print);

struct SlotPredictOptions : SlotCheckpointOptions {
  SlotPredictOptions() { out = "runs/slots-predict"; }
};

/// Image files (JPEG, PNG, PPM or PGM) as a batch of scenes [B, 3, S, S] in [−1, 1], the range the
/// models train on; images of another size are resized to S×S (area-averaged when shrinking,
/// bilinear when enlarging). Throws naming the file when one cannot be read.
torch::Tensor read_scene_images(const std::vector<std::string>& paths, int64_t image_size);

/// Runs a checkpoint of `setformer train` on image files (read_scene_images at the trained size),
/// one at a time, each with its slots drawn from the start of the evaluation's fixed stream, so
/// that an image always gets the same answer, whatever other images come with it. Writes under
/// options.out predictions.json and, for object discovery, slots.png (the paper's Figure 3, a row
/// per image), attention.png (the first image) and segments_I.pgm (the slot each pixel of image I
/// belongs to, 0..K−1); for set prediction, predictions.png. Returns one line per image: each
/// slot's share of the pixels, or the objects found (confidence > 0.5, most confident first) in
/// words.
std::vector<std::string> predict_slot_images(const std::string& checkpoint,
                                             const std::vector<std::string>& paths,
                                             const SlotPredictOptions& options);

/// The paper's figures for the model a run trained (Table 1 ARI in %; Table 3 AP in %), by its
/// grouping: Slot Attention only as Algorithm 1 writes it, since the paper reports its ablations
/// (supplement, section B) on CLEVR6 alone and our `transport` not at all; empty when the paper
/// has none.
nlohmann::json slot_paper_figures(const SlotExperimentConfig& config);

/// A markdown and JSON table of runs (their summary.json files) of one task and dataset, ours
/// beside the paper's; writes <out>.md and <out>.json and returns the markdown.
std::string write_slot_table(const std::vector<std::string>& summaries, const std::string& out,
                             const std::string& command);

}  // namespace setformer::tasks
