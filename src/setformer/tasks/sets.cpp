#include "setformer/tasks/sets.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/runtime.h"
#include "setformer/data/fashion_mnist.h"
#include "setformer/data/random.h"
#include "setformer/data/transforms.h"
#include "setformer/io/plot.h"
#include "setformer/io/table.h"
#include "setformer/tasks/task.h"
#include "setformer/train/checkpoint.h"
#include "setformer/train/progress.h"
#include "setformer/train/result_tables.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

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
    SetExperimentConfig, task, row, note, min_size, max_size, clusters, data_dir, batch_size,
    same_size, test_sets, eval_batch_size, test_seed, encoder, decoder, dim, heads, inducing_points,
    decoder_sabs, decoder_layers, conv_layers, kernel, decoder_kernel, layer_norm, m, epsilon,
    iterations, similarity, alpha, values, steps, lr, warmup_steps, decay_steps, decay_factor,
    weight_decay, clip_norm, seed, threads, device, out, checkpoint_every, log_every, eval_every,
    resume)

const std::vector<std::string>& set_tasks() {
  static const std::vector<std::string> names = task_names(Family::sets);
  return names;
}

namespace {

/// Smallest variance of a predicted mixture component: keeps the likelihood bounded when a
/// component collapses onto one point.
constexpr double kVarianceFloor = 1e-4;

bool is_clustering(const std::string& task) {
  return task == "clustering" || task == "clustering_large";
}

/// The task's set sizes and components after defaults.
struct TaskShape {
  int64_t min_size, max_size, clusters;
};

TaskShape task_shape(const SetExperimentConfig& c) {
  TaskShape s{1, 10, 0};
  if (c.task == "clustering") s = {100, 500, 4};
  if (c.task == "clustering_large") s = {1000, 5000, 6};
  if (c.task == "unique_count") s = {6, 10, 0};
  if (c.min_size > 0) s.min_size = c.min_size;
  if (c.max_size > 0) s.max_size = c.max_size;
  if (c.clusters > 0) s.clusters = c.clusters;
  return s;
}

void check_config(const SetExperimentConfig& c) {
  const auto& tasks = set_tasks();
  SETFORMER_CHECK(std::find(tasks.begin(), tasks.end(), c.task) != tasks.end(),
                  "task.name = '{}' is not a set task; expected one of: {}", c.task,
                  fmt::format("{}", fmt::join(tasks, ", ")));
  SETFORMER_CHECK(c.steps >= 1, "optim.steps must be >= 1, got {}", c.steps);
  SETFORMER_CHECK(c.batch_size >= 1, "data.batch_size must be >= 1, got {}", c.batch_size);
  SETFORMER_CHECK(c.test_sets >= 1 && c.eval_batch_size >= 1,
                  "data.test_sets and data.eval_batch_size must be >= 1, got {} and {}",
                  c.test_sets, c.eval_batch_size);
  SETFORMER_CHECK(c.eval_every >= 0, "run.eval_every must be >= 0 (0: only at the end), got {}",
                  c.eval_every);
  const auto shape = task_shape(c);
  SETFORMER_CHECK(shape.min_size >= 1 && shape.max_size >= shape.min_size,
                  "need 1 <= data.min_size <= data.max_size, got {} and {}", shape.min_size,
                  shape.max_size);
  SETFORMER_CHECK(!is_clustering(c.task) || shape.clusters >= 1,
                  "data.clusters must be >= 1, got {}", shape.clusters);
}

/// A batch of the task: training batches from (seed, step), test chunks from (test_seed, chunk).
class TaskData {
 public:
  explicit TaskData(const SetExperimentConfig& c) : c_(c), shape_(task_shape(c)) {
    if (c.task == "unique_count") {
      train_.emplace(data::load_fashion_mnist("train", c.data_dir));
      test_.emplace(data::load_fashion_mnist("test", c.data_dir));
    }
  }

  data::SetBatch train(int64_t step) const {
    return make(c_.batch_size, data::mix(c_.seed, static_cast<uint64_t>(step), 1), false);
  }
  /// Test chunk i of `test_sets` in chunks of eval_batch_size.
  data::SetBatch test(int64_t chunk) const {
    const int64_t begin = chunk * c_.eval_batch_size;
    const int64_t size = std::min(c_.eval_batch_size, c_.test_sets - begin);
    return make(size, data::mix(c_.test_seed, static_cast<uint64_t>(chunk), 2), true);
  }
  int64_t test_chunks() const {
    return (c_.test_sets + c_.eval_batch_size - 1) / c_.eval_batch_size;
  }

