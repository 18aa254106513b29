#include "setformer/attention/similarity.h"

#include "setformer/core/batched_matmul.h"

#include <torch/torch.h>

namespace setformer::attention {

torch::Tensor similarity(const torch::Tensor& q, const torch::Tensor& z, SimilarityKernel kernel,
                         double alpha) {
  switch (kernel) {
    case SimilarityKernel::spherical_gaussian: {
      namespace F = torch::nn::functional;
      const auto opts = F::NormalizeFuncOptions().dim(-1).eps(kNormFloor);
      // α folded into the (small) reference side; in place, since the product is a temporary.
      const auto scaled_cosine =
          batched_matmul(F::normalize(q, opts), (alpha * F::normalize(z, opts)).transpose(-2, -1));
      return scaled_cosine.sub_(alpha).exp_();
    }
    case SimilarityKernel::gaussian: {
      // ‖q − z‖² = ‖q‖² + ‖z‖² − 2<q, z>, clamped: rounding can make it slightly negative.
      const auto cross = batched_matmul(q, z.transpose(-2, -1));
      const auto sq = q.square().sum(-1, true) + z.square().sum(-1).unsqueeze(-2) - 2.0 * cross;
      return torch::exp(-0.5 * alpha * sq.clamp_min(0.0));
    }
    case SimilarityKernel::dot:
      return batched_matmul(q, z.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  }
  throw std::logic_error("similarity: unhandled kernel");
}

torch::Tensor kernel_inverse_sqrt(const torch::Tensor& z, SimilarityKernel kernel, double alpha,
                                  double eigen_floor) {
  auto kzz = similarity(z, z, kernel, alpha);
  kzz = 0.5 * (kzz + kzz.transpose(-2, -1));
  auto [eigenvalues, eigenvectors] = torch::linalg_eigh(kzz);
  const auto scale = eigenvalues.clamp_min(eigen_floor).rsqrt();
  return torch::matmul(eigenvectors * scale.unsqueeze(-2), eigenvectors.transpose(-2, -1));
}

}  // namespace setformer::attention
