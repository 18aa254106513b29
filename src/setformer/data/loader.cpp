#include "setformer/data/loader.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/data/random.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace setformer::data {

ImageLoader::ImageLoader(ImageDataset data, const LoaderOptions& options)
    : data_(std::move(data)), options_(options) {
  check_shape(data_->images, "loader images", {-1, -1, -1, -1}, "[N, C, H, W]");
  check_shape(data_->labels, "loader labels", {data_->images.size(0)}, "[N]");
  labels_ = data_->labels;
  check_options();
}

ImageLoader::ImageLoader(ImageFiles files, const LoaderOptions& options)
    : files_(std::move(files)), options_(options) {
  SETFORMER_CHECK(files_->paths.size() == files_->labels.size(), "loader: {} files but {} labels",
                  files_->paths.size(), files_->labels.size());
  labels_ = torch::tensor(files_->labels, torch::kLong);
  check_transform_options(options_.transform());
  check_options();
}

void ImageLoader::check_options() const {
  SETFORMER_CHECK(options_.batch_size() >= 1, "loader: batch_size must be >= 1, got {}",
                  options_.batch_size());
  for (const double s : options_.std())
    SETFORMER_CHECK(s > 0, "loader: std must be > 0, got {}", s);
  SETFORMER_CHECK(options_.prefetch() >= 0, "loader: prefetch must be >= 0, got {}",
                  options_.prefetch());
  SETFORMER_CHECK(options_.workers() >= 0, "data.workers must be >= 0, got {}", options_.workers());
  SETFORMER_CHECK(size() >= 1, "loader: the dataset is empty");
}

int64_t ImageLoader::size() const {
  return labels_.size(0);
}

const std::vector<std::string>& ImageLoader::classes() const {
  return data_ ? data_->classes : files_->classes;
}

int64_t ImageLoader::batches_per_epoch() const {
  const int64_t b = options_.batch_size();
  return options_.drop_last() ? size() / b : (size() + b - 1) / b;
}

torch::Tensor ImageLoader::images(const torch::Tensor& rows, int64_t epoch) const {
  if (data_) return data_->images.index_select(0, rows);
  std::vector<torch::Tensor> samples;
  const auto* r = rows.data_ptr<int64_t>();
  for (int64_t i = 0; i < rows.size(0); ++i) {
    const auto& path = files_->paths[static_cast<size_t>(r[i])];
    const auto bytes = read_file(path);
    if (options_.augment()) {
      // Seeded by the row, not the batch position: the sample is the same whatever the batch size.
      Random random(mix(options_.seed() ^ 0xF11E5ULL, static_cast<uint64_t>(epoch),
                        static_cast<uint64_t>(r[i])));
      samples.push_back(train_sample(bytes, path, options_.transform(), random));
    } else {
      samples.push_back(eval_sample(bytes, path, options_.transform()));
    }
  }
  return torch::stack(samples);
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
  out.labels = labels_.index_select(0, rows);
  out.images = normalize(images(rows, epoch), options_.mean(), options_.std());
  if (options_.augment()) {
    auto gen = at::detail::createCPUGenerator(
        mix(options_.seed(), static_cast<uint64_t>(epoch), static_cast<uint64_t>(index) + 1));
    out.images = augment(out.images, options_.augmentation(), gen);
    if (options_.mixup().enabled()) {
      Random random(mix(options_.seed() ^ 0x313C5ULL, static_cast<uint64_t>(epoch),
                        static_cast<uint64_t>(index)));
      out.targets = mix_batch(out.images, out.labels, options_.mixup(), random);
    }
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

ImageLoader::EpochIterator::EpochIterator(const ImageLoader& loader, int64_t epoch, int64_t start) {
  SETFORMER_CHECK(start >= 0 && start <= loader.batches_per_epoch(),
                  "loader: cannot start epoch {} at batch {} ({} batches per epoch)", epoch, start,
                  loader.batches_per_epoch());
  const auto& o = loader.options();
  // No prefetching means no workers: every batch is made when asked for.
  const int64_t workers = o.prefetch() > 0 ? o.workers() : 0;
  queue_ = std::make_unique<BatchQueue<Batch>>(
      [&loader, epoch](int64_t index) { return loader.batch(epoch, index); }, start,
      loader.batches_per_epoch(), workers, std::max(o.prefetch(), workers),
      [] {
        // A worker decodes and augments on its own core; LibTorch's intra-op threads on top
        // would oversubscribe them.
        at::set_num_threads(1);
        torch::autograd::GradMode::set_enabled(false);
      });
}

std::optional<Batch> ImageLoader::EpochIterator::next() {
  return queue_->next();
}

}  // namespace setformer::data
