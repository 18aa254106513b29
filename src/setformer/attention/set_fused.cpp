#include "setformer/attention/set_fused.h"

#include "setformer/attention/scaling.h"
#include "setformer/attention/similarity.h"
#include "setformer/attention/sinkhorn_fused.h"
#include "setformer/core/batched_matmul.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/torch.h>

#include <vector>

namespace setformer::attention::detail {
namespace {

struct Shape {
  int64_t batch, heads, n, m, dh, iterations;
  bool batched_weight;  // weight is [B, n, m] rather than [1, n, m]
  int64_t plans() const { return batch * heads; }
  int64_t out_row() const { return heads * dh; }  // row stride of [B, n, H·d_h]
};

/// A [B, H, n, d_h] operand read in place: base pointer and strides (unit inner stride).
template <typename T>
struct Heads {
  T* data;
  int64_t sb, sh, sn;
  T* at(int64_t b, int64_t h) const { return data + b * sb + h * sh; }
};

template <typename T>
Heads<T> heads_of(const torch::Tensor& t) {
  return {t.data_ptr<T>(), t.stride(0), t.stride(1), t.stride(2)};
}

/// A [B, n, H·d_h] tensor seen as [B, H, n, d_h] heads: the layout the fused core writes.
template <typename T>
Heads<T> merged_heads(const torch::Tensor& t, const Shape& d) {
  return {t.data_ptr<T>(), d.n * d.out_row(), d.dh, d.out_row()};
}

/// Pointers shared by every plan of one call.
template <typename T>
struct Operands {
  Heads<T> q, v;
  const T* z;      // [H, m, d_h]
  const T* w;      // [B or 1, n, m]
  const T* a;      // [B, n]
  const T* scale;  // [B]
  const T* b;      // [m], the uniform column marginal
  T alpha;
  double stop_tolerance;  // early stopping where the iterates are not kept (scaling.h)
};

/// Per-plan state: slices of the tensors saved for the backward, or per-thread scratch for what
/// is not saved. The unrolled backward keeps K and the iterates, the implicit one P.
template <typename T>
struct PlanState {
  T* kappa;           // [n, m]
  T* k;               // [n, m]
  T* u;               // [T, n]
  T* v;               // [T + 1, m]
  T* cells;           // [m, d_h] C = Pᵀ V (before the scale s)
  T* plan;            // [n, m]
  bool all_iterates;  // u and v hold every iterate (the unrolled backward's state)
};

/// The scaling state of plan p's batch row b.
template <typename T>
ScalingPlan<T> scaling_of(const Shape& d, const Operands<T>& x, int64_t b, const PlanState<T>& st) {
  return {d.n, d.m, d.iterations, x.a + b * d.n, x.b, st.k, st.u, st.v, st.all_iterates};
}

/// 1 / max(‖q_i‖, kNormFloor) for the query row q_i [d_h]: F::normalize's scale.
template <typename T>
T inverse_norm(const T* q_row, int64_t dh) {
  return T(1) / std::max(std::sqrt(dot(q_row, q_row, dh)), T(kNormFloor));
}

/// Forward of plan p = b·H + h into its slice of `out` ([B, n, H·d_h]). Writes the plan's
/// largest relative marginal error and its number of Sinkhorn iterations to stats[0..1].
template <typename T>
void forward_plan(const Shape& d, const Operands<T>& x, int64_t p, const PlanState<T>& st,
                  const Heads<T>& out, double* stats) {
  const int64_t b = p / d.heads, h = p % d.heads, n = d.n, m = d.m, dh = d.dh;
  const T* w = x.w + (d.batched_weight ? b * n * m : 0);
  gemm<T>(false, true, n, m, dh, T(1), x.q.at(b, h), x.q.sn, x.z + h * m * dh, dh, T(0), st.kappa,
          m);
  for (int64_t i = 0; i < n; ++i) {
    T* kappa = st.kappa + i * m;
    T* k = st.k + i * m;
    const T* w_row = w + i * m;
    const T r = inverse_norm(x.q.at(b, h) + i * x.q.sn, dh);  // q̂_i·(αẑ_j) = r·(q_i·αẑ_j)
#pragma omp simd
    for (int64_t j = 0; j < m; ++j) kappa[j] *= r;
    exp_shifted(kappa, -x.alpha, m);
    T top = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : top)
    for (int64_t j = 0; j < m; ++j) {
      k[j] = kappa[j] * w_row[j];
      top = std::max(top, k[j]);
    }
    exp_shifted(k, -top, m);
  }
  auto scaling = scaling_of(d, x, b, st);
  scaling.iterations = scaling_iterations(scaling, x.stop_tolerance);
  scaling_plan(scaling, st.plan, &stats[0]);
  stats[1] = static_cast<double>(scaling.iterations);
  gemm<T>(true, false, m, dh, n, T(1), st.plan, m, x.v.at(b, h), x.v.sn, T(0), st.cells, dh);
  gemm<T>(false, false, n, dh, m, x.scale[b], st.plan, m, st.cells, dh, T(0), out.at(b, h), out.sn);
}

/// Backward of plan p: ∂q and ∂V into their [B, n, H·d_h] slices, ∂(αẑ) of this plan into
/// grad_z [m, d_h]. `spare` and `work` are [n, m] scratch, `grad_cells` [m, d_h], `r` [n].
template <typename T>
void backward_plan(const Shape& d, const Operands<T>& x, int64_t p, const PlanState<T>& st,
                   bool implicit, const Heads<T>& grad_out, const Heads<T>& grad_q,
                   const Heads<T>& grad_v, T* grad_z, T* spare, T* work, T* grad_cells, T* r) {
  const int64_t b = p / d.heads, h = p % d.heads, n = d.n, m = d.m, dh = d.dh;
  const T s = x.scale[b];
  const T* w = x.w + (d.batched_weight ? b * n * m : 0);
  const T* gy = grad_out.at(b, h);
  const T* v = x.v.at(b, h);
  const auto scaling = scaling_of(d, x, b, st);
  T* plan = st.plan;  // saved (implicit) or recomputed from K and the iterates (unrolled)
  if (!implicit) scaling_plan(scaling, plan);
  gemm<T>(true, false, m, dh, n, s, plan, m, gy, grad_out.sn, T(0), grad_cells, dh);  // ∂C
  gemm<T>(false, true, n, m, dh, s, gy, grad_out.sn, st.cells, dh, T(0), work, m);    // ∂P
  gemm<T>(false, true, n, m, dh, T(1), v, x.v.sn, grad_cells, dh, T(1), work, m);
  gemm<T>(false, false, n, dh, m, T(1), plan, m, grad_cells, dh, T(0), grad_v.at(b, h),
          grad_v.sn);  // ∂V
  T* grad_s = implicit ? work : spare;
  if (implicit) {
    implicit_backward(n, m, plan, work, grad_s, spare);
  } else {
    scaling_backward(scaling, work, grad_s);
  }
  // ∂c = ∂S ⊙ w ⊙ κ, with row i scaled by r_i = 1/‖q_i‖: then ∂c·(αẑ) is g_i = r_i ∂q̂_i and
  // ∂cᵀ q (raw queries) is ∂(αẑ) = Σ_i ∂c_i q̂_i.
  const T* q = x.q.at(b, h);
  for (int64_t i = 0; i < n; ++i) {
    r[i] = inverse_norm(q + i * x.q.sn, dh);
    T* g_row = grad_s + i * m;
    const T* w_row = w + i * m;
    const T* kappa = st.kappa + i * m;
#pragma omp simd
    for (int64_t j = 0; j < m; ++j) g_row[j] *= w_row[j] * kappa[j] * r[i];
  }
  T* gq = grad_q.at(b, h);
  gemm<T>(false, false, n, dh, m, T(1), grad_s, m, x.z + h * m * dh, dh, T(0), gq, grad_q.sn);
  gemm<T>(true, false, m, dh, n, T(1), grad_s, m, q, x.q.sn, T(0), grad_z, dh);
  // Through q̂ = r q: ∂q = r (∂q̂ − q̂ (q̂·∂q̂)) = g − r² q (q·g). Below the norm's floor q̂ = q/eps
  // is linear and ∂q = g.
  for (int64_t i = 0; i < n; ++i) {
    const T* q_row = q + i * x.q.sn;
    T* g_row = gq + i * grad_q.sn;
    if (r[i] >= T(1) / T(kNormFloor)) continue;
    axpy(-r[i] * r[i] * dot(q_row, g_row, dh), q_row, g_row, dh);
  }
}

template <typename T>
Operands<T> operands_of(const torch::Tensor& q, const torch::Tensor& z, const torch::Tensor& v,
                        const torch::Tensor& w, const torch::Tensor& a, const torch::Tensor& scale,
                        const torch::Tensor& col, double alpha, double stop_tolerance = 0.0) {
  return {heads_of<T>(q),    heads_of<T>(v),        z.data_ptr<T>(),
          w.data_ptr<T>(),   a.data_ptr<T>(),       scale.data_ptr<T>(),
          col.data_ptr<T>(), static_cast<T>(alpha), stop_tolerance};
}

Shape shape_of(const torch::Tensor& q, const torch::Tensor& z, const torch::Tensor& w,
               int64_t iterations) {
  return {q.size(0), q.size(1), q.size(2), z.size(1), q.size(3), iterations, w.size(0) > 1};
}

/// The per-plan state of a call as tensors [plans, ...]; fields left undefined are not kept.
struct StateTensors {
  torch::Tensor kappa, k, u, v, cells, plan;
};

/// What the backward keeps for every plan: κ, the cells, and K with the iterates (unrolled) or
/// P (implicit).
StateTensors saved_state(const Shape& d, bool implicit, const torch::TensorOptions& opts) {
  const int64_t plans = d.plans();
  StateTensors s;
  s.kappa = torch::empty({plans, d.n, d.m}, opts);
  s.cells = torch::empty({plans, d.m, d.dh}, opts);
  if (implicit) {
    s.plan = torch::empty({plans, d.n, d.m}, opts);
  } else {
    s.k = torch::empty({plans, d.n, d.m}, opts);
    s.u = torch::empty({plans, d.iterations, d.n}, opts);
    s.v = torch::empty({plans, d.iterations + 1, d.m}, opts);
  }
  return s;
}

/// One plan's worth of every field that `saved` (null in inference) does not keep.
StateTensors scratch_state(const Shape& d, const StateTensors* saved,
                           const torch::TensorOptions& opts) {
  const auto missing = [&](torch::Tensor StateTensors::*field) {
    return !saved || !(saved->*field).defined();
  };
  StateTensors s;
  if (missing(&StateTensors::kappa)) s.kappa = torch::empty({d.n, d.m}, opts);
  if (missing(&StateTensors::k)) s.k = torch::empty({d.n, d.m}, opts);
  // Iterates that are not saved need only the last u and the last two v (ScalingPlan).
  if (missing(&StateTensors::u)) s.u = torch::empty({1, d.n}, opts);
  if (missing(&StateTensors::v)) s.v = torch::empty({2, d.m}, opts);
  if (missing(&StateTensors::cells)) s.cells = torch::empty({d.m, d.dh}, opts);
  if (missing(&StateTensors::plan)) s.plan = torch::empty({d.n, d.m}, opts);
  return s;
}

/// Plan p's state: its slice of each saved field, else the scratch.
template <typename T>
PlanState<T> state_slice(const StateTensors* saved, const StateTensors& scratch, int64_t p) {
  const auto pick = [&](torch::Tensor StateTensors::*field) {
    if (saved && (saved->*field).defined()) {
      const auto& t = saved->*field;
      return t.data_ptr<T>() + p * t.stride(0);
    }
    return (scratch.*field).data_ptr<T>();
  };
  return {pick(&StateTensors::kappa), pick(&StateTensors::k),     pick(&StateTensors::u),
          pick(&StateTensors::v),     pick(&StateTensors::cells), pick(&StateTensors::plan),
          saved && saved->u.defined()};
}

/// Forward over all plans, parallel over batch × heads. With `saved`, the plans' state is kept
/// there for the backward; what it does not keep lives in one plan's worth of scratch per thread.
/// `stats` receives [plans, 2]: each plan's marginal error and iterations done.
torch::Tensor forward_all(const Shape& d, const torch::Tensor& q, const torch::Tensor& z,
                          const torch::Tensor& v, const torch::Tensor& w, const torch::Tensor& a,
                          const torch::Tensor& scale, const torch::Tensor& col, double alpha,
                          double stop_tolerance, StateTensors* saved, torch::Tensor& stats) {
  const auto opts = q.options();
  auto out = torch::empty({d.batch, d.n, d.out_row()}, opts);
  stats = torch::empty({d.plans(), 2}, opts.dtype(torch::kDouble));
  AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "set_core_fused_forward", [&] {
    const auto x = operands_of<scalar_t>(q, z, v, w, a, scale, col, alpha, stop_tolerance);
    const auto out_heads = merged_heads<scalar_t>(out, d);
    double* e = stats.data_ptr<double>();
    at::parallel_for(0, d.plans(), 1, [&](int64_t begin, int64_t end) {
      const StateTensors scratch = scratch_state(d, saved, opts);
      for (int64_t p = begin; p < end; ++p)
        forward_plan(d, x, p, state_slice<scalar_t>(saved, scratch, p), out_heads, e + 2 * p);
    });
  });
  return out;
}

