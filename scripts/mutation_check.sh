#!/usr/bin/env bash
# Shows that the tests can fail: applies, one at a time, a mutation that removes one property
# of the implementation (Sinkhorn's column update, the padding mask, the LPE filter, ...),
# rebuilds a scratch copy of the tracked sources, and requires at least one test to fail.
# Exits non-zero if any mutation survives. Takes about a minute per mutation on 2 cores, after
# a full build of the scratch copy.
set -euo pipefail
unset OPENBLAS_CORETYPE  # the runtime chooses the kernels itself; one mutation checks that it does
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/setformer-mutation.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$work")
cd "$work"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSETFORMER_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build >/dev/null

survivors=0
mutate() {
  local file=$1 from=$2 to=$3 what=$4
  cp "$file" "$file.orig"
  if ! python3 - "$file" "$from" "$to" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if old not in text:
    sys.exit(1)
open(path, "w").write(text.replace(old, new, 1))
PY
  then
    echo "ERROR     $what: pattern not found in $file (update this script)"
    survivors=$((survivors + 1))
    return
  fi
  if ! cmake --build build >/dev/null 2>&1; then
    echo "ERROR     $what: the mutated source does not build (update this script)"
    survivors=$((survivors + 1))
  else
    # The test binaries directly: one process each is much faster than CTest's one per case.
    local failed=0 n
    for t in build/test_*; do
      # --gtest_brief prints one "[  FAILED  ] Suite.Test (N ms)" line per failed test.
      n=$(SETFORMER_TEST_THREADS=$(nproc) "$t" --gtest_brief=1 2>&1 | grep -c '^\[  FAILED  \] [A-Za-z]' || true)
      failed=$((failed + n))
    done
    if [ "$failed" -gt 0 ]; then
      echo "caught    $what: $failed test(s) failed"
    else
      echo "SURVIVED  $what"
      survivors=$((survivors + 1))
    fi
  fi
  mv "$file.orig" "$file"
  touch "$file"  # newer than the mutated object, so the next build restores the original
}

