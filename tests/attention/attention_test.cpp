// Properties every attention kernel must have, whichever the kernel: padded batches equal the
// unpadded sequences, padded tokens change nothing and receive zero, permutation equivariance
// (without positions), determinism in evaluation mode, and clear errors on bad input.
#include "common/attention_helpers.h"
#include "common/errors.h"
#include "common/gradcheck.h"

#include <gtest/gtest.h>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;
using testing::padding_for;
using testing::small_options;

class EveryKernel : public ::testing::TestWithParam<std::string> {};
/// Kernels that allow cross-attention: every kernel but the spatial ones.
class GlobalKernel : public ::testing::TestWithParam<std::string> {};
/// Global kernels without position information, whose tokens form an unordered set: all but
/// nystrom (its landmarks are means of contiguous segments).
class SetKernel : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryKernel, PaddedBatchEqualsUnpaddedSequences) {
  auto options = small_options(GetParam());
  options.set().positions(Positions::lpe);  // positions must follow the valid tokens, too
  auto attn = make_attention(options);
  attn->eval();
  const std::vector<int64_t> lengths{5, 9, 12};
  const int64_t n = 12;
  const auto x = torch::randn({3, n, 16});
  const auto pad = padding_for(lengths, n);
  const auto batched = attn(x, x, Mask().padding(pad));
  for (size_t b = 0; b < lengths.size(); ++b) {
    const auto single_in = x[static_cast<int64_t>(b)].slice(0, 0, lengths[b]).unsqueeze(0);
    const auto single = attn(single_in, single_in)[0];
    const auto got = batched[static_cast<int64_t>(b)].slice(0, 0, lengths[b]);
    EXPECT_LT(max_abs_diff(got, single), 2e-5) << "sequence " << b << " of length " << lengths[b];
    // Padded positions receive exactly zero.
    EXPECT_EQ(batched[static_cast<int64_t>(b)].slice(0, lengths[b]).abs().sum().item<double>(),
              0.0);
  }
}

TEST_P(GlobalKernel, PaddingAnywhereEqualsTheSequenceWithoutIt) {
  // Sets may be padded at any position, not only at the end; positions must follow the valid
  // tokens' order.
  auto options = small_options(GetParam());
  options.set().positions(Positions::lpe);
  auto attn = make_attention(options);
  attn->eval();
  const auto x = torch::randn({1, 10, 16});
  auto pad = torch::zeros({1, 10}, torch::kBool);
  for (const int64_t i : {0, 3, 4, 8}) pad[0][i] = true;
  const auto valid = pad[0].logical_not().nonzero().flatten();
  const auto compact = x.index_select(1, valid);
  const auto expected = attn(compact, compact);
  const auto got = attn(x, x, Mask().padding(pad)).index_select(1, valid);
  EXPECT_LT(max_abs_diff(got, expected), 2e-5);
}

TEST_P(EveryKernel, PaddedTokensChangeNothingAndGetNoGradient) {
  auto attn = make_attention(small_options(GetParam()));
  attn->eval();
  const auto pad = padding_for({4, 7}, 7);
  auto x = torch::randn({2, 7, 16});
  auto changed = x.clone();
  changed.masked_fill_(pad.unsqueeze(-1), 1e3);  // garbage in padded slots
  const auto a = attn(x, x, Mask().padding(pad));
  changed.requires_grad_(true);
  const auto b = attn(changed, changed, Mask().padding(pad));
  EXPECT_LT(max_abs_diff(a, b), 1e-5);
  b.sum().backward();
  EXPECT_EQ(changed.grad().masked_select(pad.unsqueeze(-1)).abs().sum().item<double>(), 0.0);
  EXPECT_GT(changed.grad().abs().sum().item<double>(), 0.0);
}

TEST_P(SetKernel, PermutingTokensPermutesOutputsWithoutPositions) {
  auto attn = make_attention(small_options(GetParam()));
  attn->eval();
  ASSERT_TRUE(attn->permutation_equivariant());
  EXPECT_LT(testing::permutation_gap(testing::self_attention(attn), torch::randn({2, 10, 16})),
            1e-5);
}

