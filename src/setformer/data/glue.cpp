#include "setformer/data/glue.h"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>

namespace setformer::data {

namespace {

TextColumns columns(std::string text, std::string pair, std::string label, std::string id = "",
                    std::vector<std::string> names = {}) {
  TextColumns c;
  c.text = std::move(text);
  c.text_pair = std::move(pair);
  c.label = std::move(label);
  c.id = std::move(id);
  c.names = std::move(names);
  return c;
}

/// A test file's columns: the texts and the id, no label.
TextColumns test_columns(const TextColumns& c, std::string id = "index") {
  auto t = c;
  t.names.clear();
  t.id = std::move(id);
  t.label_required = false;
  return t;
}

std::vector<GlueTask> make_tasks() {
  std::vector<GlueTask> tasks;
  const auto add = [&](GlueTask t) { tasks.push_back(std::move(t)); };
  const std::vector<std::string> binary{"0", "1"};
  const std::vector<GlueSplit> dev{{"dev", "dev.tsv", ""}};
  const auto test = [](const char* submission) {
    return std::vector<GlueSplit>{{"test", "test.tsv", submission}};
  };
  {
    GlueTask t;
    t.name = "cola", t.folder = "CoLA", t.eval = dev, t.test = test("CoLA.tsv");
    // The training and development files of CoLA have no header.
    t.columns = columns("sentence", "", "label", "", {"source", "label", "original", "sentence"});
    t.test_columns = test_columns(t.columns);
    t.labels = binary, t.metrics = {"matthews"};
    add(t);
  }
  {
    GlueTask t;
    t.name = "sst2", t.folder = "SST-2", t.eval = dev, t.test = test("SST-2.tsv");
    t.columns = columns("sentence", "", "label");
    t.test_columns = test_columns(t.columns);
    t.labels = binary, t.metrics = {"accuracy"};
    add(t);
  }
  {
    GlueTask t;
    t.name = "mrpc", t.folder = "MRPC", t.eval = dev, t.test = test("MRPC.tsv");
    t.columns = columns("#1 String", "#2 String", "Quality");
    t.test_columns = test_columns(t.columns);
    t.labels = binary, t.metrics = {"accuracy", "f1"};
    add(t);
  }
  {
    GlueTask t;
    t.name = "qqp", t.folder = "QQP", t.eval = dev, t.test = test("QQP.tsv");
    t.columns = columns("question1", "question2", "is_duplicate", "id");
    t.test_columns = test_columns(t.columns, "id");
    t.labels = binary, t.metrics = {"accuracy", "f1"};
    t.bad_rows = "skip";
    add(t);
  }
  {
    GlueTask t;
    t.name = "stsb", t.folder = "STS-B", t.eval = dev, t.test = test("STS-B.tsv");
    t.columns = columns("sentence1", "sentence2", "score");
    t.test_columns = test_columns(t.columns);
    t.metrics = {"pearson", "spearman"};
    add(t);
  }
  {
    GlueTask t;
    t.name = "mnli", t.folder = "MNLI";
    t.eval = {{"dev_matched", "dev_matched.tsv", ""}, {"dev_mismatched", "dev_mismatched.tsv", ""}};
    // The diagnostic set is scored with the MNLI model.
    t.test = {{"test_matched", "test_matched.tsv", "MNLI-m.tsv"},
              {"test_mismatched", "test_mismatched.tsv", "MNLI-mm.tsv"},
              {"ax", "../diagnostic/diagnostic.tsv", "AX.tsv"}};
    t.columns = columns("sentence1", "sentence2", "gold_label");
    t.test_columns = test_columns(t.columns);
    t.labels = {"contradiction", "entailment", "neutral"}, t.metrics = {"accuracy"};
    add(t);
  }
  {
    GlueTask t;
    t.name = "qnli", t.folder = "QNLI", t.eval = dev, t.test = test("QNLI.tsv");
    t.columns = columns("question", "sentence", "label");
    t.test_columns = test_columns(t.columns);
    t.labels = {"entailment", "not_entailment"}, t.metrics = {"accuracy"};
    add(t);
  }
  {
    GlueTask t;
    t.name = "rte", t.folder = "RTE", t.eval = dev, t.test = test("RTE.tsv");
    t.columns = columns("sentence1", "sentence2", "label");
    t.test_columns = test_columns(t.columns);
    t.labels = {"entailment", "not_entailment"}, t.metrics = {"accuracy"};
    add(t);
  }
  {
    GlueTask t;
    t.name = "wnli", t.folder = "WNLI", t.eval = dev, t.test = test("WNLI.tsv");
    t.columns = columns("sentence1", "sentence2", "label");
    t.test_columns = test_columns(t.columns);
    t.labels = binary, t.metrics = {"accuracy"};
    add(t);
  }
  return tasks;
}

const std::vector<GlueTask>& tasks() {
  static const std::vector<GlueTask> all = make_tasks();
  return all;
}

}  // namespace

const std::vector<std::string>& glue_task_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& t : tasks()) n.push_back(t.name);
    return n;
  }();
  return names;
}

const GlueTask& glue_task(const std::string& name) {
  for (const auto& t : tasks())
    if (t.name == name) return t;
  throw std::invalid_argument(fmt::format("task.glue = '{}' is not a GLUE task; expected one of {}",
                                          name, fmt::join(glue_task_names(), " | ")));
}

std::string glue_folder(const GlueTask& task, const std::string& root) {
  const auto nested = std::filesystem::path(root) / task.folder;
  return std::filesystem::is_directory(nested) ? nested.string() : root;
}

}  // namespace setformer::data