S=src/setformer/attention
mutate $S/sinkhorn.cpp "g = b.log_weights - torch::logsumexp(scores + f.unsqueeze(-1), -2);" "g = g * 1.0;" "Sinkhorn without the column update"
mutate $S/sinkhorn.cpp "f = a.log_weights - torch::logsumexp(scores + g.unsqueeze(-2), -1);" "f = torch::zeros_like(scores.select(-1, 0));" "Sinkhorn without the row update"
F=$S/sinkhorn_fused.cpp
K=$S/scaling.h
C=$S/set_fused.cpp
mutate $K "for (int64_t j = 0; j < m; ++j) v[j] = q.b[j] > 0 ? q.b[j] / v[j] : T(0);" "for (int64_t j = 0; j < m; ++j) v[j] = v_prev[j];" "fused Sinkhorn without the column update"
mutate $K "const T ub = (t == iters ? u_bar[i] : T(0)) + dot(k_row, yb, m);" "const T ub = t == iters ? u_bar[i] : T(0);" "fused backward drops the column update's gradient"
mutate $K "(g_row[j] * ui * v_last[j] + o_row[j])" "(o_row[j])" "fused backward drops the direct term G * P"
mutate $K "o_row[j] -= p_row[j] * (alpha + static_cast<T>(beta[j]));" "o_row[j] -= p_row[j] * alpha;" "implicit backward drops the column potentials"
mutate $K "if (may_stop && u_prev && worst <= stop_tolerance) return t + 1;" "if (may_stop && u_prev) return t + 1;" "early stop ignores its tolerance"
mutate $K "p = p * r + 5.0000001201e-1f;" "p = p * r + 4.0e-1f;" "float exp with a wrong polynomial"
mutate $C "grad_s[e] *= w[e] * st.kappa[e];" "grad_s[e] *= w[e];" "fused core backward drops the kernel's derivative"
mutate $C "exp_shifted(kappa, -x.alpha, m);" "exp_shifted(kappa, T(0), m);" "fused core kernel without its -alpha shift"
mutate $C "gemm<T>(false, false, n, dh, m, x.scale[b], st.plan" "gemm<T>(false, false, n, dh, m, T(1), st.plan" "fused core without the n*m scaling"
mutate $F "if (!(range <= scaling_range_limit(dtype))) return std::nullopt;" "(void)range;" "fused Sinkhorn takes scores beyond its range"
mutate $S/set.cpp "const auto row_padding = padding.defined() ? padding.unsqueeze(1) : torch::Tensor();" "const auto row_padding = torch::Tensor();" "SeT ignores the padding mask in transport"
mutate $S/set.cpp "out = out.masked_fill(mask.query_padding().unsqueeze(-1), 0.0);" "(void)out;" "SeT leaves padded outputs non-zero"
mutate $S/set.cpp "auto weight = position_filter(n, padding, options) / set_options().epsilon();" "auto weight = torch::ones({1, 1, n, 1}, options) / set_options().epsilon();" "SeT without the LPE position filter"
mutate $S/set.cpp "t.kernel * weight : t.kernel / o.epsilon();" "t.kernel * weight * o.epsilon() : t.kernel;" "SeT ignores epsilon"
mutate $S/set.cpp "batched_matmul(weights, cells) * qry.row_count" "batched_matmul(weights, cells)" "SeT without the n scaling of redistribution"
mutate $S/set.cpp "* ctx.col_count;" ";" "SeT without the m scaling of aggregation"
mutate $S/similarity.cpp "(alpha * F::normalize(z, opts))" "F::normalize(z, opts)" "spherical kernel ignores alpha"
mutate $S/similarity.cpp "return torch::exp(-0.5 * alpha * sq.clamp_min(0.0));" "return torch::exp(-alpha * sq.clamp_min(0.0));" "gaussian kernel bandwidth off by 2"
mutate $S/similarity.cpp "eigenvalues.clamp_min(eigen_floor).rsqrt()" "eigenvalues.clamp_min(eigen_floor).reciprocal()" "Nystrom uses the inverse instead of the inverse square root"
mutate $S/positions.cpp "const auto rank = valid.cumsum(1) - 1.0;" "const auto rank = torch::arange(valid.size(1), options).unsqueeze(0).expand_as(valid);" "LPE positions ignore padding"
mutate $S/softmax.cpp "scores = scores.masked_fill(future, neg_inf);" "(void)future;" "softmax without the causal mask"
mutate $S/softmax.cpp "scores.masked_fill(mask.padding().view(" "scores.masked_fill(mask.padding().logical_and(torch::zeros({1}, torch::kBool)).view(" "softmax ignores the padding mask"
mutate $S/window.cpp "blocked = blocked | other_region" "blocked = blocked | other_region.logical_and(torch::zeros({1}, torch::kBool))" "shifted windows without the region mask"
mutate $S/window.cpp "grid = torch::roll(grid, {l.shift_rows, l.shift_cols}, {1, 2});" "(void)grid;" "shifted windows not shifted back"
mutate $S/kmeans.cpp "const auto worst = best.argsort().slice(0, 0, empty.numel());" "const auto worst = best.argsort().slice(0, 0, 0);" "k-means leaves empty clusters empty"

