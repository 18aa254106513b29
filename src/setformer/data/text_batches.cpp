#include "setformer/data/text_batches.h"

#include "setformer/core/error.h"
#include "setformer/data/random.h"

#include <torch/torch.h>

namespace setformer::data {

TokenizedDocuments tokenize_documents(const std::vector<const Document*>& documents,
                                      const Tokenizer& tokenizer, int64_t max_tokens) {
  TokenizedDocuments out;
  for (const auto* d : documents) {
    auto ids = tokenizer.encode(d->text);
    if (max_tokens > 0 && static_cast<int64_t>(ids.size()) > max_tokens)
      ids.resize(static_cast<size_t>(max_tokens));
    out.ids.push_back(std::move(ids));
    out.labels.push_back(d->label);
  }
  return out;
}

TokenStream::TokenStream(const TokenizedDocuments& documents) {
  for (const auto& ids : documents.ids) {
    tokens_.insert(tokens_.end(), ids.begin(), ids.end());
    tokens_.push_back(Tokenizer::kSep);
  }
}

torch::Tensor TokenStream::random_windows(int64_t batch, int64_t length, uint64_t seed,
                                          int64_t step) const {
  SETFORMER_CHECK(length >= 1 && length <= size(),
                  "token windows of {} tokens do not fit a stream of {}", length, size());
  auto out = torch::empty({batch, length}, torch::kLong);
  auto a = out.accessor<int64_t, 2>();
  Random random(mix(seed, static_cast<uint64_t>(step), 0x57EA));
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t start = random.integer(0, size() - length);
    for (int64_t i = 0; i < length; ++i) a[b][i] = tokens_[static_cast<size_t>(start + i)];
  }
  return out;
}

torch::Tensor TokenStream::windows(int64_t first, int64_t count, int64_t length) const {
  SETFORMER_CHECK(first >= 0 && count >= 1 && first + count <= window_count(length),
                  "windows {}..{} of {} tokens: the stream holds {}", first, first + count - 1,
                  length, window_count(length));
  return torch::from_blob(const_cast<int64_t*>(tokens_.data()) + first * length, {count, length},
                          torch::kLong)
      .clone();
}

std::pair<torch::Tensor, torch::Tensor> classification_batch(const TokenizedDocuments& documents,
                                                             const std::vector<int64_t>& indices,
                                                             int64_t length) {
  const auto batch = static_cast<int64_t>(indices.size());
  SETFORMER_CHECK(batch >= 1 && length >= 1, "a classification batch needs documents and length");
  auto tokens = torch::full({batch, length}, Tokenizer::kPad, torch::kLong);
  auto labels = torch::empty({batch}, torch::kLong);
  auto t = tokens.accessor<int64_t, 2>();
  for (int64_t b = 0; b < batch; ++b) {
    const auto index = static_cast<size_t>(indices[static_cast<size_t>(b)]);
    SETFORMER_CHECK(index < documents.ids.size(), "document {} of {}", index, documents.ids.size());
    const auto& ids = documents.ids[index];
    SETFORMER_CHECK(!ids.empty(), "document {} has no tokens", index);
    const auto n = std::min<int64_t>(length, static_cast<int64_t>(ids.size()));
    for (int64_t i = 0; i < n; ++i) t[b][i] = ids[static_cast<size_t>(i)];
    labels[b] = documents.labels[index];
  }
  return {tokens, labels};
}

std::pair<std::vector<int64_t>, int64_t> encode_pair(std::vector<int64_t> a,
                                                     const std::vector<int64_t>* b,
                                                     int64_t length) {
  const int64_t specials = b ? 3 : 2;
  SETFORMER_CHECK(length >= specials + (b ? 2 : 1),
                  "data.length = {} cannot hold [CLS], [SEP] and the text{}", length,
                  b ? " pair" : "");
  std::vector<int64_t> second = b ? *b : std::vector<int64_t>{};
  const auto budget = static_cast<size_t>(length - specials);
  while (a.size() + second.size() > budget) {
    if (a.size() > second.size())
      a.pop_back();
    else
      second.pop_back();
  }
  std::vector<int64_t> ids;
  ids.reserve(a.size() + second.size() + static_cast<size_t>(specials));
  ids.push_back(Tokenizer::kCls);
  ids.insert(ids.end(), a.begin(), a.end());
  ids.push_back(Tokenizer::kSep);
  const auto first = static_cast<int64_t>(ids.size());
  if (b) {
    ids.insert(ids.end(), second.begin(), second.end());
    ids.push_back(Tokenizer::kSep);
  }
  return {std::move(ids), first};
}

PairBatch pair_batch(const EncodedExamples& examples, const std::vector<int64_t>& indices,
                     bool regression) {
  const auto batch = static_cast<int64_t>(indices.size());
  SETFORMER_CHECK(batch >= 1, "a batch needs examples");
  int64_t n = 1;
  for (const auto i : indices) {
    SETFORMER_CHECK(i >= 0 && i < static_cast<int64_t>(examples.ids.size()), "example {} of {}", i,
                    examples.ids.size());
    n = std::max<int64_t>(n, static_cast<int64_t>(examples.ids[static_cast<size_t>(i)].size()));
  }
  PairBatch out;
  out.tokens = torch::full({batch, n}, Tokenizer::kPad, torch::kLong);
  out.segments = torch::zeros({batch, n}, torch::kLong);
  out.targets = torch::empty({batch}, regression ? torch::kFloat : torch::kLong);
  auto t = out.tokens.accessor<int64_t, 2>();
  auto s = out.segments.accessor<int64_t, 2>();
  for (int64_t r = 0; r < batch; ++r) {
    const auto i = static_cast<size_t>(indices[static_cast<size_t>(r)]);
    const auto& ids = examples.ids[i];
    for (size_t k = 0; k < ids.size(); ++k) {
      t[r][static_cast<int64_t>(k)] = ids[k];
      s[r][static_cast<int64_t>(k)] = static_cast<int64_t>(k) >= examples.first[i] ? 1 : 0;
    }
    if (regression)
      out.targets[r] = examples.targets[i];
    else
      out.targets[r] = static_cast<int64_t>(examples.targets[i]);
  }
  return out;
}

}  // namespace setformer::data