 private:
  /// Test sets always have one size per set, so every row meets the same sets.
  data::SetBatch make(int64_t batch, uint64_t seed, bool test) const {
    const bool same = c_.same_size && !test;
    if (c_.task == "max_regression") {
      return data::max_regression_batch(data::MaxRegressionOptions()
                                            .min_size(shape_.min_size)
                                            .max_size(shape_.max_size)
                                            .same_size(same),
                                        batch, seed);
    }
    if (is_clustering(c_.task)) {
      return data::mixture_batch(data::MixtureOptions()
                                     .components(shape_.clusters)
                                     .min_size(shape_.min_size)
                                     .max_size(shape_.max_size)
                                     .same_size(same),
                                 batch, seed);
    }
    const auto options = data::UniqueCountOptions()
                             .min_size(shape_.min_size)
                             .max_size(shape_.max_size)
                             .same_size(same);
    return (test ? *test_ : *train_).batch(options, batch, seed);
  }

  const SetExperimentConfig& c_;
  TaskShape shape_;
  std::optional<data::UniqueCountSampler> train_, test_;
};

/// What one batch contributes to the loss and the metrics.
struct BatchResult {
  torch::Tensor loss;     // scalar, mean over the batch
  torch::Tensor hits;     // unique_count: [B] bool, the set was counted right
  torch::Tensor outputs;  // the network's [B, k, out]
  /// Clustering: the predicted mixtures and their log-likelihood per point of each set [B].
  MixtureParameters mixture;
  torch::Tensor log_likelihood;
};

BatchResult run_batch(models::SetTransformer& model, const SetExperimentConfig& c,
                      const data::SetBatch& batch, const torch::Device& device) {
  const auto x = batch.x.to(device);
  // Batches of equal sizes (data.same_size) skip the masking.
  const auto padding =
      batch.padding.any().item<bool>() ? batch.padding.to(device) : torch::Tensor();
  BatchResult r;
  r.outputs = model(x, padding);
  if (c.task == "max_regression") {
    r.loss = (r.outputs.view({-1}) - batch.target.to(device)).abs().mean();
  } else if (is_clustering(c.task)) {
    r.mixture = mixture_parameters(r.outputs);
    const auto& p = r.mixture;
    r.log_likelihood = mixture_log_likelihood(x, padding, p.weights, p.means, p.variances);
    r.loss = -r.log_likelihood.mean();
  } else {
    // Poisson regression (supplement §2.2): −log p(y | γ) = γ − y log γ + log y!.
    const auto rate = torch::nn::functional::softplus(r.outputs.view({-1})) + 1e-6;
    const auto y = batch.target.to(device);
    r.loss = (rate - y * rate.log() + torch::lgamma(y + 1)).mean();
    // The mode of Poisson(γ) is ⌊γ⌋.
    r.hits = rate.floor() == y;
  }
  return r;
}

/// log π_j + log N(x_i; μ_j, diag σ_j²) for every point and component: x [B, n, D],
/// weights [B, k], means and variances [B, k, D] -> [B, n, k]. The likelihood, the EM step's
/// responsibilities and the clustering picture all start from it.
torch::Tensor log_joint(const torch::Tensor& x, const torch::Tensor& weights,
                        const torch::Tensor& means, const torch::Tensor& variances) {
  const auto diff = x.unsqueeze(2) - means.unsqueeze(1);  // [B, n, k, D]
  const auto log_normal =
      -0.5 *
      (diff.pow(2) / variances.unsqueeze(1) + (2 * M_PI * variances).log().unsqueeze(1)).sum(-1);
  return log_normal + weights.log().unsqueeze(1);
}

// ---------------------------------------------------------------------------------------------
// Pictures of test predictions.

/// Maps data coordinates into a square plot box with a frame and tick labels.
struct Frame {
  int left, top, size;
  double lo, hi;
  int px(double v) const {
    return left + static_cast<int>(std::lround((v - lo) / (hi - lo) * size));
  }
  int py(double v) const {
    return top + size - static_cast<int>(std::lround((v - lo) / (hi - lo) * size));
  }
  void draw(io::Image& image, bool ticks) const {
    const io::Rgb grey{120, 120, 120};
    image.line(left, top, left + size, top, grey);
    image.line(left, top + size, left + size, top + size, grey);
    image.line(left, top, left, top + size, grey);
    image.line(left + size, top, left + size, top + size, grey);
    if (!ticks) return;
    for (int i = 0; i <= 4; ++i) {
      const double v = lo + (hi - lo) * i / 4.0;
      const auto label = io::tick_label(v);
      image.text(px(v) - io::Image::text_width(label) / 2, top + size + 4, label, grey);
      image.text(left - io::Image::text_width(label) - 4, py(v) - 4, label, grey);
    }
  }
};

void dot(io::Image& image, int x, int y, io::Rgb c, int radius = 1) {
  image.fill_rect(x - radius, y - radius, x + radius, y + radius, c);
}

/// Max regression: predictions against targets on the first test sets.
void draw_max_regression(const std::string& path, const std::string& title,
                         const torch::Tensor& predictions, const torch::Tensor& targets) {
  io::Image image(460, 480);
  const Frame f{60, 40, 380, 0.0, 100.0};
  image.text(10, 10, title, {0, 0, 0}, 2);
  f.draw(image, true);
  image.line(f.px(0), f.py(0), f.px(100), f.py(100), {200, 200, 200});
  const auto p = predictions.to(torch::kDouble).contiguous();
  const auto t = targets.to(torch::kDouble).contiguous();
  for (int64_t i = 0; i < p.size(0); ++i) {
    dot(image, f.px(t[i].item<double>()), f.py(std::clamp(p[i].item<double>(), f.lo, f.hi)),
        io::palette(0));
  }
  image.text(f.left + f.size / 2 - 20, f.top + f.size + 20, "target", {0, 0, 0});
  image.text(4, f.top - 12, "prediction", {0, 0, 0});
  image.save_png(path);
}

/// Clustering (the paper's Figure 4): test sets with their points coloured by the most likely
/// predicted component, the predicted means (crosses) and 2σ ellipses.
void draw_clustering(const std::string& path, const std::string& title, const torch::Tensor& x,
                     const torch::Tensor& padding, const MixtureParameters& p) {
  const int panels = static_cast<int>(std::min<int64_t>(8, x.size(0)));
  const int cell = 230, columns = 4;
  const int rows = (panels + columns - 1) / columns;
  io::Image image(columns * cell + 10, rows * cell + 40);
  image.text(10, 10, title, {0, 0, 0}, 2);
  for (int s = 0; s < panels; ++s) {
    const Frame f{10 + (s % columns) * cell, 40 + (s / columns) * cell, cell - 20, -6.0, 6.0};
    f.draw(image, false);
    const auto xs = x[s].to(torch::kDouble);
    const auto mu = p.means[s].to(torch::kDouble);
    const auto var = p.variances[s].to(torch::kDouble);
    // Each point takes the colour of its most responsible component.
    const auto owner = log_joint(xs.unsqueeze(0), p.weights.slice(0, s, s + 1).to(torch::kDouble),
                                 mu.unsqueeze(0), var.unsqueeze(0))[0]
                           .argmax(1);
    for (int64_t i = 0; i < xs.size(0); ++i) {
      if (padding[s][i].item<bool>()) continue;
      dot(image, f.px(xs[i][0].item<double>()), f.py(xs[i][1].item<double>()),
          io::palette(static_cast<size_t>(owner[i].item<int64_t>())), 1);
    }
    for (int64_t j = 0; j < mu.size(0); ++j) {
      if (p.weights[s][j].item<double>() < 0.01) continue;
      const double mx = mu[j][0].item<double>(), my = mu[j][1].item<double>();
      const double sx = 2 * std::sqrt(var[j][0].item<double>()),
                   sy = 2 * std::sqrt(var[j][1].item<double>());
      const io::Rgb c = io::palette(static_cast<size_t>(j));
      for (int a = 0; a < 64; ++a) {
        const double t0 = 2 * M_PI * a / 64, t1 = 2 * M_PI * (a + 1) / 64;
        image.line(f.px(mx + sx * std::cos(t0)), f.py(my + sy * std::sin(t0)),
                   f.px(mx + sx * std::cos(t1)), f.py(my + sy * std::sin(t1)), c, 2);
      }
      image.line(f.px(mx) - 5, f.py(my) - 5, f.px(mx) + 5, f.py(my) + 5, {0, 0, 0}, 2);
      image.line(f.px(mx) - 5, f.py(my) + 5, f.px(mx) + 5, f.py(my) - 5, {0, 0, 0}, 2);
    }
  }
  image.save_png(path);
}

/// Unique counting: accuracy for each true count.
void draw_counting(const std::string& path, const std::string& title,
                   const std::vector<int64_t>& right, const std::vector<int64_t>& total) {
  io::Series s{"accuracy", {}, {}};
  for (size_t c = 1; c < total.size(); ++c) {
    if (total[c] == 0) continue;
    s.x.push_back(static_cast<double>(c));
    s.y.push_back(static_cast<double>(right[c]) / static_cast<double>(total[c]));
  }
  io::Image image(640, 420);
  io::draw_line_chart(
      image, 0, 0, 640, 420,
      {title, "distinct classes in the set", "accuracy of the mode", false, false, true}, {s});
  image.save_png(path);
}

// ---------------------------------------------------------------------------------------------

/// Test metrics of the task on every test set, and the picture of the first ones.
nlohmann::json evaluate(models::SetTransformer& model, const SetExperimentConfig& c,
                        const TaskData& data, const torch::Device& device,
                        const std::string& picture) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  double loss_sum = 0, ll0 = 0, ll1 = 0, oracle = 0;
  int64_t sets = 0, right = 0;
  std::vector<int64_t> right_by_count(64, 0), total_by_count(64, 0);
  torch::Tensor first_predictions, first_targets;
  double compute_seconds = 0;
  for (int64_t chunk = 0; chunk < data.test_chunks(); ++chunk) {
    const auto batch = data.test(chunk);
    const int64_t b = batch.x.size(0);
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_batch(model, c, batch, device);
    synchronize(device);
    compute_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    loss_sum += r.loss.item<double>() * static_cast<double>(b);
    sets += b;
    if (is_clustering(c.task)) {
      const auto x = batch.x.to(device);
      const auto padding = batch.padding.to(device);
      const auto& p = r.mixture;
      ll0 += r.log_likelihood.sum().item<double>();
      const auto q = em_step(x, padding, p);
      ll1 +=
          mixture_log_likelihood(x, padding, q.weights, q.means, q.variances).sum().item<double>();
      const auto true_var = torch::full_like(batch.means, batch.stddev * batch.stddev);
      oracle += mixture_log_likelihood(batch.x, batch.padding, batch.weights, batch.means, true_var)
                    .sum()
                    .item<double>();
      if (chunk == 0 && !picture.empty()) {
        draw_clustering(picture,
                        fmt::format("{}: LL0/data of these sets {:.3f}", c.row,
                                    r.log_likelihood.slice(0, 0, 8).mean().item<double>()),
                        batch.x, batch.padding,
                        {p.weights.cpu(), p.means.cpu(), p.variances.cpu()});
      }
    } else if (c.task == "max_regression") {
      if (chunk == 0) {
        first_predictions = r.outputs.view({-1}).cpu();
        first_targets = batch.target;
      }
    } else {
      const auto hits = r.hits.cpu();
      right += hits.sum().item<int64_t>();
      for (int64_t i = 0; i < b; ++i) {
        const auto count = static_cast<size_t>(batch.target[i].item<float>());
        if (count >= total_by_count.size()) continue;
        ++total_by_count[count];
        if (hits[i].item<bool>()) ++right_by_count[count];
      }
    }
  }
  model->train(was_training);
  const double n = static_cast<double>(sets);
  nlohmann::json m{{"test_sets", sets}, {"sets_per_second", n / std::max(1e-9, compute_seconds)}};
  const std::string title = c.row.empty() ? c.task : c.row;
  if (c.task == "max_regression") {
    m["test_mae"] = loss_sum / n;
    if (!picture.empty())
      draw_max_regression(picture, fmt::format("{}: test MAE {:.4f}", title, loss_sum / n),
                          first_predictions, first_targets);
  } else if (is_clustering(c.task)) {
    m["test_ll0"] = ll0 / n;
    m["test_ll1"] = ll1 / n;
    m["oracle_ll"] = oracle / n;
  } else {
    m["test_accuracy"] = static_cast<double>(right) / n;
    m["test_poisson_nll"] = loss_sum / n;
    if (!picture.empty())
      draw_counting(picture,
                    fmt::format("{}: test accuracy {:.4f}", title, static_cast<double>(right) / n),
                    right_by_count, total_by_count);
  }
  return m;
}

}  // namespace

