// Options shared by the attention kernels: the per-call masks, SeT's hyper-parameters (DESIGN.md
// §2, SeTformer paper §3), and the kernel-independent AttentionOptions that models put in their
// configuration. Kernels are chosen by name ("softmax", "set") so that every model can swap them.
#pragma once

#include <torch/arg.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace setformer::attention {

/// Masks for one attention call; all optional. Padding follows PyTorch's key_padding_mask
/// convention: `true` marks a padding token.
struct Mask {
  /// [B, n_ctx] bool: padding tokens of the context (keys/values). They change nothing.
  TORCH_ARG(torch::Tensor, padding) = {};
  /// [B, n_q] bool: padded queries, whose outputs are zero. Self-attention defaults it to
  /// `padding`.
  TORCH_ARG(torch::Tensor, query_padding) = {};
  /// Query i sees context tokens j <= i + (n_ctx - n_q) only (kernels that allow it).
  TORCH_ARG(bool, causal) = false;
};

/// Similarity between a token and a reference (DESIGN.md §2.1), with unit vectors q̂, ẑ:
///   spherical_gaussian  κ = exp(α(<q̂, ẑ> − 1))   in (0, 1], positive definite (the paper's)
///   gaussian            κ = exp(−(α/2)‖q − z‖²)  RBF on the unnormalised vectors
///   dot                 κ = <q, z>/√d_h           the paper's ablation (Table 7 row 5); may be < 0
enum class SimilarityKernel { spherical_gaussian, gaussian, dot };

/// Position information (paper Table 7): none, the linear positional encoding filter π on the
/// similarity (LPE, the paper's), or learned absolute embeddings added to the input (APE).
enum class Positions { none, lpe, ape };

/// Values moved by the plan: a linear map of the tokens, or Nyström kernel features (paper Eq. 5).
enum class Values { linear, nystrom };

/// Transport against learned references, or between the tokens themselves (quadratic; Table 7
/// row 7, for comparison only).
enum class References { learned, none };

/// How the fused CPU paths differentiate Sinkhorn (DESIGN.md §2): `unrolled` is the exact
/// gradient of the T iterations (keeps K and the T scaling vectors); `implicit` differentiates
/// the fixed point the iterations approach (implicit function theorem: an m×m linear solve per
/// plan, memory independent of T; exact only once the plan has converged). Where the fused
/// kernels do not run (CUDA), `implicit` differentiates the log-domain composition's plan the same
/// way (sinkhorn.h). The reference composition (fused off) is always unrolled by autograd.
enum class SinkhornBackward { unrolled, implicit };

/// Name tables that serve parsing and printing of every option enum.
template <class E>
struct EnumNames;
template <>
struct EnumNames<SimilarityKernel> {
  static constexpr std::array<std::pair<SimilarityKernel, const char*>, 3> values{
      {{SimilarityKernel::spherical_gaussian, "spherical_gaussian"},
       {SimilarityKernel::gaussian, "gaussian"},
       {SimilarityKernel::dot, "dot"}}};
};
template <>
struct EnumNames<Positions> {
  static constexpr std::array<std::pair<Positions, const char*>, 3> values{
      {{Positions::none, "none"}, {Positions::lpe, "lpe"}, {Positions::ape, "ape"}}};
};
template <>
struct EnumNames<Values> {
  static constexpr std::array<std::pair<Values, const char*>, 2> values{
      {{Values::linear, "linear"}, {Values::nystrom, "nystrom"}}};
};
template <>
struct EnumNames<References> {
  static constexpr std::array<std::pair<References, const char*>, 2> values{
      {{References::learned, "learned"}, {References::none, "none"}}};
};

template <>
struct EnumNames<SinkhornBackward> {
  static constexpr std::array<std::pair<SinkhornBackward, const char*>, 2> values{
      {{SinkhornBackward::unrolled, "unrolled"}, {SinkhornBackward::implicit, "implicit"}}};
};

/// "a | b | c" for the enum E.
template <class E>
std::string enum_choices() {
  std::string s;
  for (const auto& [value, name] : EnumNames<E>::values)
    s += (s.empty() ? "" : " | ") + std::string(name);
  return s;
}

template <class E>
std::string to_string(E value) {
  for (const auto& [v, name] : EnumNames<E>::values) {
    if (v == value) return name;
  }
  return "?";
}

/// Parses `text` for the option `field`; the error names the field, the value and the choices.
template <class E>
E parse_enum(const std::string& field, const std::string& text) {
  for (const auto& [value, name] : EnumNames<E>::values) {
    if (text == name) return value;
  }
  throw std::invalid_argument(field + " = '" + text + "' is not valid; expected " +
                              enum_choices<E>());
}

/// Streams an option enum by name (test names, logs).
template <class E, class = decltype(EnumNames<E>::values)>
std::ostream& operator<<(std::ostream& os, E value) {
  return os << to_string(value);
}

