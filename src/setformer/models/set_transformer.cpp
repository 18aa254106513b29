#include "setformer/models/set_transformer.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <algorithm>

namespace setformer::models {

const std::vector<std::string>& set_encoder_layers() {
  static const std::vector<std::string> names{
      "fc", "fc-linear", "eqmean", "eqmax", "eqmean-linear", "eqmax-linear", "sab", "isab"};
  return names;
}

const std::vector<std::string>& set_decoders() {
  static const std::vector<std::string> names{"pma", "mean", "sum", "max", "dotprod"};
  return names;
}

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_attention(const std::string& kind) {
  return kind == "sab" || kind == "isab";
}

nn::MabOptions mab_options(const SetTransformerOptions& o, const std::string& kernel) {
  return nn::MabOptions(attention::AttentionOptions(o.dim(), o.heads()).kernel(kernel).set(o.set()))
      .layer_norm(o.layer_norm());
}

/// Throws unless attention of `kernel` is permutation-equivariant, as set models need.
void check_equivariant(const nn::Mab& mab, const char* field) {
  SETFORMER_CHECK(mab->attn->permutation_equivariant(),
                  "{} = '{}' is not permutation-equivariant (for `set`, set.positions must be "
                  "none); set models need an equivariant kernel",
                  field, mab->attn->kernel_name());
}

}  // namespace

SetTransformerImpl::SetTransformerImpl(const SetTransformerOptions& o) : options_(o) {
  const int64_t d = o.dim();
  SETFORMER_CHECK(d >= 1 && o.heads() >= 1 && d % o.heads() == 0,
                  "model.dim = {} must be a positive multiple of model.heads = {}", d, o.heads());
  SETFORMER_CHECK(o.input_dim() >= 1, "model.input_dim must be >= 1, got {}", o.input_dim());
  SETFORMER_CHECK(o.outputs() >= 1 && o.output_dim() >= 1,
                  "model.outputs and model.output_dim must be >= 1, got {} and {}", o.outputs(),
                  o.output_dim());
  SETFORMER_CHECK(o.decoder_sabs() >= 0 && o.decoder_layers() >= 0,
                  "model.decoder_sabs and model.decoder_layers must be >= 0, got {} and {}",
                  o.decoder_sabs(), o.decoder_layers());
  SETFORMER_CHECK(contains(set_decoders(), o.decoder()),
                  "model.decoder = '{}' is not valid; expected one of: {}", o.decoder(),
                  fmt::format("{}", fmt::join(set_decoders(), ", ")));
  SETFORMER_CHECK(o.decoder() == "pma" || o.decoder_sabs() == 0,
                  "model.decoder_sabs = {} needs model.decoder = pma, got '{}'", o.decoder_sabs(),
                  o.decoder());

  int64_t width = o.input_dim();
  if (o.image_size() > 0) {
    SETFORMER_CHECK(o.conv_layers() >= 1, "model.conv_layers must be >= 1, got {}",
                    o.conv_layers());
    image_encoder_ = torch::nn::Sequential();
    for (int64_t i = 0; i < o.conv_layers(); ++i) {
      image_encoder_->push_back(torch::nn::Conv2d(
          torch::nn::Conv2dOptions(i == 0 ? 1 : d, d, 3).stride(2).padding(1).bias(false)));
      image_encoder_->push_back(torch::nn::BatchNorm2d(d));
      image_encoder_->push_back(torch::nn::ReLU());
    }
    register_module("image_encoder", image_encoder_);
    width = d;
  }

  encoder_ = register_module("encoder", torch::nn::ModuleList());
  for (size_t i = 0; i < o.encoder().size(); ++i) {
    const auto& kind = o.encoder()[i];
    SETFORMER_CHECK(contains(set_encoder_layers(), kind),
                    "model.encoder[{}] = '{}' is not a layer; expected one of: {}", i, kind,
                    fmt::format("{}", fmt::join(set_encoder_layers(), ", ")));
    if (is_attention(kind) && width != d) {
      // Attention blocks keep the width, so inputs of another width are embedded first (only
      // the first layer can meet one: every layer outputs width d).
      embed_ = register_module("embed", torch::nn::Linear(width, d));
      width = d;
    }
    if (kind == "sab") {
      nn::Sab sab(mab_options(o, o.kernel()));
      check_equivariant(sab->mab, "model.kernel");
      encoder_->push_back(sab);
    } else if (kind == "isab") {
      nn::Isab isab(mab_options(o, o.kernel()), o.inducing_points());
      check_equivariant(isab->summarize, "model.kernel");
      encoder_->push_back(isab);
    } else if (kind.rfind("fc", 0) == 0) {
      encoder_->push_back(torch::nn::Linear(width, d));
    } else {
      encoder_->push_back(nn::Equivariant(
          nn::EquivariantOptions(width, d)
              .pooling(kind.rfind("eqmax", 0) == 0 ? nn::Pooling::max : nn::Pooling::mean)
              .relu(kind.find("-linear") == std::string::npos)));
    }
    encoder_kinds_.push_back(kind);
    width = d;
  }
  if (width != d) {  // no encoder layers: the decoder still needs width d
    embed_ = register_module("embed", torch::nn::Linear(width, d));
    width = d;
  }

  if (o.decoder() == "pma") {
    pma_ = register_module("pma", nn::Pma(mab_options(o, o.decoder_kernel()), o.outputs()));
    check_equivariant(pma_->mab, "model.decoder_kernel");
  } else if (o.decoder() == "dotprod") {
    dotprod_ = register_module("dotprod", nn::DotprodPool(d));
  }
  decoder_sabs_ = register_module("decoder_sabs", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.decoder_sabs(); ++i)
    decoder_sabs_->push_back(nn::Sab(mab_options(o, o.decoder_kernel())));
  decoder_mlp_ = register_module("decoder_mlp", torch::nn::Sequential());
  for (int64_t i = 0; i < o.decoder_layers(); ++i) {
    decoder_mlp_->push_back(torch::nn::Linear(d, d));
    decoder_mlp_->push_back(torch::nn::ReLU());
  }
  // PMA gives one vector per output; pooling gives one vector for all k outputs.
  const int64_t out = o.decoder() == "pma" ? o.output_dim() : o.outputs() * o.output_dim();
  output_ = register_module("output", torch::nn::Linear(d, out));
}

