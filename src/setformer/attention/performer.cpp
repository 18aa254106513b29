#include "setformer/attention/performer.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace setformer::attention {

PerformerAttentionImpl::PerformerAttentionImpl(const AttentionOptions& options)
    : LinearAttentionImpl(options) {
  SETFORMER_CHECK(options.performer().features() >= 1, "performer.features must be >= 1, got {}",
                  options.performer().features());
  omega = register_buffer("omega", draw_features());
}

torch::Tensor PerformerAttentionImpl::draw_features() const {
  const int64_t m = options_.performer().features(), dh = head_dim_;
  std::vector<torch::Tensor> blocks;
  for (int64_t done = 0; done < m; done += dh) {
    // The rows of Q in G = QR are orthonormal directions.
    const auto q = std::get<0>(torch::linalg::qr(torch::randn({dh, dh}), "reduced"));
    blocks.push_back(q.t().slice(0, 0, std::min(dh, m - done)));
  }
  const auto directions = torch::cat(blocks, 0);                          // [m, d_h]
  const auto norms = torch::randn({m, dh}).norm(2, 1, /*keepdim=*/true);  // χ_{d_h}
  return directions * norms;
}

torch::Tensor PerformerAttentionImpl::features(const torch::Tensor& x, bool queries,
                                               const torch::Tensor& padding) {
  if (is_training() && options_.performer().redraw()) {
    torch::NoGradGuard no_grad;
    omega.copy_(draw_features());
  }
  const double scale = std::pow(static_cast<double>(head_dim_), -0.25);
  const auto xs = x * scale;
  const auto w = omega.to(x.scalar_type());
  const auto projected = xs.matmul(w.t());                                // [B, H, n, m]
  auto exponent = projected - 0.5 * xs.pow(2).sum(-1, /*keepdim=*/true);  // log φ · √m
  torch::Tensor shift;
  if (queries) {
    shift = std::get<0>(exponent.max(-1, /*keepdim=*/true));
  } else {
    // One shift for all keys of a head, ignoring padded ones, so that ratios between keys hold.
    auto visible = exponent;
    if (padding.defined()) {
      visible = exponent.masked_fill(padding.view({padding.size(0), 1, padding.size(1), 1}),
                                     -std::numeric_limits<double>::infinity());
    }
    shift = visible.amax({2, 3}, /*keepdim=*/true);
  }
  const double m = static_cast<double>(options_.performer().features());
  return torch::exp(exponent - shift.detach()) / std::sqrt(m);
}

double PerformerAttentionImpl::flops(int64_t n_q, int64_t n_ctx) const {
  const double d = static_cast<double>(options_.dim()), dh = static_cast<double>(head_dim_),
               h = static_cast<double>(options_.heads()),
               m = static_cast<double>(options_.performer().features()),
               q = static_cast<double>(n_q), k = static_cast<double>(n_ctx);
  return 2 * q * d * d + 2 * k * d * d + h * (q + k) * m * dh + 2 * h * (q + k) * m * dh;
}

}  // namespace setformer::attention
