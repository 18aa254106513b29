// Options that only checkpoints of some tasks take (`eval`, `predict`): one option group per set
// of task families in the help, and an error naming the option when it is given for a checkpoint
// of another family, instead of the option being silently ignored.
#pragma once

#include "setformer/tasks/task.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace setformer::cli {

class TaskFlags {
 public:
  explicit TaskFlags(CLI::App& cmd) : cmd_(cmd) {}

  /// A new group of options for checkpoints of `families`, titled `title` in the help.
  CLI::Option_group* group(std::vector<tasks::Family> families, const std::string& title) {
    auto* g = cmd_.add_option_group(title);
    groups_.emplace_back(std::move(families), g);
    return g;
  }
  /// The group of one family's options, titled after it.
  CLI::Option_group* group(tasks::Family family) {
    return group({family}, tasks::family_title(family) + " checkpoints");
  }

  /// The family of the checkpoint at `path` (the task it records), once every option given is
  /// known to apply to it.
  tasks::Family checkpoint_family(const std::string& path) const {
    const auto task = tasks::checkpoint_task(path);
    const auto family = tasks::family_of(task, path + ": task");
    check(family, path, task);
    return family;
  }

  /// Throws naming the first option given that checkpoints of `family` do not take.
  void check(tasks::Family family, const std::string& checkpoint, const std::string& task) const {
    for (const auto& [families, g] : groups_) {
      if (std::find(families.begin(), families.end(), family) != families.end()) continue;
      for (const auto* option : g->get_options()) {
        if (option->count() == 0) continue;
        throw std::invalid_argument(fmt::format("{} applies to {}; {} is a checkpoint of task {}",
                                                option->get_name(), g->get_group(), checkpoint,
                                                task));
      }
    }
  }

 private:
  CLI::App& cmd_;
  std::vector<std::pair<std::vector<tasks::Family>, CLI::Option_group*>> groups_;
};

}  // namespace setformer::cli
