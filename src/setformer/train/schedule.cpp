#include "setformer/train/schedule.h"

#include "setformer/core/error.h"

#include <algorithm>
#include <cmath>

namespace setformer::train {

void WarmupCosine::validate() const {
  SETFORMER_CHECK(base_lr > 0, "schedule: lr must be > 0, got {}", base_lr);
  SETFORMER_CHECK(min_lr >= 0 && min_lr <= base_lr,
                  "schedule: min_lr must be in [0, lr = {}], got {}", base_lr, min_lr);
  SETFORMER_CHECK(total_steps >= 1, "schedule: total steps must be >= 1, got {}", total_steps);
  SETFORMER_CHECK(warmup_steps >= 0 && warmup_steps <= total_steps,
                  "schedule: warmup steps must be in [0, total steps = {}], got {}", total_steps,
                  warmup_steps);
}

double WarmupCosine::at(int64_t step) const {
  if (step < warmup_steps)
    return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const int64_t decay = total_steps - warmup_steps;
  if (decay <= 0) return base_lr;
  const double t =
      std::min(1.0, static_cast<double>(step - warmup_steps) / static_cast<double>(decay));
  return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(M_PI * t));
}

void StepDecay::validate() const {
  SETFORMER_CHECK(base_lr > 0, "schedule: lr must be > 0, got {}", base_lr);
  SETFORMER_CHECK(warmup_steps >= 0, "schedule: warmup steps must be >= 0, got {}", warmup_steps);
  SETFORMER_CHECK(factor > 0, "schedule: decay factor must be > 0, got {}", factor);
  for (size_t i = 0; i < milestones.size(); ++i) {
    SETFORMER_CHECK(milestones[i] >= 1 && (i == 0 || milestones[i] > milestones[i - 1]),
                    "schedule: decay steps must be increasing and >= 1, got {} at position {}",
                    milestones[i], i);
  }
}

double StepDecay::at(int64_t step) const {
  if (step < warmup_steps)
    return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  double lr = base_lr;
  for (int64_t m : milestones) {
    if (step >= m) lr *= factor;
  }
  return lr;
}

void ExponentialDecay::validate() const {
  SETFORMER_CHECK(base_lr > 0, "schedule: lr must be > 0, got {}", base_lr);
  SETFORMER_CHECK(warmup_steps >= 0, "schedule: warmup steps must be >= 0, got {}", warmup_steps);
  SETFORMER_CHECK(decay_steps >= 1, "schedule: exponential decay steps must be >= 1, got {}",
                  decay_steps);
  SETFORMER_CHECK(rate > 0 && rate <= 1, "schedule: decay rate must be in (0, 1], got {}", rate);
}

double ExponentialDecay::at(int64_t step) const {
  const double warmup =
      step < warmup_steps ? static_cast<double>(step + 1) / static_cast<double>(warmup_steps) : 1.0;
  return base_lr * warmup *
         std::pow(rate, static_cast<double>(step) / static_cast<double>(decay_steps));
}

void InverseSqrt::validate() const {
  SETFORMER_CHECK(scale > 0, "schedule: scale must be > 0, got {}", scale);
  SETFORMER_CHECK(d_model >= 1, "schedule: d_model must be >= 1, got {}", d_model);
  SETFORMER_CHECK(warmup_steps >= 1, "schedule: warmup steps must be >= 1, got {}", warmup_steps);
}

double InverseSqrt::at(int64_t step) const {
  const double s = static_cast<double>(step + 1);
  return scale / std::sqrt(static_cast<double>(d_model)) *
         std::min(1.0 / std::sqrt(s), s * std::pow(static_cast<double>(warmup_steps), -1.5));
}

}  // namespace setformer::train
