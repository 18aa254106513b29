// The library's modules as a C++ user calls them: SeT attention over padded sequences, a Set
// Transformer (ISAB encoder, PMA pooling) over sets of different sizes, Slot Attention with K
// changed at test time, and the object-discovery model. The library guide's snippets
// (docs/library.md) are taken from this file, and CTest builds and runs it (examples.modules), so
// they cannot go stale.
#include "setformer/attention/attention.h"
#include "setformer/models/slot_models.h"
#include "setformer/nn/set_blocks.h"
#include "setformer/nn/slot_attention.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <string>

using namespace setformer;

namespace {

std::string shape(const torch::Tensor& t) {
  return fmt::format("[{}]", fmt::join(t.sizes(), ", "));
}

}  // namespace

int main() {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;

  // SeT self-attention: 16 learned references, two sequences of which the second has 7 tokens.
  auto options = attention::AttentionOptions(/*dim=*/64, /*heads=*/4).kernel("set");
  options.set().num_references(16);
  attention::Attention attn = attention::make_attention(options);
  const auto x = torch::randn({2, 10, 64});
  auto padding = torch::zeros({2, 10}, torch::kBool);
  padding[1].slice(0, 7).fill_(true);
  const auto y = attn(x, x, attention::Mask().padding(padding));  // [2, 10, 64]
  fmt::print("set attention: {} -> {}\n", shape(x), shape(y));

  // Set Transformer: ISAB with 8 inducing points, then PMA to one vector per set. The same
  // padding mask lets sets of different sizes share a batch.
  nn::MabOptions block(attention::AttentionOptions(64, 4).kernel("softmax"));
  nn::Isab isab(block, /*inducing_points=*/8);
  nn::Pma pma(block, /*seeds=*/1);
  const auto pooled = pma(isab(x, padding), padding);  // [2, 1, 64]
  const auto order = torch::randperm(7);
  const auto shuffled = x[1].slice(0, 0, 7).index_select(0, order).unsqueeze(0);
  const auto alone = pma(isab(shuffled));  // the second set, unpadded and reordered
  fmt::print("set transformer: {} -> {}, order and padding change nothing: {}\n", shape(x),
             shape(pooled), torch::allclose(pooled[1], alone[0], 1e-5, 1e-5) ? "yes" : "no");

  // Slot Attention (Algorithm 1) over 50 vectors: 4 slots as trained, 6 at test time.
  nn::SlotAttention slot_attention(nn::SlotAttentionOptions(/*input_dim=*/64).num_slots(4));
  const auto inputs = torch::randn({2, 50, 64});
  const auto four = slot_attention(inputs).slots;  // [2, 4, 64]
  const auto six =
      slot_attention(inputs, slot_attention->sample_slots(2, /*num_slots=*/6)).slots;  // [2, 6, 64]
  fmt::print("slot attention: {} -> {} or {}\n", shape(inputs), shape(four), shape(six));

  // Object discovery on 35×35 images: each slot's picture and its mask, the masks summing to one.
  models::ObjectDiscovery model(
      models::ObjectDiscoveryOptions().encoder(models::SlotEncoderOptions().image_size(35).slots(
          nn::SlotAttentionOptions(32).num_slots(4))));
  const auto images = torch::rand({2, 3, 35, 35}) * 2 - 1;
  const auto out = model(images);
  fmt::print("object discovery: {} -> masks {}, mask sum - 1 at most {:.1e}\n", shape(images),
             shape(out.masks), (out.masks.sum(1) - 1).abs().max().item<double>());
  return 0;
}
