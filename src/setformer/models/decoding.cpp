#include "setformer/models/decoding.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace setformer::models {

namespace {

void validate(const DecodeOptions& o, const Transformer& model) {
  const int64_t vocab = model->options.target_vocab();
  SETFORMER_CHECK(o.bos_id() >= 0 && o.bos_id() < vocab && o.eos_id() >= 0 && o.eos_id() < vocab,
                  "decode: bos_id = {} and eos_id = {} must be in the target vocabulary [0, {})",
                  o.bos_id(), o.eos_id(), vocab);
  SETFORMER_CHECK(o.max_length() >= 1, "decode: max_length must be >= 1, got {}", o.max_length());
  SETFORMER_CHECK(o.beam() >= 1, "decode: beam must be >= 1, got {}", o.beam());
  SETFORMER_CHECK(o.length_penalty() >= 0, "decode: length_penalty must be >= 0, got {}",
                  o.length_penalty());
}

double length_penalty(int64_t length, double alpha) {
  return std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

}  // namespace

std::vector<Hypothesis> greedy_decode(Transformer& model, const torch::Tensor& source,
                                      const DecodeOptions& o) {
  validate(o, model);
  torch::NoGradGuard no_grad;
  const int64_t batch = source.size(0);
  const auto memory = model->encode(source);
  auto state = model->start(memory, source);
  auto prefix = torch::full({batch, 1}, o.bos_id(), source.options());
  auto last = prefix.select(1, 0);
  std::vector<Hypothesis> out(static_cast<size_t>(batch));
  std::vector<bool> done(static_cast<size_t>(batch), false);
  for (int64_t t = 0; t < o.max_length(); ++t) {
    const auto log_probs =
        o.use_cache() ? model->step(last, state)
                      : torch::log_softmax(model->decode(prefix, memory, source).select(1, -1), -1);
    const auto [best, token] = log_probs.max(-1);
    last = token;
    prefix = torch::cat({prefix, token.unsqueeze(1)}, 1);
    const auto best_d = best.to(torch::kDouble);
    const auto best_a = best_d.accessor<double, 1>();
    const auto token_a = token.accessor<int64_t, 1>();
    bool all_done = true;
    for (int64_t b = 0; b < batch; ++b) {
      const auto i = static_cast<size_t>(b);
      if (done[i]) continue;
      out[i].log_probability += best_a[b];
      if (token_a[b] == o.eos_id()) {
        done[i] = out[i].finished = true;
      } else {
        out[i].tokens.push_back(token_a[b]);
        all_done = false;
      }
    }
    if (all_done) break;
  }
  for (auto& h : out) {
    const auto length = static_cast<int64_t>(h.tokens.size()) + (h.finished ? 1 : 0);
    h.score = h.log_probability / length_penalty(length, o.length_penalty());
  }
  return out;
}

std::vector<Hypothesis> beam_search(Transformer& model, const torch::Tensor& source,
                                    const DecodeOptions& o) {
  validate(o, model);
  torch::NoGradGuard no_grad;
  const int64_t batch = source.size(0), k = o.beam();
  const int64_t vocab = model->options.target_vocab();
  // Every sequence's k hypotheses side by side: row b·k + j.
  const auto rows = torch::arange(batch, source.options()).repeat_interleave(k);
  const auto repeated = source.index_select(0, rows);
  auto state = model->start(model->encode(source).index_select(0, rows), repeated);
  auto last = torch::full({batch * k}, o.bos_id(), source.options());
  // Only the first hypothesis of each sequence is alive at the start.
  std::vector<double> alive_score(static_cast<size_t>(batch * k),
                                  -std::numeric_limits<double>::infinity());
  for (int64_t b = 0; b < batch; ++b) alive_score[static_cast<size_t>(b * k)] = 0.0;
  std::vector<std::vector<int64_t>> alive_tokens(static_cast<size_t>(batch * k));
  std::vector<std::vector<Hypothesis>> finished(static_cast<size_t>(batch));
  std::vector<bool> done(static_cast<size_t>(batch), false);
  const auto finish = [&](int64_t b, std::vector<int64_t> tokens, double log_p, bool ended) {
    Hypothesis h;
    h.tokens = std::move(tokens);
    h.log_probability = log_p;
    h.finished = ended;
    const auto length = static_cast<int64_t>(h.tokens.size()) + (ended ? 1 : 0);
    h.score = log_p / length_penalty(length, o.length_penalty());
    finished[static_cast<size_t>(b)].push_back(std::move(h));
  };
  for (int64_t t = 0; t < o.max_length(); ++t) {
    const auto log_probs = model->step(last, state).to(torch::kDouble);  // [B·k, V]
    const auto scores = torch::from_blob(alive_score.data(), {batch * k, 1}, torch::kDouble);
    const auto total = (log_probs + scores).view({batch, k * vocab});
    // 2k candidates leave k that do not end, even if k of them emit EOS.
    const auto [top_scores, top_index] = total.topk(std::min(2 * k, k * vocab), 1);
    const auto score_a = top_scores.accessor<double, 2>();
    const auto index_a = top_index.accessor<int64_t, 2>();
    std::vector<int64_t> parent(static_cast<size_t>(batch * k), 0),
        next(static_cast<size_t>(batch * k), o.eos_id());
    std::vector<double> next_score(static_cast<size_t>(batch * k),
                                   -std::numeric_limits<double>::infinity());
    std::vector<std::vector<int64_t>> next_tokens(static_cast<size_t>(batch * k));
    for (int64_t b = 0; b < batch; ++b) {
      const auto bi = static_cast<size_t>(b);
      int64_t kept = 0;
      for (int64_t c = 0; c < top_index.size(1) && kept < k && !done[bi]; ++c) {
        const double s = score_a[b][c];
        if (!std::isfinite(s)) break;
        const int64_t from = b * k + index_a[b][c] / vocab, token = index_a[b][c] % vocab;
        const auto& tokens = alive_tokens[static_cast<size_t>(from)];
        if (token == o.eos_id()) {
          // An ending among the k best continuations is a candidate answer.
          if (c < k) finish(b, tokens, s, true);
          continue;
        }
        const auto slot = static_cast<size_t>(b * k + kept);
        parent[slot] = from;
        next[slot] = token;
        next_score[slot] = s;
        next_tokens[slot] = tokens;
        next_tokens[slot].push_back(token);
        ++kept;
      }
      // Done once no open hypothesis can overtake the best finished one: log P only falls as a
      // hypothesis grows, so an open one's best possible score is its log P over the largest
      // length penalty (α >= 0 and log P <= 0).
      if (!done[bi] && !finished[bi].empty()) {
        double best_open = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < kept; ++j)
          best_open = std::max(best_open, next_score[static_cast<size_t>(b * k + j)]);
        double best_finished = -std::numeric_limits<double>::infinity();
        for (const auto& h : finished[bi]) best_finished = std::max(best_finished, h.score);
        done[bi] = best_finished >= best_open / length_penalty(o.max_length(), o.length_penalty());
      }
      if (done[bi]) {
        for (int64_t j = 0; j < k; ++j) {
          const auto slot = static_cast<size_t>(b * k + j);
          parent[slot] = b * k;
          next_score[slot] = -std::numeric_limits<double>::infinity();
        }
      }
    }
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    state.select(torch::tensor(parent, source.options()));
    last = torch::tensor(next, source.options());
    alive_score = next_score;
    alive_tokens = std::move(next_tokens);
  }
  std::vector<Hypothesis> out(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    const auto bi = static_cast<size_t>(b);
    if (!done[bi]) {
      // Cut at max_length: the open hypotheses compete too.
      for (int64_t j = 0; j < k; ++j) {
        const auto slot = static_cast<size_t>(b * k + j);
        if (std::isfinite(alive_score[slot]))
          finish(b, alive_tokens[slot], alive_score[slot], false);
      }
    }
    auto& candidates = finished[bi];
    SETFORMER_CHECK(!candidates.empty(), "beam search: sequence {} ended without a hypothesis", b);
    out[bi] = *std::max_element(
        candidates.begin(), candidates.end(),
        [](const Hypothesis& a, const Hypothesis& c) { return a.score < c.score; });
  }
  return out;
}

std::vector<Hypothesis> decode(Transformer& model, const torch::Tensor& source,
                               const DecodeOptions& options) {
  return options.beam() == 1 ? greedy_decode(model, source, options)
                             : beam_search(model, source, options);
}

}  // namespace setformer::models
