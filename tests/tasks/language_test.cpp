// Language experiment configs survive the checkpoint's JSON (a field left out of the
// serialisation would silently rebuild another task), a checkpoint evaluated later gives its
// run's figures, and the table reads every task's metrics.
#include "setformer/tasks/language.h"

#include "setformer/data/listops.h"

#include "common/errors.h"
#include "common/temp_dir.h"
#include "setformer/core/files.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace setformer::tasks {
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
  c.values = "nystrom";
  c.references = "none";
  c.similarity = "dot";
  const auto j = nlohmann::json(c);
  for (const auto* key : {"listops_min_length", "listops_max_length", "test_seed", "tokenizer",
                          "vocab_size", "kernel", "m", "init", "corpora", "length", "positions",
                          "values", "references", "similarity"})
    EXPECT_TRUE(j.contains(key)) << key;
  const auto back = j.get<LanguageExperimentConfig>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.listops_max_length, 456);
  EXPECT_EQ(back.kernel, "nystrom");
}

// The Table 7 ablation keys must reach SeT: each changes the parameters or the outputs, and a
// misspelt value is refused naming its key.
TEST(LanguageExperiments, SetAblationKeysReachTheAttention) {
  LanguageExperimentConfig c;
  c.task = "classify";
  c.corpora = {"spam_assassin"};
  c.tokenizer = "bytes";
  c.dim = 16;
  c.heads = 2;
  c.depth = 1;
  c.m = 4;
  c.length = 12;
  const auto names = [](const LanguageExperimentConfig& config) {
    std::string all;
    for (const auto& p : build_language_model(config)->named_parameters()) all += p.key() + " ";
    return all;
  };
  EXPECT_NE(names(c).find("references"), std::string::npos);
  EXPECT_EQ(names(c).find("nystrom_weight"), std::string::npos);
  auto nystrom = c;
  nystrom.values = "nystrom";
  EXPECT_NE(names(nystrom).find("nystrom_weight"), std::string::npos);
  EXPECT_EQ(names(nystrom).find("w_v"), std::string::npos);
  auto tokens_only = c;
  tokens_only.references = "none";
  EXPECT_EQ(names(tokens_only).find("references"), std::string::npos);

  // Same seed, same parameters: only the similarity differs.
  auto dot = c;
  dot.similarity = "dot";
  auto a = build_language_model(c), b = build_language_model(dot);
  a->eval();
  b->eval();
  const auto tokens = torch::randint(5, 200, {2, 12}, torch::kLong);
  EXPECT_GT((a->forward(tokens) - b->forward(tokens)).abs().max().item<double>(), 1e-4);

  auto cls = c;
  cls.pooling = "cls";
  EXPECT_NE(names(cls).find("cls"), std::string::npos);
  EXPECT_EQ(names(c).find("cls"), std::string::npos);

  auto bad = c;
  bad.similarity = "cosine";
  testing::expect_invalid_argument([&] { build_language_model(bad); },
                                   "model.similarity = 'cosine'");
  auto narrow = c;
  narrow.sigma = 0.05;
  auto wide = build_language_model(c), sharp = build_language_model(narrow);
  wide->eval();
  sharp->eval();
  EXPECT_GT((wide->forward(tokens) - sharp->forward(tokens)).abs().max().item<double>(), 1e-4);
  auto bad_sigma = c;
  bad_sigma.sigma = 0;
  testing::expect_invalid_argument([&] { build_language_model(bad_sigma); }, "model.sigma");
  auto bad_pooling = c;
  bad_pooling.pooling = "max";
  testing::expect_invalid_argument([&] { build_language_model(bad_pooling); },
                                   "model.pooling = 'max'");
}

