#include "setformer/train/trainer.h"

#include "setformer/core/error.h"
#include "setformer/train/progress.h"

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>

namespace setformer::train {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};

extern "C" void on_interrupt(int signal) {
  g_interrupted = true;
  g_signal = signal;
  std::signal(signal, SIG_DFL);  // a second Ctrl-C (or SIGTERM) stops at once
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void install_interrupt_handler() {
  g_interrupted = false;
  g_signal = 0;
  std::signal(SIGINT, on_interrupt);
  // Schedulers and session managers stop jobs with SIGTERM: save the exact step then as well.
  std::signal(SIGTERM, on_interrupt);
}

int interrupted_exit_code() {
  return 128 + (g_signal != 0 ? g_signal.load() : SIGINT);
}

void apply_weights(torch::nn::Module& model, const std::map<std::string, torch::Tensor>& weights,
                   const std::string& source) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.named_parameters()) {
    const auto it = weights.find(p.key());
    SETFORMER_CHECK(it != weights.end(), "{}: no weights for parameter '{}'", source, p.key());
    SETFORMER_CHECK(it->second.sizes() == p.value().sizes(),
                    "{}: parameter '{}' has shape {} there but {} in the model", source, p.key(),
                    shape_string(it->second.sizes()), shape_string(p.value().sizes()));
    p.value().copy_(it->second);
  }
}

Trainer::Trainer(torch::nn::Module& model, TrainerOptions options)
    : model_(model), options_(std::move(options)) {
  const auto& o = options_;
  const auto& opt = o.optim();
  SETFORMER_CHECK(o.total_steps() >= 1, "total steps must be >= 1, got {}", o.total_steps());
  SETFORMER_CHECK(o.steps_per_epoch() >= 1, "steps per epoch must be >= 1, got {}",
                  o.steps_per_epoch());
  SETFORMER_CHECK(o.checkpoint_every() >= 0, "checkpoint_every must be >= 0, got {}",
                  o.checkpoint_every());
  SETFORMER_CHECK(o.log_every() >= 1, "log_every must be >= 1, got {}", o.log_every());
  SETFORMER_CHECK(o.eval_every_epochs() >= 0, "eval_every must be >= 0, got {}",
                  o.eval_every_epochs());
  SETFORMER_CHECK(opt.weight_decay() >= 0, "weight_decay must be >= 0, got {}", opt.weight_decay());
  SETFORMER_CHECK(opt.beta1() >= 0 && opt.beta1() < 1 && opt.beta2() >= 0 && opt.beta2() < 1,
                  "beta1 and beta2 must be in [0, 1), got {} and {}", opt.beta1(), opt.beta2());
  SETFORMER_CHECK(opt.clip_norm() >= 0, "clip_norm must be >= 0 (0: off), got {}", opt.clip_norm());
  SETFORMER_CHECK(opt.ema_decay() >= 0 && opt.ema_decay() < 1,
                  "ema must be in [0, 1) (0: off), got {}", opt.ema_decay());
  cosine_ = WarmupCosine{opt.lr(), opt.min_lr(), opt.warmup_steps(), o.total_steps()};
  // The cosine is the default; its bounds (warm-up within the run) bind only when it is used.
  if (opt.inverse_sqrt_dim() == 0 && opt.exponential_steps() == 0) cosine_.validate();
  step_decay_ = StepDecay{opt.lr(), opt.warmup_steps(), opt.decay_steps(), opt.decay_factor()};
  step_decay_.validate();
  SETFORMER_CHECK(
      (opt.exponential_steps() > 0) + !opt.decay_steps().empty() + (opt.inverse_sqrt_dim() > 0) <=
          1,
      "optimiser: choose one of a step decay, an exponential decay and the inverse "
      "square root schedule");
  if (opt.inverse_sqrt_dim() > 0) {
    inverse_sqrt_ = InverseSqrt{opt.lr(), opt.inverse_sqrt_dim(), opt.warmup_steps()};
    inverse_sqrt_.validate();
  }
  if (opt.exponential_steps() > 0) {
    exponential_ = ExponentialDecay{opt.lr(), opt.warmup_steps(), opt.exponential_steps(),
                                    opt.exponential_rate()};
    exponential_.validate();
  }

  // Matrices and kernels are decayed; vectors (biases, norm gains) are not, as in Swin and
  // DeiT. SeT references are [H, m, d_h] tensors of directions and are decayed like weights.
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : model_.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    parameters_.push_back(p.value());
    parameter_names_.push_back(p.key());
    (p.value().dim() >= 2 ? decay : no_decay).push_back(p.value());
  }
  SETFORMER_CHECK(!parameters_.empty(), "the model has no trainable parameters");
  const auto adamw = [&](double weight_decay) {
    return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(opt.lr())
                                                            .betas({opt.beta1(), opt.beta2()})
                                                            .weight_decay(weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, adamw(opt.weight_decay()));
  groups.emplace_back(no_decay, adamw(0.0));
  optimizer_ = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(opt.lr()));
  if (opt.ema_decay() > 0) {
    torch::NoGradGuard no_grad;
    for (const auto& p : parameters_) ema_.push_back(p.detach().clone());
  }
}

