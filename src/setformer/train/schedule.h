// Learning-rate schedules, as pure functions of the step so that a resumed run continues exactly
// where it stopped (the step is all the state they have).
#pragma once

#include <cstdint>
#include <vector>

namespace setformer::train {

/// Linear warm-up from 0 to `base_lr` over `warmup_steps`, then cosine decay to `min_lr` at
/// `total_steps` (Loshchilov & Hutter, ICLR 2017), the recipe of Swin and of the SeTformer
/// paper's ImageNet training. Steps count from 0; past total_steps the rate stays at min_lr.
struct WarmupCosine {
  double base_lr = 1e-3;
  double min_lr = 1e-5;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;

  /// Throws naming the field when a value is out of range.
  void validate() const;
  double at(int64_t step) const;
};

/// Linear warm-up over `warmup_steps`, then base_lr multiplied by `factor` at each milestone
/// step: the Set Transformer's recipes (supplement §2: constant 1e-3 for max regression, ×0.1
/// after 35k of 50k steps for clustering). No milestones: constant after warm-up.
struct StepDecay {
  double base_lr = 1e-3;
  int64_t warmup_steps = 0;
  std::vector<int64_t> milestones;
  double factor = 0.1;

  void validate() const;
  double at(int64_t step) const;
};

/// Slot Attention's schedule (appendix E.6, Table 11): linear warm-up over `warmup_steps` times
/// an exponential decay that runs from step 0, lr = base_lr · min(1, (s + 1)/warmup) ·
/// rate^(s / decay_steps) (rate 0.5 every 100 000 steps for object discovery).
struct ExponentialDecay {
  double base_lr = 4e-4;
  int64_t warmup_steps = 0;
  int64_t decay_steps = 100000;
  double rate = 0.5;

  void validate() const;
  double at(int64_t step) const;
};

/// The Transformer's schedule (Vaswani et al. 2017, §5.3):
/// lr = scale · d_model^−0.5 · min(s^−0.5, s · warmup^−1.5) with s = step + 1.
struct InverseSqrt {
  double scale = 1.0;
  int64_t d_model = 512;
  int64_t warmup_steps = 4000;

  void validate() const;
  double at(int64_t step) const;
};

}  // namespace setformer::train
