// The Transformer: incremental decoding agrees with recomputing the prefix (softmax and linear
// decoders, post- and pre-norm), causality, padding blindness, the paper's parameter counts,
// sinusoidal positions against their formula, and beam search against exhaustive enumeration.
#include "setformer/models/transformer.h"
#include "setformer/models/decoding.h"

#include "common/attention_helpers.h"
#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>

namespace setformer::models {
namespace {

using testing::max_abs_diff;

Transformer tiny_model(const std::string& decoder_kernel = "softmax",
                       nn::NormPlacement norm = nn::NormPlacement::post, int64_t vocab = 11) {
  torch::manual_seed(6);
  auto options = transformer_preset("tiny", vocab, vocab)
                     .dim(16)
                     .heads(2)
                     .ffn_dim(32)
                     .decoder_kernel(decoder_kernel)
                     .norm(norm);
  Transformer model(options);
  model->to(torch::kDouble);
  model->eval();
  return model;
}

/// Source [B, S] with its last `pads[b]` tokens padding (id 0); other ids in [3, vocab).
torch::Tensor source_tokens(const std::vector<int64_t>& pads, int64_t s, int64_t vocab = 11) {
  auto t = torch::randint(3, vocab, {static_cast<int64_t>(pads.size()), s}, torch::kLong);
  for (size_t b = 0; b < pads.size(); ++b)
    t[static_cast<int64_t>(b)].slice(0, s - pads[b]).fill_(0);
  return t;
}

struct DecoderCase {
  std::string kernel;
  nn::NormPlacement norm;
};

void PrintTo(const DecoderCase& c, std::ostream* os) {
  *os << c.kernel << (c.norm == nn::NormPlacement::post ? " post-norm" : " pre-norm");
}

class IncrementalDecoding : public ::testing::TestWithParam<DecoderCase> {};

TEST_P(IncrementalDecoding, StepsEqualTheLastRowOfTheFullDecode) {
  auto model = tiny_model(GetParam().kernel, GetParam().norm);
  const auto source = source_tokens({0, 2}, 7);
  const auto target = torch::randint(3, 11, {2, 6}, torch::kLong);
  const auto memory = model->encode(source);
  const auto full = torch::log_softmax(model->decode(target, memory, source), -1);
  auto state = model->start(memory, source);
  for (int64_t t = 0; t < target.size(1); ++t) {
    const auto stepped = model->step(target.select(1, t), state);
    EXPECT_LT(max_abs_diff(stepped, full.select(1, t)), 1e-10) << "position " << t;
  }
}

TEST_P(IncrementalDecoding, GreedyWithTheCacheEqualsRecomputing) {
  auto model = tiny_model(GetParam().kernel, GetParam().norm);
  const auto source = source_tokens({0, 3, 1}, 8);
  const auto options = DecodeOptions().max_length(12);
  const auto cached = greedy_decode(model, source, options);
  const auto recomputed = greedy_decode(model, source, DecodeOptions(options).use_cache(false));
  for (size_t b = 0; b < cached.size(); ++b) {
    EXPECT_EQ(cached[b].tokens, recomputed[b].tokens) << "sequence " << b;
    EXPECT_NEAR(cached[b].log_probability, recomputed[b].log_probability, 1e-9);
  }
}

INSTANTIATE_TEST_SUITE_P(Decoders, IncrementalDecoding,
                         ::testing::Values(DecoderCase{"softmax", nn::NormPlacement::post},
                                           DecoderCase{"softmax", nn::NormPlacement::pre},
                                           DecoderCase{"linear", nn::NormPlacement::post},
                                           DecoderCase{"performer", nn::NormPlacement::pre}),
                         [](const auto& p) {
                           return p.param.kernel + (p.param.norm == nn::NormPlacement::post
                                                        ? std::string("_post")
                                                        : std::string("_pre"));
                         });

TEST(Transformer, LaterTargetsDoNotChangeEarlierLogits) {
  auto model = tiny_model();
  const auto source = source_tokens({0}, 5);
  auto target = torch::randint(3, 11, {1, 6}, torch::kLong);
  const auto before = model->forward(source, target);
  target.slice(1, 3).fill_(4);
  const auto after = model->forward(source, target);
  EXPECT_LT(max_abs_diff(before.slice(1, 0, 3), after.slice(1, 0, 3)), 1e-12);
  EXPECT_GT(max_abs_diff(before.slice(1, 3), after.slice(1, 3)), 1e-6);
}

TEST(Transformer, SourcePaddingChangesNothing) {
  for (const auto kernel : {"softmax", "set"}) {
    auto options = transformer_preset("tiny", 11, 11).dim(16).heads(2).encoder_kernel(kernel);
    options.kernels().set().num_references(4).positions(attention::Positions::lpe);
    torch::manual_seed(2);
    Transformer model(options);
    model->to(torch::kDouble);
    model->eval();
    const auto source = source_tokens({0}, 5);
    const auto padded = torch::cat({source, torch::zeros({1, 3}, torch::kLong)}, 1);
    const auto target = torch::randint(3, 11, {1, 4}, torch::kLong);
    EXPECT_LT(max_abs_diff(model->forward(source, target), model->forward(padded, target)), 1e-7)
        << kernel << " encoder";
  }
}

TEST(Transformer, SinusoidalPositionsFollowTheFormula) {
  const auto pe = sinusoidal_positions(50, 8);
  for (const int64_t pos : {0, 7, 49}) {
    for (int64_t i = 0; i < 4; ++i) {
      const double angle = static_cast<double>(pos) / std::pow(10000.0, 2.0 * i / 8.0);
      EXPECT_NEAR(pe[pos][2 * i].item<double>(), std::sin(angle), 1e-5);
      EXPECT_NEAR(pe[pos][2 * i + 1].item<double>(), std::cos(angle), 1e-5);
    }
  }
}

int64_t parameter_count(const Transformer& model) {
  int64_t total = 0;
  for (const auto& p : model->parameters()) total += p.numel();
  return total;
}

TEST(Transformer, PaperConfigurationsHaveThePapersSize) {
  // Table 3 with the shared 37 000-token BPE vocabulary of WMT EN-DE: 65M and 213M.
  // Per layer: 4(d² + d) per attention, 2·d·d_ff + d_ff + d feed-forward, 2d per LayerNorm.
  for (const auto& [name, paper] : {std::pair{"base", 65e6}, std::pair{"big", 213e6}}) {
    const auto o = transformer_preset(name, 37000, 37000);
    const int64_t d = o.dim(), ff = o.ffn_dim(), v = 37000;
    const int64_t attention = 4 * (d * d + d), ffn = 2 * d * ff + ff + d, norm = 2 * d;
    const int64_t expected =
        v * d + v + 6 * (attention + ffn + 2 * norm) + 6 * (2 * attention + ffn + 3 * norm);
    const Transformer model(o);
    EXPECT_EQ(parameter_count(model), expected) << name;
    EXPECT_NEAR(static_cast<double>(expected), paper, 0.04 * paper) << name;
  }
}

TEST(Transformer, RejectsBadTokensAndOptions) {
  auto model = tiny_model();
  testing::expect_invalid_argument(
      [&] {
        model->forward(torch::full({1, 3}, 11, torch::kLong), torch::ones({1, 2}, torch::kLong));
      },
      "token id 11 outside the vocabulary");
  testing::expect_invalid_argument(
      [&] {
        model->encode(torch::zeros({1, 3}, torch::kLong));
      },
      "only padding");
  testing::expect_invalid_argument([] { transformer_preset("huge", 10, 10); },
                                   "expected one of: tiny, small, base, big");
  testing::expect_invalid_argument([] { Transformer(transformer_preset("tiny", 10, 12)); },
                                   "share_embeddings");
  testing::expect_invalid_argument(
      [] { Transformer(transformer_preset("tiny", 10, 10).decoder_kernel("set")); },
      "does not support causal");
}

/// log P(tokens, EOS | source) by teacher forcing, the reference beam search is checked with.
double sequence_log_probability(Transformer& model, const torch::Tensor& source,
                                const std::vector<int64_t>& tokens, bool with_eos) {
  std::vector<int64_t> in{1};
  in.insert(in.end(), tokens.begin(), tokens.end());
  std::vector<int64_t> out = tokens;
  if (with_eos)
    out.push_back(2);
  else
    in.pop_back();
  const auto logits = model->forward(source, torch::tensor(in).unsqueeze(0));
  const auto log_p = torch::log_softmax(logits[0], -1);
  double total = 0;
  for (size_t t = 0; t < out.size(); ++t)
    total += log_p[static_cast<int64_t>(t)][out[t]].item<double>();
  return total;
}

TEST(BeamSearch, AWideEnoughBeamFindsTheBestSequenceByEnumeration) {
  // Vocabulary of 5 (pad, bos, eos, two symbols) and at most 3 tokens: 5 + 25 + 125 sequences
  // ending in EOS, and 125 cut at the limit. A beam of 125 keeps every prefix.
  auto model = tiny_model("softmax", nn::NormPlacement::post, 5);
  const auto source = torch::tensor({3, 4, 4, 3}).unsqueeze(0);
  const double alpha = 0.6;
  const auto lp = [&](size_t length) {
    return std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
  };
  double best = -1e300;
  std::vector<int64_t> best_tokens;
  std::function<void(std::vector<int64_t>&)> visit = [&](std::vector<int64_t>& prefix) {
    const bool at_limit = prefix.size() == 3;
    // Ending here with EOS (allowed below the limit), or cut at the limit.
    const double ended = prefix.size() < 3 ? sequence_log_probability(model, source, prefix, true) /
                                                 lp(prefix.size() + 1)
                                           : -1e300;
    const double cut =
        at_limit ? sequence_log_probability(model, source, prefix, false) / lp(3) : -1e300;
    for (const double s : {ended, cut}) {
      if (s > best) best = s, best_tokens = prefix;
    }
    if (at_limit) return;
    for (int64_t token : {0, 1, 3, 4}) {  // every token but EOS continues
      prefix.push_back(token);
      visit(prefix);
      prefix.pop_back();
    }
  };
  std::vector<int64_t> empty;
  visit(empty);
  const auto found =
      beam_search(model, source, DecodeOptions().beam(125).max_length(3).length_penalty(alpha));
  EXPECT_EQ(found[0].tokens, best_tokens);
  EXPECT_NEAR(found[0].score, best, 1e-9);
}

TEST(BeamSearch, UnlikelyEndingsDoNotStopTheSearch) {
  // A model that ignores its input: logits = output bias, token 3 almost certain, EOS unlikely
  // (e^-10) and the rest negligible. Each step, an EOS continuation is among the k best
  // candidates and finishes; those must not end the search while the open hypothesis of all 3s
  // scores far higher.
  auto model = tiny_model();
  {
    torch::NoGradGuard no_grad;
    model->target_embedding->weight.zero_();
    model->output_bias.fill_(-30.0);
    model->output_bias[3] = 10.0;
    model->output_bias[2] = 0.0;
  }
  const auto source = source_tokens({0}, 4);
  const auto options = DecodeOptions().max_length(8);
  const auto greedy = greedy_decode(model, source, options);
  const auto beam = beam_search(model, source, DecodeOptions(options).beam(4));
  EXPECT_EQ(greedy[0].tokens, std::vector<int64_t>(8, 3));
  EXPECT_EQ(beam[0].tokens, greedy[0].tokens);
  EXPECT_NEAR(beam[0].score, greedy[0].score, 1e-9);
}

TEST(BeamSearch, OneBeamWithoutPenaltyIsGreedyAndWiderBeamsScoreAtLeastAsWell) {
  auto model = tiny_model();
  const auto source = source_tokens({0, 2, 4}, 7);
  const auto options = DecodeOptions().max_length(10).length_penalty(0.0);
  const auto greedy = greedy_decode(model, source, options);
  const auto one = beam_search(model, source, DecodeOptions(options).beam(1));
  const auto four = beam_search(model, source, DecodeOptions(options).beam(4));
  for (size_t b = 0; b < greedy.size(); ++b) {
    EXPECT_EQ(one[b].tokens, greedy[b].tokens);
    EXPECT_NEAR(one[b].log_probability, greedy[b].log_probability, 1e-9);
    // Each hypothesis's log-probability recomputed by teacher forcing.
    EXPECT_NEAR(four[b].log_probability,
                sequence_log_probability(model, source.slice(0, b, b + 1), four[b].tokens,
                                         four[b].finished),
                1e-9);
  }
}

}  // namespace
}  // namespace setformer::models
