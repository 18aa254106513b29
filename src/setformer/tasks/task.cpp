#include "setformer/tasks/task.h"

#include "setformer/io/config.h"
#include "setformer/train/checkpoint.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace setformer::tasks {

const std::vector<TaskInfo>& task_list() {
  static const std::vector<TaskInfo> tasks{
      {"image_classification", Family::image_classification,
       "image classification with a SeTformer backbone (Fashion-MNIST)"},
      {"max_regression", Family::sets, "the largest of a set of reals (Set Transformer §5.1)"},
      {"clustering", Family::sets,
       "amortized clustering: a mixture of Gaussians fitted to a set of 2-D points (§5.3)"},
      {"clustering_large", Family::sets, "amortized clustering at larger scale (6 components)"},
      {"unique_count", Family::sets, "distinct classes in a set of Fashion-MNIST images (§5.2)"},
      {"object_discovery", Family::slots,
       "unsupervised object discovery: slot masks and reconstructions (Slot Attention §4.1)"},
      {"set_prediction", Family::slots,
       "object property prediction, Hungarian-matched (Slot Attention §4.2)"},
      {"copy", Family::seq2seq, "Transformer: copy a sequence of symbols"},
      {"reverse", Family::seq2seq, "Transformer: reverse a sequence of symbols"},
      {"sort", Family::seq2seq, "Transformer: sort a sequence of symbols"},
      {"addition", Family::seq2seq, "Transformer: the sum of two numbers, digit by digit"},
      {"mlm", Family::language, "masked-language-model pre-training on text corpora"},
      {"classify", Family::language, "whole-document classification (SpamAssassin e-mails)"},
      {"listops", Family::language, "ListOps (Long Range Arena): the value of a nested list"},
  };
  return tasks;
}

std::string family_name(Family family) {
  switch (family) {
    case Family::image_classification:
      return "image_classification";
    case Family::sets:
      return "sets";
    case Family::slots:
      return "slots";
    case Family::seq2seq:
      return "seq2seq";
    case Family::language:
      return "language";
  }
  return "?";
}

std::vector<std::string> task_names(Family family) {
  std::vector<std::string> names;
  for (const auto& t : task_list()) {
    if (t.family == family) names.push_back(t.name);
  }
  return names;
}

std::string family_tasks(Family family) {
  return fmt::format("{}", fmt::join(task_names(family), ", "));
}

std::string family_title(Family family) {
  const auto name = family_name(family), tasks = family_tasks(family);
  return name == tasks ? name : fmt::format("{} ({})", name, tasks);
}

Family family_of(const std::string& name, const std::string& where) {
  for (const auto& t : task_list()) {
    if (t.name == name) return t.family;
  }
  std::vector<std::string> names;
  for (const auto& t : task_list()) names.push_back(t.name);
  throw std::invalid_argument(
      fmt::format("{}: task '{}' is not a setformer task; expected one of: {}", where, name,
                  fmt::join(names, ", ")));
}

std::string config_task(const std::string& path) {
  const auto config = io::Config::load(path);
  return config.string("task.name").value_or(kDefaultTask);
}

std::string checkpoint_task(const std::string& path) {
  const auto info = train::read_checkpoint_info(path);
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(info.config);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: the checkpoint's configuration does not parse ({})", path, e.what()));
  }
  if (!config.is_object()) {
    throw std::runtime_error(
        fmt::format("{}: the checkpoint's configuration is not an object", path));
  }
  const auto task = config.find("task");
  if (task == config.end()) return kDefaultTask;
  if (!task->is_string()) {
    throw std::runtime_error(fmt::format("{}: the checkpoint's task is not a string", path));
  }
  return task->get<std::string>();
}

}  // namespace setformer::tasks