TEST_P(GlobalKernel, CrossAttentionOnEqualTokensEqualsSelfAttention) {
  auto attn = make_attention(small_options(GetParam()));
  attn->eval();
  const auto x = torch::randn({2, 8, 16});
  const auto copy = x.clone();  // same values, another tensor: the cross-attention path
  EXPECT_LT(max_abs_diff(attn(x, copy), attn(x, x)), 1e-5);
}

TEST_P(SetKernel, CrossAttentionIsInvariantToContextOrder) {
  auto attn = make_attention(small_options(GetParam()));
  attn->eval();
  const auto q = torch::randn({2, 5, 16});
  const auto ctx = torch::randn({2, 9, 16});
  const auto perm = torch::randperm(9);
  EXPECT_LT(max_abs_diff(attn(q, ctx), attn(q, ctx.index_select(1, perm))), 1e-5);
}

TEST_P(EveryKernel, DropoutActsOnlyInTraining) {
  auto options = small_options(GetParam());
  options.dropout(0.5);
  auto attn = make_attention(options);
  const auto x = torch::randn({1, 8, 16});
  attn->eval();
  EXPECT_TRUE(attn(x, x).equal(attn(x, x)));
  attn->train();
  EXPECT_GT(max_abs_diff(attn(x, x), attn(x, x)), 1e-4);
}

TEST_P(EveryKernel, RejectsBadShapesAndMasks) {
  auto attn = make_attention(small_options(GetParam()));
  const auto x = torch::randn({2, 5, 16});
  EXPECT_THROW(attn(torch::randn({2, 5, 8}), torch::randn({2, 5, 8})), std::invalid_argument);
  EXPECT_THROW(attn(x, torch::randn({3, 5, 16})), std::invalid_argument);
  EXPECT_THROW(attn(x, x, Mask().padding(torch::zeros({2, 5}))),
               std::invalid_argument);  // not bool
  EXPECT_THROW(attn(x, x, Mask().padding(torch::zeros({2, 4}, torch::kBool))),
               std::invalid_argument);
  auto all_pad = torch::zeros({2, 5}, torch::kBool);
  all_pad[1].fill_(true);
  testing::expect_invalid_argument([&] { attn(x, x, Mask().padding(all_pad)); },
                                   "every context token of sequence 1 as padding");
}

TEST_P(EveryKernel, GradientsMatchFiniteDifferences) {
  torch::manual_seed(3);
  auto options = small_options(GetParam(), 8, 2);
  options.set().num_references(4).iterations(6).positions(Positions::lpe);
  auto attn = make_attention(options);
  attn->to(torch::kDouble);
  auto x = torch::randn({2, 5, 8}, torch::kDouble).requires_grad_(true);
  const auto pad = padding_for({5, 3}, 5);
  const auto w = testing::probe_weights({2, 5, 8});
  const auto result =
      testing::gradcheck([&] { return (attn(x, x, Mask().padding(pad)) * w).sum(); },
                         testing::input_and_parameters(x, *attn));
  EXPECT_LE(result.worst_ratio, 1.0) << result.worst;
  EXPECT_GT(result.checked, 50);
}

