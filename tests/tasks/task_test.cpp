// The task registry: every task.name has one family, unknown names are refused with the list of
// tasks, and a configuration file or a checkpoint says which task it is for (image
// classification when it predates task names).
#include "setformer/tasks/task.h"

#include "setformer/core/files.h"
#include "setformer/tasks/sets.h"
#include "setformer/train/checkpoint.h"

#include "common/errors.h"
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

namespace setformer::tasks {
namespace {

TEST(TaskRegistry, EveryTaskHasOneFamilyAndFamiliesAreContiguous) {
  std::set<std::string> names;
  std::set<Family> finished;
  const auto& list = task_list();
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_TRUE(names.insert(list[i].name).second) << list[i].name << " twice";
    EXPECT_EQ(family_of(list[i].name, "test"), list[i].family);
    EXPECT_FALSE(list[i].description.empty()) << list[i].name;
    // help --markdown writes one section per family from its first task.
    if (i > 0 && list[i].family != list[i - 1].family) {
      EXPECT_TRUE(finished.insert(list[i - 1].family).second);
      EXPECT_EQ(finished.count(list[i].family), 0u) << list[i].name << " after its family ended";
    }
  }
  EXPECT_EQ(list.front().name, kDefaultTask);
  EXPECT_EQ(family_of(kDefaultTask, "test"), Family::image_classification);
  // The set tasks' own list is the registry's.
  EXPECT_EQ(set_tasks(), task_names(Family::sets));
  EXPECT_EQ(family_tasks(Family::slots), "object_discovery, set_prediction");
  EXPECT_EQ(family_title(Family::image_classification), "image_classification");
  EXPECT_EQ(family_title(Family::seq2seq), "seq2seq (copy, reverse, sort, addition)");
}

TEST(TaskRegistry, UnknownTasksAreRefusedWithTheListOfTasks) {
  testing::expect_invalid_argument([] { family_of("sorting", "--task"); },
                                   "--task: task 'sorting' is not a setformer task; expected one "
                                   "of: image_classification, max_regression");
}

TEST(TaskRegistry, AConfigurationNamesItsTask) {
  testing::TempDir dir;
  const auto path = (dir.root() / "c.toml").string();
  write_file_atomic(path, "[data]\nbatch_size = 8\n");
  EXPECT_EQ(config_task(path), kDefaultTask);
  write_file_atomic(path, "[task]\nname = \"listops\"\n");
  EXPECT_EQ(config_task(path), "listops");
  write_file_atomic(path, "[task]\nname = 3\n");
  testing::expect_invalid_argument([&] { config_task(path); }, "task.name");
}

TEST(TaskRegistry, ACheckpointRecordsItsTask) {
  testing::TempDir dir;
  const auto path = (dir.root() / "checkpoint.pt").string();
  torch::nn::Linear model(2, 1);
  train::Checkpoint c;
  c.model = "m";
  // Image classifiers written before their configuration named the task.
  c.config = R"({"model": "setformer-fmnist", "epochs": 2})";
  train::save_checkpoint(path, c, *model);
  EXPECT_EQ(checkpoint_task(path), kDefaultTask);
  c.config = R"({"task": "set_prediction", "slots": 10})";
  train::save_checkpoint(path, c, *model);
  EXPECT_EQ(checkpoint_task(path), "set_prediction");
  c.config = R"({"task": 7})";
  train::save_checkpoint(path, c, *model);
  testing::expect_runtime_error([&] { checkpoint_task(path); }, "task is not a string");
  write_file_atomic(path, "not a checkpoint");
  testing::expect_runtime_error([&] { checkpoint_task(path); }, "not a setformer checkpoint");
}

}  // namespace
}  // namespace setformer::tasks
