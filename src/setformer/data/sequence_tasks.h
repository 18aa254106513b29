// Sequence-to-sequence tasks generated here, seeded and deterministic, for the Transformer
// (issue 6): copy, reverse and sort strings over an alphabet of `symbols` letters, and add two
// decimal numbers. Sources and targets are text, one character per token, so that `setformer
// translate` reads and writes plain lines.
#pragma once

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace setformer::data {

enum class SequenceTask { copy, reverse, sort, addition };

/// "copy | reverse | sort | addition".
const std::vector<std::string>& sequence_task_names();
SequenceTask parse_sequence_task(const std::string& field, const std::string& text);
std::string to_string(SequenceTask task);

struct SequenceTaskOptions {
  TORCH_ARG(SequenceTask, task) = SequenceTask::reverse;
  /// copy/reverse/sort: the alphabet is the first `symbols` letters a, b, ... (1–26).
  TORCH_ARG(int64_t, symbols) = 20;
  /// copy/reverse/sort: source lengths, uniform in [min_length, max_length].
  TORCH_ARG(int64_t, min_length) = 20;
  TORCH_ARG(int64_t, max_length) = 20;
  /// addition: both operands uniform in [0, 10^digits), written without leading zeros as
  /// "a+b"; the target is a + b.
  TORCH_ARG(int64_t, digits) = 5;
  /// addition: operands written with leading zeros to `digits` digits and the sum to
  /// digits + 1, so that equal places share positions.
  TORCH_ARG(bool, pad_operands) = false;
  /// addition: the sum written least-significant digit first, the order in which carries are
  /// computed.
  TORCH_ARG(bool, reverse_sum) = false;
  /// addition: each operand written least-significant digit first too, so that with
  /// pad_operands and reverse_sum the i-th digit of the sum sits at the positions of the i-th
  /// digits of the operands ("32100+87654" -> "108540" for 123 + 45678).
  TORCH_ARG(bool, reverse_operands) = false;
  /// addition: each operand's number of digits drawn uniformly from 1..digits first, then the
  /// operand among the numbers of that many digits. Short operands make single digits of the
  /// sum depend on one operand's digit alone: a learning signal that uniform 5-digit operands
  /// lack (there, one operand's digit says nothing about the sum's digit). For training
  /// streams; held-out sets keep operands uniform in [0, 10^digits).
  TORCH_ARG(bool, mixed_digits) = false;
};

/// Throws naming the field when a value is out of range.
void validate(const SequenceTaskOptions& options);

/// Token ids of characters: 0 <pad>, 1 <bos>, 2 <eos>, then the alphabet's characters in order.
class Vocabulary {
 public:
  static constexpr int64_t kPad = 0, kBos = 1, kEos = 2;
  explicit Vocabulary(std::string alphabet);
  int64_t size() const { return 3 + static_cast<int64_t>(alphabet_.size()); }
  const std::string& alphabet() const { return alphabet_; }
  /// Ids of `text`'s characters; throws naming `what`, the character and its position when one
  /// is not in the alphabet.
  std::vector<int64_t> encode(const std::string& text, const std::string& what) const;
  /// Characters of ids, stopping at EOS; pad and bos are skipped.
  std::string decode(const std::vector<int64_t>& ids) const;

 private:
  std::string alphabet_;
  std::vector<int64_t> ids_;  // by unsigned char; -1 when absent
};

/// The characters a task's sources and targets use.
Vocabulary task_vocabulary(const SequenceTaskOptions& options);

struct SequenceExample {
  std::string source, target;
};

/// The task's answer for a source text; throws naming the source when it is not a valid input
/// of the task (a character outside the alphabet, or not "a+b" for addition).
std::string solve(const SequenceTaskOptions& options, const std::string& source);

/// Example `index` of the stream `seed`: a pure function of its arguments.
SequenceExample sequence_example(const SequenceTaskOptions& options, uint64_t seed, int64_t index);

struct SequenceBatch {
  torch::Tensor source;      // [B, S] int64, padded with kPad
  torch::Tensor target_in;   // [B, T + 1]: kBos, target
  torch::Tensor target_out;  // [B, T + 1]: target, kEos (padding kPad, ignored by the loss)
  std::vector<SequenceExample> examples;
};

/// Examples first_index .. first_index + batch − 1 of the stream `seed`, as token tensors.
SequenceBatch sequence_batch(const SequenceTaskOptions& options, uint64_t seed, int64_t first_index,
                             int64_t batch);

/// Token tensors of given texts (targets may be empty strings when unknown).
SequenceBatch encode_examples(const Vocabulary& vocabulary,
                              const std::vector<SequenceExample>& examples);

}  // namespace setformer::data
