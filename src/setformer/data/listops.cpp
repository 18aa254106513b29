#include "setformer/data/listops.h"

#include "setformer/core/error.h"
#include "setformer/data/random.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>

namespace setformer::data {

namespace listops {

std::string token_text(int64_t id) {
  static const char* names[] = {"<pad>", "[MIN", "[MAX", "[MED", "[SM", "]"};
  if (id >= 0 && id < kZero) return names[id];
  SETFORMER_CHECK(id >= kZero && id < kVocab, "listops token id {} is outside [0, {})", id, kVocab);
  return std::to_string(id - kZero);
}

int64_t token_id(const std::string& text) {
  for (int64_t id = 1; id < kVocab; ++id)
    if (token_text(id) == text) return id;
  throw std::invalid_argument(fmt::format(
      "'{}' is not a ListOps token; expected [MIN, [MAX, [MED, [SM, ] or a digit", text));
}

}  // namespace listops

void validate(const ListOpsOptions& o) {
  SETFORMER_CHECK(o.max_depth() >= 1, "listops max_depth must be >= 1, got {}", o.max_depth());
  SETFORMER_CHECK(o.max_args() >= 2, "listops max_args must be >= 2, got {}", o.max_args());
  SETFORMER_CHECK(o.min_length() >= 1 && o.min_length() <= o.max_length(),
                  "listops lengths must satisfy 1 <= min_length <= max_length, got {} and {}",
                  o.min_length(), o.max_length());
  SETFORMER_CHECK(o.operator_probability() > 0 && o.operator_probability() < 1,
                  "listops operator_probability must be in (0, 1), got {}",
                  o.operator_probability());
}

namespace {

int64_t apply(int64_t op, std::vector<int64_t> args) {
  switch (op) {
    case listops::kMin:
      return *std::min_element(args.begin(), args.end());
    case listops::kMax:
      return *std::max_element(args.begin(), args.end());
    case listops::kSum: {
      int64_t s = 0;
      for (const auto a : args) s += a;
      return s % 10;
    }
    case listops::kMed: {
      std::sort(args.begin(), args.end());
      const size_t n = args.size();
      // The median, rounded down when it falls between two digits.
      return n % 2 == 1 ? args[n / 2] : (args[n / 2 - 1] + args[n / 2]) / 2;
    }
    default:
      throw std::invalid_argument(fmt::format("listops: {} is not an operator", op));
  }
}

/// Appends a random tree at `depth` to `out`; returns its value. Stops growing (returns -1) once
/// `out` exceeds `limit` tokens, as the tree would be rejected anyway.
int64_t grow(const ListOpsOptions& o, Random& random, int64_t depth, size_t limit,
             std::vector<int64_t>& out) {
  if (out.size() > limit) return -1;
  if (depth >= o.max_depth() || random.uniform() >= o.operator_probability()) {
    const int64_t digit = random.integer(0, 9);
    out.push_back(listops::kZero + digit);
    return digit;
  }
  const int64_t op = random.integer(listops::kMin, listops::kSum);
  const int64_t arity = random.integer(2, o.max_args());
  out.push_back(op);
  std::vector<int64_t> args;
  for (int64_t i = 0; i < arity; ++i) {
    const int64_t v = grow(o, random, depth + 1, limit, out);
    if (v < 0) return -1;
    args.push_back(v);
  }
  out.push_back(listops::kEnd);
  return apply(op, args);
}

}  // namespace

ListOpsExample listops_example(const ListOpsOptions& o, uint64_t seed, int64_t index) {
  validate(o);
  Random random(mix(seed, static_cast<uint64_t>(index), 0x1157));
  for (int64_t attempt = 0;; ++attempt) {
    SETFORMER_CHECK(attempt < 1000000,
                    "listops: no tree of {} to {} tokens in a million draws; widen the lengths",
                    o.min_length(), o.max_length());
    ListOpsExample e;
    // The root (depth 1) is an operator: a single digit is never admissible.
    const int64_t op = random.integer(listops::kMin, listops::kSum);
    const int64_t arity = random.integer(2, o.max_args());
    e.tokens.push_back(op);
    std::vector<int64_t> args;
    bool ok = true;
    for (int64_t i = 0; i < arity && ok; ++i) {
      const int64_t v = grow(o, random, 2, static_cast<size_t>(o.max_length()), e.tokens);
      ok = v >= 0;
      args.push_back(v);
    }
    if (!ok) continue;
    e.tokens.push_back(listops::kEnd);
    const auto n = static_cast<int64_t>(e.tokens.size());
    if (n < o.min_length() || n > o.max_length()) continue;
    e.value = apply(op, args);
    return e;
  }
}

int64_t evaluate_listops(const std::vector<int64_t>& tokens) {
  // Each open operator keeps its arguments; a digit is an argument of the innermost one.
  std::vector<std::pair<int64_t, std::vector<int64_t>>> stack;
  int64_t result = -1;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int64_t t = tokens[i];
    SETFORMER_CHECK(result < 0, "listops: tokens after the end of the expression (position {})",
                    i + 1);
    if (t >= listops::kMin && t <= listops::kSum) {
      stack.push_back({t, {}});
    } else if (t >= listops::kZero && t < listops::kVocab) {
      SETFORMER_CHECK(!stack.empty(), "listops: a digit outside any list (position {})", i + 1);
      stack.back().second.push_back(t - listops::kZero);
    } else if (t == listops::kEnd) {
      SETFORMER_CHECK(!stack.empty() && !stack.back().second.empty(),
                      "listops: ']' closes no list with arguments (position {})", i + 1);
      const int64_t v = apply(stack.back().first, stack.back().second);
      stack.pop_back();
      if (stack.empty())
        result = v;
      else
        stack.back().second.push_back(v);
    } else {
      throw std::invalid_argument(fmt::format("listops: token {} at position {}", t, i + 1));
    }
  }
  SETFORMER_CHECK(result >= 0, "listops: the expression is not closed");
  return result;
}

