// The text encoder: padding changes nothing for any kernel, positions are what the options say
// (SeT's LPE or added embeddings, and none makes the encoder permutation-equivariant), the MLM
// head is tied to the embeddings, [CLS] pooling reads the state of a vector in front of the tokens,
// and errors name the problem.
#include "setformer/models/text_encoder.h"
#include "setformer/models/transformer.h"

#include "common/attention_helpers.h"
#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::models {
namespace {

using testing::max_abs_diff;

TextEncoder small_encoder(const std::string& kernel,
                          TextPositions positions = TextPositions::automatic,
                          TextPooling pooling = TextPooling::mean) {
  torch::manual_seed(9);
  auto o = TextEncoderOptions(50, 3)
               .dim(16)
               .heads(2)
               .depth(2)
               .dropout(0.0)
               .kernel(kernel)
               .positions(positions)
               .pooling(pooling);
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
  for (const auto pooling : {TextPooling::mean, TextPooling::cls}) {
    auto model = small_encoder(GetParam(), TextPositions::automatic, pooling);
    if (pooling == TextPooling::cls) {
      torch::NoGradGuard no_grad;
      model->cls.normal_();  // zero at initialisation, which would hide a padding leak
    }
    auto tokens = torch::randint(5, 50, {2, 9}, torch::kLong);
    tokens[1].slice(0, 6).fill_(0);
    const auto batched = model->forward(tokens);
    const auto classes = model->classify(tokens);
    const auto alone = tokens[1].slice(0, 0, 6).unsqueeze(0);
    EXPECT_LT(max_abs_diff(batched[1].slice(0, 0, 6), model->forward(alone)[0]), 1e-7);
    EXPECT_LT(max_abs_diff(classes[1], model->classify(alone)[0]), 1e-7)
        << static_cast<int>(pooling);
  }
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

// [CLS] pooling, computed by hand from the encoder's parts: the vector goes in front of the token
// embeddings, the positions are added over all n + 1 places, and the head reads place 0. The
// tokens' own states see [CLS] too, so they differ from `forward`'s.
TEST(TextEncoder, ClsPoolingReadsTheStateOfAVectorInFront) {
  for (const auto kernel : {"softmax", "set"}) {
    auto model = small_encoder(kernel, TextPositions::automatic, TextPooling::cls);
    torch::NoGradGuard no_grad;
    model->cls.normal_();
    const auto tokens = torch::randint(5, 50, {2, 7}, torch::kLong);
    const auto words = model->embedding(tokens);
    auto x = torch::cat({model->cls.expand({2, 1, 16}), words}, 1);
    if (std::string(kernel) == "softmax")
      x = x + 0.02 * std::sqrt(2.0) * sinusoidal_positions(8, 16, x.options());
    for (const auto& block : *model->blocks)
      x = block->as<nn::PreNormBlock>()->forward(x, attention::Mask());
    const auto expected = model->classifier(model->norm(x).select(1, 0));
    EXPECT_LT(max_abs_diff(model->classify(tokens), expected), 1e-10) << kernel;
    EXPECT_GT(max_abs_diff(model->norm(x).slice(1, 1), model->forward(tokens)), 1e-4) << kernel;
  }
  // Only a classifier with [CLS] pooling has the vector.
  EXPECT_FALSE(small_encoder("softmax")->named_parameters().contains("cls"));
  EXPECT_FALSE(TextEncoder(TextEncoderOptions(50, 0).pooling(TextPooling::cls))
                   ->named_parameters()
                   .contains("cls"));
}

// Segment embeddings (BERT's token types): forward equals the blocks run on token + segment +
// position embeddings, computed by hand; without a segments tensor every token is segment 0; an
// encoder without the table has no such parameter (so older checkpoints load) and refuses them.
TEST(TextEncoder, SegmentsAreAddedToTheTokens) {
  auto model = TextEncoder(
      TextEncoderOptions(50, 2).dim(16).heads(2).depth(1).kernel("softmax").segments(2));
  model->eval();
  model->to(torch::kDouble);
  torch::NoGradGuard no_grad;
  const auto tokens = torch::randint(5, 50, {2, 6}, torch::kLong);
  const auto segments = torch::tensor({{0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 1, 1}}, torch::kLong);
  auto x =
      model->embedding(tokens) + model->segment_embedding->weight.index({segments}) +
      0.02 * std::sqrt(2.0) * sinusoidal_positions(6, 16, torch::TensorOptions(torch::kDouble));
  for (const auto& block : *model->blocks)
    x = block->as<nn::PreNormBlock>()->forward(x, attention::Mask());
  EXPECT_LT(max_abs_diff(model->forward(tokens, segments), model->norm(x)), 1e-10);
  EXPECT_LT(max_abs_diff(model->forward(tokens), model->forward(tokens, torch::zeros_like(tokens))),
            1e-12);
  EXPECT_GT(max_abs_diff(model->classify(tokens, segments), model->classify(tokens)), 1e-6);
  auto plain = small_encoder("softmax");
  EXPECT_FALSE(plain->named_parameters().contains("segment_embedding.weight"));
  testing::expect_invalid_argument([&] { plain->forward(tokens, segments); },
                                   "no segment embeddings");
  testing::expect_invalid_argument([&] { model->forward(tokens, segments + 1); },
                                   "text segments must lie in [0, 2)");
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
  testing::expect_invalid_argument(
      [] { attention::parse_enum<TextPooling>("model.pooling", "max"); },
      "model.pooling = 'max' is not valid; expected mean | cls");
}

}  // namespace
}  // namespace setformer::models
