#include "setformer/attention/softmax.h"

#include "setformer/core/error.h"

#include "setformer/core/batched_matmul.h"

#include <torch/torch.h>

namespace setformer::attention {

SoftmaxAttentionImpl::SoftmaxAttentionImpl(const AttentionOptions& options)
    : AttentionImpl(options) {
  w_q_ = projection("w_q");
  w_k_ = projection("w_k");
  w_v_ = projection("w_v");
  w_o_ = projection("w_o");
}

torch::Tensor SoftmaxAttentionImpl::probabilities(const torch::Tensor& q, const torch::Tensor& k,
                                                  const Mask& mask,
                                                  const torch::Tensor& blocked) const {
  // Scaling q (n_q·d_h) is cheaper than scaling the n_q×n_ctx scores.
  auto scores =
      batched_matmul(q * (1.0 / std::sqrt(static_cast<double>(head_dim_))), k.transpose(-2, -1));
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (mask.padding().defined()) {
    scores =
        scores.masked_fill(mask.padding().view({scores.size(0), 1, 1, scores.size(3)}), neg_inf);
  }
  if (mask.causal()) {
    const int64_t nq = scores.size(2), nk = scores.size(3);
    const auto future =
        torch::ones({nq, nk}, scores.options().dtype(torch::kBool)).triu(/*diagonal=*/1 + nk - nq);
    scores = scores.masked_fill(future, neg_inf);
  }
  if (blocked.defined()) {
    // Rows hidden entirely (discarded queries) are left open rather than made NaN.
    scores = scores.masked_fill(blocked & blocked.logical_not().any(-1, /*keepdim=*/true), neg_inf);
  }
  return torch::softmax(scores, -1);
}

double SoftmaxAttentionImpl::flops(int64_t n_q, int64_t n_ctx) const {
  const double d = static_cast<double>(options_.dim()), q = static_cast<double>(n_q),
               k = static_cast<double>(n_ctx);
  return 2 * q * d * d + 2 * k * d * d + 2 * q * k * d;
}

torch::Tensor SoftmaxAttentionImpl::attend(const torch::Tensor& query, const torch::Tensor& context,
                                           const Mask& mask, bool self) {
  const auto q = split_heads(w_q_(query));
  const auto k = split_heads(w_k_(self ? query : context));
  const auto v = split_heads(w_v_(self ? query : context));
  auto out = combine(q, k, v, mask);
  if (mask.query_padding().defined()) {
    out = out.masked_fill(mask.query_padding().unsqueeze(-1), 0.0);
  }
  return out;
}

torch::Tensor SoftmaxAttentionImpl::combine(const torch::Tensor& q, const torch::Tensor& k,
                                            const torch::Tensor& v, const Mask& mask) {
  auto p = probabilities(q, k, mask);
  p = torch::dropout(p, options_.dropout(), is_training());
  return w_o_(merge_heads(batched_matmul(p, v)));
}

torch::Tensor SoftmaxAttentionImpl::forward_cached(const torch::Tensor& query,
                                                   const torch::Tensor& new_context,
                                                   AttentionCache& cache,
                                                   const torch::Tensor& new_padding) {
  SETFORMER_CHECK(supports_cross_attention(),
                  "attention kernel '{}' cannot decode incrementally (it is self-attention over a "
                  "layout)",
                  kernel_name());
  SETFORMER_CHECK(new_context.defined() || !cache.empty(),
                  "forward_cached: the cache is empty and no new context was given");
  check_shape(query, "cached attention query", {-1, -1, options_.dim()}, "[B, n_q, d]");
  if (new_context.defined()) {
    const int64_t cached = cache.keys.defined() ? cache.keys.size(2) : 0;
    append_to_cache(cache, new_context, new_padding, cached);
    const auto k = split_heads(w_k_(new_context)), v = split_heads(w_v_(new_context));
    cache.keys = cache.keys.defined() ? torch::cat({cache.keys, k}, 2) : k;
    cache.values = cache.values.defined() ? torch::cat({cache.values, v}, 2) : v;
  }
  SETFORMER_CHECK(cache.keys.size(0) == query.size(0),
                  "cached attention: the cache holds {} sequences, the query {}",
                  cache.keys.size(0), query.size(0));
  return combine(split_heads(w_q_(query)), cache.keys, cache.values, Mask().padding(cache.padding));
}

}  // namespace setformer::attention
