// The shared training loop: a run interrupted (Ctrl-C) and resumed ends with exactly the weights,
// EMA and optimiser state of an uninterrupted one; the schedule, clipping and EMA do what they
// say; logs and curves are written; bad options are refused.
#include "setformer/train/trainer.h"

#include "setformer/nn/block.h"
#include "setformer/train/progress.h"

#include "common/errors.h"
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <csignal>
#include <filesystem>

namespace setformer::train {
namespace {

/// A SeT block with drop path (which draws from the global generator, so the RNG state must be
/// restored on resume) and a linear head.
struct NetImpl : torch::nn::Module {
  NetImpl() {
    auto attention = attention::AttentionOptions(8, 2).kernel("set");
    attention.set().num_references(4).iterations(3);
    block = register_module("block", nn::PreNormBlock(nn::BlockOptions(attention).drop_path(0.3)));
    head = register_module("head", torch::nn::Linear(8, 3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return head(block(x).mean(1)); }
  nn::PreNormBlock block{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(Net);

/// Batch s is a pure function of s, as the trainer requires.
StepOutput step_of(Net& net, int64_t s) {
  auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(1000 + s));
  const auto x = torch::randn({6, 5, 8}, gen);
  const auto y = torch::randint(3, {6}, gen);
  const auto logits = net(x);
  return {torch::nn::functional::cross_entropy(logits, y), (logits.argmax(1) == y).sum(), 6};
}

TrainerOptions options_for(const std::string& dir) {
  return TrainerOptions()
      .out_dir(dir)
      .model_name("net")
      .total_steps(12)
      .steps_per_epoch(4)
      .checkpoint_every(5)
      .log_every(2)
      .eval_every_epochs(1)
      .optim(OptimOptions().lr(1e-2).warmup_steps(3).clip_norm(0.5).ema_decay(0.9));
}

const auto quiet = [](const std::string&) {};

std::vector<torch::Tensor> snapshot(const torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

TEST(Trainer, InterruptedAndResumedRunEqualsUninterruptedOne) {
  const testing::TempDir dir;
  torch::manual_seed(4);
  Net straight;
  Trainer straight_trainer(*straight, options_for(dir.path("straight")));
  const auto evaluate_straight = [] { return nlohmann::json{{"score", 1.0}}; };
  const auto full = straight_trainer.run([&](int64_t s) { return step_of(straight, s); },
                                         evaluate_straight, quiet);
  EXPECT_FALSE(full.interrupted);
  EXPECT_EQ(full.steps_done, 12);

  // The same run, with Ctrl-C arriving during step 6 (index 6): the loop finishes that step,
  // saves a checkpoint at 7 and stops.
  torch::manual_seed(4);
  Net first;
  install_interrupt_handler();
  Trainer first_trainer(*first, options_for(dir.path("resumed")));
  const auto part = first_trainer.run(
      [&](int64_t s) {
        if (s == 6) std::raise(SIGINT);
        return step_of(first, s);
      },
      evaluate_straight, quiet);
  std::signal(SIGINT, SIG_DFL);
  EXPECT_TRUE(part.interrupted);
  EXPECT_EQ(part.steps_done, 7);
  EXPECT_EQ(read_checkpoint_info(dir.path("resumed") + "/checkpoint.pt").step, 7);

  // A new process: another initial model and global RNG state, resumed from the checkpoint.
  torch::manual_seed(123);
  Net second;
  install_interrupt_handler();
  Trainer second_trainer(*second, options_for(dir.path("resumed")).resume(true));
  const auto rest =
      second_trainer.run([&](int64_t s) { return step_of(second, s); }, evaluate_straight, quiet);
  std::signal(SIGINT, SIG_DFL);
  EXPECT_FALSE(rest.interrupted);
  EXPECT_EQ(rest.steps_done, 12);
  const auto a = snapshot(*straight), b = snapshot(*second);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << "parameter " << i;
  const auto ema_a = read_checkpoint_info(dir.path("straight") + "/checkpoint.pt").ema;
  const auto ema_b = read_checkpoint_info(dir.path("resumed") + "/checkpoint.pt").ema;
  ASSERT_EQ(ema_a.size(), ema_b.size());
  for (const auto& [name, t] : ema_a) EXPECT_TRUE(t.equal(ema_b.at(name))) << name;

  // The resumed log holds each step once, like the uninterrupted one.
  const auto steps_logged = [](const std::string& path) {
    std::vector<int64_t> steps;
    for (const auto& r : read_jsonl(path)) {
      if (r["kind"] == "train") steps.push_back(r["step"].get<int64_t>());
    }
    return steps;
  };
  EXPECT_EQ(steps_logged(dir.path("resumed") + "/log.jsonl"),
            steps_logged(dir.path("straight") + "/log.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir.path("resumed") + "/curves.png"));
}

TEST(Trainer, FollowsTheScheduleAndEvaluatesEveryEpochWithTheEma) {
  const testing::TempDir dir;
  torch::manual_seed(0);
  Net net;
  auto options = options_for(dir.path("run")).checkpoint_every(0).log_every(1);
  Trainer trainer(*net, options);
  std::vector<double> rates;
  std::vector<int64_t> eval_steps;
  const auto params = snapshot(*net);
  trainer.run(
      [&](int64_t s) {
        rates.push_back(trainer.optimizer().param_groups()[0].options().get_lr());
        return step_of(net, s);
      },
      [&] {
        eval_steps.push_back(static_cast<int64_t>(rates.size()));
        // Evaluation sees the EMA weights, in evaluation mode, and gets the model back after.
        EXPECT_FALSE(net->is_training());
        return nlohmann::json{{"score", 0.5}};
      },
      quiet);
  const WarmupCosine schedule{1e-2, 1e-5, 3, 12};
  ASSERT_EQ(rates.size(), 12u);
  for (int64_t s = 0; s < 12; ++s) EXPECT_DOUBLE_EQ(rates[s], schedule.at(s)) << "step " << s;
  EXPECT_EQ(eval_steps, (std::vector<int64_t>{4, 8, 12}));
  EXPECT_TRUE(net->is_training());
  // Weights moved; the recorded gradient norms are those before clipping.
  EXPECT_FALSE(snapshot(*net)[0].equal(params[0]));
  int64_t records = 0;
  for (const auto& r : read_jsonl(dir.path("run") + "/log.jsonl")) {
    if (r["kind"] == "train") {
      ++records;
      EXPECT_TRUE(r.contains("grad_norm") && r.contains("loss") && r.contains("accuracy"));
    }
  }
  EXPECT_EQ(records, 12);
}

TEST(Trainer, EmaIsTheExponentialAverageOfTheWeights) {
  const testing::TempDir dir;
  torch::manual_seed(0);
  Net net;
  auto options = options_for(dir.path("run")).total_steps(3).eval_every_epochs(0);
  options.optim().ema_decay(0.5);
  Trainer trainer(*net, options);
  // Track the first parameter after every step and average by hand.
  auto expected = net->parameters()[0].detach().clone();
  trainer.run(
      [&](int64_t s) {
        if (s > 0) expected = 0.5 * expected + 0.5 * net->parameters()[0].detach();
        return step_of(net, s);
      },
      [] { return nlohmann::json::object(); }, quiet);
  expected = 0.5 * expected + 0.5 * net->parameters()[0].detach();
  const auto ema = read_checkpoint_info(dir.path("run") + "/checkpoint.pt").ema;
  const auto name = net->named_parameters().begin()->key();
  EXPECT_LT((ema.at(name) - expected).abs().max().item<double>(), 1e-6);
}

TEST(Trainer, RefusesBadOptionsAndForeignCheckpoints) {
  const testing::TempDir dir;
  Net net;
  testing::expect_invalid_argument(
      [&] { Trainer(*net, options_for(dir.path("x")).total_steps(0)); }, "total steps must be");
  auto bad = options_for(dir.path("x"));
  bad.optim().ema_decay(1.0);
  testing::expect_invalid_argument([&] { Trainer(*net, bad); }, "ema must be in [0, 1)");
  // A checkpoint of another model in the run folder is refused on resume, naming both.
  auto one_step = options_for(dir.path("run")).total_steps(1);
  one_step.optim().warmup_steps(0);
  Trainer first(*net, one_step);
  first.run([&](int64_t s) { return step_of(net, s); }, [] { return nlohmann::json::object(); },
            quiet);
  Trainer other(*net, one_step.model_name("other").resume(true));
  try {
    other.run([&](int64_t s) { return step_of(net, s); }, [] { return nlohmann::json::object(); },
              quiet);
    ADD_FAILURE() << "expected the checkpoint to be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint of model 'net' cannot be loaded into "
                                         "model 'other'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace setformer::train