/// Autograd node of the fused core: forward keeps κ, the cells, and K with the scaling vectors
/// (unrolled) or P (implicit).
struct SetCore : torch::autograd::Function<SetCore> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const torch::Tensor& q, const torch::Tensor& z,
                                                const torch::Tensor& v, const torch::Tensor& w,
                                                const torch::Tensor& a, const torch::Tensor& scale,
                                                const torch::Tensor& col, double alpha,
                                                double stop_tolerance, int64_t iterations,
                                                bool implicit) {
    const Shape d = shape_of(q, z, w, iterations);
    StateTensors st = saved_state(d, implicit, q.options());
    torch::Tensor stats;
    auto out = forward_all(d, q, z, v, w, a, scale, col, alpha, stop_tolerance, &st, stats);
    // Undefined fields are saved as undefined tensors and come back as such.
    ctx->save_for_backward(
        {q, z, v, w, a, scale, col, st.kappa, st.k, st.u, st.v, st.cells, st.plan});
    ctx->saved_data["alpha"] = alpha;
    ctx->saved_data["iterations"] = iterations;
    ctx->saved_data["implicit"] = implicit;
    ctx->mark_non_differentiable({stats});
    return {out, stats};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto s = ctx->get_saved_variables();
    const auto &q = s[0], &z = s[1], &v = s[2], &w = s[3], &a = s[4], &scale = s[5], &col = s[6];
    const StateTensors st{s[7], s[8], s[9], s[10], s[11], s[12]};
    const double alpha = ctx->saved_data["alpha"].toDouble();
    const bool implicit = ctx->saved_data["implicit"].toBool();
    const Shape d = shape_of(q, z, w, ctx->saved_data["iterations"].toInt());
    const auto grad_out = grads[0].contiguous();
    const auto opts = q.options();
    auto grad_q = torch::empty({d.batch, d.n, d.out_row()}, opts);
    auto grad_v = torch::empty({d.batch, d.n, d.out_row()}, opts);
    auto grad_z = torch::empty({d.batch, d.heads, d.m, d.dh}, opts);
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "set_core_fused_backward", [&] {
      const auto x = operands_of<scalar_t>(q, z, v, w, a, scale, col, alpha);
      const auto gy = merged_heads<scalar_t>(grad_out, d);
      const auto gq = merged_heads<scalar_t>(grad_q, d);
      const auto gv = merged_heads<scalar_t>(grad_v, d);
      scalar_t* gz = grad_z.data_ptr<scalar_t>();
      at::parallel_for(0, d.plans(), 1, [&](int64_t begin, int64_t end) {
        const StateTensors scratch = scratch_state(d, &st, opts);
        auto buffers = torch::empty({2 * d.n * d.m + d.m * d.dh + d.n}, opts);
        scalar_t* spare = buffers.data_ptr<scalar_t>();
        scalar_t* work = spare + d.n * d.m;
        scalar_t* grad_cells = work + d.n * d.m;
        scalar_t* row_scale = grad_cells + d.m * d.dh;
        for (int64_t p = begin; p < end; ++p)
          backward_plan(d, x, p, state_slice<scalar_t>(&st, scratch, p), implicit, gy, gq, gv,
                        gz + p * d.m * d.dh, spare, work, grad_cells, row_scale);
      });
    });
    // [B, n, H·d_h] seen as [B, H, n, d_h], the inputs' logical shape.
    const auto as_heads = [&](const torch::Tensor& t) {
      return t.view({d.batch, d.n, d.heads, d.dh}).transpose(1, 2);
    };
    // No gradients for w, a, scale, col, alpha, stop_tolerance, iterations and implicit.
    torch::autograd::variable_list grads_in(11);
    grads_in[0] = as_heads(grad_q);
    grads_in[1] = grad_z.sum(0);
    grads_in[2] = as_heads(grad_v);
    return grads_in;
  }
};

}  // namespace

