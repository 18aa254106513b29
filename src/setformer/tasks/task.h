// The task registry: every value of a configuration's task.name, the family of tasks that runs it
// (one configuration struct and one implementation per family, as fairseq keeps one class per
// task), and how a configuration file or a checkpoint names its task. `setformer train`, `eval`
// and `predict` dispatch on it, so one command shape serves every task.
#pragma once

#include <string>
#include <vector>

namespace setformer::tasks {

/// The families of tasks: each has its configuration struct and its file in this folder.
enum class Family {
  image_classification,  // image_classification.h: SeTformer backbones on images
  sets,                  // sets.h: the Set Transformer paper's tasks
  slots,                 // slots.h: the Slot Attention paper's tasks
  seq2seq,               // seq2seq.h: the Transformer on sequence tasks
  language,              // language.h: text encoders (MLM, classification, ListOps)
};

/// One value of task.name.
struct TaskInfo {
  std::string name;
  Family family;
  std::string description;  // one line, for help and docs
};

/// The task a configuration without task.name runs, so that older configs keep their meaning.
inline constexpr const char* kDefaultTask = "image_classification";

/// Every task, grouped by family in the order of the Family enum.
const std::vector<TaskInfo>& task_list();

/// The family's name as `help` prints it ("sets", "slots", ...).
std::string family_name(Family family);
/// The names of the family's tasks, in task_list() order.
std::vector<std::string> task_names(Family family);
/// The family's tasks, comma-separated ("max_regression, clustering, ...").
std::string family_tasks(Family family);
/// The family and its tasks for headings: "sets (max_regression, clustering, ...)", or the name
/// alone when it is the family's one task.
std::string family_title(Family family);

/// The family of task `name`; throws naming `where` (a file, a flag) and listing every task when
/// there is no such task.
Family family_of(const std::string& name, const std::string& where);

/// The task.name of the TOML file at `path` (kDefaultTask when it has none). Throws naming the
/// file when it cannot be read or task.name is not a string.
std::string config_task(const std::string& path);

/// The task a checkpoint was trained on: its stored configuration's "task", or kDefaultTask for
/// image classifiers written before their configuration named it. Throws naming the file when it
/// is not a setformer checkpoint.
std::string checkpoint_task(const std::string& path);

}  // namespace setformer::tasks
