#include "setformer/core/batched_matmul.h"

#include "setformer/core/error.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#ifdef SETFORMER_HAVE_BLAS
extern "C" {
// Fortran BLAS (column-major), provided by OpenBLAS or the reference BLAS.
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc);
}
#endif

namespace setformer {
namespace {

#ifdef SETFORMER_HAVE_BLAS

/// A [N, rows, cols] operand as BLAS reads it: a contiguous buffer, possibly of the transpose.
struct Operand {
  torch::Tensor buffer;  // contiguous [N, rows, cols] or, when transposed, [N, cols, rows]
  bool transposed = false;
};

Operand operand(const torch::Tensor& t) {
  if (t.is_contiguous()) return {t, false};
  const auto flipped = t.transpose(1, 2);
  if (flipped.is_contiguous()) return {flipped, true};
  return {t.contiguous(), false};
}

/// op(a) · op(b) for a [N, r, k] and b [N, k, c] (logical shapes; the buffers may hold the
/// transposes).
template <class T>
torch::Tensor gemm_batched(const Operand& a, const Operand& b, int64_t r, int64_t k, int64_t c) {
  const int64_t batch = a.buffer.size(0);
  auto out = torch::empty({batch, r, c}, a.buffer.options());
  if (batch == 0 || r == 0 || c == 0) return out;
  if (k == 0) return out.zero_();
  const T* pa = a.buffer.data_ptr<T>();
  const T* pb = b.buffer.data_ptr<T>();
  T* pc = out.data_ptr<T>();
  const int64_t lda = a.transposed ? r : k;  // row length of a's buffer
  const int64_t ldb = b.transposed ? k : c;
  const int64_t work = r * k * c;
  // Matrices too small for BLAS's own threads are spread over the cores instead; inside the
  // parallel region OpenBLAS runs single-threaded.
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, work));
  at::parallel_for(0, batch, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      gemm<T>(a.transposed, b.transposed, r, c, k, T(1), pa + i * r * k, lda, pb + i * k * c, ldb,
              T(0), pc + i * r * c, c);
    }
  });
  return out;
}

/// [N, r, k] · [N, k, c] on CPU float or double, both given as logical (possibly transposed)
/// views.
torch::Tensor blas_bmm(const torch::Tensor& a, const torch::Tensor& b) {
  const auto oa = operand(a), ob = operand(b);
  const int64_t r = a.size(1), k = a.size(2), c = b.size(2);
  return a.scalar_type() == torch::kFloat ? gemm_batched<float>(oa, ob, r, k, c)
                                          : gemm_batched<double>(oa, ob, r, k, c);
}

struct BatchedMatmul : torch::autograd::Function<BatchedMatmul> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a,
                               const torch::Tensor& b) {
    ctx->save_for_backward({a, b});
    return blas_bmm(a, b);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& a = saved[0];
    const auto& b = saved[1];
    const auto& g = grads[0];
    torch::Tensor grad_a, grad_b;
    if (ctx->needs_input_grad(0)) grad_a = blas_bmm(g, b.transpose(1, 2));  // G·Bᵀ
    if (ctx->needs_input_grad(1)) grad_b = blas_bmm(a.transpose(1, 2), g);  // Aᵀ·G
    return {grad_a, grad_b};
  }
};

#endif  // SETFORMER_HAVE_BLAS

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t r, int64_t c, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* out, int64_t ldc) {
  if (r == 0 || c == 0) return;
#ifdef SETFORMER_HAVE_BLAS
  // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, and a row-major buffer read column-major is
  // its transpose, so b's buffer goes first and the flags carry over. A single row may have
  // any stride; BLAS still wants ld >= the row length.
  const char ta = trans_a ? 'T' : 'N', tb = trans_b ? 'T' : 'N';
  const int ri = static_cast<int>(r), ci = static_cast<int>(c), ki = static_cast<int>(k);
  const int la = static_cast<int>(std::max<int64_t>(lda, trans_a ? r : k));
  const int lb = static_cast<int>(std::max<int64_t>(ldb, trans_b ? k : c));
  const int lc = static_cast<int>(std::max<int64_t>(ldc, c));
  if (k == 0) {
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j)
        out[i * ldc + j] = beta == T(0) ? T(0) : beta * out[i * ldc + j];
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    sgemm_(&tb, &ta, &ci, &ri, &ki, &alpha, b, &lb, a, &la, &beta, out, &lc);
  } else {
    dgemm_(&tb, &ta, &ci, &ri, &ki, &alpha, b, &lb, a, &la, &beta, out, &lc);
  }
#else
  for (int64_t i = 0; i < r; ++i) {
    for (int64_t j = 0; j < c; ++j) {
      T sum = 0;
      for (int64_t l = 0; l < k; ++l)
        sum += (trans_a ? a[l * lda + i] : a[i * lda + l]) *
               (trans_b ? b[j * ldb + l] : b[l * ldb + j]);
      T& o = out[i * ldc + j];
      o = alpha * sum + (beta == T(0) ? T(0) : beta * o);
    }
  }
#endif
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

bool batched_matmul_uses_blas(const torch::Tensor& t) {
#ifdef SETFORMER_HAVE_BLAS
  return t.device().is_cpu() &&
         (t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kDouble);
#else
  (void)t;
  return false;
#endif
}

torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  SETFORMER_CHECK(a.dim() >= 2 && b.dim() >= 2,
                  "batched_matmul needs [..., r, k] and [..., k, c], got {} and {}",
                  shape_string(a.sizes()), shape_string(b.sizes()));
  SETFORMER_CHECK(a.size(-1) == b.size(-2), "batched_matmul: {} · {} do not chain",
                  shape_string(a.sizes()), shape_string(b.sizes()));
  if (!batched_matmul_uses_blas(a) || a.scalar_type() != b.scalar_type() ||
      a.device() != b.device() || std::max(a.numel(), b.numel()) >= (int64_t{1} << 31)) {
    return torch::matmul(a, b);
  }
#ifdef SETFORMER_HAVE_BLAS
  // Broadcast the leading dimensions, then flatten them: [N, r, k] and [N, k, c].
  const auto lead =
      at::infer_size(a.sizes().slice(0, a.dim() - 2), b.sizes().slice(0, b.dim() - 2));
  const int64_t batch = c10::multiply_integers(lead);
  const auto expand = [&](const torch::Tensor& t) {
    std::vector<int64_t> shape(lead.begin(), lead.end());
    shape.push_back(t.size(-2));
    shape.push_back(t.size(-1));
    return t.expand(shape).reshape({batch, t.size(-2), t.size(-1)});
  };
  auto out = BatchedMatmul::apply(expand(a), expand(b));
  std::vector<int64_t> shape(lead.begin(), lead.end());
  shape.push_back(a.size(-2));
  shape.push_back(b.size(-1));
  return out.view(shape);
#endif
}

}  // namespace setformer