models::SetTransformerOptions set_model_options(const SetExperimentConfig& c) {
  check_config(c);
  const auto shape = task_shape(c);
  models::SetTransformerOptions o;
  o.name("set-transformer-" + c.task)
      .dim(c.dim)
      .heads(c.heads)
      .encoder(c.encoder)
      .inducing_points(c.inducing_points)
      .decoder(c.decoder)
      .decoder_sabs(c.decoder_sabs)
      .decoder_layers(c.decoder_layers)
      .conv_layers(c.conv_layers)
      .kernel(c.kernel)
      .decoder_kernel(c.decoder_kernel)
      .layer_norm(c.layer_norm);
  using namespace attention;
  SETFORMER_CHECK(c.m >= 1, "set.m must be >= 1, got {}", c.m);
  o.set(SetOptions()
            .num_references(c.m)
            .epsilon(c.epsilon)
            .iterations(c.iterations)
            .kernel(parse_enum<SimilarityKernel>("set.kernel", c.similarity))
            .alpha(c.alpha)
            .values(parse_enum<Values>("set.values", c.values))
            .positions(Positions::none));
  if (c.task == "max_regression") {
    o.input_dim(1).outputs(1).output_dim(1);
  } else if (is_clustering(c.task)) {
    o.input_dim(2).outputs(shape.clusters).output_dim(1 + 2 * 2);
  } else {
    o.image_size(data::kFashionMnistSize).outputs(1).output_dim(1);
  }
  return o;
}

