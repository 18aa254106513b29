#include "setformer/attention/attention.h"

#include "setformer/attention/inducing.h"
#include "setformer/attention/linear.h"
#include "setformer/attention/nystrom.h"
#include "setformer/attention/performer.h"
#include "setformer/attention/set.h"
#include "setformer/attention/softmax.h"
#include "setformer/attention/window.h"
#include "setformer/core/error.h"

namespace setformer::attention {

AttentionImpl::AttentionImpl(const AttentionOptions& options) : options_(options) {
  SETFORMER_CHECK(options.dim() >= 1, "attention dim must be >= 1, got {}", options.dim());
  SETFORMER_CHECK(options.heads() >= 1, "attention heads must be >= 1, got {}", options.heads());
  SETFORMER_CHECK(options.dim() % options.heads() == 0,
                  "attention dim = {} is not divisible by heads = {}", options.dim(),
                  options.heads());
  SETFORMER_CHECK(options.dropout() >= 0.0 && options.dropout() < 1.0,
                  "attention dropout must be in [0, 1), got {}", options.dropout());
  head_dim_ = options.dim() / options.heads();
}

torch::nn::Linear AttentionImpl::projection(const std::string& name) {
  const int64_t d = options_.dim();
  return register_module(name,
                         torch::nn::Linear(torch::nn::LinearOptions(d, d).bias(options_.bias())));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& context,
                                     const Mask& given) {
  const bool self = query.is_same(context);
  Mask mask = given;
  if (self && !mask.query_padding().defined()) mask.query_padding(mask.padding());
  const int64_t d = options_.dim();
  check_shape(query, "attention query", {-1, -1, d}, "[B, n_q, d]");
  const int64_t batch = query.size(0);
  check_shape(context, "attention context", {batch, -1, d}, "[B, n_ctx, d]");
  SETFORMER_CHECK(
      query.scalar_type() == context.scalar_type() && query.device() == context.device(),
      "attention query ({}, {}) and context ({}, {}) must share dtype and device",
      c10::toString(query.scalar_type()), query.device().str(),
      c10::toString(context.scalar_type()), context.device().str());
  SETFORMER_CHECK(
      query.size(1) >= 1 && context.size(1) >= 1,
      "attention needs at least one query and one context token, got n_q = {}, n_ctx = {}",
      query.size(1), context.size(1));
  for (const auto& [tensor, name, n] :
       {std::tuple{mask.padding(), "padding mask", context.size(1)},
        std::tuple{mask.query_padding(), "query padding mask", query.size(1)}}) {
    if (!tensor.defined()) continue;
    check_shape(tensor, name, {batch, n}, "[B, n]");
    SETFORMER_CHECK(tensor.scalar_type() == torch::kBool,
                    "{} must be bool (true = padding), got {}", name,
                    c10::toString(tensor.scalar_type()));
    SETFORMER_CHECK(tensor.device() == query.device(), "{} is on {}, the inputs on {}", name,
                    tensor.device().str(), query.device().str());
  }
  if (mask.padding().defined()) {
    const auto all_padding = mask.padding().all(/*dim=*/1);
    SETFORMER_CHECK(!all_padding.any().item<bool>(),
                    "padding mask marks every context token of sequence {} as padding; each "
                    "sequence needs at least one valid token",
                    all_padding.nonzero()[0].item<int64_t>());
  }
  SETFORMER_CHECK(self || supports_cross_attention(),
                  "attention kernel '{}' is self-attention only (query and context must be the "
                  "same tensor)",
                  kernel_name());
  SETFORMER_CHECK(!mask.causal() || supports_causal(),
                  "attention kernel '{}' does not support causal masks (its output mixes every "
                  "token through a global plan); use kernel 'softmax' for causal attention",
                  kernel_name());
  return attend(query, context, mask, self);
}

void AttentionCache::select(const torch::Tensor& index) {
  for (auto* t : {&keys, &values, &context, &padding}) {
    if (t->defined()) *t = t->index_select(0, index);
  }
}

namespace {

/// `cache.padding` extended by `t_new` tokens with padding `added` (undefined: none padded);
/// stays undefined while nothing is padded.
torch::Tensor extended_padding(const torch::Tensor& cached, int64_t t_old,
                               const torch::Tensor& added, int64_t t_new, int64_t batch,
                               const torch::Device& device) {
  if (!cached.defined() && !added.defined()) return {};
  const auto none = [&](int64_t t) {
    return torch::zeros({batch, t}, torch::TensorOptions(device).dtype(torch::kBool));
  };
  return torch::cat(
      {cached.defined() ? cached : none(t_old), added.defined() ? added : none(t_new)}, 1);
}

}  // namespace

void AttentionImpl::append_to_cache(AttentionCache& cache, const torch::Tensor& new_context,
                                    const torch::Tensor& new_padding, int64_t cached_tokens) const {
  const int64_t batch = new_context.size(0), t_new = new_context.size(1);
  check_shape(new_context, "cached attention context", {-1, -1, options_.dim()}, "[B, t, d]");
  if (new_padding.defined()) {
    check_shape(new_padding, "cached attention padding", {batch, t_new}, "[B, t]");
    SETFORMER_CHECK(new_padding.scalar_type() == torch::kBool,
                    "cached attention padding must be bool (true = padding)");
  }
  cache.padding = extended_padding(cache.padding, cached_tokens, new_padding, t_new, batch,
                                   new_context.device());
}

torch::Tensor AttentionImpl::forward_cached(const torch::Tensor& query,
                                            const torch::Tensor& new_context, AttentionCache& cache,
                                            const torch::Tensor& new_padding) {
  SETFORMER_CHECK(new_context.defined() || !cache.empty(),
                  "forward_cached: the cache is empty and no new context was given");
  if (new_context.defined()) {
    const int64_t cached = cache.context.defined() ? cache.context.size(1) : 0;
    append_to_cache(cache, new_context, new_padding, cached);
    cache.context =
        cache.context.defined() ? torch::cat({cache.context, new_context}, 1) : new_context;
  }
  // A copy, so that forward() sees cross-attention even when the query is the context.
  return forward(query, cache.context.alias(), Mask().padding(cache.padding));
}

torch::Tensor AttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), options_.heads(), head_dim_}).transpose(1, 2);
}

