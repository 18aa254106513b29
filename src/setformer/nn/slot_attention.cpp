#include "setformer/nn/slot_attention.h"

#include "setformer/attention/sinkhorn.h"
#include "setformer/core/error.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace setformer::nn {

namespace {

/// [1, d] -> [d] parameter drawn like the authors' μ and log σ (Glorot uniform).
torch::Tensor glorot_vector(int64_t d) {
  auto t = torch::empty({1, d});
  torch::nn::init::xavier_uniform_(t);
  return t.view({d});
}

/// logits [B, N, K] -> weights [B, N, K], zero on padded inputs.
torch::Tensor normalise(const torch::Tensor& logits, const torch::Tensor& padding,
                        const SlotAttentionOptions& o) {
  const auto pad = padding.defined() ? padding.unsqueeze(-1) : torch::Tensor();
  switch (o.normalisation()) {
    case SlotNormalisation::slots: {
      const auto attn = torch::softmax(logits, -1);
      return pad.defined() ? attn.masked_fill(pad, 0.0) : attn;
    }
    case SlotNormalisation::inputs: {
      const double neg_inf = -std::numeric_limits<double>::infinity();
      return torch::softmax(pad.defined() ? logits.masked_fill(pad, neg_inf) : logits, 1);
    }
    case SlotNormalisation::transport: {
      // Rows of the plan sum to 1/N_valid; scaled back so that each input spreads one unit.
      const auto plan =
          attention::sinkhorn(logits, padding, torch::Tensor(),
                              attention::SinkhornOptions().iterations(o.transport_iterations()))
              .plan;
      const auto valid = padding.defined()
                             ? padding.logical_not().sum(1).to(logits.scalar_type())
                             : torch::full({logits.size(0)}, static_cast<double>(logits.size(1)),
                                           logits.options());
      return plan * valid.view({-1, 1, 1});
    }
  }
  throw std::logic_error("unknown slot normalisation");
}

}  // namespace

SlotAttentionImpl::SlotAttentionImpl(const SlotAttentionOptions& options_) : options(options_) {
  const int64_t d = options.slot_dim(), d_in = options.input_dim();
  SETFORMER_CHECK(d_in > 0 && d > 0 && options.mlp_hidden() > 0,
                  "slot attention: input_dim, slot_dim and mlp_hidden must be positive, got {}, "
                  "{}, {}",
                  d_in, d, options.mlp_hidden());
  SETFORMER_CHECK(options.num_slots() > 0 && options.iterations() > 0,
                  "slot attention: num_slots and iterations must be positive, got {} and {}",
                  options.num_slots(), options.iterations());
  SETFORMER_CHECK(options.epsilon() >= 0, "slot attention: epsilon must be >= 0, got {}",
                  options.epsilon());
  mu = register_parameter("mu", glorot_vector(d));
  log_sigma = register_parameter("log_sigma", glorot_vector(d));
  norm_inputs =
      register_module("norm_inputs", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_in})));
  norm_slots =
      register_module("norm_slots", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  // The authors' projections have no bias.
  project_q =
      register_module("project_q", torch::nn::Linear(torch::nn::LinearOptions(d, d).bias(false)));
  project_k = register_module("project_k",
                              torch::nn::Linear(torch::nn::LinearOptions(d_in, d).bias(false)));
  project_v = register_module("project_v",
                              torch::nn::Linear(torch::nn::LinearOptions(d_in, d).bias(false)));
  if (options.gru()) gru = register_module("gru", torch::nn::GRUCell(d, d));
  if (options.mlp()) {
    norm_mlp = register_module("norm_mlp", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    mlp1 = register_module("mlp1", torch::nn::Linear(d, options.mlp_hidden()));
    mlp2 = register_module("mlp2", torch::nn::Linear(options.mlp_hidden(), d));
  }
}

torch::Tensor SlotAttentionImpl::sample_slots(int64_t batch, int64_t num_slots) const {
  SETFORMER_CHECK(batch > 0 && num_slots > 0,
                  "slot attention: batch and number of slots must be positive, got {} and {}",
                  batch, num_slots);
  // Drawn on the CPU whatever the device, so that a seed gives the same slots everywhere.
  const auto z =
      torch::randn({batch, num_slots, options.slot_dim()}, mu.options().device(torch::kCPU))
          .to(mu.device());
  return mu + log_sigma.exp() * z;
}

SlotAttentionOutput SlotAttentionImpl::forward(const torch::Tensor& inputs,
                                               const torch::Tensor& initial_slots,
                                               const torch::Tensor& padding, int64_t iterations) {
  check_shape(inputs, "slot attention inputs", {-1, -1, options.input_dim()}, "[B, N, D_in]");
  const int64_t batch = inputs.size(0), n = inputs.size(1), d = options.slot_dim();
  if (padding.defined()) {
    check_shape(padding, "slot attention padding", {batch, n}, "[B, N]");
    SETFORMER_CHECK(padding.scalar_type() == torch::kBool,
                    "slot attention padding must be bool (true = padding)");
  }
  auto slots = initial_slots.defined() ? initial_slots : sample_slots(batch, options.num_slots());
  check_shape(slots, "initial slots", {batch, -1, d}, "[B, K, D]");
  SETFORMER_CHECK(iterations >= 0, "slot attention: iterations must be >= 0, got {}", iterations);
  const int64_t steps = iterations > 0 ? iterations : options.iterations();
  const int64_t k = slots.size(1);

  const auto x = norm_inputs(inputs);
  const auto keys = project_k(x) * (1.0 / std::sqrt(static_cast<double>(d)));
  const auto values = project_v(x);
  SlotAttentionOutput out;
  for (int64_t t = 0; t < steps; ++t) {
    const auto previous = slots;
    const auto queries = project_q(norm_slots(slots));
    const auto attn = normalise(torch::bmm(keys, queries.transpose(1, 2)), padding, options);
    out.attention.push_back(attn);
    auto weights = attn + options.epsilon();
    if (padding.defined()) weights = weights.masked_fill(padding.unsqueeze(-1), 0.0);
    if (options.weighted_mean()) weights = weights / weights.sum(1, /*keepdim=*/true);
    const auto updates = torch::bmm(weights.transpose(1, 2), values);  // [B, K, D]
    slots = options.gru() ? gru(updates.reshape({batch * k, d}), previous.reshape({batch * k, d}))
                                .view({batch, k, d})
                          : updates;
    if (options.mlp()) slots = slots + mlp2(torch::relu(mlp1(norm_mlp(slots))));
    out.iterates.push_back(slots);
  }
  out.slots = slots;
  return out;
}

double SlotAttentionImpl::flops(int64_t n, int64_t k) const {
  const double d = static_cast<double>(options.slot_dim()),
               d_in = static_cast<double>(options.input_dim()),
               h = static_cast<double>(options.mlp_hidden()), nn = static_cast<double>(n),
               kk = static_cast<double>(k);
  const double per_iteration = kk * d * d + 2 * nn * kk * d + (options.gru() ? kk * 6 * d * d : 0) +
                               (options.mlp() ? kk * 2 * d * h : 0);
  return 2 * nn * d_in * d + static_cast<double>(options.iterations()) * per_iteration;
}

}  // namespace setformer::nn