std::optional<SetCoreResult> set_core_fused(const SetCoreInputs& in) {
  RECORD_FUNCTION("setformer::set_core_fused", std::vector<c10::IValue>());
  const auto& q = in.q;
  const auto dtype = q.scalar_type();
  if (!q.device().is_cpu() || (dtype != torch::kFloat && dtype != torch::kDouble) || q.numel() == 0)
    return std::nullopt;
  for (const auto* t : {&in.z_scaled, &in.values, &in.weight, &in.row_weights, &in.scale})
    if (!t->device().is_cpu() || t->scalar_type() != dtype) return std::nullopt;
  const auto& w = in.weight;
  if (!(w.max().item<double>() <= scaling_range_limit(dtype))) return std::nullopt;

  const auto unit_inner = [](const torch::Tensor& t) {
    return t.stride(-1) == 1 ? t : t.contiguous();
  };
  const int64_t m = in.z_scaled.size(1);
  const auto col = torch::full({m}, 1.0 / static_cast<double>(m), q.options());
  const bool needs_grad =
      torch::GradMode::is_enabled() &&
      (q.requires_grad() || in.z_scaled.requires_grad() || in.values.requires_grad());
  const auto qi = unit_inner(q), vi = unit_inner(in.values), z = in.z_scaled.contiguous();
  const auto wc = w.contiguous(), a = in.row_weights.contiguous(), s = in.scale.contiguous();
  SetCoreResult result;
  torch::Tensor stats;
  if (needs_grad) {
    const auto outputs = SetCore::apply(qi, z, vi, wc, a, s, col, in.alpha, in.stop_tolerance,
                                        in.iterations, in.backward == SinkhornBackward::implicit);
    result.output = outputs[0];
    stats = outputs[1];
  } else {
    result.output = forward_all(shape_of(qi, z, wc, in.iterations), qi, z, vi, wc, a, s, col,
                                in.alpha, in.stop_tolerance, nullptr, stats);
  }
  const auto worst = std::get<0>(stats.max(0));
  result.max_marginal_error = worst[0].item<double>();
  result.iterations = static_cast<int64_t>(worst[1].item<double>());
  return result;
}

}  // namespace setformer::attention::detail
