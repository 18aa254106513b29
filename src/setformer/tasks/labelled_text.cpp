#include "setformer/tasks/labelled_text.h"

#include "setformer/core/error.h"
#include "setformer/data/glue.h"
#include "setformer/train/glue_metrics.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

namespace setformer::tasks {

namespace fs = std::filesystem;

namespace {

/// `file` under `root` unless absolute or root is empty.
std::string under(const std::string& root, const std::string& file) {
  if (root.empty() || fs::path(file).is_absolute()) return file;
  return (fs::path(root) / file).lexically_normal().string();
}

/// "dev" from "data/dev.tsv.gz".
std::string stem(const std::string& path) {
  auto name = fs::path(path).filename().string();
  for (const auto* ext : {".gz", ".tsv", ".csv", ".jsonl", ".ndjson", ".json", ".txt"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      name.resize(name.size() - e.size());
  }
  return name;
}

/// The batch's segments for an encoder of text pairs (single texts have no segment table).
torch::Tensor segments_for(models::TextEncoder& model, const data::PairBatch& batch,
                           const torch::Device& device) {
  return model->segment_embedding ? batch.segments.to(device) : torch::Tensor();
}

void check_choice(const std::string& field, const std::string& value,
                  const std::vector<std::string>& choices) {
  SETFORMER_CHECK(std::find(choices.begin(), choices.end(), value) != choices.end(),
                  "{} = '{}' is not valid; expected {}", field, value, fmt::join(choices, " | "));
}

}  // namespace

bool uses_labelled_files(const LanguageExperimentConfig& c) {
  return c.task == "classify" && (!c.glue.empty() || !c.train_file.empty());
}

LabelledTextSpec labelled_text_spec(const LanguageExperimentConfig& c) {
  LabelledTextSpec s;
  s.read.max_record_bytes = c.max_record_bytes;
  s.read.invalid_utf8 = c.invalid_utf8;
  s.read.bad_rows = c.bad_rows;
  data::validate(s.read);
  s.format = c.format;
  check_choice("data.format", c.format, {"auto", "tsv", "csv", "jsonl"});
  if (!c.glue.empty()) {
    const auto& task = data::glue_task(c.glue);
    SETFORMER_CHECK(!c.root.empty(),
                    "task.glue = '{}' reads the GLUE download: give its folder as --data-root (or "
                    "data.root)",
                    c.glue);
    const auto folder = data::glue_folder(task, c.root);
    s.glue = task.name;
    s.train = under(folder, task.train);
    for (const auto& e : task.eval) s.eval.push_back({e.name, under(folder, e.file), ""});
    for (const auto& t : task.test) s.test.push_back({t.name, under(folder, t.file), t.submission});
    s.columns = task.columns;
    s.test_columns = task.test_columns;
    s.labels = task.labels;
    s.regression = task.regression();
    s.metrics = task.metrics;
    if (task.bad_rows == "skip") s.read.bad_rows = "skip";
    s.format = "tsv";
  } else {
    SETFORMER_CHECK(!c.train_file.empty(), "data.train_file must name the labelled training file");
    check_choice("data.problem", c.problem, {"classification", "regression"});
    s.train = under(c.root, c.train_file);
    for (const auto& f : c.eval_files) s.eval.push_back({stem(f), under(c.root, f), ""});
    for (const auto& f : c.test_files) s.test.push_back({stem(f), under(c.root, f), ""});
    s.columns.text = c.text_column;
    s.columns.text_pair = c.text_pair_column;
    s.columns.label = c.label_column;
    s.columns.id = c.id_column;
    s.columns.names = c.columns;
    s.test_columns = s.columns;
    s.test_columns.label_required = false;
    s.regression = c.problem == "regression";
    s.labels = s.regression ? std::vector<std::string>{} : c.labels;
    s.metrics = s.regression ? std::vector<std::string>{"pearson", "spearman"}
                             : std::vector<std::string>{"accuracy"};
    if (!s.regression && s.labels.size() == 2) s.metrics.push_back("f1");
    if (!s.regression) s.metrics.push_back("matthews");
  }
  // Stored labels (a run's checkpoint) win over the preset: they are the head's order.
  if (!c.labels.empty() && !s.regression) s.labels = c.labels;
  SETFORMER_CHECK(!s.regression || c.labels.empty(), "data.labels must be empty for regression");
  std::map<std::string, int> names;
  for (const auto& e : s.eval)
    SETFORMER_CHECK(++names[e.name] == 1, "two evaluation files are named '{}'", e.name);
  s.pairs = !s.columns.text_pair.empty();
  return s;
}

LanguageExperimentConfig with_labels(const LanguageExperimentConfig& config,
                                     const std::function<void(const std::string&)>& print) {
  auto c = config;
  const auto spec = labelled_text_spec(c);
  if (spec.regression) return c;
  if (!spec.labels.empty()) {
    c.labels = spec.labels;  // a preset's, stored so that the checkpoint lists them
    return c;
  }
  const auto train = data::read_text_examples(spec.train, spec.columns, spec.read, spec.format);
  std::vector<std::string> labels;
  for (const auto& e : train.examples) labels.push_back(e.label);
  c.labels = data::label_set(labels);
  SETFORMER_CHECK(c.labels.size() >= 2, "{}: a single label ('{}') in the training file",
                  spec.train, c.labels.front());
  print(fmt::format("{} labels from {}: {}", c.labels.size(), spec.train,
                    c.labels.size() <= 20 ? fmt::format("{}", fmt::join(c.labels, ", "))
                                          : std::string("(listed in the checkpoint)")));
  return c;
}

LabelledSplit read_labelled_split(const LabelledTextSpec& spec,
                                  const LabelledTextSpec::Split& split,
                                  const data::Tokenizer& tokenizer, int64_t length, bool labelled,
                                  const std::function<void(const std::string&)>& print) {
  auto read = spec.read;
  // Test predictions must cover every row: a bad one there is always an error.
  if (!labelled) read.bad_rows = "error";
  const auto rows = data::read_text_examples(
      split.path, labelled ? spec.columns : spec.test_columns, read, spec.format);
  if (!rows.skipped.empty()) {
    print(fmt::format("{}: {} bad rows left out (data.bad_rows = skip), the first: {}", split.path,
                      rows.skipped.size(), rows.skipped.front()));
  }
  std::map<std::string, int64_t> index;
  for (size_t i = 0; i < spec.labels.size(); ++i) index[spec.labels[i]] = static_cast<int64_t>(i);
  LabelledSplit out;
  out.name = split.name;
  for (const auto& e : rows.examples) {
    double target = 0;
    if (labelled && spec.regression) {
      try {
        size_t used = 0;
        target = std::stod(e.label, &used);
        SETFORMER_CHECK(used == e.label.size() && std::isfinite(target), "");
      } catch (const std::exception&) {
        throw std::invalid_argument(fmt::format("{}:{}: label '{}' is not a number (regression)",
                                                split.path, e.line, e.label));
      }
    } else if (labelled) {
      const auto it = index.find(e.label);
      SETFORMER_CHECK(it != index.end(), "{}:{}: label '{}' is not one of the training labels ({})",
                      split.path, e.line, e.label, fmt::join(spec.labels, ", "));
      target = static_cast<double>(it->second);
    }
    const auto a = tokenizer.encode(e.text);
    const auto b = spec.pairs ? tokenizer.encode(e.text_pair) : std::vector<int64_t>{};
    auto [ids, first] = data::encode_pair(a, spec.pairs ? &b : nullptr, length);
    out.examples.ids.push_back(std::move(ids));
    out.examples.first.push_back(first);
    out.examples.targets.push_back(target);
    out.ids.push_back(e.id);
  }
  return out;
}

std::vector<std::string> labelled_metric_keys(const LabelledTextSpec& spec) {
  std::vector<std::string> keys;
  for (const auto& split : spec.eval)
    for (const auto& m : spec.metrics) keys.push_back(split.name + "_" + m);
  if (!spec.eval.empty()) keys.push_back("score");
  return keys;
}

torch::Tensor labelled_outputs(models::TextEncoder& model, const data::EncodedExamples& examples,
                               int64_t batch_size, bool regression, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::vector<torch::Tensor> parts;
  const auto n = static_cast<int64_t>(examples.ids.size());
  for (int64_t first = 0; first < n; first += batch_size) {
    std::vector<int64_t> indices;
    for (int64_t i = first; i < std::min(n, first + batch_size); ++i) indices.push_back(i);
    const auto batch = data::pair_batch(examples, indices, regression);
    const auto logits =
        model->classify(batch.tokens.to(device), segments_for(model, batch, device)).cpu();
    parts.push_back(regression ? logits.select(1, 0) : torch::softmax(logits, -1));
  }
  model->train(was_training);
  return torch::cat(parts);
}

nlohmann::json evaluate_labelled(models::TextEncoder& model, const LabelledTextSpec& spec,
                                 const std::vector<LabelledSplit>& splits, int64_t batch_size,
                                 const torch::Device& device) {
  nlohmann::json metrics;
  double score = 0;
  for (const auto& split : splits) {
    const auto out = labelled_outputs(model, split.examples, batch_size, spec.regression, device);
    std::map<std::string, double> m;
    if (spec.regression) {
      const auto predicted = out.to(torch::kDouble);
      const std::vector<double> x(predicted.data_ptr<double>(),
                                  predicted.data_ptr<double>() + predicted.numel());
      const auto& y = split.examples.targets;
      for (const auto& name : spec.metrics)
        m[name] = name == "pearson" ? train::pearson(x, y) : train::spearman(x, y);
    } else {
      const auto argmax = out.argmax(-1).contiguous();
      const std::vector<int64_t> predicted(argmax.data_ptr<int64_t>(),
                                           argmax.data_ptr<int64_t>() + argmax.numel());
      std::vector<int64_t> gold;
      for (const double t : split.examples.targets) gold.push_back(static_cast<int64_t>(t));
      // F1 of the positive class: the label "1" where there is one (GLUE's), else the second.
      const auto one = std::find(spec.labels.begin(), spec.labels.end(), "1");
      const int64_t positive = one != spec.labels.end() ? one - spec.labels.begin() : 1;
      for (const auto& name : spec.metrics) {
        m[name] = name == "accuracy" ? train::accuracy(predicted, gold)
                  : name == "f1"     ? train::f1_score(predicted, gold, positive)
                                     : train::matthews_correlation(predicted, gold);
      }
    }
    for (const auto& [name, value] : m) metrics[split.name + "_" + name] = value;
    score += train::glue_task_score(m);
  }
  if (!splits.empty()) metrics["score"] = score / static_cast<double>(splits.size());
  return metrics;
}

std::pair<torch::Tensor, torch::Tensor> labelled_loss(models::TextEncoder& model,
                                                      const data::PairBatch& batch, bool regression,
                                                      const torch::Device& device) {
  const auto logits = model->classify(batch.tokens.to(device), segments_for(model, batch, device));
  const auto targets = batch.targets.to(device);
  if (regression) {
    const auto predicted = logits.select(1, 0);
    return {torch::mse_loss(predicted, targets), torch::Tensor()};
  }
  return {torch::nn::functional::cross_entropy(logits, targets),
          logits.argmax(-1).eq(targets).sum()};
}

namespace {

void add_input(TextInputs& out, const LabelledTextSpec& spec, const data::Tokenizer& tokenizer,
               int64_t length, const std::string& source, const std::string& id,
               const std::string& text, const std::string& pair) {
  const auto a = tokenizer.encode(text);
  const auto b = tokenizer.encode(pair);
  auto [ids, first] = data::encode_pair(a, spec.pairs ? &b : nullptr, length);
  out.examples.ids.push_back(std::move(ids));
  out.examples.first.push_back(first);
  out.examples.targets.push_back(0);
  out.sources.push_back(source);
  out.ids.push_back(id);
}

bool is_table(const std::string& path) {
  try {
    data::text_format(path);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

std::string tsv_field(std::string s) {
  for (auto& ch : s)
    if (ch == '\t' || ch == '\n' || ch == '\r') ch = ' ';
  return s;
}

}  // namespace

TextInputs read_text_inputs(const LabelledTextSpec& spec, const std::vector<std::string>& inputs,
                            const data::Tokenizer& tokenizer, int64_t length) {
  TextInputs out;
  auto read = spec.read;
  read.bad_rows = "error";
  for (const auto& input : inputs) {
    if (input == "-") {
      std::string line;
      for (int64_t n = 1; std::getline(std::cin, line); ++n) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        data::check_utf8(line, read.invalid_utf8 == "replace", fmt::format("stdin:{}", n));
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        std::string a = line, b;
        if (spec.pairs) {
          const auto tab = line.find('\t');
          SETFORMER_CHECK(tab != std::string::npos,
                          "stdin:{}: this model reads text pairs: give them as 'first<TAB>second'",
                          n);
          a = line.substr(0, tab);
          b = line.substr(tab + 1);
        }
        add_input(out, spec, tokenizer, length, "stdin", std::to_string(n), a, b);
      }
    } else if (is_table(input)) {
      for (const auto& e :
           data::read_text_examples(input, spec.test_columns, read, spec.format).examples)
        add_input(out, spec, tokenizer, length, input, e.id, e.text, e.text_pair);
    } else {
      SETFORMER_CHECK(!spec.pairs,
                      "{}: this model reads text pairs: give a TSV, CSV or JSONL file with columns "
                      "'{}' and '{}', or lines 'first<TAB>second' on standard input",
                      input, spec.test_columns.text, spec.test_columns.text_pair);
      std::string text;
      data::for_each_line(input, read, [&](std::string&& line, int64_t n) {
        if (n > 1) text += '\n';
        text += line;
      });
      SETFORMER_CHECK(text.find_first_not_of(" \t\r\n") != std::string::npos, "{}: an empty text",
                      input);
      add_input(out, spec, tokenizer, length, input, input, text, "");
    }
  }
  SETFORMER_CHECK(!out.ids.empty(), "no texts to predict");
  return out;
}

std::vector<std::string> format_predictions(const LabelledTextSpec& spec, const TextInputs& inputs,
                                            const torch::Tensor& outputs, bool json) {
  std::vector<std::string> lines;
  const auto out = outputs.to(torch::kDouble).contiguous();
  if (!json) {
    std::vector<std::string> header{"source", "id", spec.regression ? "score" : "prediction"};
    for (const auto& label : spec.labels) header.push_back("p(" + tsv_field(label) + ")");
    lines.push_back(fmt::format("{}", fmt::join(header, "\t")));
  }
  for (size_t i = 0; i < inputs.ids.size(); ++i) {
    const auto row = out[static_cast<int64_t>(i)];
    if (spec.regression) {
      const double score = row.item<double>();
      lines.push_back(json ? nlohmann::json{{"source", inputs.sources[i]},
                                            {"id", inputs.ids[i]},
                                            {"score", score}}
                                 .dump()
                           : fmt::format("{}\t{}\t{:.6f}", tsv_field(inputs.sources[i]),
                                         tsv_field(inputs.ids[i]), score));
      continue;
    }
    const auto best = row.argmax().item<int64_t>();
    const auto& label = spec.labels[static_cast<size_t>(best)];
    if (json) {
      nlohmann::json p = nlohmann::json::object();
      for (size_t k = 0; k < spec.labels.size(); ++k)
        p[spec.labels[k]] = row[static_cast<int64_t>(k)].item<double>();
      lines.push_back(nlohmann::json{
          {"source", inputs.sources[i]},
          {"id", inputs.ids[i]},
          {"prediction", label},
          {"probability", row[best].item<double>()},
          {"probabilities",
           p}}.dump());
    } else {
      std::string line = fmt::format("{}\t{}\t{}", tsv_field(inputs.sources[i]),
                                     tsv_field(inputs.ids[i]), tsv_field(label));
      for (size_t k = 0; k < spec.labels.size(); ++k)
        line += fmt::format("\t{:.6f}", row[static_cast<int64_t>(k)].item<double>());
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

std::string submission_file(const LabelledTextSpec& spec, const std::vector<std::string>& ids,
                            const torch::Tensor& outputs) {
  std::string text = "index\tprediction\n";
  const auto out = outputs.to(torch::kDouble).contiguous();
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto row = out[static_cast<int64_t>(i)];
    if (spec.regression) {
      text += fmt::format("{}\t{:.3f}\n", ids[i], std::clamp(row.item<double>(), 0.0, 5.0));
    } else {
      text += fmt::format("{}\t{}\n", ids[i],
                          spec.labels[static_cast<size_t>(row.argmax().item<int64_t>())]);
    }
  }
  return text;
}

}  // namespace setformer::tasks
