// ListOps as in the Long Range Arena (Tay et al. 2021, §3.1; after Nangia & Bowman 2018),
// generated here: nested lists of the operators MAX, MIN, MED (median, rounded down) and SM (sum
// modulo 10) over the digits 0–9, for instance [MAX 4 3 [MIN 2 3 ] 1 0 [MED 1 5 8 9 2 ] ] = 5.
// The task is to predict the value (ten classes) from the token sequence. LRA's rules: every
// node below the depth limit is an operator with probability 1/4 (else a digit), an operator has
// 2 to 10 arguments, the depth is at most 10 (the root at depth 1; nodes at depth 10 are
// digits), and sequences are kept only when their length is within [500, 2000] tokens. LRA's
// files also wrap nodes in parentheses, which carry no information and are left out here.
#pragma once

#include <torch/arg.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace setformer::data {

struct ListOpsOptions {
  TORCH_ARG(int64_t, max_depth) = 10;
  TORCH_ARG(int64_t, max_args) = 10;
  TORCH_ARG(int64_t, min_length) = 500;
  TORCH_ARG(int64_t, max_length) = 2000;
  /// Probability that a node above the depth limit is an operator (LRA: 0.25).
  TORCH_ARG(double, operator_probability) = 0.25;
};

/// Throws naming the field when a value is out of range.
void validate(const ListOpsOptions& options);

/// Token ids: 0 padding, then [MIN, [MAX, [MED, [SM, ], and the digits 0–9 (ids 6–15).
namespace listops {
inline constexpr int64_t kPad = 0, kMin = 1, kMax = 2, kMed = 3, kSum = 4, kEnd = 5, kZero = 6;
inline constexpr int64_t kVocab = 16;
/// "[MAX", "]", "7", ...
std::string token_text(int64_t id);
/// The id of a token's text; throws naming it when it is not a ListOps token.
int64_t token_id(const std::string& text);
}  // namespace listops

struct ListOpsExample {
  std::vector<int64_t> tokens;
  int64_t value = 0;  // the label, 0–9
};

/// Example `index` of the stream `seed` (a pure function of its arguments): trees are drawn by
/// the rules above until one has an admissible length.
ListOpsExample listops_example(const ListOpsOptions& options, uint64_t seed, int64_t index);

/// The value of a token sequence, by a stack evaluation; throws when it is not well formed.
int64_t evaluate_listops(const std::vector<int64_t>& tokens);

/// Space-separated token texts, and back.
std::string listops_text(const std::vector<int64_t>& tokens);
std::vector<int64_t> parse_listops(const std::string& text);

/// Examples first .. first + batch − 1: tokens [B, longest] int64 (padded with kPad), labels [B].
std::pair<torch::Tensor, torch::Tensor> listops_batch(const ListOpsOptions& options, uint64_t seed,
                                                      int64_t first, int64_t batch);

/// What a model gets without reading the lists: the most frequent value, and the most frequent
/// value given the root operator (MAX lists are mostly 9, MIN lists 0), both counted on training
/// examples 0 .. train_count − 1 of `train_seed` and scored on test examples 0 .. test_count − 1
/// of `test_seed` (the ones the rows are scored on). The second is the level at which LRA's
/// models stall (about 37%).
struct ListOpsBaselines {
  double most_frequent = 0, root_operator = 0;  // test accuracies
  int64_t most_frequent_value = 0;
  /// The guess for a root [MIN, [MAX, [MED, [SM (in that order).
  std::array<int64_t, 4> root_guess{};
};
ListOpsBaselines listops_baselines(const ListOpsOptions& options, uint64_t train_seed,
                                   int64_t train_count, uint64_t test_seed, int64_t test_count);

}  // namespace setformer::data
