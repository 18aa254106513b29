// `setformer slots train`, `eval`, `predict`, `scenes` and `table`: the Slot Attention paper's
// experiments (object discovery, set prediction) on scenes generated here, one row per config
// file, a trained model run on image files, and the results tables beside the paper's figures.
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"
#include "setformer/train/slot_experiments.h"

namespace setformer::cli {
namespace {

using Config = train::SlotExperimentConfig;

void declare_slot_options(ConfigurableOptions<Config>& o) {
  // task and data
  o.add("--task", "task.name", &Config::task, "object_discovery | set_prediction");
  o.add("--row", "task.row", &Config::row,
        "Row name in results tables (the paper's name, e.g. 'Slot Attention', finds its figures)");
  o.add("--note", "task.note", &Config::note,
        "Printed under the results table: what the row changes or what was tried");
  o.add("--dataset", "data.dataset", &Config::dataset, "tetrominoes | multi_dsprites | clevr");
  o.add("--image-size", "data.image_size", &Config::image_size,
        "Image side (0: the dataset's, 35 or 64)");
  o.add("--min-objects", "data.min_objects", &Config::min_objects,
        "Fewest objects per image (0: the dataset's)");
  o.add("--max-objects", "data.max_objects", &Config::max_objects,
        "Most objects per image (0: the dataset's; at most 10)");
  o.add("--batch-size", "data.batch_size", &Config::batch_size, "Images per training step");
  o.add("--test-images", "data.test_images", &Config::test_images, "Test images evaluated");
  o.add("--eval-batch-size", "data.eval_batch_size", &Config::eval_batch_size,
        "Test images per evaluation batch");
  o.add("--test-seed", "data.test_seed", &Config::test_seed,
        "Seed of the test images (keep it to compare rows)");
  // model
  o.add("--grouping", "model.grouping", &Config::grouping, "slot_attention | slot_mlp");
  o.add("--channels", "model.channels", &Config::channels, "Width of the encoder CNN");
  o.add("--strides", "model.strides", &Config::strides, "Stride of each 5x5 encoder convolution");
  o.add("--slots", "model.slots", &Config::slots, "Number of slots K");
  o.add("--iterations", "model.iterations", &Config::iterations, "Slot Attention iterations T");
  o.add("--slot-dim", "model.slot_dim", &Config::slot_dim, "Slot width D");
  o.add("--slot-mlp-hidden", "model.slot_mlp_hidden", &Config::slot_mlp_hidden,
        "Hidden width of the slot update's residual MLP");
  o.add("--normalisation", "model.normalisation", &Config::normalisation,
        "Attention normalisation: slots (the paper) | inputs (ablation) | transport (Sinkhorn)");
  o.add("--transport-iterations", "model.transport_iterations", &Config::transport_iterations,
        "Sinkhorn iterations of the transport normalisation");
  o.add("--weighted-mean", "model.weighted_mean", &Config::weighted_mean,
        "Weighted mean of the values (false: weighted sum, an ablation)");
  o.add("--gru", "model.gru", &Config::gru, "GRU slot update (false: an ablation)");
  o.add("--residual-mlp", "model.residual_mlp", &Config::residual_mlp,
        "Residual MLP after the GRU (false: an ablation)");
  o.add("--mlp-hidden", "model.mlp_hidden", &Config::mlp_hidden,
        "Hidden widths of the Slot MLP baseline");
  o.add("--decoder-resolution", "model.decoder_resolution", &Config::decoder_resolution,
        "Broadcast side of the decoder (0: the image size)");
  o.add("--decoder-channels", "model.decoder_channels", &Config::decoder_channels,
        "Width of the decoder");
  o.add("--decoder-layers", "model.decoder_layers", &Config::decoder_layers,
        "5x5 decoder layers before the output layer");
  o.add("--head-hidden", "model.head_hidden", &Config::head_hidden,
        "Set prediction: hidden width of the MLP per slot");
  // set prediction's loss (the supplement's variants, Figure 23)
  o.add("--loss-every-iteration", "loss.every_iteration", &Config::loss_every_iteration,
        "Set prediction: the loss after every iteration, averaged (default: after the last)");
  o.add("--coordinate-scale", "loss.coordinate_scale", &Config::coordinate_scale,
        "Set prediction: coordinates scaled to [0, scale] in the loss and its matching");
  // evaluation
  o.add("--test-slots", "eval.slots", &Config::test_slots, "K at test time (0: as trained)");
  o.add("--test-iterations", "eval.iterations", &Config::test_iterations,
        "T at test time (0: as trained)");
  // optimisation
  o.add("--steps", "optim.steps", &Config::steps, "Training steps");
  o.add("--lr", "optim.lr", &Config::lr, "Adam learning rate");
  o.add("--warmup-steps", "optim.warmup_steps", &Config::warmup_steps, "Linear warm-up steps");
  o.add("--decay-steps", "optim.decay_steps", &Config::decay_steps,
        "Steps over which the rate is multiplied by --decay-rate (exponentially)");
  o.add("--decay-rate", "optim.decay_rate", &Config::decay_rate, "Exponential decay rate");
  o.add("--clip-norm", "optim.clip_norm", &Config::clip_norm, "Gradient-norm clipping (0: off)");
  declare_run_options(o, "images", "checkpoint.pt, log.jsonl, curves.png, pictures, summary.json");
}

void add_slots_train(CLI::App& slots) {
  add_experiment_train<Config, train::SlotTrainResult>(
      slots, "Train and evaluate one model of the Slot Attention paper on generated scenes",
      declare_slot_options, train::describe_slot_experiment, train::train_slot_experiment,
      "checkpoint.pt, log.jsonl, curves.png, summary.json and pictures");
}

/// The options `slots eval` and `slots predict` share: the checkpoint, K and T at test time, the
/// folder written, the device and the threads.
void add_checkpoint_options(CLI::App& cmd, std::string& checkpoint,
                            train::SlotCheckpointOptions& options, int& threads,
                            const std::string& out_help) {
  cmd.add_option("--checkpoint", checkpoint, "checkpoint.pt written by slots train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd.add_option("--test-slots", options.test_slots, "K at test time (0: as trained)")
      ->capture_default_str();
  cmd.add_option("--test-iterations", options.test_iterations, "T at test time (0: as trained)")
      ->capture_default_str();
  cmd.add_option("--out", options.out, out_help)->capture_default_str();
  cmd.add_option("--device", options.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd.add_option("--threads", threads, "CPU threads (0: all available cores)")
      ->capture_default_str();
}

void add_slots_eval(CLI::App& slots) {
  struct Args {
    std::string checkpoint;
    train::SlotEvalOptions options;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = slots.add_subcommand(
      "eval",
      "Evaluate a slots train checkpoint with K and T changed at test time; writes a "
      "summary.json that slots table accepts");
  add_checkpoint_options(*cmd, args->checkpoint, args->options, args->threads,
                         "Folder of summary.json and the pictures");
  cmd->add_option("--row", args->options.row, "Row name in results tables (default: the run's)");
  cmd->add_option("--note", args->options.note, "Printed under the results table");
  cmd->callback([args] {
    set_threads(args->threads);
    const auto metrics = train::evaluate_slot_checkpoint(
        args->checkpoint, args->options,
        [](const std::string& line) { std::cerr << line << std::endl; });
    for (const auto& [key, value] : metrics.items()) {
      if (value.is_number_float()) fmt::print("{}: {:.4f}\n", key, value.get<double>());
    }
    fmt::print("wrote {}/summary.json and pictures\n", args->options.out);
  });
}

void add_slots_predict(CLI::App& slots) {
  struct Args {
    std::string checkpoint;
    std::vector<std::string> images;
    train::SlotPredictOptions options;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = slots.add_subcommand(
      "predict",
      "Run a slots train checkpoint on PNG, PPM or PGM images: each slot's share of the pixels "
      "and its masks (object discovery), or the objects found (set prediction)");
  cmd->add_option("images", args->images, "Image files (resized to the trained side)")->required();
  add_checkpoint_options(*cmd, args->checkpoint, args->options, args->threads,
                         "Folder of predictions.json and the pictures (slots.png, attention.png, "
                         "segments_I.pgm, or predictions.png)");
  cmd->callback([args] {
    set_threads(args->threads);
    for (const auto& line :
         train::predict_slot_images(args->checkpoint, args->images, args->options)) {
      fmt::print("{}\n", line);
    }
    fmt::print("wrote {}/predictions.json and pictures\n", args->options.out);
  });
}

void add_slots_scenes(CLI::App& slots) {
  auto options = std::make_shared<train::SceneSampleOptions>();
  auto* cmd = slots.add_subcommand(
      "scenes",
      "Picture of generated scenes and their instance maps (the test images by default), with "
      "each scene's objects printed");
  cmd->add_option("--dataset", options->dataset, "tetrominoes | multi_dsprites | clevr")
      ->capture_default_str();
  cmd->add_option("--image-size", options->image_size, "Image side (0: the dataset's)")
      ->capture_default_str();
  cmd->add_option("--min-objects", options->min_objects,
                  "Fewest objects per image (0: the dataset's)")
      ->capture_default_str();
  cmd->add_option("--max-objects", options->max_objects,
                  "Most objects per image (0: the dataset's; at most 10)")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed,
                  "Stream of scenes (the default is the test images' seed; training uses run.seed)")
      ->capture_default_str();
  cmd->add_option("--first", options->first, "Index of the first scene")->capture_default_str();
  cmd->add_option("--count", options->count, "Scenes drawn (1..64)")->capture_default_str();
  cmd->add_option("--out", options->out, "PNG file written")->capture_default_str();
  cmd->add_option("--files", options->files,
                  "Also write each scene as its own PNG into this folder (scene_INDEX.png), for "
                  "slots predict");
  cmd->callback([options] {
    for (const auto& line : train::write_scene_samples(*options)) fmt::print("{}\n", line);
    fmt::print("wrote {}{}\n", options->out,
               options->files.empty() ? "" : " and " + options->files + "/scene_*.png");
  });
}

void add_slots_table(CLI::App& slots) {
  add_table_command(slots,
                    "Results table of one task and dataset (<out>.md, <out>.json) from runs' "
                    "summary.json files, beside the paper's figures",
                    "results/slots/table", "summary.json files written by slots train or eval",
                    train::write_slot_table);
}

}  // namespace

void add_slots_command(CLI::App& app) {
  auto* slots = app.add_subcommand(
      "slots", "Slot Attention experiments: object discovery and set prediction");
  slots->require_subcommand(1);
  add_slots_train(*slots);
  add_slots_eval(*slots);
  add_slots_predict(*slots);
  add_slots_scenes(*slots);
  add_slots_table(*slots);
}

}  // namespace setformer::cli