// `setformer eval` must repeat the run's last evaluation exactly (the same held-out e-mails,
// validation windows and masks, or ListOps sequences), since the table puts its misread e-mails
// beside the rows' own. Tiny runs of each task on the installed corpora.
TEST(LanguageExperiments, EvaluatingACheckpointRepeatsTheRunsLastEvaluation) {
  const std::string folder = std::string(SETFORMER_SOURCE_DIR) + "/" + data::kTextFolder;
  if (!std::filesystem::exists(folder))
    GTEST_SKIP() << folder << " is not installed (scripts/setup.sh)";
  testing::TempDir dir;
  for (const std::string task : {"classify", "mlm", "listops"}) {
    LanguageExperimentConfig c;
    c.task = task;
    c.corpora = task == "classify" ? std::vector<std::string>{"spam_assassin"}
                                   : std::vector<std::string>{"moby_dick"};
    c.data_dir = folder;
    c.splits_dir = dir.path("splits");
    c.tokenizer = "bytes";
    c.length = 48;
    c.listops_min_length = 20;
    c.listops_max_length = 60;
    c.eval_sequences = task == "classify" ? 40 : 24;
    c.batch_size = 8;
    c.dim = 16;
    c.heads = 2;
    c.depth = 1;
    c.m = 8;
    c.steps = 3;
    c.warmup_steps = 1;
    c.eval_every = 0;
    c.checkpoint_every = 0;
    c.threads = 1;
    c.out = dir.path(task);
    const auto run = train_language_experiment(c, [](const std::string&) {});
    const auto again = evaluate_language_checkpoint(c.out + "/checkpoint.pt", "cpu");
    EXPECT_EQ(again["task"], task);
    EXPECT_EQ(again["step"], 3);
    auto expected = run.metrics;
    expected.erase("peak_train_mib");
    EXPECT_EQ(again["metrics"], expected) << task;
    EXPECT_FALSE(expected.empty()) << task;
  }
  testing::expect_runtime_error(
      [&] { evaluate_language_checkpoint(dir.path("nothing.pt"), "cpu"); }, "nothing.pt");
}

// A row from before test_errors takes them from the eval.json beside its summary, and only when
// that evaluation is of its final weights.
TEST(LanguageExperiments, TableTakesMisreadEmailsFromAnEvaluationOfTheSameWeights) {
  testing::TempDir dir;
  const auto row = [&](const std::string& name, const nlohmann::json& metrics,
                       const nlohmann::json& eval) {
    std::filesystem::create_directories(dir.root() / name);
    LanguageExperimentConfig c;
    c.task = "classify";
    const nlohmann::json j{{"task", "classify"}, {"row", name},           {"metrics", metrics},
                           {"steps", 320},       {"train_seconds", 61.0}, {"config", c}};
    write_file_atomic(dir.path(name + "/summary.json"), j.dump());
    if (!eval.is_null()) write_file_atomic(dir.path(name + "/eval.json"), eval.dump());
    return dir.path(name + "/summary.json");
  };
  const nlohmann::json old_metrics{{"test_accuracy", 0.99}, {"test_f1", 0.98}};
  const nlohmann::json eval{
      {"step", 320},
      {"metrics", {{"test_accuracy", 0.99}, {"test_f1", 0.98}, {"test_errors", {"spam/7"}}}}};
  const auto md = write_language_table(
      {row("old", old_metrics, eval),
       row("new", {{"test_accuracy", 0.995}, {"test_f1", 0.99}, {"test_errors", {"spam/7"}}},
           nullptr)},
      dir.path("table"), "cmd");
  EXPECT_NE(md.find("| spam/7      | 2 of 2: "), std::string::npos) << md;

  auto other_step = eval;
  other_step["step"] = 160;
  testing::expect_runtime_error(
      [&] { write_language_table({row("stale", old_metrics, other_step)}, dir.path("t2"), "cmd"); },
      "stale/eval.json: its evaluation (step 160");
  auto other_accuracy = eval;
  other_accuracy["metrics"]["test_accuracy"] = 0.98;
  testing::expect_runtime_error(
      [&] {
        write_language_table({row("other", old_metrics, other_accuracy)}, dir.path("t3"), "cmd");
      },
      "is not of the run in");
}

