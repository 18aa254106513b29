#include "setformer/train/checkpoint.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <filesystem>
#include <sstream>

namespace setformer::train {
namespace {

constexpr const char* kFormat = "setformer-checkpoint/1";

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(fmt::format("{}: {}", path, why));
}

torch::serialize::InputArchive open(const std::string& path) {
  if (!std::filesystem::exists(path)) fail(path, "checkpoint not found");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    fail(path, "not a setformer checkpoint (unreadable archive)");
  }
  c10::IValue format;
  if (!archive.try_read("format", format) || !format.isString() ||
      format.toStringRef() != kFormat) {
    fail(path, fmt::format("not a setformer checkpoint (expected format {})", kFormat));
  }
  return archive;
}

Checkpoint read_info(const std::string& path, torch::serialize::InputArchive& archive) {
  Checkpoint c;
  c10::IValue v;
  const auto get = [&](const char* key) -> const c10::IValue& {
    if (!archive.try_read(key, v)) fail(path, fmt::format("checkpoint has no '{}' entry", key));
    return v;
  };
  c.model = get("model").toStringRef();
  c.config = get("config").toStringRef();
  c.step = get("step").toInt();
  c.epoch = get("epoch").toInt();
  if (archive.try_read("train_seconds", v)) c.train_seconds = v.toDouble();
  for (auto [key, out] : {std::pair{"rng_states", &c.rng_states}, std::pair{"ema", &c.ema}}) {
    torch::serialize::InputArchive tensors;
    if (!archive.try_read(key, tensors)) continue;
    for (const auto& name : tensors.keys()) {
      torch::Tensor t;
      tensors.read(name, t);
      (*out)[name] = t;
    }
  }
  return c;
}

/// Walks the archive as Module::load would and compares every parameter and buffer, so that
/// a mismatch is reported before anything is overwritten (LibTorch itself would resize).
void check_tensors(const std::string& path, const torch::nn::Module& module,
                   torch::serialize::InputArchive& archive, const std::string& prefix) {
  const auto check = [&](const std::string& name, const torch::Tensor& expected, bool is_buffer) {
    torch::Tensor stored;
    if (!archive.try_read(name, stored, is_buffer)) {
      fail(path, fmt::format("{} '{}{}' is missing from the checkpoint",
                             is_buffer ? "buffer" : "parameter", prefix, name));
    }
    if (stored.sizes() != expected.sizes()) {
      fail(path,
           fmt::format("parameter '{}{}' has shape {} in the checkpoint but {} in the model",
                       prefix, name, shape_string(stored.sizes()), shape_string(expected.sizes())));
    }
  };
  for (const auto& p : module.named_parameters(/*recurse=*/false)) check(p.key(), p.value(), false);
  for (const auto& b : module.named_buffers(/*recurse=*/false)) check(b.key(), b.value(), true);
  for (const auto& child : module.named_children()) {
    torch::serialize::InputArchive sub;
    if (!archive.try_read(child.key(), sub)) {
      fail(path, fmt::format("module '{}{}' is missing from the checkpoint", prefix, child.key()));
    }
    check_tensors(path, *child.value(), sub, prefix + child.key() + ".");
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint,
                     const torch::nn::Module& model, const torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("model", c10::IValue(checkpoint.model));
  archive.write("config", c10::IValue(checkpoint.config));
  archive.write("step", c10::IValue(checkpoint.step));
  archive.write("epoch", c10::IValue(checkpoint.epoch));
  archive.write("train_seconds", c10::IValue(checkpoint.train_seconds));
  torch::serialize::OutputArchive weights, optim, rng, ema;
  model.save(weights);
  archive.write("weights", weights);
  if (optimizer) {
    optimizer->save(optim);
    archive.write("optimizer", optim);
  }
  for (const auto& [name, state] : checkpoint.rng_states) rng.write(name, state);
  archive.write("rng_states", rng);
  if (!checkpoint.ema.empty()) {
    for (const auto& [name, tensor] : checkpoint.ema) ema.write(name, tensor);
    archive.write("ema", ema);
  }
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

Checkpoint read_checkpoint_info(const std::string& path) {
  auto archive = open(path);
  return read_info(path, archive);
}

Checkpoint load_checkpoint(const std::string& path, const std::string& expected_model,
                           torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  auto archive = open(path);
  Checkpoint c = read_info(path, archive);
  if (c.model != expected_model) {
    fail(path, fmt::format("checkpoint of model '{}' cannot be loaded into model '{}'", c.model,
                           expected_model));
  }
  torch::serialize::InputArchive weights;
  if (!archive.try_read("weights", weights)) fail(path, "checkpoint has no weights");
  check_tensors(path, model, weights, "");
  torch::serialize::InputArchive optim;
  const bool has_optimizer = archive.try_read("optimizer", optim);
  if (optimizer && !has_optimizer) fail(path, "checkpoint has no optimiser state to resume from");
  model.load(weights);
  if (optimizer) optimizer->load(optim);
  return c;
}

}  // namespace setformer::train
