// Checkpoints: resuming from one gives bit-identical weights to an uninterrupted run; wrong
// files, models and shapes are refused with the culprit named and the model left unchanged.
#include "setformer/train/checkpoint.h"

#include "setformer/attention/attention.h"
#include "setformer/core/files.h"

#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::train {
namespace {

/// A small model with a SeT layer (references, LPE) and a linear head.
struct TinyImpl : torch::nn::Module {
  explicit TinyImpl(int64_t width = 8) {
    auto options = attention::AttentionOptions(width, 2).kernel("set");
    options.set().num_references(4).iterations(3);
    attn = register_module("attn", attention::make_attention(options));
    head = register_module("head", torch::nn::Linear(width, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return head(attn(x, x).mean(1)); }
  attention::Attention attn{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(Tiny);

/// One AdamW step on a batch drawn from `data`.
void step(Tiny& model, torch::optim::AdamW& optimizer, at::Generator& data) {
  const auto x = torch::randn({4, 6, 8}, data);
  const auto y = torch::randn({4, 1}, data);
  optimizer.zero_grad();
  torch::mse_loss(model(x), y).backward();
  optimizer.step();
}

bool same_weights(const torch::nn::Module& a, const torch::nn::Module& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& p : pa) {
    if (!p.value().equal(pb[p.key()])) return false;
  }
  return pa.size() == pb.size();
}

/// Metadata of model "tiny" at `step`.
Checkpoint at_step(int64_t step, int64_t epoch = 0) {
  Checkpoint c;
  c.model = "tiny";
  c.config = "{}";
  c.step = step;
  c.epoch = epoch;
  return c;
}

TEST(Checkpoint, ResumingGivesTheSameWeightsAsAnUninterruptedRun) {
  const testing::TempDir dir;
  torch::manual_seed(1);
  Tiny straight;
  torch::manual_seed(1);
  Tiny interrupted;
  ASSERT_TRUE(same_weights(*straight, *interrupted));
  const auto adamw = torch::optim::AdamWOptions(1e-2).weight_decay(0.05);
  torch::optim::AdamW opt_straight(straight->parameters(), adamw);
  torch::optim::AdamW opt_interrupted(interrupted->parameters(), adamw);
  auto data_straight = at::detail::createCPUGenerator(7);
  auto data_interrupted = at::detail::createCPUGenerator(7);
  for (int i = 0; i < 4; ++i) step(straight, opt_straight, data_straight);
  for (int i = 0; i < 2; ++i) step(interrupted, opt_interrupted, data_interrupted);
  auto saved = at_step(2);
  saved.config = R"({"lr": 0.01})";
  saved.rng_states["data"] = data_interrupted.get_state();
  save_checkpoint(dir.path("run.pt"), saved, *interrupted, &opt_interrupted);

  // A new process: fresh model (other initial weights), optimiser and generator.
  torch::manual_seed(99);
  Tiny resumed;
  EXPECT_FALSE(same_weights(*resumed, *interrupted));
  torch::optim::AdamW opt_resumed(resumed->parameters(), adamw);
  const auto loaded = load_checkpoint(dir.path("run.pt"), "tiny", *resumed, &opt_resumed);
  EXPECT_EQ(loaded.step, 2);
  EXPECT_EQ(loaded.config, R"({"lr": 0.01})");
  auto data_resumed = at::detail::createCPUGenerator(0);
  data_resumed.set_state(loaded.rng_states.at("data"));
  for (int i = 0; i < 2; ++i) step(resumed, opt_resumed, data_resumed);
  EXPECT_TRUE(same_weights(*straight, *resumed));
}

TEST(Checkpoint, InfoIsReadableWithoutAModel) {
  const testing::TempDir dir;
  Tiny model;
  auto saved = at_step(10, 3);
  saved.train_seconds = 12.5;
  // EMA weights are keyed by dotted parameter names.
  saved.ema["layer.weight"] = torch::randn({2, 3});
  saved.ema["bias"] = torch::randn({3});
  save_checkpoint(dir.path("c.pt"), saved, *model);
  const auto info = read_checkpoint_info(dir.path("c.pt"));
  EXPECT_EQ(info.model, "tiny");
  EXPECT_EQ(info.step, 10);
  EXPECT_EQ(info.epoch, 3);
  EXPECT_EQ(info.train_seconds, 12.5);
  ASSERT_EQ(info.ema.size(), 2u);
  EXPECT_TRUE(info.ema.at("layer.weight").equal(saved.ema.at("layer.weight")));
  EXPECT_TRUE(info.ema.at("bias").equal(saved.ema.at("bias")));
}

/// Expects load_checkpoint to throw std::runtime_error starting with the path and containing
/// `fragment`, and `model` to be unchanged.
void expect_refused(const std::string& path, const std::string& name, torch::nn::Module& model,
                    const std::string& fragment, torch::optim::Optimizer* optimizer = nullptr) {
  std::vector<torch::Tensor> before;
  for (const auto& p : model.parameters()) before.push_back(p.detach().clone());
  try {
    load_checkpoint(path, name, model, optimizer);
    ADD_FAILURE() << "expected the checkpoint to be refused: " << fragment;
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path, 0), 0u) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
  }
  const auto after = model.parameters();
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_TRUE(before[i].equal(after[i])) << "the model changed";
  }
}

TEST(Checkpoint, RefusesWrongFilesModelsAndShapes) {
  const testing::TempDir dir;
  Tiny model;
  save_checkpoint(dir.path("tiny.pt"), at_step(1), *model);
  Tiny other;
  expect_refused(dir.path("missing.pt"), "tiny", *other, "checkpoint not found");
  write_file_atomic(dir.path("junk.pt"), "not an archive");
  expect_refused(dir.path("junk.pt"), "tiny", *other, "not a setformer checkpoint");
  expect_refused(dir.path("tiny.pt"), "setformer-miny", *other,
                 "checkpoint of model 'tiny' cannot be loaded into model 'setformer-miny'");
  Tiny wider(12);
  expect_refused(dir.path("tiny.pt"), "tiny", *wider,
                 "has shape [2, 4, 4] in the checkpoint but [2, 4, 6]");
  torch::optim::AdamW optimizer(other->parameters());
  expect_refused(dir.path("tiny.pt"), "tiny", *other, "no optimiser state", &optimizer);
}

TEST(Checkpoint, OverwritesAtomically) {
  const testing::TempDir dir;
  Tiny model;
  save_checkpoint(dir.path("c.pt"), at_step(1), *model);
  save_checkpoint(dir.path("c.pt"), at_step(2), *model);
  EXPECT_EQ(read_checkpoint_info(dir.path("c.pt")).step, 2);
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.root())) ++files;
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace setformer::train
