#include "setformer/data/loader.h"

#include "setformer/core/error.h"
#include "setformer/data/random.h"

#include <torch/torch.h>

namespace setformer::data {

ImageLoader::ImageLoader(ImageDataset data, const LoaderOptions& options)
    : data_(std::move(data)), options_(options) {
  SETFORMER_CHECK(options.batch_size() >= 1, "loader: batch_size must be >= 1, got {}",
                  options.batch_size());
  SETFORMER_CHECK(options.std() > 0, "loader: std must be > 0, got {}", options.std());
  SETFORMER_CHECK(options.prefetch() >= 0, "loader: prefetch must be >= 0, got {}",
                  options.prefetch());
  check_shape(data_.images, "loader images", {-1, -1, -1, -1}, "[N, C, H, W]");
  check_shape(data_.labels, "loader labels", {data_.images.size(0)}, "[N]");
  SETFORMER_CHECK(size() >= 1, "loader: the dataset is empty");
}

int64_t ImageLoader::batches_per_epoch() const {
  const int64_t b = options_.batch_size();
  return options_.drop_last() ? size() / b : (size() + b - 1) / b;
}

Batch ImageLoader::batch(int64_t epoch, int64_t index) const {
  SETFORMER_CHECK(epoch >= 0 && index >= 0 && index < batches_per_epoch(),
                  "loader: batch {} of epoch {} does not exist ({} batches per epoch)", index,
                  epoch, batches_per_epoch());
  const int64_t begin = index * options_.batch_size();
  const int64_t end = std::min(size(), begin + options_.batch_size());
  const auto rows =
      options_.shuffle() ? shuffled_order(epoch).slice(0, begin, end) : torch::arange(begin, end);
  Batch out;
  out.epoch = epoch;
  out.index = index;
  out.labels = data_.labels.index_select(0, rows);
  out.images = normalize(data_.images.index_select(0, rows), options_.mean(), options_.std());
  if (options_.augment()) {
    auto gen = at::detail::createCPUGenerator(
        mix(options_.seed(), static_cast<uint64_t>(epoch), static_cast<uint64_t>(index) + 1));
    out.images = augment(out.images, options_.augmentation(), gen);
  }
  return out;
}

torch::Tensor ImageLoader::shuffled_order(int64_t epoch) const {
  std::lock_guard<std::mutex> lock(order_mutex_);
  if (epoch != order_epoch_) {
    auto gen = at::detail::createCPUGenerator(mix(options_.seed(), static_cast<uint64_t>(epoch)));
    order_ = torch::randperm(size(), gen);
    order_epoch_ = epoch;
  }
  return order_;
}

ImageLoader::EpochIterator::EpochIterator(const ImageLoader& loader, int64_t epoch, int64_t start)
    : loader_(loader), epoch_(epoch), next_to_schedule_(start) {
  SETFORMER_CHECK(start >= 0 && start <= loader.batches_per_epoch(),
                  "loader: cannot start epoch {} at batch {} ({} batches per epoch)", epoch, start,
                  loader.batches_per_epoch());
  fill();
}

void ImageLoader::EpochIterator::fill() {
  const auto ahead = static_cast<size_t>(std::max<int64_t>(1, loader_.options_.prefetch()));
  while (pending_.size() < ahead && next_to_schedule_ < loader_.batches_per_epoch()) {
    const int64_t index = next_to_schedule_++;
    const auto policy =
        loader_.options_.prefetch() > 0 ? std::launch::async : std::launch::deferred;
    // Capture the loader, not the iterator, which may be moved while batches are in flight.
    pending_.push_back(std::async(policy, [loader = &loader_, epoch = epoch_, index] {
      return loader->batch(epoch, index);
    }));
  }
}

std::optional<Batch> ImageLoader::EpochIterator::next() {
  if (pending_.empty()) return std::nullopt;
  Batch b = pending_.front().get();
  pending_.pop_front();
  fill();
  return b;
}

}  // namespace setformer::data