torch::Tensor mixture_log_likelihood(const torch::Tensor& x, const torch::Tensor& padding,
                                     const torch::Tensor& weights, const torch::Tensor& means,
                                     const torch::Tensor& variances) {
  check_shape(x, "mixture data", {-1, -1, -1}, "[B, n, D]");
  const int64_t b = x.size(0), dims = x.size(2);
  check_shape(weights, "mixture weights", {b, -1}, "[B, k]");
  const int64_t k = weights.size(1);
  check_shape(means, "mixture means", {b, k, dims}, "[B, k, D]");
  check_shape(variances, "mixture variances", {b, k, dims}, "[B, k, D]");
  auto ll = torch::logsumexp(log_joint(x, weights, means, variances), -1);  // [B, n]
  if (!padding.defined()) return ll.mean(1);
  check_shape(padding, "mixture padding", {b, x.size(1)}, "[B, n]");
  const auto valid = padding.logical_not();
  return ll.masked_fill(padding, 0.0).sum(1) / valid.sum(1).to(ll.dtype());
}

MixtureParameters mixture_parameters(const torch::Tensor& outputs) {
  check_shape(outputs, "mixture outputs", {-1, -1, -1}, "[B, k, 1 + 2D]");
  const int64_t dims = (outputs.size(2) - 1) / 2;
  SETFORMER_CHECK(outputs.size(2) == 1 + 2 * dims && dims >= 1,
                  "mixture outputs need 1 + 2D features per component, got {}", outputs.size(2));
  MixtureParameters p;
  p.weights = torch::softmax(outputs.select(2, 0), 1);
  p.means = outputs.slice(2, 1, 1 + dims);
  p.variances = torch::nn::functional::softplus(outputs.slice(2, 1 + dims)).pow(2) + kVarianceFloor;
  return p;
}

