// Classification and regression on labelled files of the user's own and GLUE's layout (issue 40):
// a run learns a task that a keyword decides; its labels, pairs and segments reach the model and
// the checkpoint; evaluation is the metrics of each split, equal again from the checkpoint;
// predictions and GLUE submission files have the layout the GLUE server expects; and bad data
// (an unknown label in a dev file, a non-numeric regression target) is an error naming the line.
#include "setformer/tasks/labelled_text.h"

#include "common/errors.h"
#include "common/temp_dir.h"
#include "setformer/core/files.h"
#include "setformer/data/glue.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace setformer::tasks {
namespace {

using setformer::testing::TempDir;

const std::vector<std::string> kWords{"the",   "film",  "was",  "plot",  "actor",
                                      "scene", "music", "long", "story", "end"};

/// Rows "sentence<TAB>label" (SST-2's layout) whose label says whether "great" or "awful" is in
/// the sentence; regression targets are the count of "great" in pairs.
std::string sentiment_tsv(int n, uint32_t seed, bool with_header = true) {
  std::mt19937 rng(seed);
  std::string out = with_header ? "sentence\tlabel\n" : "";
  for (int i = 0; i < n; ++i) {
    const bool positive = rng() % 2;
    std::string s;
    const int length = 4 + static_cast<int>(rng() % 6);
    const int at = static_cast<int>(rng() % static_cast<uint32_t>(length));
    for (int w = 0; w < length; ++w) {
      if (w) s += ' ';
      s += w == at ? (positive ? "great" : "awful") : kWords[rng() % kWords.size()];
    }
    out += s + "\t" + (positive ? "1" : "0") + "\n";
  }
  return out;
}

LanguageExperimentConfig tiny(const std::string& out) {
  LanguageExperimentConfig c;
  c.task = "classify";
  c.tokenizer = "bytes";
  c.length = 48;
  c.batch_size = 16;
  c.dim = 32;
  c.heads = 2;
  c.depth = 1;
  c.m = 8;
  c.steps = 120;
  c.lr = 3e-3;
  c.warmup_steps = 10;
  c.eval_every = 0;
  c.checkpoint_every = 0;
  c.threads = 1;
  c.dropout = 0.0;
  c.out = out;
  return c;
}

const auto quiet = [](const std::string&) {};

TEST(LabelledText, GluePresetsKnowTheOfficialLayout) {
  EXPECT_EQ(data::glue_task_names().size(), 9u);
  const auto& mnli = data::glue_task("mnli");
  ASSERT_EQ(mnli.eval.size(), 2u);
  EXPECT_EQ(mnli.eval[1].file, "dev_mismatched.tsv");
  EXPECT_EQ(mnli.test[0].submission, "MNLI-m.tsv");
  EXPECT_EQ(mnli.columns.label, "gold_label");
  EXPECT_TRUE(data::glue_task("stsb").regression());
  EXPECT_EQ(data::glue_task("mrpc").metrics, (std::vector<std::string>{"accuracy", "f1"}));
  EXPECT_EQ(data::glue_task("cola").columns.names.size(), 4u);
  EXPECT_EQ(data::glue_task("qqp").bad_rows, "skip");
  testing::expect_invalid_argument([] { data::glue_task("squad"); },
                                   "task.glue = 'squad' is not a GLUE task");
  // A config's files resolve under the GLUE root's task folder.
  TempDir dir;
  std::filesystem::create_directories(dir.root() / "SST-2");
  auto c = tiny(dir.path("run"));
  c.glue = "sst2";
  c.root = dir.path("");
  const auto spec = labelled_text_spec(c);
  EXPECT_EQ(spec.train, (dir.root() / "SST-2" / "train.tsv").lexically_normal().string());
  EXPECT_EQ(spec.labels, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(labelled_metric_keys(spec), (std::vector<std::string>{"dev_accuracy", "score"}));
  c.root = "";
  testing::expect_invalid_argument([&] { labelled_text_spec(c); },
                                   "give its folder as --data-root");
}

// SST-2's layout under a GLUE root: training learns the keyword task, the labels and metrics are
// the preset's, and the checkpoint evaluates to the run's figures again.
TEST(LabelledText, AGlueRunLearnsAndItsCheckpointEvaluatesTheSame) {
  TempDir dir;
  write_file_atomic(dir.path("glue/SST-2/train.tsv"), sentiment_tsv(600, 1));
  write_file_atomic(dir.path("glue/SST-2/dev.tsv"), sentiment_tsv(120, 2));
  write_file_atomic(dir.path("glue/SST-2/test.tsv"),
                    "index\tsentence\n0\tthe great film\n1\tawful music\n");
  auto c = tiny(dir.path("run"));
  c.glue = "sst2";
  c.root = dir.path("glue");
  const auto run = train_language_experiment(c, quiet);
  EXPECT_GT(run.metrics["dev_accuracy"].get<double>(), 0.9) << run.metrics.dump();
  EXPECT_EQ(run.metrics["score"], run.metrics["dev_accuracy"]);
  const auto again = evaluate_language_checkpoint(c.out + "/checkpoint.pt", "cpu");
  auto expected = run.metrics;
  expected.erase("peak_train_mib");
  EXPECT_EQ(again["metrics"], expected);

  // Predictions: TSV with a probability per label, and the GLUE server's file.
  TextPredictOptions o;
  const auto lines =
      predict_language(c.out + "/checkpoint.pt", {dir.path("glue/SST-2/test.tsv")}, o, "cpu");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "source\tid\tprediction\tp(0)\tp(1)");
  EXPECT_NE(lines[1].find("\t0\t1\t"), std::string::npos) << lines[1];  // id 0 "great": 1
  EXPECT_NE(lines[2].find("\t1\t0\t"), std::string::npos) << lines[2];
  o.json = true;
  const auto json = nlohmann::json::parse(
      predict_language(c.out + "/checkpoint.pt", {dir.path("glue/SST-2/test.tsv")}, o, "cpu")[0]);
  EXPECT_EQ(json["prediction"], "1");
  EXPECT_NEAR(json["probabilities"]["0"].get<double>() + json["probabilities"]["1"].get<double>(),
              1.0, 1e-6);
  const auto files = write_glue_submission(c.out + "/checkpoint.pt", dir.path("submission"),
                                           TextPredictOptions(), "cpu", quiet);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(read_file(dir.path("submission/SST-2.tsv")), "index\tprediction\n0\t1\n1\t0\n");
}

// Pairs: the label depends on the second text only, so the model must read past [SEP]; the
// encoder then has segment embeddings, and the labels are stored in the checkpoint's config.
TEST(LabelledText, PairsGetSegmentsAndLabelsComeFromTraining) {
  TempDir dir;
  std::mt19937 rng(5);
  std::string train = "premise,hypothesis,answer\n";
  for (int i = 0; i < 500; ++i) {
    const bool yes = rng() % 2;
    train += kWords[rng() % kWords.size()] + " " + kWords[rng() % kWords.size()] + "," +
             kWords[rng() % kWords.size()] + (yes ? " yes" : " no") + "," +
             (yes ? "agree" : "disagree") + "\n";
  }
  write_file_atomic(dir.path("train.csv"), train);
  write_file_atomic(dir.path("dev.csv"),
                    "premise,hypothesis,answer\nthe film,plot yes,agree\n"
                    "the end,music no,disagree\nscene,long no,maybe\n");
  auto c = tiny(dir.path("run"));
  c.root = dir.path("");
  c.train_file = "train.csv";
  c.eval_files = {"dev.csv"};
  c.text_column = "premise";
  c.text_pair_column = "hypothesis";
  c.label_column = "answer";
  // "maybe" is not a training label: an error naming the file and line.
  testing::expect_invalid_argument([&] { train_language_experiment(c, quiet); },
                                   "dev.csv:4: label 'maybe' is not one of the training labels "
                                   "(agree, disagree)");
  write_file_atomic(dir.path("dev.csv"),
                    "premise,hypothesis,answer\nthe film,plot yes,agree\n"
                    "the end,music no,disagree\n");
  const auto run = train_language_experiment(c, quiet);
  EXPECT_EQ(run.metrics["dev_accuracy"].get<double>(), 1.0) << run.metrics.dump();
  EXPECT_TRUE(run.metrics.contains("dev_f1"));
  EXPECT_TRUE(run.metrics.contains("dev_matthews"));
  const auto info =
      nlohmann::json::parse(train::read_checkpoint_info(c.out + "/checkpoint.pt").config);
  EXPECT_EQ(info["labels"], (std::vector<std::string>{"agree", "disagree"}));
  const auto model = build_language_model(info.get<LanguageExperimentConfig>());
  EXPECT_TRUE(model->segment_embedding);
  EXPECT_EQ(model->options.classes(), 2);
}

// Regression (STS-B's kind): the target is the number of "great" in the text.
TEST(LabelledText, RegressionLearnsANumberAndRefusesNonNumbers) {
  TempDir dir;
  std::mt19937 rng(9);
  std::string train, dev;
  for (int i = 0; i < 600; ++i) {
    const int count = static_cast<int>(rng() % 4);
    std::string s = "the";
    for (int k = 0; k < count; ++k) s += " great";
    s += " film";
    (i < 450 ? train : dev) += nlohmann::json{{"text", s}, {"score", count}}.dump() + "\n";
  }
  write_file_atomic(dir.path("train.jsonl"), train);
  write_file_atomic(dir.path("dev.jsonl"), dev);
  auto c = tiny(dir.path("run"));
  c.root = dir.path("");
  c.train_file = "train.jsonl";
  c.eval_files = {"dev.jsonl"};
  c.label_column = "score";
  c.problem = "regression";
  c.steps = 200;
  const auto run = train_language_experiment(c, quiet);
  EXPECT_GT(run.metrics["dev_pearson"].get<double>(), 0.9) << run.metrics.dump();
  EXPECT_GT(run.metrics["dev_spearman"].get<double>(), 0.9) << run.metrics.dump();
  write_file_atomic(dir.path("dev.jsonl"), "{\"text\": \"the film\", \"score\": \"high\"}\n");
  testing::expect_invalid_argument(
      [&] { evaluate_language_checkpoint(c.out + "/checkpoint.pt", "cpu"); },
      "dev.jsonl:1: label 'high' is not a number (regression)");
}

TEST(LabelledText, SubmissionFilesFollowTheGlueServer) {
  LabelledTextSpec nli;
  nli.labels = {"contradiction", "entailment", "neutral"};
  const auto p = torch::tensor({{0.1, 0.7, 0.2}, {0.5, 0.2, 0.3}});
  EXPECT_EQ(submission_file(nli, {"0", "1"}, p),
            "index\tprediction\n0\tentailment\n1\tcontradiction\n");
  LabelledTextSpec sts;
  sts.regression = true;
  EXPECT_EQ(submission_file(sts, {"0", "1", "2"}, torch::tensor({-0.5, 2.34567, 7.0})),
            "index\tprediction\n0\t0.000\n1\t2.346\n2\t5.000\n");
}

}  // namespace
}  // namespace setformer::tasks
