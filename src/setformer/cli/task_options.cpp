// Every training option of every task family, declared once as a command-line flag and a TOML
// key (config_options.h): `setformer train` takes the options of the family its task belongs to,
// and `bench train` and `bench language` reuse the image and language ones.
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"

namespace setformer::cli {

void declare_image_options(ConfigurableOptions<tasks::ImageClassifierConfig>& o) {
  using Config = tasks::ImageClassifierConfig;
  o.add("--task", "task.name", &Config::task,
        "image_classification (also what a config without task.name trains)");
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
  o.add("--erase-mode", "data.erase_mode", &Config::erase_mode,
        "Erased pixels: zero (the mean) | pixel (standard-normal noise, timm's)");
  // data: the user's images
  o.add("--data-root", "data.root", &Config::root,
        "Dataset folder of the user's images: ROOT/<train split>/<class>/* and ROOT/<val "
        "split>/<class>/* (or the list files); empty: the built-in Fashion-MNIST");
  o.add("--train-split", "data.train_split", &Config::train_split,
        "Training sub-folder of the data root");
  o.add("--val-split", "data.val_split", &Config::val_split,
        "Validation sub-folder of the data root");
  o.add("--train-list", "data.train_list", &Config::train_list,
        "CSV/TSV list of training images (path,label; relative to the data root) instead of "
        "class folders");
  o.add("--val-list", "data.val_list", &Config::val_list, "CSV/TSV list of validation images");
  o.add("--bad-files", "data.bad_files", &Config::bad_files,
        "Files that do not decode: error (stop, listing them all) | skip (train without them, "
        "listed in OUT/bad_files.tsv)");
  o.add("--max-pixels", "data.max_pixels", &Config::max_pixels,
        "Largest width x height accepted, checked on each header (decompression-bomb guard)");
  o.add("--workers", "data.workers", &Config::workers,
        "Threads decoding and augmenting batches ahead of training (0: on the training thread)");
  o.add("--prefetch", "data.prefetch", &Config::prefetch, "Batches prepared ahead at most");
  o.add("--channels", "data.channels", &Config::channels,
        "Model input channels: 0 (3 when any image is colour, else 1) | 1 | 3");
  o.add("--crop", "data.crop", &Config::crop,
        "Training crop of image files: random_resized (timm's RandomResizedCrop) | resize (the "
        "whole image, then --crop-padding)");
  o.add("--scale", "data.scale", &Config::scale, "Random-resized crop's area range");
  o.add("--ratio", "data.ratio", &Config::ratio, "Random-resized crop's aspect-ratio range");
  o.add("--rand-augment", "data.rand_augment", &Config::rand_augment,
        "timm RandAugment specification, e.g. rand-m9-mstd0.5 (empty: off)");
  o.add("--color-jitter", "data.color_jitter", &Config::color_jitter,
        "Brightness, contrast and saturation jitter strength (0: off)");
  o.add("--crop-pct", "data.crop_pct", &Config::crop_pct,
        "Evaluation: resize the shorter side to size / crop_pct, then crop the centre");
  o.add("--mean", "data.mean", &Config::mean,
        "Normalisation mean per channel (empty: ImageNet's for folders, Fashion-MNIST's "
        "built-in)");
  o.add("--std", "data.std", &Config::std_dev, "Normalisation std per channel (empty: as --mean)");
  o.add("--mixup", "data.mixup", &Config::mixup, "Mixup's Beta alpha (0: off; DeiT: 0.8)");
  o.add("--cutmix", "data.cutmix", &Config::cutmix, "CutMix's Beta alpha (0: off; DeiT: 1.0)");
  o.add("--mix-switch", "data.mix_switch", &Config::mix_switch,
        "Chance of CutMix rather than Mixup when both are on");
  o.add("--mix-probability", "data.mix_probability", &Config::mix_probability,
        "Chance that a batch is mixed");
  // model
  o.add("--model", "model.preset", &Config::model,
        "Preset: setformer-fmnist | setformer-miny | -tiny | -small | -base");
  o.add("--kernel", "model.kernel", &Config::kernel, "Attention kernel: set | softmax | window");
  o.add("--image-size", "model.image_size", &Config::image_size,
        "Input side in pixels (0: 28 for the built-in Fashion-MNIST, 224 for folders)");
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

void declare_set_options(ConfigurableOptions<tasks::SetExperimentConfig>& o) {
  using Config = tasks::SetExperimentConfig;
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

void declare_slot_options(ConfigurableOptions<tasks::SlotExperimentConfig>& o) {
  using Config = tasks::SlotExperimentConfig;
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

void declare_sequence_options(ConfigurableOptions<tasks::SequenceExperimentConfig>& o) {
  using Config = tasks::SequenceExperimentConfig;
  // task
  o.add("--task", "task.name", &Config::task, "copy | reverse | sort | addition");
  o.add("--row", "task.row", &Config::row, "Row name in results tables");
  o.add("--note", "task.note", &Config::note,
        "Printed under the results table: what the row changes or what was tried");
  o.add("--symbols", "task.symbols", &Config::symbols,
        "Alphabet size of copy, reverse and sort (letters a, b, ...)");
  o.add("--min-length", "task.min_length", &Config::min_length,
        "Shortest source (copy/reverse/sort)");
  o.add("--max-length", "task.max_length", &Config::max_length,
        "Longest source (copy/reverse/sort)");
  o.add("--digits", "task.digits", &Config::digits, "Digits of each operand (addition)");
  o.add("--pad-operands", "task.pad_operands", &Config::pad_operands,
        "Addition: operands and sum with leading zeros to a fixed width");
  o.add("--reverse-sum", "task.reverse_sum", &Config::reverse_sum,
        "Addition: the sum least-significant digit first");
  o.add("--reverse-operands", "task.reverse_operands", &Config::reverse_operands,
        "Addition: the operands least-significant digit first");
  o.add("--mixed-digits", "task.mixed_digits", &Config::mixed_digits,
        "Addition, training examples only: each operand's length uniform in 1..digits");
  o.add("--batch-size", "task.batch_size", &Config::batch_size, "Examples per training step");
  o.add("--test-examples", "task.test_examples", &Config::test_examples,
        "Held-out examples evaluated");
  o.add("--eval-batch-size", "task.eval_batch_size", &Config::eval_batch_size,
        "Examples per evaluation batch");
  o.add("--test-seed", "task.test_seed", &Config::test_seed, "Seed of the held-out examples");
  // model
  o.add("--dim", "model.dim", &Config::dim, "d_model");
  o.add("--heads", "model.heads", &Config::heads, "Attention heads");
  o.add("--ffn-dim", "model.ffn_dim", &Config::ffn_dim, "Feed-forward width d_ff");
  o.add("--encoder-layers", "model.encoder_layers", &Config::encoder_layers, "Encoder layers N");
  o.add("--decoder-layers", "model.decoder_layers", &Config::decoder_layers, "Decoder layers N");
  o.add("--dropout", "model.dropout", &Config::dropout,
        "P_drop on sub-layer outputs and embeddings");
  o.add("--attention-dropout", "model.attention_dropout", &Config::attention_dropout,
        "Dropout on attention weights");
  o.add("--norm", "model.norm", &Config::norm, "post (the paper's) | pre");
  o.add("--positions", "model.positions", &Config::positions, "sinusoidal | learned");
  o.add("--encoder-kernel", "model.encoder_kernel", &Config::encoder_kernel,
        "Encoder self-attention kernel (softmax, set, linear, performer, nystrom, isab)");
  o.add("--decoder-kernel", "model.decoder_kernel", &Config::decoder_kernel,
        "Decoder self-attention kernel (causal: softmax, linear, performer)");
  o.add("--cross-kernel", "model.cross_kernel", &Config::cross_kernel,
        "Decoder cross-attention kernel");
  o.add("--m", "model.m", &Config::m, "SeT references, Nyström landmarks or inducing points");
  // optimisation
  o.add("--steps", "optim.steps", &Config::steps, "Training steps");
  o.add("--schedule", "optim.schedule", &Config::schedule,
        "inverse_sqrt (the paper's; --lr is its scale) | cosine");
  o.add("--lr", "optim.lr", &Config::lr, "Learning rate, or the inverse_sqrt schedule's scale");
  o.add("--warmup-steps", "optim.warmup_steps", &Config::warmup_steps, "Warm-up steps");
  o.add("--label-smoothing", "optim.label_smoothing", &Config::label_smoothing,
        "ε_ls of the cross-entropy");
  o.add("--weight-decay", "optim.weight_decay", &Config::weight_decay, "Decoupled weight decay");
  o.add("--clip-norm", "optim.clip_norm", &Config::clip_norm, "Gradient-norm clipping (0: off)");
  o.add("--beta2", "optim.beta2", &Config::beta2, "Adam β2 (the paper's 0.98)");
  // decoding
  o.add("--beam", "decode.beam", &Config::beam, "Beam width of the evaluation's beam search");
  o.add("--length-penalty", "decode.length_penalty", &Config::length_penalty,
        "α of the GNMT length penalty");
  declare_run_options(o, "examples",
                      "checkpoint.pt, log.jsonl, curves.png, samples.txt, summary.json");
}

void declare_language_options(ConfigurableOptions<tasks::LanguageExperimentConfig>& o) {
  using Config = tasks::LanguageExperimentConfig;
  o.add("--task", "task.name", &Config::task, "mlm | classify | listops");
  o.add("--row", "task.row", &Config::row, "Row name in results tables");
  o.add("--note", "task.note", &Config::note, "Printed under the results table");
  o.add("--glue", "task.glue", &Config::glue,
        "classify: a GLUE task read from --data-root: cola | sst2 | mrpc | qqp | stsb | mnli | "
        "qnli | rte | wnli");
  o.add("--corpora", "data.corpora", &Config::corpora,
        "mlm: built-in corpora (moby_dick, sotu, spam_assassin) or text files and folders of your "
        "own; classify: spam_assassin unless --train-file or --glue");
  o.add("--data-dir", "data.dir", &Config::data_dir, "Folder of the npm corpora");
  o.add("--splits-dir", "data.splits_dir", &Config::splits_dir,
        "Folder of the split files (written on first use)");
  o.add("--data-root", "data.root", &Config::root,
        "Folder the data files are relative to (GLUE: the unpacked glue_data/ or a task's folder)");
  o.add("--train-file", "data.train_file", &Config::train_file,
        "classify: labelled training file (.tsv, .csv, .jsonl, optionally .gz)");
  o.add("--eval-files", "data.eval_files", &Config::eval_files,
        "classify: labelled evaluation files, each a split named by its file stem");
  o.add("--test-files", "data.test_files", &Config::test_files,
        "classify: unlabelled test files for predict --glue-submission");
  o.add("--format", "data.format", &Config::format, "auto (by extension) | tsv | csv | jsonl");
  o.add("--text-column", "data.text_column", &Config::text_column, "Column of the text");
  o.add("--text-pair-column", "data.text_pair_column", &Config::text_pair_column,
        "Column of the second text of a pair (empty: single texts)");
  o.add("--label-column", "data.label_column", &Config::label_column, "Column of the label");
  o.add("--id-column", "data.id_column", &Config::id_column,
        "Column of the example id (empty: the line number)");
  o.add("--columns", "data.columns", &Config::columns,
        "Column names of TSV/CSV files without a header, in order");
  o.add("--problem", "data.problem", &Config::problem,
        "classification | regression (a number per text, mean squared error)");
  o.add("--labels", "data.labels", &Config::labels,
        "Label set in the head's order (empty: the training file's, sorted)");
  o.add("--document", "data.document", &Config::document,
        "mlm corpora of your own: file (a document per file) | line (a document per line)");
  o.add("--text-field", "data.text_field", &Config::text_field, "Text field of JSONL corpora");
  o.add("--max-record-bytes", "data.max_record_bytes", &Config::max_record_bytes,
        "Longest line, record or document accepted");
  o.add("--invalid-utf8", "data.invalid_utf8", &Config::invalid_utf8,
        "Invalid UTF-8: error (naming file and line) | replace (with U+FFFD)");
  o.add("--bad-rows", "data.bad_rows", &Config::bad_rows,
        "Rows with a wrong column count, an empty text or label: error | skip (counted)");
  o.add("--length", "data.length", &Config::length, "Tokens per sequence");
  o.add("--batch-size", "data.batch_size", &Config::batch_size, "Sequences per step");
  o.add("--mask-rate", "data.mask_rate", &Config::mask_rate, "MLM: fraction of tokens predicted");
  o.add("--eval-sequences", "data.eval_sequences", &Config::eval_sequences,
        "Validation windows (mlm) or test e-mails (classify; 0: all)");
  o.add("--listops-min-length", "data.listops_min_length", &Config::listops_min_length,
        "ListOps: shortest sequence (LRA: 500)");
  o.add("--listops-max-length", "data.listops_max_length", &Config::listops_max_length,
        "ListOps: longest sequence (LRA: 2000)");
  o.add("--test-seed", "data.test_seed", &Config::test_seed, "ListOps: seed of the test sequences");
  o.add("--tokenizer", "tokenizer.kind", &Config::tokenizer,
        "sentencepiece | bytes | bpe (issue 7's, for the committed rows)");
  o.add("--vocab-size", "tokenizer.vocab_size", &Config::vocab_size,
        "Pieces of a SentencePiece model trained for the run (tokens of a BPE vocabulary)");
  o.add("--tokenizer-corpora", "tokenizer.corpora", &Config::tokenizer_corpora,
        "Corpora (built-in names, or files and folders) whose training splits train the "
        "vocabulary (empty: the run's training text)");
  o.add("--tokenizer-model", "tokenizer.model", &Config::tokenizer_model,
        "An existing SentencePiece .model file (instead of training one)");
  o.add("--model-type", "tokenizer.model_type", &Config::model_type,
        "SentencePiece model: unigram | bpe");
  o.add("--character-coverage", "tokenizer.character_coverage", &Config::character_coverage,
        "SentencePiece: share of characters the pieces cover (the rest as bytes)");
  o.add("--dim", "model.dim", &Config::dim, "Width d");
  o.add("--heads", "model.heads", &Config::heads, "Attention heads");
  o.add("--depth", "model.depth", &Config::depth, "Blocks");
  o.add("--mlp-ratio", "model.mlp_ratio", &Config::mlp_ratio, "MLP width / d");
  o.add("--dropout", "model.dropout", &Config::dropout,
        "Dropout on embeddings, attention output and MLP");
  o.add("--attention-dropout", "model.attention_dropout", &Config::attention_dropout,
        "Dropout on the attention weights (0: SeT's fused core; performer and linear take none)");
  o.add("--kernel", "model.kernel", &Config::kernel,
        "Attention kernel: softmax, set, performer, nystrom, linear, isab");
  o.add("--positions", "model.positions", &Config::positions, "auto | sinusoidal | learned | none");
  o.add("--pooling", "model.pooling", &Config::pooling,
        "Classification head's input: mean (of the tokens) | cls (a learned vector in front)");
  o.add("--m", "model.m", &Config::m, "SeT references, Nyström landmarks or inducing points");
  o.add("--epsilon", "model.epsilon", &Config::epsilon, "SeT entropic regularisation");
  o.add("--iterations", "model.iterations", &Config::iterations, "SeT Sinkhorn iterations");
  o.add("--sigma", "model.sigma", &Config::sigma,
        "SeT's LPE width on positions in [0, 1) (0.5: nearly flat over a sequence)");
  o.add("--values", "model.values", &Config::values, "SeT values: linear | nystrom");
  o.add("--references", "model.references", &Config::references,
        "SeT references: learned | none (transport between the tokens; quadratic)");
  o.add("--similarity", "model.similarity", &Config::similarity,
        "SeT similarity: spherical_gaussian | gaussian | dot");
  o.add("--init", "model.init", &Config::init, "An mlm checkpoint to start from");
  o.add("--steps", "optim.steps", &Config::steps, "Training steps");
  o.add("--lr", "optim.lr", &Config::lr, "Peak learning rate (warm-up, then cosine)");
  o.add("--warmup-steps", "optim.warmup_steps", &Config::warmup_steps, "Warm-up steps");
  o.add("--weight-decay", "optim.weight_decay", &Config::weight_decay, "AdamW weight decay");
  o.add("--clip-norm", "optim.clip_norm", &Config::clip_norm, "Gradient-norm clipping (0: off)");
  declare_run_options(o, "sequences", "checkpoint.pt, log.jsonl, curves.png, summary.json");
}

}  // namespace setformer::cli