MixtureParameters em_step(const torch::Tensor& x, const torch::Tensor& padding,
                          const MixtureParameters& start) {
  auto r = torch::softmax(log_joint(x, start.weights, start.means, start.variances), -1);
  torch::Tensor count;
  if (padding.defined()) {
    r = r.masked_fill(padding.unsqueeze(-1), 0.0);
    count = padding.logical_not().sum(1, /*keepdim=*/true).to(x.dtype());  // [B, 1]
  } else {
    count = torch::full({x.size(0), 1}, static_cast<double>(x.size(1)), x.options());
  }
  const auto mass = r.sum(1);  // [B, k]
  const auto safe = mass.clamp_min(1e-8).unsqueeze(-1);
  MixtureParameters p;
  p.weights = (mass / count).clamp_min(1e-12);
  p.means = torch::matmul(r.transpose(1, 2), x) / safe;  // [B, k, D]
  const auto spread = x.unsqueeze(2) - p.means.unsqueeze(1);
  p.variances = (r.unsqueeze(-1) * spread.pow(2)).sum(1) / safe + kVarianceFloor;
  return p;
}

namespace {

/// The line a run starts with: the model's size and cost, and the budget.
std::string describe(const SetExperimentConfig& c, models::SetTransformer& model) {
  int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();
  const auto shape = task_shape(c);
  const int64_t n = (shape.min_size + shape.max_size) / 2;
  return fmt::format(
      "{} on {}: {:.3f} M parameters, {:.2f} MFLOPs per set of {} elements, {} steps of {} sets",
      c.row.empty() ? "set model" : c.row, c.task, static_cast<double>(parameters) / 1e6,
      model->flops(n) / 1e6, n, c.steps, c.batch_size);
}

}  // namespace

std::string describe_set_experiment(const SetExperimentConfig& c) {
  check_config(c);
  parse_device(c.device);
  models::SetTransformer model(set_model_options(c));
  return describe(c, model);
}

std::string describe_set_data(const SetExperimentConfig& c) {
  check_config(c);
  const auto s = task_shape(c);
  const std::string sets =
      c.task == "max_regression"
          ? fmt::format("generated sets of {}..{} reals", s.min_size, s.max_size)
      : is_clustering(c.task)
          ? fmt::format("generated sets of {}..{} 2-D points from mixtures of {} Gaussians",
                        s.min_size, s.max_size, s.clusters)
          : fmt::format("sets of {}..{} Fashion-MNIST images (IDX files in {})", s.min_size,
                        s.max_size, c.data_dir);
  return fmt::format("{}; {} test sets (seed {})", sets, c.test_sets, c.test_seed);
}

