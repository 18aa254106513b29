#include "setformer/data/image_transforms.h"

#include "setformer/core/error.h"
#include "setformer/data/image_kernels.h"

#include <torch/torch.h>

#include <cmath>

namespace setformer::data {
namespace {

torch::Tensor to_uint8(const torch::Tensor& x) {
  return x.round().clamp(0, 255).to(torch::kUInt8);
}

/// The `min_side` that lets a JPEG decode at a DCT scale that still leaves the crop `box` of an
/// image of `height` × `width` at least `size` pixels on each side.
int64_t min_side_for(const CropBox& box, int64_t height, int64_t width, int64_t size) {
  const double shrink =
      static_cast<double>(std::min(box.height, box.width)) / static_cast<double>(size);
  if (shrink < 2.0) return 0;  // no DCT scale would do: decode in full
  return static_cast<int64_t>(std::ceil(static_cast<double>(std::min(height, width)) / shrink));
}

/// `box` of a height × width image in the coordinates of the same image decoded at h × w: its
/// edges rounded to the nearest scaled pixel (at most half a scaled pixel off).
CropBox scale_box(const CropBox& box, int64_t height, int64_t width, int64_t h, int64_t w) {
  if (h == height && w == width) return box;
  const double sy = static_cast<double>(h) / static_cast<double>(height);
  const double sx = static_cast<double>(w) / static_cast<double>(width);
  const auto edge = [](int64_t v, double s, int64_t limit) {
    return std::clamp<int64_t>(std::llround(static_cast<double>(v) * s), 0, limit);
  };
  CropBox out;
  out.top = std::min(edge(box.top, sy, h), h - 1);
  out.left = std::min(edge(box.left, sx, w), w - 1);
  out.height = std::max<int64_t>(1, edge(box.top + box.height, sy, h) - out.top);
  out.width = std::max<int64_t>(1, edge(box.left + box.width, sx, w) - out.left);
  return out;
}

torch::Tensor crop(const torch::Tensor& image, const CropBox& b) {
  return image.slice(1, b.top, b.top + b.height).slice(2, b.left, b.left + b.width);
}

std::vector<double> fill_levels(const ImageTransformOptions& o) {
  std::vector<double> fill;
  for (const double m : o.mean()) fill.push_back(std::min(255.0, std::round(255.0 * m)));
  return fill;
}

}  // namespace

void check_transform_options(const ImageTransformOptions& o) {
  SETFORMER_CHECK(o.size() >= 1, "model.image_size must be >= 1, got {}", o.size());
  SETFORMER_CHECK(o.channels() == 1 || o.channels() == 3, "data.channels must be 1 or 3, got {}",
                  o.channels());
  SETFORMER_CHECK(o.crop() == "random_resized" || o.crop() == "resize",
                  "data.crop = '{}' is not valid; expected random_resized | resize", o.crop());
  SETFORMER_CHECK(o.scale().size() == 2 && 0 < o.scale()[0] && o.scale()[0] <= o.scale()[1] &&
                      o.scale()[1] <= 1,
                  "data.scale must be two area fractions 0 < lo <= hi <= 1, got [{}]",
                  fmt::join(o.scale(), ", "));
  SETFORMER_CHECK(o.ratio().size() == 2 && 0 < o.ratio()[0] && o.ratio()[0] <= o.ratio()[1],
                  "data.ratio must be two aspect ratios 0 < lo <= hi, got [{}]",
                  fmt::join(o.ratio(), ", "));
  SETFORMER_CHECK(o.crop_pct() > 0 && o.crop_pct() <= 1, "data.crop_pct must be in (0, 1], got {}",
                  o.crop_pct());
  SETFORMER_CHECK(o.color_jitter() >= 0, "data.color_jitter must be >= 0, got {}",
                  o.color_jitter());
  SETFORMER_CHECK(o.mean().size() == 1 || o.mean().size() == static_cast<size_t>(o.channels()),
                  "data.mean has {} values for {} channels", o.mean().size(), o.channels());
  if (!o.rand_augment().empty()) parse_rand_augment(o.rand_augment());
}

CropBox random_resized_crop_box(int64_t height, int64_t width, const std::vector<double>& scale,
                                const std::vector<double>& ratio, Random& random) {
  const double area = static_cast<double>(height * width);
  const double log_lo = std::log(ratio[0]), log_hi = std::log(ratio[1]);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * random.uniform(scale[0], scale[1]);
    const double aspect = std::exp(random.uniform(log_lo, log_hi));
    const auto w = static_cast<int64_t>(std::llround(std::sqrt(target * aspect)));
    const auto h = static_cast<int64_t>(std::llround(std::sqrt(target / aspect)));
    if (0 < w && w <= width && 0 < h && h <= height) {
      const int64_t top = random.integer(0, height - h), left = random.integer(0, width - w);
      return {top, left, h, w};
    }
  }
  // The fallback: the whole image's centre, its ratio clamped to the range.
  const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  int64_t w = width, h = height;
  if (in_ratio < ratio[0]) {
    h = static_cast<int64_t>(std::llround(static_cast<double>(w) / ratio[0]));
  } else if (in_ratio > ratio[1]) {
    w = static_cast<int64_t>(std::llround(static_cast<double>(h) * ratio[1]));
  }
  h = std::clamp<int64_t>(h, 1, height);
  w = std::clamp<int64_t>(w, 1, width);
  return {(height - h) / 2, (width - w) / 2, h, w};
}

