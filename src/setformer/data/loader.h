// Batches of images for training and evaluation. Every batch is a pure function of (seed, epoch,
// index): the epoch's order is a permutation seeded by (seed, epoch) and augmentation draws from
// a generator seeded by (seed, epoch, index). A run resumed at step s therefore sees exactly the
// batches an uninterrupted one would, and prefetching on a background thread cannot change them.
#pragma once

#include "setformer/data/fashion_mnist.h"
#include "setformer/data/transforms.h"

#include <torch/arg.h>
#include <torch/types.h>

#include <deque>
#include <future>
#include <mutex>

namespace setformer::data {

struct LoaderOptions {
  TORCH_ARG(int64_t, batch_size) = 128;
  /// A fresh seeded permutation every epoch (training) or the dataset's order (evaluation).
  TORCH_ARG(bool, shuffle) = true;
  /// Drop the last incomplete batch (training) or keep it (evaluation).
  TORCH_ARG(bool, drop_last) = true;
  /// Augment (training) or not (evaluation).
  TORCH_ARG(bool, augment) = true;
  TORCH_ARG(AugmentOptions, augmentation) = {};
  /// Normalisation (x/255 − mean)/std applied to every batch.
  TORCH_ARG(double, mean) = 0.0;
  TORCH_ARG(double, std) = 1.0;
  TORCH_ARG(uint64_t, seed) = 0;
  /// Batches prepared ahead on a background thread by EpochIterator.
  TORCH_ARG(int64_t, prefetch) = 2;
};

struct Batch {
  torch::Tensor images;  // [B, C, H, W] float, normalised (and augmented in training)
  torch::Tensor labels;  // [B] int64
  int64_t epoch = 0, index = 0;
};

class ImageLoader {
 public:
  /// Throws naming the option when batch_size < 1, std <= 0, prefetch < 0, or the dataset is
  /// empty or its images and labels disagree in count.
  ImageLoader(ImageDataset data, const LoaderOptions& options);

  int64_t size() const { return data_.labels.size(0); }
  int64_t batches_per_epoch() const;
  const LoaderOptions& options() const { return options_; }

  /// Batch `index` (0 <= index < batches_per_epoch()) of `epoch`.
  Batch batch(int64_t epoch, int64_t index) const;

  /// Batches start, start+1, ... of one epoch, each prepared `prefetch` batches ahead.
  class EpochIterator {
   public:
    EpochIterator(const ImageLoader& loader, int64_t epoch, int64_t start);
    /// The next batch, or nullopt at the end of the epoch.
    std::optional<Batch> next();

   private:
    void fill();
    const ImageLoader& loader_;
    int64_t epoch_, next_to_schedule_;
    std::deque<std::future<Batch>> pending_;
  };

  EpochIterator epoch(int64_t epoch, int64_t start = 0) const { return {*this, epoch, start}; }

 private:
  /// The shuffled order of `epoch`, drawn once and shared by its batches (and threads).
  torch::Tensor shuffled_order(int64_t epoch) const;

  ImageDataset data_;
  LoaderOptions options_;
  mutable std::mutex order_mutex_;
  mutable int64_t order_epoch_ = -1;
  mutable torch::Tensor order_;
};

}  // namespace setformer::data
