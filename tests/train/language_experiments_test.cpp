// Language experiment configs survive the checkpoint's JSON (a field left out of the
// serialisation would silently rebuild another task), and the table reads every task's metrics.
#include "setformer/train/language_experiments.h"

#include "common/temp_dir.h"
#include "setformer/core/files.h"

#include <gtest/gtest.h>

namespace setformer::train {
namespace {

TEST(LanguageExperiments, ConfigsRoundTripThroughJson) {
  LanguageExperimentConfig c;
  c.task = "listops";
  c.listops_min_length = 123;
  c.listops_max_length = 456;
  c.test_seed = 99;
  c.tokenizer = "bytes";
  c.vocab_size = 777;
  c.kernel = "nystrom";
  c.m = 12;
  c.init = "runs/x/checkpoint.pt";
  const auto j = nlohmann::json(c);
  for (const auto* key : {"listops_min_length", "listops_max_length", "test_seed", "tokenizer",
                          "vocab_size", "kernel", "m", "init", "corpora", "length", "positions"})
    EXPECT_TRUE(j.contains(key)) << key;
  const auto back = j.get<LanguageExperimentConfig>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.listops_max_length, 456);
  EXPECT_EQ(back.kernel, "nystrom");
}

TEST(LanguageExperiments, TableShowsEachTasksMetrics) {
  testing::TempDir dir;
  const auto summary = [&](const std::string& name, const std::string& task,
                           const nlohmann::json& metrics) {
    LanguageExperimentConfig c;
    c.task = task;
    c.kernel = "set";
    const nlohmann::json j{{"task", task}, {"row", name},           {"metrics", metrics},
                           {"steps", 10},  {"train_seconds", 61.0}, {"config", c}};
    write_file_atomic(dir.path(name + ".json"), j.dump());
    return dir.path(name + ".json");
  };
  const auto md = write_language_table(
      {summary("mlm", "mlm", {{"valid_mlm_accuracy", 0.4321}, {"valid_mlm_loss", 3.5}}),
       summary("spam", "classify",
               {{"test_accuracy", 0.99}, {"test_f1", 0.98}, {"peak_train_mib", 512.0}})},
      dir.path("table"), "cmd");
  EXPECT_NE(md.find("| mlm "), std::string::npos);
  EXPECT_NE(md.find("43.21%"), std::string::npos);
  EXPECT_NE(md.find("3.5000"), std::string::npos);
  EXPECT_NE(md.find("99.00%"), std::string::npos);
  EXPECT_NE(md.find("0.9800"), std::string::npos);
  EXPECT_NE(md.find("512"), std::string::npos);
}

}  // namespace
}  // namespace setformer::train