torch::Tensor resize(const torch::Tensor& image, int64_t height, int64_t width) {
  check_shape(image, "image", {-1, -1, -1}, "[C, H, W]");
  SETFORMER_CHECK(height >= 1 && width >= 1, "resize: size {}x{} is empty", height, width);
  if (image.size(1) == height && image.size(2) == width) return image;
  namespace F = torch::nn::functional;
  const bool shrink = height < image.size(1) || width < image.size(2);
  const auto out = F::interpolate(image.to(torch::kFloat).unsqueeze(0),
                                  F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{height, width})
                                      .mode(torch::kBilinear)
                                      .align_corners(false)
                                      .antialias(shrink));
  return to_uint8(out.squeeze(0));
}

CropBox center_box(int64_t height, int64_t width, int64_t size) {
  SETFORMER_CHECK(size <= height && size <= width, "center_crop: {} is larger than the {}x{} image",
                  size, height, width);
  // torchvision rounds the offsets: int(round((side - size) / 2)).
  const auto top = static_cast<int64_t>(std::nearbyint(static_cast<double>(height - size) / 2));
  const auto left = static_cast<int64_t>(std::nearbyint(static_cast<double>(width - size) / 2));
  return {top, left, size, size};
}

torch::Tensor center_crop(const torch::Tensor& image, int64_t size) {
  check_shape(image, "image", {-1, -1, -1}, "[C, H, W]");
  return crop(image, center_box(image.size(1), image.size(2), size));
}

torch::Tensor image_tensor(const io::DecodedImage& image, int64_t channels) {
  SETFORMER_CHECK(channels == 1 || channels == 3, "image_tensor: channels must be 1 or 3, got {}",
                  channels);
  auto hwc = torch::from_blob(const_cast<uint8_t*>(image.pixels.data()),
                              {image.height, image.width, image.channels}, torch::kUInt8);
  auto chw = hwc.permute({2, 0, 1});
  // Copies: the result must not point into `image`'s pixels.
  if (image.channels == channels) return chw.clone(torch::MemoryFormat::Contiguous);
  if (channels == 3)
    return chw.expand({3, image.height, image.width}).clone(torch::MemoryFormat::Contiguous);
  const auto x = chw.to(torch::kInt32);
  return (x[0] * 19595 + x[1] * 38470 + x[2] * 7471 + 32768)
      .floor_divide(65536)
      .to(torch::kUInt8)
      .unsqueeze(0);
}