std::string Trainer::checkpoint_path() const {
  return options_.out_dir() + "/checkpoint.pt";
}
std::string Trainer::log_path() const {
  return options_.out_dir() + "/log.jsonl";
}
std::string Trainer::curves_path() const {
  return options_.out_dir() + "/curves.png";
}

double Trainer::lr_at(int64_t step) const {
  if (options_.optim().exponential_steps() > 0) return exponential_.at(step);
  if (options_.optim().inverse_sqrt_dim() > 0) return inverse_sqrt_.at(step);
  return options_.optim().decay_steps().empty() ? cosine_.at(step) : step_decay_.at(step);
}

void Trainer::save(int64_t step, double train_seconds) {
  Checkpoint c;
  c.model = options_.model_name();
  c.config = options_.config_json();
  c.step = step;
  c.epoch = step / options_.steps_per_epoch();
  c.train_seconds = train_seconds;
  c.rng_states["cpu"] = torch::globalContext().defaultGenerator(torch::kCPU).get_state();
  for (size_t i = 0; i < ema_.size(); ++i) c.ema[parameter_names_[i]] = ema_[i];
  save_checkpoint(checkpoint_path(), c, model_, optimizer_.get());
}

int64_t Trainer::restore(double& train_seconds) {
  const auto c =
      load_checkpoint(checkpoint_path(), options_.model_name(), model_, optimizer_.get());
  SETFORMER_CHECK(c.step <= options_.total_steps(),
                  "{}: checkpoint is at step {}, beyond this run's {} steps", checkpoint_path(),
                  c.step, options_.total_steps());
  if (const auto it = c.rng_states.find("cpu"); it != c.rng_states.end()) {
    at::Generator generator = torch::globalContext().defaultGenerator(torch::kCPU);
    generator.set_state(it->second);
  }
  if (!ema_.empty()) {
    SETFORMER_CHECK(!c.ema.empty(),
                    "{}: this run keeps an EMA of the weights but the checkpoint has none",
                    checkpoint_path());
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < ema_.size(); ++i) {
      const auto it = c.ema.find(parameter_names_[i]);
      SETFORMER_CHECK(it != c.ema.end(), "{}: no EMA weights for parameter '{}'", checkpoint_path(),
                      parameter_names_[i]);
      ema_[i].copy_(it->second);
    }
  }
  train_seconds = c.train_seconds;
  return c.step;
}

void Trainer::update_ema() {
  torch::NoGradGuard no_grad;
  const double decay = options_.optim().ema_decay();
  for (size_t i = 0; i < ema_.size(); ++i) ema_[i].lerp_(parameters_[i], 1.0 - decay);
}

void Trainer::swap_ema() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < ema_.size(); ++i) {
    auto kept = parameters_[i].clone();
    parameters_[i].copy_(ema_[i]);
    ema_[i] = kept;
  }
}

