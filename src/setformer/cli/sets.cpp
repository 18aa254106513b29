// `setformer sets train` and `setformer sets table`: the Set Transformer paper's experiments
// (max regression, amortized clustering, counting unique items), one row per config file, and
// the results tables beside the paper's figures.
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"
#include "setformer/train/set_experiments.h"

namespace setformer::cli {
namespace {

using Config = train::SetExperimentConfig;

void declare_set_options(ConfigurableOptions<Config>& o) {
  // task and data
  o.add("--task", "task.name", &Config::task,
        "max_regression | clustering | clustering_large | unique_count");
  o.add("--row", "task.row", &Config::row,
        "Row name in results tables (the paper's name, e.g. 'SAB + PMA', finds its figures)");
  o.add("--note", "task.note", &Config::note,
        "Printed under the results table: what the row changes or what was tried");
  o.add("--min-size", "data.min_size", &Config::min_size, "Smallest set (0: the task's)");
  o.add("--max-size", "data.max_size", &Config::max_size, "Largest set (0: the task's)");
  o.add("--clusters", "data.clusters", &Config::clusters,
        "Mixture components (0: the task's, 4 or 6)");
  o.add("--data-dir", "data.dir", &Config::data_dir,
        "Folder of the Fashion-MNIST IDX files (unique_count)");
  o.add("--batch-size", "data.batch_size", &Config::batch_size, "Sets per training step");
  o.add("--same-size", "data.same_size", &Config::same_size,
        "One set size per training batch, as the authors' code (test sets keep one per set)");
  o.add("--test-sets", "data.test_sets", &Config::test_sets, "Test sets evaluated");
  o.add("--eval-batch-size", "data.eval_batch_size", &Config::eval_batch_size,
        "Test sets per evaluation batch");
  o.add("--test-seed", "data.test_seed", &Config::test_seed,
        "Seed of the test sets (keep it to compare rows)");
  // model
  o.add("--encoder", "model.encoder", &Config::encoder,
        "Encoder layers: fc, fc-linear, eqmean, eqmax, eqmean-linear, eqmax-linear, sab, isab");
  o.add("--decoder", "model.decoder", &Config::decoder, "pma | mean | sum | max | dotprod");
  o.add("--dim", "model.dim", &Config::dim, "Width of every layer");
  o.add("--heads", "model.heads", &Config::heads, "Attention heads");
  o.add("--inducing-points", "model.inducing_points", &Config::inducing_points,
        "Inducing points m of every ISAB");
  o.add("--decoder-sabs", "model.decoder_sabs", &Config::decoder_sabs, "SABs after the PMA");
  o.add("--decoder-layers", "model.decoder_layers", &Config::decoder_layers,
        "FC(dim, ReLU) layers before the output layer");
  o.add("--conv-layers", "model.conv_layers", &Config::conv_layers,
        "Convolutions of the image encoder (unique_count)");
  o.add("--kernel", "model.kernel", &Config::kernel,
        "Attention kernel of the encoder: softmax | set");
  o.add("--decoder-kernel", "model.decoder_kernel", &Config::decoder_kernel,
        "Attention kernel of the decoder's PMA and SABs");
  o.add("--layer-norm", "model.layer_norm", &Config::layer_norm, "LayerNorms inside every MAB");
  // SeT
  o.add("--m", "set.m", &Config::m, "SeT references per head");
  o.add("--epsilon", "set.epsilon", &Config::epsilon, "SeT entropic regularisation");
  o.add("--iterations", "set.iterations", &Config::iterations, "SeT Sinkhorn iterations T");
  o.add("--similarity", "set.kernel", &Config::similarity,
        "SeT similarity: spherical_gaussian | gaussian | dot");
  o.add("--alpha", "set.alpha", &Config::alpha, "SeT kernel sharpness");
  o.add("--values", "set.values", &Config::values, "SeT values: linear | nystrom");
  // optimisation
  o.add("--steps", "optim.steps", &Config::steps, "Training steps");
  o.add("--lr", "optim.lr", &Config::lr, "Adam learning rate");
  o.add("--warmup-steps", "optim.warmup_steps", &Config::warmup_steps, "Linear warm-up steps");
  o.add("--decay-steps", "optim.decay_steps", &Config::decay_steps,
        "Steps at which the rate is multiplied by --decay-factor (none: constant)");
  o.add("--decay-factor", "optim.decay_factor", &Config::decay_factor, "Step-decay factor");
  o.add("--weight-decay", "optim.weight_decay", &Config::weight_decay,
        "Decoupled weight decay (0: Adam, as the paper)");
  o.add("--clip-norm", "optim.clip_norm", &Config::clip_norm, "Gradient-norm clipping (0: off)");
  declare_run_options(o, "sets",
                      "checkpoint.pt, log.jsonl, curves.png, predictions.png, summary.json");
}

void add_sets_train(CLI::App& sets) {
  add_experiment_train<Config, train::SetTrainResult>(
      sets, "Train and evaluate one set model on one task of the Set Transformer paper",
      declare_set_options, train::describe_set_experiment, train::train_set_experiment,
      "checkpoint.pt, log.jsonl, curves.png, predictions.png, summary.json");
}

void add_sets_table(CLI::App& sets) {
  add_table_command(sets,
                    "Results table of one task (<out>.md, <out>.json) from runs' summary.json "
                    "files, beside the paper's figures",
                    "results/sets/table", "summary.json files written by sets train",
                    train::write_set_table);
}

}  // namespace

void add_sets_command(CLI::App& app) {
  auto* sets = app.add_subcommand(
      "sets", "Set Transformer experiments: max regression, clustering, unique counting");
  sets->require_subcommand(1);
  add_sets_train(*sets);
  add_sets_table(*sets);
}

}  // namespace setformer::cli