SetTrainResult train_set_experiment(const SetExperimentConfig& c,
                                    const std::function<void(const std::string&)>& print) {
  check_config(c);
  const auto device = parse_device(c.device);
  const TaskData data(c);
  torch::manual_seed(c.seed);
  models::SetTransformer model(set_model_options(c));
  model->to(device);

  SetTrainResult result;
  for (const auto& p : model->parameters()) result.parameters += p.numel();
  print(describe(c, model));

  const int64_t per_eval = c.eval_every > 0 ? std::min(c.eval_every, c.steps) : c.steps;
  Trainer trainer(
      *model, TrainerOptions()
                  .out_dir(c.out)
                  .model_name(model->options().name())
                  .config_json(nlohmann::json(c).dump())
                  .total_steps(c.steps)
                  .steps_per_epoch(per_eval)
                  .optim(OptimOptions()
                             .lr(c.lr)
                             .min_lr(c.lr)
                             .warmup_steps(c.warmup_steps)
                             .decay_steps(c.decay_steps)
                             .decay_factor(c.decay_factor)
                             .weight_decay(c.weight_decay)
                             .clip_norm(c.clip_norm))
                  .checkpoint_every(c.checkpoint_every)
                  .log_every(c.log_every)
                  .eval_every_epochs(c.eval_every > 0 ? 1 : 0)
                  .resume(c.resume)
                  .unit("set")
                  .curves(c.task == "max_regression" ? std::vector<std::string>{"loss", "test_mae"}
                          : is_clustering(c.task)
                              ? std::vector<std::string>{"loss", "test_ll0", "test_ll1"}
                              : std::vector<std::string>{"loss", "accuracy", "test_accuracy"}));
  const auto step = [&](int64_t s) {
    const auto batch = data.train(s);
    const auto r = run_batch(model, c, batch, device);
    StepOutput out;
    out.loss = r.loss;
    if (r.hits.defined()) out.correct = r.hits.sum();
    out.count = batch.x.size(0);
    return out;
  };
  const std::string picture = c.out + "/predictions.png";
  int64_t evaluations = 0;
  const auto evaluate_now = [&] {
    // Only the last evaluation draws the picture.
    const bool last = ++evaluations * per_eval >= c.steps;
    result.metrics = evaluate(model, c, data, device, last ? picture : "");
    return result.metrics;
  };
  result.summary = trainer.run(step, evaluate_now, print);
  if (result.summary.interrupted) return result;
  if (!std::filesystem::exists(picture)) evaluate(model, c, data, device, picture);

  const auto summary =
      run_summary(c.task, c.row, result.parameters, result.metrics, result.summary.steps_done,
                  result.summary.train_seconds, c.device, c);
  write_file_atomic(c.out + "/summary.json", summary.dump(2) + "\n");
  return result;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints: evaluation and prediction.

namespace {

/// A checkpoint of a set task, its model rebuilt from the configuration it stores, in eval mode.
struct LoadedSetModel {
  SetExperimentConfig config;
  models::SetTransformer model{nullptr};
  Checkpoint info;
};

LoadedSetModel load_set_checkpoint(const std::string& checkpoint, const std::string& device) {
  LoadedSetModel loaded;
  loaded.info = read_checkpoint_info(checkpoint);
  try {
    loaded.config = nlohmann::json::parse(loaded.info.config).get<SetExperimentConfig>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: not a checkpoint of a set task ({})", checkpoint, e.what()));
  }
  const auto& tasks = set_tasks();
  SETFORMER_CHECK(std::find(tasks.begin(), tasks.end(), loaded.config.task) != tasks.end(),
                  "{}: a checkpoint of task '{}', not of a set task ({})", checkpoint,
                  loaded.config.task, fmt::join(tasks, ", "));
  loaded.config.device = device;
  loaded.model = models::SetTransformer(set_model_options(loaded.config));
  load_checkpoint(checkpoint, loaded.model->options().name(), *loaded.model);
  loaded.model->to(parse_device(device));
  loaded.model->eval();
  return loaded;
}

/// The set in the JSON file `path`: an array of `dims`-dimensional elements, each a number (one
/// dimension) or an array of `dims` numbers -> [n, dims] float.
torch::Tensor read_json_set(const std::string& path, int64_t dims) {
  // A bad file is a std::runtime_error naming it, as every reader's.
  const auto fail = [&](const std::string& what) {
    throw std::runtime_error(fmt::format("{}: {}", path, what));
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail(fmt::format("not JSON ({})", e.what()));
  }
  const std::string element = dims == 1 ? "a number" : fmt::format("an array of {} numbers", dims);
  if (!j.is_array() || j.empty())
    fail("expected a non-empty JSON array of elements, each " + element);
  auto x = torch::empty({static_cast<int64_t>(j.size()), dims});
  auto a = x.accessor<float, 2>();
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    const bool scalar = dims == 1 && e.is_number();
    const auto bad = [&] {
      fail(fmt::format("element {} is {}, expected {}", i, e.dump(), element));
    };
    if (!scalar && !(e.is_array() && static_cast<int64_t>(e.size()) == dims)) bad();
    for (int64_t d = 0; d < dims; ++d) {
      const auto& v = scalar ? e : e[static_cast<size_t>(d)];
      if (!v.is_number() || !std::isfinite(v.get<double>())) bad();
      a[static_cast<int64_t>(i)][d] = v.get<float>();
    }
  }
  return x;
}

}  // namespace

