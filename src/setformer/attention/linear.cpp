#include "setformer/attention/linear.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

namespace setformer::attention {

LinearAttentionImpl::LinearAttentionImpl(const AttentionOptions& options) : AttentionImpl(options) {
  w_q_ = projection("w_q");
  w_k_ = projection("w_k");
  w_v_ = projection("w_v");
  w_o_ = projection("w_o");
}

torch::Tensor LinearAttentionImpl::feature_map(const torch::Tensor& x) {
  return torch::elu(x) + 1;
}

torch::Tensor LinearAttentionImpl::features(const torch::Tensor& x, bool /*queries*/,
                                            const torch::Tensor& /*padding*/) {
  return feature_map(x);
}

double LinearAttentionImpl::flops(int64_t n_q, int64_t n_ctx) const {
  const double d = static_cast<double>(options_.dim()), dh = static_cast<double>(head_dim_),
               q = static_cast<double>(n_q), k = static_cast<double>(n_ctx);
  return 2 * q * d * d + 2 * k * d * d + 2 * (q + k) * d * dh;
}

torch::Tensor LinearAttentionImpl::attend(const torch::Tensor& query, const torch::Tensor& context,
                                          const Mask& mask, bool self) {
  const auto q = features(split_heads(w_q_(query)), true, {});  // [B, H, n_q, r]
  auto k = features(split_heads(w_k_(self ? query : context)), false, mask.padding());
  auto v = split_heads(w_v_(self ? query : context));
  if (mask.padding().defined()) {
    // A padded token adds nothing to the sums.
    const auto keep = mask.padding().logical_not().view({k.size(0), 1, k.size(2), 1});
    k = k * keep;
  }
  if (is_training() && options_.dropout() > 0) {
    // No n_q×n_ctx weights exist to drop: each context token is dropped per head instead, for
    // every query at once (the normalisation makes a 1/(1 − p) rescaling moot).
    k = k * torch::bernoulli(torch::full({k.size(0), k.size(1), k.size(2), 1},
                                         1 - options_.dropout(), k.options()));
  }
  torch::Tensor numerator, denominator;
  if (mask.causal()) {
    SETFORMER_CHECK(
        q.size(2) == k.size(2),
        "causal linear attention needs as many queries as context tokens, got {} and {}", q.size(2),
        k.size(2));
    // Prefix sums over j ≤ i: S_i = Σ_{j≤i} φ(k_j) v_jᵀ, z_i = Σ_{j≤i} φ(k_j).
    const auto s = (k.unsqueeze(-1) * v.unsqueeze(-2)).cumsum(2);  // [B, H, n, d_h, d_h]
    numerator = (q.unsqueeze(-2).matmul(s)).squeeze(-2);
    denominator = (q * k.cumsum(2)).sum(-1, /*keepdim=*/true);
  } else {
    numerator = q.matmul(k.transpose(-2, -1).matmul(v));                   // [B, H, n_q, d_h]
    denominator = q.matmul(k.sum(2, /*keepdim=*/true).transpose(-2, -1));  // [B, H, n_q, 1]
  }
  auto out = w_o_(merge_heads(numerator / denominator.clamp_min(1e-6)));
  if (mask.query_padding().defined()) {
    out = out.masked_fill(mask.query_padding().unsqueeze(-1), 0.0);
  }
  return out;
}

}  // namespace setformer::attention
