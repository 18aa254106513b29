// MLM masking: the selection rate and BERT's 80/10/10 split measured on many tokens (binomial
// bounds), specials and padding never selected, labels that hold exactly the selected tokens,
// and determinism in the seed.
#include "setformer/data/masking.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::data {
namespace {

TEST(Masking, SelectsFifteenPercentAndSplitsThemEightyTenTen) {
  // 200 000 tokens, one in ten a special (ids 0..4) that must never be selected.
  auto tokens = torch::randint(5, 1000, {200, 1000}, torch::kLong);
  tokens.index_put_({torch::rand({200, 1000}).lt(0.1)}, 0);
  const auto m = mask_tokens(tokens, 0.15, /*mask_id=*/3, /*first_regular=*/5, 1000, 7);
  const auto regular = tokens.ge(5);
  const auto selected = m.labels.ne(kIgnoreLabel);
  const double n_regular = regular.sum().item<double>(), n_selected = selected.sum().item<double>();
  EXPECT_EQ((selected & regular.logical_not()).sum().item<int64_t>(), 0);
  EXPECT_TRUE(m.labels.masked_select(selected).equal(tokens.masked_select(selected)));
  // Unselected tokens are untouched.
  EXPECT_TRUE(m.inputs.masked_select(selected.logical_not())
                  .equal(tokens.masked_select(selected.logical_not())));
  // ~180 000 regular tokens: 15% ± 4σ (σ ≈ 0.00084).
  EXPECT_NEAR(n_selected / n_regular, 0.15, 0.004);
  const double masked = (selected & m.inputs.eq(3)).sum().item<double>() / n_selected;
  const double kept = (selected & m.inputs.eq(tokens)).sum().item<double>() / n_selected;
  // σ ≈ 0.0024 for 80%, 0.0018 for 10% over ~27 000 selected; random replacements that hit the
  // same id (1 in 995) count as kept.
  EXPECT_NEAR(masked, 0.8, 0.01);
  EXPECT_NEAR(kept, 0.1 + 0.1 / 995, 0.008);
  EXPECT_NEAR(1 - masked - kept, 0.1, 0.008);
  // Random replacements are regular tokens.
  EXPECT_GE(m.inputs.masked_select(selected & m.inputs.ne(3)).min().item<int64_t>(), 5);
  const auto again = mask_tokens(tokens, 0.15, 3, 5, 1000, 7);
  EXPECT_TRUE(again.inputs.equal(m.inputs));
  EXPECT_FALSE(mask_tokens(tokens, 0.15, 3, 5, 1000, 8).inputs.equal(m.inputs));
}

}  // namespace
}  // namespace setformer::data
