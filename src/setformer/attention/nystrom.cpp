#include "setformer/attention/nystrom.h"

#include "setformer/core/batched_matmul.h"
#include "setformer/core/error.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace setformer::attention {

NystromAttentionImpl::NystromAttentionImpl(const AttentionOptions& options)
    : AttentionImpl(options) {
  SETFORMER_CHECK(options.nystrom().landmarks() >= 1, "nystrom.landmarks must be >= 1, got {}",
                  options.nystrom().landmarks());
  SETFORMER_CHECK(options.nystrom().pinv_iterations() >= 1,
                  "nystrom.pinv_iterations must be >= 1, got {}",
                  options.nystrom().pinv_iterations());
  w_q_ = projection("w_q");
  w_k_ = projection("w_k");
  w_v_ = projection("w_v");
  w_o_ = projection("w_o");
}

std::pair<torch::Tensor, torch::Tensor> NystromAttentionImpl::segment_means(
    const torch::Tensor& x, const torch::Tensor& padding, int64_t m) {
  const int64_t batch = x.size(0), n = x.size(2);
  const auto valid = padding.defined() ? padding.logical_not()
                                       : torch::ones({batch, n}, x.options().dtype(torch::kBool));
  // The r-th of c valid tokens falls in segment ⌊r·m/c⌋; padding goes to an extra segment m
  // that is dropped.
  const auto rank = valid.to(torch::kLong).cumsum(1) - 1;
  const auto count = valid.sum(1, /*keepdim=*/true).to(torch::kLong).clamp_min(1);
  const auto segment =
      torch::where(valid, torch::div(rank * m, count, "floor"), torch::full_like(rank, m));
  const auto assign = torch::one_hot(segment, m + 1).slice(2, 0, m).to(x.scalar_type());
  const auto sizes = assign.sum(1);  // [B, m]
  const auto sums = assign.transpose(1, 2).unsqueeze(1).matmul(x);
  return {sums / sizes.clamp_min(1).view({batch, 1, m, 1}), sizes > 0};
}

torch::Tensor NystromAttentionImpl::iterative_pinv(const torch::Tensor& a, int64_t iterations) {
  const auto abs = a.abs();
  const auto norm_1 = abs.sum(-2).amax(-1, /*keepdim=*/true).unsqueeze(-1);    // max column sum
  const auto norm_inf = abs.sum(-1).amax(-1, /*keepdim=*/true).unsqueeze(-1);  // max row sum
  // The clamp keeps an all-zero A (every query padded) at Z = 0 rather than NaN.
  auto z = a.transpose(-2, -1) / (norm_1 * norm_inf).clamp_min(std::numeric_limits<float>::min());
  const auto eye = torch::eye(a.size(-2), a.options());
  for (int64_t i = 0; i < iterations; ++i) {
    const auto az = batched_matmul(a, z);
    z = 0.25 * batched_matmul(
                   z, 13 * eye - batched_matmul(az, 15 * eye - batched_matmul(az, 7 * eye - az)));
  }
  return z;
}

double NystromAttentionImpl::flops(int64_t n_q, int64_t n_ctx) const {
  const double d = static_cast<double>(options_.dim()), dh = static_cast<double>(head_dim_),
               h = static_cast<double>(options_.heads()),
               m = static_cast<double>(options_.nystrom().landmarks()),
               it = static_cast<double>(options_.nystrom().pinv_iterations()),
               q = static_cast<double>(n_q), k = static_cast<double>(n_ctx);
  const double projections = 2 * q * d * d + 2 * k * d * d;
  const double kernels = q * m * d + m * m * d + m * k * d;        // Q K̃ᵀ, Q̃ K̃ᵀ, Q̃ Kᵀ
  const double products = m * k * d + h * m * m * dh + q * m * d;  // ·V, Z·, softmax(Q K̃ᵀ)·
  const double pinv = h * it * 4 * m * m * m;
  return projections + kernels + products + pinv;
}

torch::Tensor NystromAttentionImpl::attend(const torch::Tensor& query, const torch::Tensor& context,
                                           const Mask& mask, bool self) {
  const int64_t m = options_.nystrom().landmarks();
  const double scale = std::pow(static_cast<double>(head_dim_), -0.25);
  const auto q = split_heads(w_q_(query)) * scale;
  const auto k = split_heads(w_k_(self ? query : context)) * scale;
  const auto v = split_heads(w_v_(self ? query : context));
  const auto [q_landmarks, q_exists] = segment_means(q, mask.query_padding(), m);
  const auto [k_landmarks, k_exists] = segment_means(k, mask.padding(), m);
  const double neg_inf = -std::numeric_limits<double>::infinity();
  const int64_t batch = q.size(0);
  // Empty segments (fewer valid tokens than m) take no part: their landmark columns get no
  // weight and their rows of the m×m kernel are zero, which the pseudo-inverse keeps apart.
  const auto no_key = k_exists.logical_not().view({batch, 1, 1, m});
  auto to_landmarks = torch::softmax(
      batched_matmul(q, k_landmarks.transpose(-2, -1)).masked_fill(no_key, neg_inf), -1);
  const auto between =
      torch::softmax(
          batched_matmul(q_landmarks, k_landmarks.transpose(-2, -1)).masked_fill(no_key, neg_inf),
          -1)
          .masked_fill(q_exists.logical_not().view({batch, 1, m, 1}), 0.0);
  auto from_tokens = batched_matmul(q_landmarks, k.transpose(-2, -1));  // [B, H, m, n_ctx]
  if (mask.padding().defined()) {
    from_tokens =
        from_tokens.masked_fill(mask.padding().view({batch, 1, 1, from_tokens.size(3)}), neg_inf);
  }
  from_tokens = torch::softmax(from_tokens, -1);
  to_landmarks = torch::dropout(to_landmarks, options_.dropout(), is_training());
  const auto z = iterative_pinv(between, options_.nystrom().pinv_iterations());
  const auto mixed =
      batched_matmul(to_landmarks, batched_matmul(z, batched_matmul(from_tokens, v)));
  auto out = w_o_(merge_heads(mixed));
  if (mask.query_padding().defined()) {
    out = out.masked_fill(mask.query_padding().unsqueeze(-1), 0.0);
  }
  return out;
}

}  // namespace setformer::attention