B=src/setformer/nn/set_blocks.cpp
E=src/setformer/tasks/sets.cpp
mutate $B "return x.masked_fill(pad, 0.0).sum(1) / count;" "return x.sum(1) / count;" "mean pooling sums padded rows"
mutate $B "auto out = h + torch::relu(ff(h));" "auto out = h + ff(h);" "MAB's rFF without its ReLU"
mutate $B "return zero_padding(out, x_padding);" "return out;" "MAB leaves padded rows non-zero"
mutate $B "auto y = gamma(x) - lambda(" "auto y = gamma(x) + lambda(" "equivariant layer adds the pooled term"
mutate $B "/ std::sqrt(static_cast<double>(z.size(2)));" ";" "Dotprod pooling without its 1/sqrt(d)"
mutate $E "spread.pow(2)).sum(1) / safe + kVarianceFloor;" "spread.pow(2)).sum(1) / count.unsqueeze(-1) + kVarianceFloor;" "EM step divides variances by n"
mutate src/setformer/data/set_tasks.cpp "+ o.stddev() * rng.normal());" "+ rng.normal());" "mixture generator ignores its stddev"
mutate src/setformer/nn/slot_attention.cpp "const auto attn = torch::softmax(logits, -1);" "const auto attn = torch::softmax(logits, 1);" "Slot Attention normalises over the inputs"
mutate src/setformer/nn/slot_attention.cpp "if (options.weighted_mean()) weights = weights / weights.sum(1, /*keepdim=*/true);" "(void)0;" "Slot Attention sums instead of averaging"
mutate src/setformer/nn/slot_attention.cpp "return plan * valid.view({-1, 1, 1});" "return plan;" "transport slots without the N scaling"
mutate src/setformer/core/hungarian.cpp "u[owner[j]] += delta;" "u[owner[j]] += 0;" "Hungarian without the row potentials"
mutate src/setformer/tasks/object_metrics.cpp "if (t[i] == 0) continue;" "(void)0;" "foreground ARI keeps the background"
mutate src/setformer/attention/linear.cpp "numerator / denominator.clamp_min(1e-6)" "numerator" "linear attention without its normaliser"
mutate src/setformer/attention/performer.cpp "auto exponent = projected - 0.5 * xs.pow(2).sum(-1, /*keepdim=*/true);" "auto exponent = projected;" "Performer features without the -|x|^2/2 term"
mutate $S/nystrom.cpp "13 * eye" "12 * eye" "Nystrom pseudo-inverse iteration with a wrong coefficient"
mutate $S/inducing.cpp "gather_(points, context, Mask().padding(mask.padding()))" "gather_(points, context, Mask())" "isab gathers padded tokens"
mutate $S/softmax.cpp "                 Mask().padding(cache.padding));" "                 Mask());" "cached softmax ignores the memory's padding"
M=src/setformer/models
mutate $M/transformer.cpp "embed(tokens.unsqueeze(1), /*source=*/false, state.position)" "embed(tokens.unsqueeze(1), /*source=*/false, 0)" "incremental decoding restarts the positions"
mutate $M/transformer.cpp "const auto memory_padding = source.eq(options.pad_id());" "const auto memory_padding = torch::Tensor();" "decoder attends to source padding"
mutate $M/decoding.cpp "    h.score = log_p / length_penalty(length, o.length_penalty());" "    h.score = log_p;" "beam search without the length penalty"
mutate $M/decoding.cpp "done[bi] = best_finished >= best_open / length_penalty(o.max_length(), o.length_penalty());" "done[bi] = static_cast<int64_t>(finished[bi].size()) >= k;" "beam search stops at k endings, however unlikely"
mutate src/setformer/data/sequence_tasks.cpp "if (o.task() == SequenceTask::sort) std::sort(target.begin(), target.end());" "(void)0;" "sort task leaves the target unsorted"
D=src/setformer/data
mutate $D/tokenizer.cpp "(best < 0 || it->second < best)" "(best < 0 || it->second > best)" "BPE encoding applies the latest merge first"
mutate $D/masking.cpp "selected & action.lt(0.8)" "selected & action.lt(0.7)" "MLM masks 70% of the selected tokens"
mutate $D/masking.cpp "const auto selected = tokens.ge(first_regular) & u.lt(rate);" "const auto selected = u.lt(rate);" "MLM selects special tokens"
mutate $D/text_batches.cpp "    tokens_.push_back(Tokenizer::kSep);" "" "token stream without separators"
mutate $M/text_encoder.cpp "const auto pooled = (hidden * valid).sum(1) / valid.sum(1);" "const auto pooled = hidden.mean(1);" "text classifier pools padding"
mutate src/setformer/core/runtime.cpp "execv(\"/proc/self/exe\", argv);" "(void)argv;" "OpenBLAS left on its generic fallback kernels"
if [ "$survivors" -gt 0 ]; then
  echo "mutation check: $survivors mutation(s) survived"
  exit 1
fi
echo "mutation check: every mutation was caught"