nlohmann::json evaluate_set_checkpoint(const std::string& checkpoint, const std::string& out,
                                       const std::string& device,
                                       const std::function<void(const std::string&)>& print) {
  auto loaded = load_set_checkpoint(checkpoint, device);
  const auto& c = loaded.config;
  const TaskData data(c);
  print(fmt::format("{} ({} steps) on {} test sets of {}", checkpoint, loaded.info.step,
                    c.test_sets, c.task));
  std::filesystem::create_directories(out);
  auto metrics = evaluate(loaded.model, c, data, parse_device(device), out + "/predictions.png");
  const nlohmann::json result{{"checkpoint", checkpoint}, {"task", c.task},   {"row", c.row},
                              {"step", loaded.info.step}, {"device", device}, {"metrics", metrics}};
  write_file_atomic(out + "/eval.json", result.dump(2) + "\n");
  return metrics;
}

std::vector<std::string> predict_sets(const std::string& checkpoint,
                                      const std::vector<std::string>& inputs,
                                      const std::string& device) {
  auto loaded = load_set_checkpoint(checkpoint, device);
  const auto& c = loaded.config;
  const auto dev = parse_device(device);
  torch::NoGradGuard no_grad;
  std::vector<std::string> lines;
  if (c.task == "unique_count") {
    std::vector<torch::Tensor> images;
    for (const auto& path : inputs) images.push_back(data::read_fashion_mnist_image(path));
    const auto x =
        data::normalize(torch::stack(images), data::kFashionMnistMean, data::kFashionMnistStd)
            .unsqueeze(0);
    const auto rate =
        torch::nn::functional::softplus(loaded.model(x.to(dev), torch::Tensor()).view({-1})) + 1e-6;
    lines.push_back(fmt::format("{} images: {} distinct classes (Poisson rate {:.3f})",
                                inputs.size(), static_cast<int64_t>(rate.floor().item<double>()),
                                rate.item<double>()));
    return lines;
  }
  const int64_t dims = c.task == "max_regression" ? 1 : 2;
  for (const auto& path : inputs) {
    const auto x = read_json_set(path, dims).unsqueeze(0).to(dev);
    const auto outputs = loaded.model(x, torch::Tensor());
    if (c.task == "max_regression") {
      lines.push_back(fmt::format("{}: {} elements, predicted maximum {:.4f}", path, x.size(1),
                                  outputs.view({-1})[0].item<double>()));
      continue;
    }
    const auto p = mixture_parameters(outputs);
    const auto weights = p.weights[0].cpu(), means = p.means[0].cpu();
    const auto stddevs = p.variances[0].sqrt().cpu();
    std::string line =
        fmt::format("{}: {} points, {} components:", path, x.size(1), weights.size(0));
    const auto heaviest_first = weights.argsort(0, /*descending=*/true);
    for (int64_t r = 0; r < heaviest_first.size(0); ++r) {
      const auto k = heaviest_first[r].item<int64_t>();
      line += fmt::format("  weight {:.3f} mean ({:.3f}, {:.3f}) std ({:.3f}, {:.3f})",
                          weights[k].item<double>(), means[k][0].item<double>(),
                          means[k][1].item<double>(), stddevs[k][0].item<double>(),
                          stddevs[k][1].item<double>());
    }
    lines.push_back(line);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------

nlohmann::json paper_figures(const std::string& task, const std::string& row) {
  struct Entry {
    const char* task;
    const char* row;
    double a, b;
  };
  // Supplement Table 1 (MAE), Table 5 (LL0, LL1), Table 6 (large: LL0, LL1); paper Table 2.
  static const Entry entries[] = {
      {"max_regression", "rFF + Pooling (mean)", 2.133, NAN},
      {"max_regression", "rFF + Pooling (sum)", 1.902, NAN},
      {"max_regression", "rFF + Pooling (max)", 0.1355, NAN},
      {"max_regression", "SAB + PMA", 0.2085, NAN},
      {"clustering", "rFF + Pooling", -2.0006, -1.6186},
      {"clustering", "rFFp-mean + Pooling", -1.7606, -1.5191},
      {"clustering", "rFFp-max + Pooling", -1.7692, -1.5103},
      {"clustering", "rFF + Dotprod", -1.8549, -1.5621},
      {"clustering", "SAB + Pooling", -1.6772, -1.5070},
      {"clustering", "ISAB (16) + Pooling", -1.6955, -1.4742},
      {"clustering", "rFF + PMA", -1.6680, -1.5409},
      {"clustering", "SAB + PMA", -1.5145, -1.4619},
      {"clustering", "ISAB (16) + PMA", -1.5009, -1.4530},
      {"clustering_large", "rFF + Pooling", -2.5195, -2.0709},
      {"clustering_large", "rFFp-mean + Pooling", -2.3126, -1.9749},
      {"clustering_large", "rFF + PMA", -2.0515, -1.9424},
      {"clustering_large", "ISAB (32) + PMA", -1.8928, -1.8549},
      {"unique_count", "rFF + Pooling", 0.4382, NAN},
      {"unique_count", "rFFp-mean + Pooling", 0.4617, NAN},
      {"unique_count", "rFFp-max + Pooling", 0.4359, NAN},
      {"unique_count", "rFF + Dotprod", 0.4471, NAN},
      {"unique_count", "rFF + PMA", 0.4572, NAN},
      {"unique_count", "SAB + Pooling", 0.5659, NAN},
      {"unique_count", "SAB + PMA", 0.6037, NAN},
  };
  const auto name = row.substr(0, row.find(", "));
  for (const auto& e : entries) {
    if (task != e.task || name != e.row) continue;
    if (task == "max_regression") return {{"mae", e.a}};
    if (task == "unique_count") return {{"accuracy", e.a}};
    return {{"ll0", e.a}, {"ll1", e.b}};
  }
  return nlohmann::json::object();
}

double paper_oracle(const std::string& task) {
  if (task == "clustering") return -1.4726;
  if (task == "clustering_large") return -1.8202;
  return std::numeric_limits<double>::quiet_NaN();
}

std::string write_set_table(const std::vector<std::string>& files, const std::string& out,
                            const std::string& command) {
  const auto runs =
      read_summaries(files, {"task", "row", "metrics", "steps", "train_seconds", "parameters"},
                     {"task"}, "setformer train");
  const std::string task = runs.front()["task"];
  const auto fixed = [](double v, int digits) {
    return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : std::string("—");
  };
  const auto budget = [](const nlohmann::json& r) {
    return std::make_pair(std::to_string(r["steps"].get<int64_t>()),
                          format_duration(r["train_seconds"].get<double>()));
  };
  io::Table table;
  nlohmann::json rows = nlohmann::json::array();
  if (is_clustering(task)) {
    table.columns = {"model",       "LL0/data",   "LL1/data", "paper LL0", "paper LL1",
                     "LL0 − paper", "params (k)", "steps",    "train time"};
    double oracle = runs.front()["metrics"].value("oracle_ll", NAN);
    table.add({"Oracle (true parameters)", fixed(oracle, 4), "—", fixed(paper_oracle(task), 4), "—",
               fixed(oracle - paper_oracle(task), 4), "—", "—", "—"});
    for (const auto& r : runs) {
      const auto paper = paper_figures(task, r["row"]);
      const double ll0 = r["metrics"].value("test_ll0", NAN),
                   ll1 = r["metrics"].value("test_ll1", NAN);
      const double p0 = paper.value("ll0", NAN), p1 = paper.value("ll1", NAN);
      const auto [steps, time] = budget(r);
      table.add({r["row"], fixed(ll0, 4), fixed(ll1, 4), fixed(p0, 4), fixed(p1, 4),
                 fixed(ll0 - p0, 4), fixed(r["parameters"].get<double>() / 1e3, 1), steps, time});
      rows.push_back({{"row", r["row"]},
                      {"ll0", ll0},
                      {"ll1", ll1},
                      {"paper", paper},
                      {"oracle", r["metrics"].value("oracle_ll", NAN)},
                      {"steps", r["steps"]},
                      {"train_seconds", r["train_seconds"]}});
    }
  } else {
    const bool mae = task == "max_regression";
    const std::string metric = mae ? "test_mae" : "test_accuracy";
    const std::string paper_key = mae ? "mae" : "accuracy";
    table.columns = {"model",
                     mae ? "MAE" : "accuracy",
                     mae ? "paper MAE" : "paper accuracy",
                     "ours − paper",
                     "params (k)",
                     "steps",
                     "train time"};
    for (const auto& r : runs) {
      const auto paper = paper_figures(task, r["row"]);
      const double ours = r["metrics"].value(metric, NAN), theirs = paper.value(paper_key, NAN);
      const auto [steps, time] = budget(r);
      table.add({r["row"], fixed(ours, 4), fixed(theirs, 4), fixed(ours - theirs, 4),
                 fixed(r["parameters"].get<double>() / 1e3, 1), steps, time});
      rows.push_back({{"row", r["row"]},
                      {paper_key, ours},
                      {"paper", paper},
                      {"steps", r["steps"]},
                      {"train_seconds", r["train_seconds"]}});
    }
  }
  return write_results_table(table, runs, {{"task", task}, {"rows", rows}}, out, command);
}

}  // namespace setformer::tasks