torch::Tensor color_jitter(const torch::Tensor& image, double strength, Random& random) {
  if (strength <= 0) return image;
  const double lo = std::max(0.0, 1.0 - strength), hi = 1.0 + strength;
  // torchvision draws the order first, then each factor.
  std::vector<int> order{0, 1, 2};
  random.shuffle(order);
  std::array<double, 3> factor{};
  for (auto& f : factor) f = random.uniform(lo, hi);
  auto x = image.to(torch::kFloat);
  const bool rgb = image.size(0) == 3;
  const auto grey = [&](const torch::Tensor& t) {
    return rgb ? (0.2989 * t[0] + 0.587 * t[1] + 0.114 * t[2]).unsqueeze(0) : t;
  };
  for (const int which : order) {
    const double f = factor[static_cast<size_t>(which)];
    if (which == 0) {
      x = (x * f).clamp(0, 255);
    } else if (which == 1) {
      const auto mean = grey(x).mean();
      x = (mean + f * (x - mean)).clamp(0, 255);
    } else if (rgb) {
      const auto g = grey(x);
      x = (g + f * (x - g)).clamp(0, 255);
    }
  }
  return to_uint8(x);
}

torch::Tensor train_sample(std::string_view bytes, const std::string& name,
                           const ImageTransformOptions& o, Random& random) {
  // The kernels (image_kernels.h) on interleaved pixels; image_tensor, resize and rand_augment are
  // their references in the tests.
  auto decode = o.decode();
  kernels::Pixels image;
  if (o.crop() == "random_resized") {
    // Plan the crop on the header's size, then decode at the DCT scale it allows.
    const auto size = io::probe_image(bytes, name);
    const auto box = random_resized_crop_box(size.height, size.width, o.scale(), o.ratio(), random);
    decode.min_side = min_side_for(box, size.height, size.width, o.size());
    const auto decoded =
        kernels::with_channels(io::decode_image(bytes, name, decode), o.channels());
    image = kernels::resized_crop(
        decoded, scale_box(box, size.height, size.width, decoded.height, decoded.width), o.size(),
        o.size());
    if (o.flip() && random.uniform() < 0.5) kernels::flip_horizontal(image);
  } else {
    const auto decoded =
        kernels::with_channels(io::decode_image(bytes, name, decode), o.channels());
    image =
        kernels::resized_crop(decoded, {0, 0, decoded.height, decoded.width}, o.size(), o.size());
  }
  if (!o.rand_augment().empty()) {
    image =
        kernels::rand_augment(image, parse_rand_augment(o.rand_augment()), fill_levels(o), random);
  }
  return color_jitter(kernels::to_tensor(image), o.color_jitter(), random);
}

torch::Tensor eval_sample(std::string_view bytes, const std::string& name,
                          const ImageTransformOptions& o) {
  auto decode = o.decode();
  if (o.crop() == "resize") {
    decode.min_side = o.size();
    const auto decoded =
        kernels::with_channels(io::decode_image(bytes, name, decode), o.channels());
    return kernels::to_tensor(
        kernels::resized_crop(decoded, {0, 0, decoded.height, decoded.width}, o.size(), o.size()));
  }
  // timm: resize the shorter side to floor(size / crop_pct), then the centre size × size.
  const auto scaled =
      static_cast<int64_t>(std::floor(static_cast<double>(o.size()) / o.crop_pct()));
  decode.min_side = scaled;
  const auto image = kernels::with_channels(io::decode_image(bytes, name, decode), o.channels());
  const int64_t h = image.height, w = image.width;
  const int64_t new_h = h <= w
                            ? scaled
                            : static_cast<int64_t>(static_cast<double>(scaled) *
                                                   static_cast<double>(h) / static_cast<double>(w));
  const int64_t new_w = h <= w
                            ? static_cast<int64_t>(static_cast<double>(scaled) *
                                                   static_cast<double>(w) / static_cast<double>(h))
                            : scaled;
  const auto resized = kernels::resized_crop(image, {0, 0, h, w}, new_h, new_w);
  return kernels::to_tensor(kernels::crop(resized, center_box(new_h, new_w, o.size())));
}

}  // namespace setformer::data