// The Table 11 layout: kernels by rows, lengths with and without pre-training by columns, and
// SeT's ablations left out of it.
TEST(LanguageExperiments, TableLaysOutAccuracyByKernelAndLength) {
  testing::TempDir dir;
  int count = 0;
  const auto summary = [&](const std::string& kernel, int64_t length, bool pretrained,
                           double accuracy, const std::string& values = "linear") {
    LanguageExperimentConfig c;
    c.task = "classify";
    c.kernel = kernel;
    c.length = length;
    c.values = values;
    if (pretrained) c.init = "mlm/checkpoint.pt";
    const nlohmann::json j{
        {"task", "classify"}, {"row", kernel},         {"metrics", {{"test_accuracy", accuracy}}},
        {"steps", 10},        {"train_seconds", 61.0}, {"config", c}};
    const auto path = dir.path(std::to_string(count++) + ".json");
    write_file_atomic(path, j.dump());
    return path;
  };
  const auto md = write_language_table(
      {summary("softmax", 2048, false, 0.99), summary("set", 1024, false, 0.98),
       summary("set", 2048, true, 0.97), summary("set", 2048, false, 0.985, "nystrom"),
       summary("softmax", 2048, false, 0.995)},
      dir.path("table"), "cmd");
  const auto at = md.find("Test accuracy by kernel and length");
  ASSERT_NE(at, std::string::npos) << md;
  const auto pivot = md.substr(at);
  EXPECT_NE(pivot.find("| kernel  | 1024   | 2048            | 2048, pre-trained |"),
            std::string::npos)
      << pivot;
  EXPECT_NE(pivot.find("| set     | 98.00% | —               | 97.00%            |"),
            std::string::npos)
      << pivot;
  EXPECT_NE(pivot.find("| softmax | —      | 99.00% / 99.50% | —                 |"),
            std::string::npos)
      << pivot;
  EXPECT_EQ(pivot.find("98.50%"), std::string::npos) << "an ablation row entered the layout";
  // The library's order of kernels, whatever the order of the files.
  EXPECT_LT(pivot.find("| softmax |"), pivot.find("| set     |")) << pivot;
}

TEST(LanguageExperiments, TableShowsEachTasksMetrics) {
  testing::TempDir dir;
  const auto summary = [&](const std::string& name, const std::string& task,
                           const nlohmann::json& metrics) {
    LanguageExperimentConfig c;
    c.task = task;
    c.kernel = "set";
    c.listops_min_length = 10;
    c.listops_max_length = 60;
    c.eval_sequences = 300;
    const nlohmann::json j{{"task", task}, {"row", name},           {"metrics", metrics},
                           {"steps", 10},  {"train_seconds", 61.0}, {"config", c}};
    write_file_atomic(dir.path(name + ".json"), j.dump());
    return dir.path(name + ".json");
  };
  const auto md = write_language_table(
      {summary("mlm", "mlm", {{"valid_mlm_accuracy", 0.4321}, {"valid_mlm_loss", 3.5}}),
       summary("spam", "classify",
               {{"test_accuracy", 0.99},
                {"test_f1", 0.98},
                {"peak_train_mib", 512.0},
                {"test_errors", {"ham/1", "spam/7"}}}),
       summary("spam2", "classify", {{"test_accuracy", 0.995}, {"test_errors", {"spam/7"}}}),
       summary("listops", "listops", {{"test_accuracy", 0.3625}})},
      dir.path("table"), "cmd");
  // spam/7 is misread by both rows and comes first; ham/1 by one.
  const auto shared = md.find("| spam/7      | 2 of 2: spam; spam2 |");
  const auto single = md.find("| ham/1       | 1 of 2: spam        |");
  EXPECT_NE(shared, std::string::npos) << md;
  EXPECT_NE(single, std::string::npos) << md;
  EXPECT_LT(shared, single);
  EXPECT_NE(md.find("| mlm "), std::string::npos);
  EXPECT_NE(md.find("43.21%"), std::string::npos);
  EXPECT_NE(md.find("3.5000"), std::string::npos);
  EXPECT_NE(md.find("99.00%"), std::string::npos);
  EXPECT_NE(md.find("0.9800"), std::string::npos);
  EXPECT_NE(md.find("512"), std::string::npos);
  // ListOps: the row, then the no-model baselines on its test sequences.
  EXPECT_NE(md.find("| listops  | listops "), std::string::npos) << md;
  EXPECT_NE(md.find("36.25%"), std::string::npos);
  const auto b =
      data::listops_baselines(data::ListOpsOptions().min_length(10).max_length(60), 0,
                              kListOpsBaselineTraining, LanguageExperimentConfig().test_seed, 300);
  const auto line_of = [&](const std::string& name) {
    const auto at = md.find(name);
    return at == std::string::npos ? std::string() : md.substr(at, md.find('\n', at) - at);
  };
  EXPECT_NE(line_of("no model: the most frequent value")
                .find(fmt::format("| {:.2f}%", 100 * b.most_frequent)),
            std::string::npos)
      << md;
  EXPECT_NE(line_of("no model: the root operator's most frequent value")
                .find(fmt::format("| {:.2f}%", 100 * b.root_operator)),
            std::string::npos)
      << md;
}

}  // namespace
}  // namespace setformer::tasks
