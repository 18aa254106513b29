// The text encoder: padding changes nothing for any kernel, positions are what the options say
// (SeT's LPE or added embeddings, and none makes the encoder permutation-equivariant), the MLM
// head is tied to the embeddings, and errors name the problem.
#include "setformer/models/text_encoder.h"

#include "common/attention_helpers.h"
#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::models {
namespace {

using testing::max_abs_diff;

TextEncoder small_encoder(const std::string& kernel,
                          TextPositions positions = TextPositions::automatic) {
  torch::manual_seed(9);
  auto o =
      TextEncoderOptions(50, 3).dim(16).heads(2).depth(2).dropout(0.0).kernel(kernel).positions(
          positions);
  o.kernels().set().num_references(4);
  o.kernels().nystrom().landmarks(4);
  o.kernels().inducing().points(4);
  TextEncoder model(o);
  model->to(torch::kDouble);
  model->eval();
  return model;
}

class EveryTextKernel : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryTextKernel, PaddingChangesNothing) {
  auto model = small_encoder(GetParam());
  auto tokens = torch::randint(5, 50, {2, 9}, torch::kLong);
  tokens[1].slice(0, 6).fill_(0);
  const auto batched = model->forward(tokens);
  const auto classes = model->classify(tokens);
  const auto alone = tokens[1].slice(0, 0, 6).unsqueeze(0);
  EXPECT_LT(max_abs_diff(batched[1].slice(0, 0, 6), model->forward(alone)[0]), 1e-7);
  EXPECT_LT(max_abs_diff(classes[1], model->classify(alone)[0]), 1e-7);
}

INSTANTIATE_TEST_SUITE_P(Kernels, EveryTextKernel,
                         ::testing::Values("softmax", "set", "linear", "performer", "nystrom",
                                           "isab"),
                         [](const auto& p) { return p.param; });

// attention_dropout reaches the attention weights of every block and nothing else does: with the
// other dropouts off, training-mode passes repeat exactly unless the weights are dropped.
TEST(TextEncoder, AttentionDropoutIsItsOwnOption) {
  for (const auto kernel : {"softmax", "set"}) {
    for (const double p : {0.0, 0.5}) {
      torch::manual_seed(3);
      auto o = TextEncoderOptions(50, 3).dim(16).heads(2).depth(2).dropout(0.0).kernel(kernel);
      o.kernels().set().num_references(4);
      TextEncoder model(o.attention_dropout(p));
      model->train();
      const auto tokens = torch::randint(5, 50, {2, 9}, torch::kLong);
      const double gap = max_abs_diff(model->forward(tokens), model->forward(tokens));
      if (p > 0) {
        EXPECT_GT(gap, 1e-3) << kernel;
      } else {
        EXPECT_EQ(gap, 0.0) << kernel;
      }
    }
  }
}

// Added positions start at the tokens' scale, as BERT's learned table does: the sinusoidal table
// at its own (rms 1/√2 per feature, 35× the tokens' at d = 128) would swamp the token identities.
TEST(TextEncoder, AddedPositionsStartAtTheTokensScale) {
  const auto tokens = torch::randint(5, 8000, {4, 512}, torch::kLong);
  for (const auto positions : {TextPositions::sinusoidal, TextPositions::learned}) {
    torch::manual_seed(1);
    TextEncoder model(TextEncoderOptions(8192, 2).dim(128).kernel("softmax").positions(positions));
    torch::NoGradGuard no_grad;
    const auto words = model->embedding(tokens);
    const auto added = model->embed(tokens) - words;
    const double ratio =
        added.pow(2).mean().sqrt().item<double>() / words.pow(2).mean().sqrt().item<double>();
    EXPECT_GT(ratio, 0.8) << static_cast<int>(positions);
    EXPECT_LT(ratio, 1.25) << static_cast<int>(positions);
  }
}

TEST(TextEncoder, PositionsAreWhatTheOptionsSay) {
  const auto tokens = torch::randint(5, 50, {1, 8}, torch::kLong);
  const auto perm = torch::randperm(8);
  const auto gap = [&](TextEncoder& m) {
    return max_abs_diff(m->forward(tokens.index_select(1, perm)),
                        m->forward(tokens).index_select(1, perm));
  };
  for (const auto kernel : {"softmax", "set"}) {
    auto with = small_encoder(kernel);  // sinusoidal for softmax, LPE for set
    auto without = small_encoder(kernel, TextPositions::none);
    EXPECT_GT(gap(with), 1e-4) << kernel;
    EXPECT_LT(gap(without), 1e-9) << kernel;
  }
  auto learned = small_encoder("softmax", TextPositions::learned);
  EXPECT_TRUE(learned->named_parameters().contains("learned_positions.weight"));
  EXPECT_GT(gap(learned), 1e-4);
}

TEST(TextEncoder, MlmHeadIsTiedToTheEmbeddings) {
  auto model = small_encoder("softmax");
  const auto hidden = torch::randn({1, 3, 16}, torch::kDouble);
  const auto h = model->mlm_norm(torch::gelu(model->mlm_dense(hidden)));
  const auto expected = h.matmul(model->embedding->weight.t()) + model->mlm_bias;
  EXPECT_LT(max_abs_diff(model->mlm_logits(hidden), expected), 1e-12);
  EXPECT_EQ(model->mlm_logits(hidden).size(-1), 50);
}

TEST(TextEncoder, ErrorsNameTheProblem) {
  auto model = small_encoder("softmax");
  testing::expect_invalid_argument(
      [&] {
        model->forward(torch::zeros({1, 4}, torch::kLong));
      },
      "holds only padding");
  auto no_head = TextEncoder(TextEncoderOptions(50, 0).dim(16).heads(2).depth(1));
  testing::expect_invalid_argument(
      [&] {
        no_head->classify(torch::ones({1, 4}, torch::kLong));
      },
      "no classification head");
  testing::expect_invalid_argument([] { parse_text_positions("model.positions", "rotary"); },
                                   "model.positions = 'rotary' is not valid");
}

}  // namespace
}  // namespace setformer::models