TrainSummary Trainer::run(const std::function<StepOutput(int64_t step)>& step_fn,
                          const std::function<nlohmann::json()>& evaluate,
                          const std::function<void(const std::string&)>& print) {
  const auto& o = options_;
  std::filesystem::create_directories(o.out_dir());
  TrainSummary summary;
  double previous_seconds = 0;
  int64_t start = 0;
  if (o.resume()) {
    start = restore(previous_seconds);
    // Records past the checkpoint came from the interrupted session and are redone now.
    std::vector<nlohmann::json> kept;
    if (std::filesystem::exists(log_path())) {
      for (auto& r : read_jsonl(log_path())) {
        if (r.value("step", int64_t{0}) <= start && r.value("kind", "") != "end")
          kept.push_back(std::move(r));
      }
    }
    JsonlLog rewrite(log_path(), /*truncate=*/true);
    for (const auto& r : kept) rewrite.write(r);
    print(fmt::format("resumed from {} at step {} (epoch {})", checkpoint_path(), start,
                      start / o.steps_per_epoch()));
  }
  JsonlLog log(log_path(), /*truncate=*/!o.resume());
  // Training time excludes evaluation, so that runs with different evaluation schedules compare.
  const auto session_start = std::chrono::steady_clock::now();
  double eval_seconds = 0;
  const auto total_seconds = [&] {
    return previous_seconds + seconds_since(session_start) - eval_seconds;
  };

  const auto run_eval = [&](int64_t step) {
    const auto eval_start = std::chrono::steady_clock::now();
    model_.eval();
    if (!ema_.empty()) swap_ema();
    auto metrics = evaluate();
    if (!ema_.empty()) swap_ema();
    model_.train();
    nlohmann::json record{{"kind", "eval"}, {"step", step}, {"epoch", step / o.steps_per_epoch()}};
    record.update(metrics);
    log.write(record);
    std::string line = fmt::format("eval  step {}  epoch {}", step, step / o.steps_per_epoch());
    for (const auto& [key, value] : metrics.items()) {
      if (value.is_number_float()) line += fmt::format("  {} {:.4f}", key, value.get<double>());
    }
    print(line);
    summary.final_eval = metrics;
    eval_seconds += seconds_since(eval_start);
  };

  model_.train();
  double loss_sum = 0, correct_sum = 0, data_seconds = 0;
  bool data_timed = false;
  int64_t items = 0, window_steps = 0;
  auto window_start = std::chrono::steady_clock::now();
  double eval_seconds_at_window_start = 0;  // evaluation is not training throughput
  int64_t step = start;
  for (; step < o.total_steps(); ++step) {
    if (g_interrupted) break;
    const double lr = lr_at(step);
    for (auto& group : optimizer_->param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    optimizer_->zero_grad();
    const StepOutput out = step_fn(step);
    SETFORMER_CHECK(out.loss.defined() && out.loss.numel() == 1,
                    "a training step must return a scalar loss");
    if (!out.backward_done) out.loss.backward();
    double grad_norm = -1;
    if (o.optim().clip_norm() > 0) {
      grad_norm = torch::nn::utils::clip_grad_norm_(parameters_, o.optim().clip_norm());
    }
    optimizer_->step();
    update_ema();

    // Reading the loss synchronises with the device; only done once per logging window.
    loss_sum += out.loss.detach().item<double>() * static_cast<double>(out.count);
    if (out.correct.defined()) correct_sum += out.correct.item<double>();
    items += out.count;
    if (out.data_seconds >= 0) {
      data_seconds += out.data_seconds;
      data_timed = true;
    }
    ++window_steps;
    const int64_t done = step + 1;
    if (!std::isfinite(loss_sum)) {
      throw std::runtime_error(fmt::format(
          "training diverged: the loss is not finite at step {}; lower the learning rate (now "
          "{:.3g}) or clip gradients",
          done, lr));
    }
    if (done % o.log_every() == 0 || done == o.total_steps()) {
      const double window_seconds =
          seconds_since(window_start) - (eval_seconds - eval_seconds_at_window_start);
      ProgressState p;
      p.step = done;
      p.total_steps = o.total_steps();
      p.epoch = step / o.steps_per_epoch() + 1;
      p.loss = loss_sum / static_cast<double>(std::max<int64_t>(1, items));
      p.accuracy = out.correct.defined()
                       ? correct_sum / static_cast<double>(std::max<int64_t>(1, items))
                       : -1;
      p.items_per_second = static_cast<double>(items) / std::max(1e-9, window_seconds);
      p.seconds_left = window_seconds / static_cast<double>(window_steps) *
                       static_cast<double>(o.total_steps() - done);
      p.unit = o.unit();
      if (data_timed)
        p.data_fraction = std::min(1.0, data_seconds / std::max(1e-9, window_seconds));
      print(format_progress(p));
      nlohmann::json record{{"kind", "train"},
                            {"step", done},
                            {"epoch", p.epoch},
                            {"loss", p.loss},
                            {"lr", lr},
                            {"items_per_second", p.items_per_second},
                            {"seconds", total_seconds()}};
      if (p.accuracy >= 0) record["accuracy"] = p.accuracy;
      if (grad_norm >= 0) record["grad_norm"] = grad_norm;
      if (data_timed) record["data_seconds"] = data_seconds;
      log.write(record);
      loss_sum = correct_sum = data_seconds = 0;
      data_timed = false;
      items = window_steps = 0;
      window_start = std::chrono::steady_clock::now();
      eval_seconds_at_window_start = eval_seconds;
    }
    const bool epoch_end = done % o.steps_per_epoch() == 0;
    if (o.eval_every_epochs() > 0 && epoch_end && done < o.total_steps() &&
        (done / o.steps_per_epoch()) % o.eval_every_epochs() == 0) {
      run_eval(done);
    }
    if (o.checkpoint_every() > 0 && done % o.checkpoint_every() == 0 && done < o.total_steps()) {
      save(done, total_seconds());
    }
  }
  summary.steps_done = step;
  summary.interrupted = step < o.total_steps();
  if (!summary.interrupted) run_eval(step);
  summary.train_seconds = total_seconds();
  save(step, summary.train_seconds);
  summary.checkpoint_path = checkpoint_path();
  if (summary.interrupted) {
    print(fmt::format("interrupted at step {}: saved {}; continue with --resume", step,
                      checkpoint_path()));
  }
  log.write({{"kind", "end"},
             {"step", step},
             {"train_seconds", summary.train_seconds},
             {"interrupted", summary.interrupted}});
  plot_curves(read_jsonl(log_path()), "step", o.curves(), o.model_name(), curves_path());
  return summary;
}

}  // namespace setformer::train