torch::Tensor SetTransformerImpl::encode(const torch::Tensor& x_in, const torch::Tensor& padding) {
  const auto& o = options_;
  nn::check_set_padding(padding, x_in.size(0), x_in.size(1));
  torch::Tensor x;
  if (o.image_size() > 0) {
    const int64_t s = o.image_size();
    check_shape(x_in, "set of images", {-1, -1, 1, s, s}, "[B, n, 1, S, S]");
    const int64_t b = x_in.size(0), n = x_in.size(1);
    const auto images = x_in.reshape({b * n, 1, s, s});
    const auto encode_images = [&](const torch::Tensor& t) {
      return image_encoder_->forward(t).mean({2, 3});
    };
    if (padding.defined()) {
      // Only valid images pass through the convolutions: padding must not reach BatchNorm's
      // batch statistics in training.
      const auto valid = padding.reshape({-1}).logical_not().nonzero().squeeze(1);
      x = torch::zeros({b * n, o.dim()}, x_in.options())
              .index_copy(0, valid, encode_images(images.index_select(0, valid)))
              .view({b, n, -1});
    } else {
      x = encode_images(images).view({b, n, -1});
    }
  } else {
    check_shape(x_in, "set", {-1, -1, o.input_dim()}, "[B, n, input_dim]");
    x = x_in;
  }
  x = nn::zero_padding(x, padding);
  if (embed_) x = nn::zero_padding(embed_(x), padding);
  for (size_t i = 0; i < encoder_kinds_.size(); ++i) {
    const auto& kind = encoder_kinds_[i];
    if (kind == "sab") {
      x = encoder_[i]->as<nn::SabImpl>()->forward(x, padding);
    } else if (kind == "isab") {
      x = encoder_[i]->as<nn::IsabImpl>()->forward(x, padding);
    } else if (kind.rfind("fc", 0) == 0) {
      x = encoder_[i]->as<torch::nn::LinearImpl>()->forward(x);
      if (kind == "fc") x = torch::relu(x);
      x = nn::zero_padding(x, padding);
    } else {
      x = encoder_[i]->as<nn::EquivariantImpl>()->forward(x, padding);
    }
  }
  return x;
}

torch::Tensor SetTransformerImpl::forward(const torch::Tensor& x, const torch::Tensor& padding) {
  const auto& o = options_;
  const auto z = encode(x, padding);
  torch::Tensor h;
  if (pma_) {
    h = pma_(z, padding);
    for (const auto& sab : *decoder_sabs_) h = sab->as<nn::SabImpl>()->forward(h);
  } else if (dotprod_) {
    h = dotprod_(z, padding);
  } else {
    h = nn::pool_set(z, nn::parse_pooling("model.decoder", o.decoder()), padding);
  }
  const auto out = output_(decoder_mlp_->is_empty() ? h : decoder_mlp_->forward(h));
  return out.view({z.size(0), o.outputs(), o.output_dim()});
}

double SetTransformerImpl::flops(int64_t n) const {
  const auto& o = options_;
  const double d = static_cast<double>(o.dim());
  double total = 0;
  if (image_encoder_) {
    int64_t size = o.image_size(), channels = 1;
    for (int64_t i = 0; i < o.conv_layers(); ++i) {
      size = (size + 1) / 2;
      total += static_cast<double>(n * size * size * channels) * d * 9;
      channels = o.dim();
    }
  }
  int64_t width = o.image_size() > 0 ? o.dim() : o.input_dim();
  if (embed_) {
    total += static_cast<double>(n * width) * d;
    width = o.dim();
  }
  for (size_t i = 0; i < encoder_kinds_.size(); ++i) {
    const auto& kind = encoder_kinds_[i];
    if (kind == "sab") {
      total += encoder_->ptr(i)->as<nn::SabImpl>()->flops(n);
    } else if (kind == "isab") {
      total += encoder_->ptr(i)->as<nn::IsabImpl>()->flops(n);
    } else {
      // Equivariant layers add one product per set (the pooled statistic), negligible.
      total += static_cast<double>(n * width) * d;
    }
    width = o.dim();
  }
  int64_t rows = 1;
  if (pma_) {
    total += pma_->flops(n);
    rows = o.outputs();
    for (const auto& sab : *decoder_sabs_) total += sab->as<nn::SabImpl>()->flops(rows);
  } else if (dotprod_) {
    total += static_cast<double>(n) * d * d;
  }
  total += static_cast<double>(rows * o.decoder_layers()) * d * d;
  total += static_cast<double>(rows * output_->options.out_features()) * d;
  return total;
}

}  // namespace setformer::models
