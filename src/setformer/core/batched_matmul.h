// Batched products of the small matrices attention works on ([B·H] matrices of a few dozen rows).
//
// LibTorch 1.13 built without MKL (Debian's) computes bmm on CPU with one dispatcher call per
// matrix (select, select, mm): for 49×32 by 32×49 heads the bookkeeping costs more than the
// arithmetic, and it dominated SeTformer training on Fashion-MNIST (profiled: ~60% of a step).
// batched_matmul() calls BLAS gemm directly for each matrix from a parallel loop, reads
// transposed operands in place, and has its own backward (two more batched products). Other
// devices, dtypes, and builds without a BLAS library use torch::matmul, which is also the
// reference the tests compare against.
#pragma once

#include <torch/types.h>

namespace setformer {

/// a [..., r, k] · b [..., k, c] -> [..., r, c], leading dimensions broadcast as in
/// torch::matmul (both operands need at least two dimensions). Differentiable.
torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b);

/// Whether batched_matmul() uses its direct BLAS path for `t`'s device and dtype in this build.
bool batched_matmul_uses_blas(const torch::Tensor& t);

/// Row-major out[r, c] = alpha · op(a)[r, k] · op(b)[k, c] + beta · out on raw buffers, where
/// op transposes when asked and lda/ldb/ldc are the row strides of the buffers as stored. One
/// BLAS call (plain loops in builds without BLAS): the fused kernels call it per matrix from
/// their own parallel loops. Defined for float and double.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t r, int64_t c, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* out, int64_t ldc);

}  // namespace setformer