TEST_P(EveryKernel, CudaMatchesTheCpuWithGradients) {
  // The GPU path (LibTorch's operations; for SeT the composition, where the CPU runs the fused
  // core) against the CPU in double precision, with padding and, for SeT, the implicit backward
  // (memory independent of T there too). Runs where a GPU is (scripts/gpu_check.sh).
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto run = [&](const torch::Device& device) {
    torch::manual_seed(7);
    auto options = small_options(GetParam());
    options.set()
        .positions(Positions::lpe)
        .iterations(50)
        .sinkhorn_backward(SinkhornBackward::implicit);
    auto attn = make_attention(options);
    attn->to(device, torch::kDouble);
    const auto x = testing::probe_weights({2, 12, 16}, 11).to(device).requires_grad_(true);
    const auto pad = padding_for({12, 7}, 12).to(device);
    const auto w = testing::probe_weights({2, 12, 16}).to(device);
    const auto y = attn(x, x, Mask().padding(pad));
    std::vector<torch::Tensor> inputs{x};
    for (const auto& p : attn->parameters()) inputs.push_back(p);
    auto grads = torch::autograd::grad({(y * w).sum()}, inputs);
    grads.insert(grads.begin(), y.detach());
    for (auto& g : grads) g = g.cpu();
    return grads;
  };
  const auto cpu = run(torch::kCPU), cuda = run(torch::kCUDA);
  ASSERT_EQ(cpu.size(), cuda.size());
  for (size_t i = 0; i < cpu.size(); ++i) {
    const double scale = std::max(cpu[i].abs().max().item<double>(), 1e-3);
    EXPECT_LT(max_abs_diff(cuda[i], cpu[i]), 1e-8 * scale) << "output, input, parameters: " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, EveryKernel, ::testing::ValuesIn(attention_kernels()),
                         [](const auto& p) { return p.param; });
INSTANTIATE_TEST_SUITE_P(Kernels, GlobalKernel,
                         ::testing::ValuesIn(testing::kernels_where([](const AttentionImpl& a) {
                           return a.supports_cross_attention();
                         })),
                         [](const auto& p) { return p.param; });
INSTANTIATE_TEST_SUITE_P(Kernels, SetKernel,
                         ::testing::ValuesIn(testing::kernels_where([](const AttentionImpl& a) {
                           return a.supports_cross_attention() && a.permutation_equivariant();
                         })),
                         [](const auto& p) { return p.param; });

TEST(AttentionKernels, SpatialKernelsAreNotGlobalNorOrderedOnesSetKernels) {
  // The splits above must not silently leave a suite empty or take every kernel.
  const auto global =
      testing::kernels_where([](const AttentionImpl& a) { return a.supports_cross_attention(); });
  EXPECT_EQ(global,
            (std::vector<std::string>{"softmax", "set", "linear", "performer", "nystrom", "isab"}));
  const auto unordered = testing::kernels_where([](const AttentionImpl& a) {
    return a.supports_cross_attention() && a.permutation_equivariant();
  });
  EXPECT_EQ(unordered, (std::vector<std::string>{"softmax", "set", "linear", "performer", "isab"}));
}

TEST(MakeAttention, UnknownKernelNamesTheChoices) {
  testing::expect_invalid_argument(
      [] { make_attention(AttentionOptions(16, 2).kernel("sparse")); },
      "unknown attention kernel 'sparse'; expected one of: softmax, set, window");
}

TEST(MakeAttention, RejectsInvalidCommonOptions) {
  EXPECT_THROW(make_attention(AttentionOptions(10, 3)), std::invalid_argument);
  EXPECT_THROW(make_attention(AttentionOptions(16, 0)), std::invalid_argument);
  EXPECT_THROW(make_attention(AttentionOptions(16, 2).dropout(1.0)), std::invalid_argument);
}

TEST(MakeAttention, OnlyKernelsThatAllowItTakeCausalMasks) {
  const auto x = torch::randn({1, 4, 16});
  EXPECT_NO_THROW(make_attention(small_options("softmax"))(x, x, Mask().causal(true)));
  testing::expect_invalid_argument(
      [&] { make_attention(small_options("set"))(x, x, Mask().causal(true)); },
      "'set' does not support causal");
}

TEST(EnumOptions, ParseAndPrintRoundTrip) {
  EXPECT_EQ(parse_enum<SimilarityKernel>("set.kernel", "gaussian"), SimilarityKernel::gaussian);
  EXPECT_EQ(to_string(Positions::ape), "ape");
  testing::expect_invalid_argument([] { parse_enum<Values>("set.values", "cubic"); },
                                   "set.values = 'cubic' is not valid; expected linear | nystrom");
}

}  // namespace
}  // namespace setformer::attention