torch::Tensor AttentionImpl::merge_heads(const torch::Tensor& x) const {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), options_.dim()});
}

const std::vector<std::string>& attention_kernels() {
  static const std::vector<std::string> names{"softmax",   "set",     "window", "linear",
                                              "performer", "nystrom", "isab"};
  return names;
}

Attention make_attention(const AttentionOptions& options) {
  const std::string& name = options.kernel();
  // The holder takes shared_ptr<AttentionImpl>; a derived pointer would pick its forwarding
  // constructor instead.
  std::shared_ptr<AttentionImpl> impl;
  if (name == "softmax") impl = std::make_shared<SoftmaxAttentionImpl>(options);
  if (name == "set") impl = std::make_shared<SetAttentionImpl>(options);
  if (name == "window") impl = std::make_shared<WindowAttentionImpl>(options);
  if (name == "linear") impl = std::make_shared<LinearAttentionImpl>(options);
  if (name == "performer") impl = std::make_shared<PerformerAttentionImpl>(options);
  if (name == "nystrom") impl = std::make_shared<NystromAttentionImpl>(options);
  if (name == "isab") impl = std::make_shared<InducingAttentionImpl>(options);
  if (impl) return Attention(impl);
  std::string choices;
  for (const auto& k : attention_kernels()) choices += (choices.empty() ? "" : ", ") + k;
  throw std::invalid_argument(
      fmt::format("unknown attention kernel '{}'; expected one of: {}", name, choices));
}

}  // namespace setformer::attention
