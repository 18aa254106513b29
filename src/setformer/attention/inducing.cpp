#include "setformer/attention/inducing.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

namespace setformer::attention {

InducingAttentionImpl::InducingAttentionImpl(const AttentionOptions& options)
    : AttentionImpl(options) {
  const int64_t m = options.inducing().points();
  SETFORMER_CHECK(m >= 1, "inducing.points must be >= 1, got {}", m);
  auto hop = options;
  hop.kernel("softmax");
  gather_ = register_module("gather", make_attention(hop));
  spread_ = register_module("spread", make_attention(hop));
  // Xavier-uniform, as the Set Transformer initialises its inducing points.
  const double bound = std::sqrt(6.0 / static_cast<double>(m + options.dim()));
  inducing =
      register_parameter("inducing", torch::empty({m, options.dim()}).uniform_(-bound, bound));
}

double InducingAttentionImpl::flops(int64_t n_q, int64_t n_ctx) const {
  const int64_t m = options_.inducing().points();
  return gather_->flops(m, n_ctx) + spread_->flops(n_q, m);
}

torch::Tensor InducingAttentionImpl::attend(const torch::Tensor& query,
                                            const torch::Tensor& context, const Mask& mask,
                                            bool /*self*/) {
  const auto points = inducing.unsqueeze(0).expand({query.size(0), -1, -1});
  const auto gathered = gather_(points, context, Mask().padding(mask.padding()));
  return spread_(query, gathered, Mask().query_padding(mask.query_padding()));
}

}  // namespace setformer::attention
