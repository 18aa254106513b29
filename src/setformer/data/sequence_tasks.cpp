#include "setformer/data/sequence_tasks.h"

#include "setformer/core/error.h"
#include "setformer/data/random.h"

#include <torch/torch.h>

#include <algorithm>

namespace setformer::data {

const std::vector<std::string>& sequence_task_names() {
  static const std::vector<std::string> names{"copy", "reverse", "sort", "addition"};
  return names;
}

SequenceTask parse_sequence_task(const std::string& field, const std::string& text) {
  const auto& names = sequence_task_names();
  const auto it = std::find(names.begin(), names.end(), text);
  SETFORMER_CHECK(it != names.end(), "{} = '{}' is not a task; expected {}", field, text,
                  fmt::join(names, " | "));
  return static_cast<SequenceTask>(it - names.begin());
}

std::string to_string(SequenceTask task) {
  return sequence_task_names()[static_cast<size_t>(task)];
}

void validate(const SequenceTaskOptions& o) {
  if (o.task() == SequenceTask::addition) {
    SETFORMER_CHECK(o.digits() >= 1 && o.digits() <= 18, "task digits must be in [1, 18], got {}",
                    o.digits());
    return;
  }
  SETFORMER_CHECK(o.symbols() >= 1 && o.symbols() <= 26, "task symbols must be in [1, 26], got {}",
                  o.symbols());
  SETFORMER_CHECK(o.min_length() >= 1 && o.min_length() <= o.max_length(),
                  "task lengths must satisfy 1 <= min_length <= max_length, got {} and {}",
                  o.min_length(), o.max_length());
}

Vocabulary::Vocabulary(std::string alphabet) : alphabet_(std::move(alphabet)), ids_(256, -1) {
  for (size_t i = 0; i < alphabet_.size(); ++i) {
    auto& id = ids_[static_cast<unsigned char>(alphabet_[i])];
    SETFORMER_CHECK(id < 0, "vocabulary: character '{}' appears twice", alphabet_[i]);
    id = 3 + static_cast<int64_t>(i);
  }
}

std::vector<int64_t> Vocabulary::encode(const std::string& text, const std::string& what) const {
  std::vector<int64_t> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int64_t id = ids_[static_cast<unsigned char>(text[i])];
    SETFORMER_CHECK(id >= 0, "{}: character '{}' at position {} is not in the alphabet \"{}\"",
                    what, text[i], i + 1, alphabet_);
    out.push_back(id);
  }
  return out;
}

std::string Vocabulary::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  for (const auto id : ids) {
    if (id == kEos) break;
    if (id >= 3 && id < size()) out += alphabet_[static_cast<size_t>(id - 3)];
  }
  return out;
}

Vocabulary task_vocabulary(const SequenceTaskOptions& o) {
  if (o.task() == SequenceTask::addition) return Vocabulary("0123456789+");
  return Vocabulary(
      std::string("abcdefghijklmnopqrstuvwxyz").substr(0, static_cast<size_t>(o.symbols())));
}

namespace {

/// A non-negative decimal without leading zeros, of at most `digits` digits.
uint64_t parse_operand(const std::string& text, int64_t digits, const std::string& source) {
  SETFORMER_CHECK(
      !text.empty() && static_cast<int64_t>(text.size()) <= digits &&
          std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }),
      "source \"{}\": expected \"a+b\" with a and b of 1 to {} digits", source, digits);
  return std::stoull(text);
}

/// `text` with leading zeros up to `width` characters.
std::string padded(const std::string& text, int64_t width) {
  const auto n = static_cast<int64_t>(text.size());
  return n >= width ? text : std::string(static_cast<size_t>(width - n), '0') + text;
}

/// `text` written back to front.
std::string reversed(std::string text) {
  std::reverse(text.begin(), text.end());
  return text;
}

/// The addition task's form of an operand or a sum: as it is, or least-significant digit first.
std::string digits_in_order(const std::string& number, bool least_significant_first) {
  return least_significant_first ? reversed(number) : number;
}

}  // namespace

