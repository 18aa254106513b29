// Helpers shared by the attention tests.
#pragma once

#include "setformer/attention/attention.h"

#include <torch/torch.h>

#include <functional>
#include <string>

namespace setformer::testing {

/// Options for `kernel` with small sizes; SeT without position information unless asked, so
/// that permutation properties hold; fewer landmarks and inducing points than tokens, so that
/// those kernels approximate rather than reproduce softmax.
inline attention::AttentionOptions small_options(const std::string& kernel, int64_t dim = 16,
                                                 int64_t heads = 2) {
  auto options = attention::AttentionOptions(dim, heads).kernel(kernel);
  options.set().num_references(6).iterations(20).positions(attention::Positions::none);
  options.nystrom().landmarks(4);
  options.inducing().points(3);
  return options;
}

/// The kernels of attention_kernels() whose layer, built with small_options(), satisfies `keep`.
inline std::vector<std::string> kernels_where(
    const std::function<bool(const attention::AttentionImpl&)>& keep) {
  std::vector<std::string> out;
  for (const auto& name : attention::attention_kernels()) {
    if (keep(*attention::make_attention(small_options(name)))) out.push_back(name);
  }
  return out;
}

/// Padding mask [B, n] (true = padding) for sequences of the given lengths padded to n.
inline torch::Tensor padding_for(const std::vector<int64_t>& lengths, int64_t n) {
  auto pad = torch::ones({static_cast<int64_t>(lengths.size()), n}, torch::kBool);
  for (size_t b = 0; b < lengths.size(); ++b)
    pad[static_cast<int64_t>(b)].slice(0, 0, lengths[b]).fill_(false);
  return pad;
}

/// max |a − b|, for readable failure messages.
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

/// max |f(x_π) − f(x)_π| for a random permutation π of the tokens of x [B, n, d]: 0 for a
/// permutation-equivariant f.
inline double permutation_gap(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                              const torch::Tensor& x) {
  const auto perm = torch::randperm(x.size(1));
  return max_abs_diff(f(x.index_select(1, perm)), f(x).index_select(1, perm));
}

/// Self-attention as a function of the tokens, for permutation_gap.
template <class Layer>
std::function<torch::Tensor(const torch::Tensor&)> self_attention(Layer& layer) {
  return [&layer](const torch::Tensor& t) { return layer(t, t); };
}

}  // namespace setformer::testing