/// Hyper-parameters of SeT attention, with the SeTformer paper's defaults (ImageNet: m = 500,
/// ε = 0.1, σ = 0.5; α from DESIGN.md; T is not given by the paper, 10 is ours).
struct SetOptions {
  /// m: number of reference elements ("alignment cells") per head.
  TORCH_ARG(int64_t, num_references) = 500;
  /// ε: entropic regularisation of the transport plan; > 0. Paper range 0.1–1.0.
  TORCH_ARG(double, epsilon) = 0.1;
  /// T: Sinkhorn iterations (each one a row and a column update).
  TORCH_ARG(int64_t, iterations) = 10;
  /// α: sharpness of the similarity kernel.
  TORCH_ARG(double, alpha) = 1.0;
  /// σ: width of the LPE filter π_ij = exp(−(p_i − r_j)²/σ²).
  TORCH_ARG(double, sigma) = 0.5;
  TORCH_ARG(SimilarityKernel, kernel) = SimilarityKernel::spherical_gaussian;
  TORCH_ARG(Positions, positions) = Positions::lpe;
  /// {H, W}: tokens form a row-major H×W grid (2-D LPE). Empty: a 1-D sequence.
  TORCH_ARG(std::vector<int64_t>, grid) = {};
  /// {m_h, m_w} with m_h·m_w = m: the references' grid for 2-D LPE. Empty: the most square
  /// factorisation of m.
  TORCH_ARG(std::vector<int64_t>, reference_grid) = {};
  /// Size of the learned absolute position table (positions = ape).
  TORCH_ARG(int64_t, max_positions) = 4096;
  TORCH_ARG(Values, values) = Values::linear;
  TORCH_ARG(References, references) = References::learned;
  /// Eigenvalues of κ(Z, Z) are clamped to at least this before the inverse square root.
  TORCH_ARG(double, nystrom_eigen_floor) = 1e-4;
  /// Largest relative marginal error of the plan reported as "converged".
  TORCH_ARG(double, tolerance) = 1e-2;
  /// The fused CPU kernels where they apply: the whole transport core for self-attention
  /// (set_fused.h), else Sinkhorn alone (SinkhornOptions::fused); false runs the log-domain
  /// composition, for comparisons.
  TORCH_ARG(bool, fused_sinkhorn) = true;
  /// Backward of the fused paths (SinkhornOptions::backward).
  TORCH_ARG(SinkhornBackward, sinkhorn_backward) = SinkhornBackward::unrolled;
  /// > 0: Sinkhorn stops once every row marginal is within this relative error (at most T
  /// iterations) where the fused paths need not keep the iterates: evaluation without gradients,
  /// and training with the implicit backward (SinkhornOptions::stop_tolerance). 0: always T.
  TORCH_ARG(double, stop_tolerance) = 0.0;
};

/// Windowed softmax attention (Swin, Liu et al. 2021, §3.2): tokens on an H×W grid attend within
/// non-overlapping size×size windows, whose partition is shifted by `shift` tokens (cyclically,
/// with masks between wrapped regions) in every other block. A window larger than the grid is
/// clamped to it, and then not shifted (Swin's rule).
struct WindowOptions {
  TORCH_ARG(int64_t, size) = 7;
  /// 0 or, in alternate blocks, size / 2; must be < size.
  TORCH_ARG(int64_t, shift) = 0;
  /// {H, W}: tokens form a row-major H×W grid. Empty: a 1-D sequence (a 1×n grid).
  TORCH_ARG(std::vector<int64_t>, grid) = {};
};

/// Performer's FAVOR+ (Choromanski et al., ICLR 2021, §3): positive orthogonal random features.
struct PerformerOptions {
  /// m: random features per head; the estimate of softmax sharpens as m grows.
  TORCH_ARG(int64_t, features) = 256;
  /// Draw new features at every training forward pass (the paper's periodic redrawing at its
  /// most frequent); evaluation always uses the stored draw.
  TORCH_ARG(bool, redraw) = false;
};

/// Nyströmformer (Xiong et al., AAAI 2021, §3): softmax attention through m landmarks.
struct NystromOptions {
  /// m: landmarks per head, the means of m contiguous segments of the valid tokens. A sequence
  /// with at most m valid tokens gets one landmark per token (then the layer is softmax).
  TORCH_ARG(int64_t, landmarks) = 64;
  /// Iterations of the Moore–Penrose pseudo-inverse scheme (Eq. 16); the paper's 6.
  TORCH_ARG(int64_t, pinv_iterations) = 6;
};

/// Two-hop attention through learned inducing points (Set Transformer's ISAB, Lee et al. 2019,
/// §3.2), as a kernel.
struct InducingOptions {
  /// m: inducing points, shared by the heads.
  TORCH_ARG(int64_t, points) = 32;
};

/// Kernel-independent options of a multi-head attention layer.
struct AttentionOptions {
  AttentionOptions(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {}
  /// Which kernel: see attention_kernels().
  TORCH_ARG(std::string, kernel) = "softmax";
  /// d: model width; d_h = d / heads.
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, heads);
  /// Dropout on the attention weights (softmax) or on the transport plan (set).
  TORCH_ARG(double, dropout) = 0.0;
  /// Biases in the input and output projections.
  TORCH_ARG(bool, bias) = true;
  /// Used when kernel == "set".
  TORCH_ARG(SetOptions, set) = {};
  /// Used when kernel == "window".
  TORCH_ARG(WindowOptions, window) = {};
  /// Used when kernel == "performer".
  TORCH_ARG(PerformerOptions, performer) = {};
  /// Used when kernel == "nystrom".
  TORCH_ARG(NystromOptions, nystrom) = {};
  /// Used when kernel == "isab".
  TORCH_ARG(InducingOptions, inducing) = {};
};

}  // namespace setformer::attention