std::string solve(const SequenceTaskOptions& o, const std::string& source) {
  if (o.task() == SequenceTask::addition) {
    const auto plus = source.find('+');
    SETFORMER_CHECK(plus != std::string::npos && source.find('+', plus + 1) == std::string::npos,
                    "source \"{}\": expected \"a+b\" with a and b of 1 to {} digits", source,
                    o.digits());
    // Reversal is its own inverse: the same map reads the operands back in place order.
    const auto a = parse_operand(digits_in_order(source.substr(0, plus), o.reverse_operands()),
                                 o.digits(), source);
    const auto b = parse_operand(digits_in_order(source.substr(plus + 1), o.reverse_operands()),
                                 o.digits(), source);
    std::string sum = std::to_string(a + b);
    if (o.pad_operands()) sum = padded(sum, o.digits() + 1);
    return digits_in_order(sum, o.reverse_sum());
  }
  task_vocabulary(o).encode(source, "source \"" + source + "\"");  // validates the characters
  std::string target = source;
  if (o.task() == SequenceTask::reverse) std::reverse(target.begin(), target.end());
  if (o.task() == SequenceTask::sort) std::sort(target.begin(), target.end());
  return target;
}

SequenceExample sequence_example(const SequenceTaskOptions& o, uint64_t seed, int64_t index) {
  Random random(mix(seed, static_cast<uint64_t>(index), 0x5E95E9));
  std::string source;
  if (o.task() == SequenceTask::addition) {
    const auto operand = [&] {
      const int64_t digits = o.mixed_digits() ? random.integer(1, o.digits()) : o.digits();
      int64_t limit = 1;
      for (int64_t i = 0; i < digits; ++i) limit *= 10;
      // A drawn length is exact: its smallest number has that many digits (0 for one digit).
      const int64_t lowest = o.mixed_digits() && digits > 1 ? limit / 10 : 0;
      std::string text = std::to_string(random.integer(lowest, limit - 1));
      if (o.pad_operands()) text = padded(text, o.digits());
      return digits_in_order(text, o.reverse_operands());
    };
    const std::string a = operand();  // two statements: a is drawn before b
    source = a + "+" + operand();
  } else {
    const auto length = random.integer(o.min_length(), o.max_length());
    for (int64_t i = 0; i < length; ++i)
      source += static_cast<char>('a' + random.integer(0, o.symbols() - 1));
  }
  return {source, solve(o, source)};
}

SequenceBatch encode_examples(const Vocabulary& vocabulary,
                              const std::vector<SequenceExample>& examples) {
  const auto batch = static_cast<int64_t>(examples.size());
  SETFORMER_CHECK(batch >= 1, "a batch needs at least one example");
  std::vector<std::vector<int64_t>> sources, targets;
  size_t s_max = 1, t_max = 0;
  for (const auto& e : examples) {
    sources.push_back(vocabulary.encode(e.source, "source \"" + e.source + "\""));
    targets.push_back(vocabulary.encode(e.target, "target \"" + e.target + "\""));
    SETFORMER_CHECK(!sources.back().empty(), "an example has an empty source");
    s_max = std::max(s_max, sources.back().size());
    t_max = std::max(t_max, targets.back().size());
  }
  SequenceBatch out;
  out.examples = examples;
  out.source = torch::full({batch, static_cast<int64_t>(s_max)}, Vocabulary::kPad, torch::kLong);
  out.target_in =
      torch::full({batch, static_cast<int64_t>(t_max) + 1}, Vocabulary::kPad, torch::kLong);
  out.target_out = out.target_in.clone();
  auto s = out.source.accessor<int64_t, 2>();
  auto ti = out.target_in.accessor<int64_t, 2>();
  auto to = out.target_out.accessor<int64_t, 2>();
  for (int64_t b = 0; b < batch; ++b) {
    const auto& src = sources[static_cast<size_t>(b)];
    const auto& tgt = targets[static_cast<size_t>(b)];
    for (size_t i = 0; i < src.size(); ++i) s[b][static_cast<int64_t>(i)] = src[i];
    ti[b][0] = Vocabulary::kBos;
    for (size_t i = 0; i < tgt.size(); ++i) {
      ti[b][static_cast<int64_t>(i) + 1] = tgt[i];
      to[b][static_cast<int64_t>(i)] = tgt[i];
    }
    to[b][static_cast<int64_t>(tgt.size())] = Vocabulary::kEos;
  }
  return out;
}

SequenceBatch sequence_batch(const SequenceTaskOptions& options, uint64_t seed, int64_t first_index,
                             int64_t batch) {
  validate(options);
  std::vector<SequenceExample> examples;
  for (int64_t i = 0; i < batch; ++i)
    examples.push_back(sequence_example(options, seed, first_index + i));
  return encode_examples(task_vocabulary(options), examples);
}

}  // namespace setformer::data
