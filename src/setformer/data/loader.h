// Batches of images for training and evaluation, from tensors in memory (Fashion-MNIST's IDX
// files) or from image files on disk (an image folder or list, data/image_folder.h). Every batch
// is a pure function of (seed, epoch, index): the epoch's order is a permutation seeded by
// (seed, epoch), each file's sample draws from a generator seeded by (seed, epoch, its row) and
// the batch's augmentation and mixing from one seeded by (seed, epoch, index). A run resumed at
// step s therefore sees exactly the batches an uninterrupted one would, and the number of
// worker threads preparing them cannot change them.
#pragma once

#include "setformer/data/batch_queue.h"
#include "setformer/data/fashion_mnist.h"
#include "setformer/data/image_folder.h"
#include "setformer/data/image_transforms.h"
#include "setformer/data/transforms.h"

#include <torch/arg.h>
#include <torch/types.h>

#include <memory>
#include <mutex>
#include <optional>

namespace setformer::data {

struct LoaderOptions {
  TORCH_ARG(int64_t, batch_size) = 128;
  /// A fresh seeded permutation every epoch (training) or the dataset's order (evaluation).
  TORCH_ARG(bool, shuffle) = true;
  /// Drop the last incomplete batch (training) or keep it (evaluation).
  TORCH_ARG(bool, drop_last) = true;
  /// Augment (training) or not (evaluation).
  TORCH_ARG(bool, augment) = true;
  /// Batch augmentation after normalisation: pad-and-crop, flip, erasing.
  TORCH_ARG(AugmentOptions, augmentation) = {};
  /// Mixup and CutMix of training batches (targets then come with each batch).
  TORCH_ARG(MixupOptions, mixup) = {};
  /// Image files only: decoding, cropping and per-image augmentation (image_transforms.h).
  TORCH_ARG(ImageTransformOptions, transform) = {};
  /// Normalisation (x/255 − mean)/std applied to every batch, per channel (one value: all).
  TORCH_ARG(std::vector<double>, mean) = std::vector<double>({0.0});
  TORCH_ARG(std::vector<double>, std) = std::vector<double>({1.0});
  TORCH_ARG(uint64_t, seed) = 0;
  /// Threads preparing batches (0: each batch is made when it is asked for).
  TORCH_ARG(int64_t, workers) = 1;
  /// Batches made ahead of training at most: the bounded queue between the workers and the
  /// training loop.
  TORCH_ARG(int64_t, prefetch) = 2;
};

struct Batch {
  torch::Tensor images;   // [B, C, H, W] float, normalised (and augmented in training)
  torch::Tensor labels;   // [B] int64
  torch::Tensor targets;  // [B, K] float soft targets when mixing, else undefined
  int64_t epoch = 0, index = 0;
};

class ImageLoader {
 public:
  /// Images in memory: uint8 [N, C, H, W] with labels [N]. Throws naming the option when
  /// batch_size < 1, std <= 0, workers or prefetch < 0, or the dataset is empty or its images
  /// and labels disagree in count.
  ImageLoader(ImageDataset data, const LoaderOptions& options);
  /// Image files, decoded and transformed per sample by options.transform.
  ImageLoader(ImageFiles files, const LoaderOptions& options);

  int64_t size() const;
  int64_t batches_per_epoch() const;
  const LoaderOptions& options() const { return options_; }
  const std::vector<std::string>& classes() const;

  /// Batch `index` (0 <= index < batches_per_epoch()) of `epoch`.
  Batch batch(int64_t epoch, int64_t index) const;

  /// Batches start, start+1, ... of one epoch, made ahead by the loader's workers.
  class EpochIterator {
   public:
    EpochIterator(const ImageLoader& loader, int64_t epoch, int64_t start);
    /// The next batch, or nullopt at the end of the epoch.
    std::optional<Batch> next();
    /// Seconds next() has waited for batches not yet ready.
    double wait_seconds() const { return queue_->wait_seconds(); }

   private:
    std::unique_ptr<BatchQueue<Batch>> queue_;
  };

  EpochIterator epoch(int64_t epoch, int64_t start = 0) const { return {*this, epoch, start}; }

 private:
  void check_options() const;
  /// The shuffled order of `epoch`, drawn once and shared by its batches (and threads).
  torch::Tensor shuffled_order(int64_t epoch) const;
  /// uint8 [B, C, H, W] of dataset rows `rows` in `epoch`.
  torch::Tensor images(const torch::Tensor& rows, int64_t epoch) const;

  std::optional<ImageDataset> data_;
  std::optional<ImageFiles> files_;
  torch::Tensor labels_;
  LoaderOptions options_;
  mutable std::mutex order_mutex_;
  mutable int64_t order_epoch_ = -1;
  mutable torch::Tensor order_;
};

}  // namespace setformer::data