std::string listops_text(const std::vector<int64_t>& tokens) {
  std::string s;
  for (const auto t : tokens) s += (s.empty() ? "" : " ") + listops::token_text(t);
  return s;
}

std::vector<int64_t> parse_listops(const std::string& text) {
  std::istringstream in(text);
  std::vector<int64_t> out;
  for (std::string word; in >> word;) out.push_back(listops::token_id(word));
  return out;
}

std::pair<torch::Tensor, torch::Tensor> listops_batch(const ListOpsOptions& options, uint64_t seed,
                                                      int64_t first, int64_t batch) {
  std::vector<ListOpsExample> examples;
  size_t longest = 0;
  for (int64_t i = 0; i < batch; ++i) {
    examples.push_back(listops_example(options, seed, first + i));
    longest = std::max(longest, examples.back().tokens.size());
  }
  auto tokens = torch::full({batch, static_cast<int64_t>(longest)}, listops::kPad, torch::kLong);
  auto labels = torch::empty({batch}, torch::kLong);
  auto t = tokens.accessor<int64_t, 2>();
  for (int64_t b = 0; b < batch; ++b) {
    const auto& e = examples[static_cast<size_t>(b)];
    for (size_t i = 0; i < e.tokens.size(); ++i) t[b][static_cast<int64_t>(i)] = e.tokens[i];
    labels[b] = e.value;
  }
  return {tokens, labels};
}

ListOpsBaselines listops_baselines(const ListOpsOptions& options, uint64_t train_seed,
                                   int64_t train_count, uint64_t test_seed, int64_t test_count) {
  SETFORMER_CHECK(train_count >= 1 && test_count >= 1,
                  "listops baselines need training and test examples, got {} and {}", train_count,
                  test_count);
  constexpr int64_t kOperators = 4, kValues = 10;
  // counts[o][v]: training examples with root operator o (0–3) and value v; row 4 is all of them.
  std::array<std::array<int64_t, kValues>, kOperators + 1> counts{};
  for (int64_t i = 0; i < train_count; ++i) {
    const auto e = listops_example(options, train_seed, i);
    ++counts[static_cast<size_t>(e.tokens.front() - listops::kMin)][static_cast<size_t>(e.value)];
    ++counts[kOperators][static_cast<size_t>(e.value)];
  }
  const auto mode = [](const std::array<int64_t, kValues>& c) {
    return static_cast<int64_t>(std::max_element(c.begin(), c.end()) - c.begin());
  };
  ListOpsBaselines b;
  b.most_frequent_value = mode(counts[kOperators]);
  for (size_t o = 0; o < kOperators; ++o) b.root_guess[o] = mode(counts[o]);
  int64_t frequent_hits = 0, root_hits = 0;
  for (int64_t i = 0; i < test_count; ++i) {
    const auto e = listops_example(options, test_seed, i);
    frequent_hits += e.value == b.most_frequent_value;
    root_hits += e.value == b.root_guess[static_cast<size_t>(e.tokens.front() - listops::kMin)];
  }
  b.most_frequent = static_cast<double>(frequent_hits) / static_cast<double>(test_count);
  b.root_operator = static_cast<double>(root_hits) / static_cast<double>(test_count);
  return b;
}

}  // namespace setformer::data
