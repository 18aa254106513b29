#include "setformer/tasks/slot_pictures.h"

#include "setformer/attention/options.h"
#include "setformer/core/error.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace setformer::tasks {

using attention::parse_enum;

namespace {

io::Rgb to_rgb(float r, float g, float b) {
  const auto byte = [](float v) {
    return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
  };
  return {byte(r), byte(g), byte(b)};
}

/// The first k palette colours as [k, 3] in [0, 1].
torch::Tensor palette_colours(int64_t k) {
  auto colours = torch::empty({k, 3});
  for (int64_t i = 0; i < k; ++i) {
    const auto c = io::palette(static_cast<size_t>(i));
    colours[i] = torch::tensor({c.r / 255.0f, c.g / 255.0f, c.b / 255.0f});
  }
  return colours;
}

/// Each pixel in the palette colour of the slot whose mask is largest there. masks [K, 1, S, S].
torch::Tensor combined_mask(const torch::Tensor& masks) {
  const auto winner = masks.squeeze(1).argmax(0);  // [S, S]
  return palette_colours(masks.size(0)).index({winner}).permute({2, 0, 1});
}

}  // namespace

/// Draws an image [3, S, S] with values in [0, 1] at (x, y), each pixel a zoom×zoom square.
void draw_tile(io::Image& image, int x, int y, const torch::Tensor& rgb, int zoom) {
  const auto t = rgb.detach().to(torch::kCPU, torch::kFloat).contiguous();
  const auto a = t.accessor<float, 3>();
  const int s = static_cast<int>(t.size(1));
  for (int row = 0; row < s; ++row) {
    for (int col = 0; col < s; ++col) {
      image.fill_rect(x + col * zoom, y + row * zoom, x + (col + 1) * zoom, y + (row + 1) * zoom,
                      to_rgb(a[0][row][col], a[1][row][col], a[2][row][col]));
    }
  }
}

/// The paper's Figure 3 (a): per test image, the image, its reconstruction, the combined mask and
/// every slot's picture times its mask (on white).
void draw_slots(const std::string& path, const std::string& title, const torch::Tensor& images,
                const models::ObjectDiscoveryOutput& out, int64_t rows) {
  const int64_t s = images.size(2), k = out.masks.size(1);
  const int zoom = std::max(1, static_cast<int>(96 / s)), tile = static_cast<int>(s) * zoom,
            gap = 6, top = 34;
  const int columns = static_cast<int>(3 + k);
  io::Image image(columns * (tile + gap) + gap, top + static_cast<int>(rows) * (tile + gap) + gap);
  image.text(gap, 6, title, {0, 0, 0});
  const std::vector<std::string> heads{"image", "recon.", "mask"};
  for (int c = 0; c < columns; ++c) {
    image.text(gap + c * (tile + gap), 20, c < 3 ? heads[c] : "slot " + std::to_string(c - 2),
               c < 3 ? io::Rgb{0, 0, 0} : io::palette(static_cast<size_t>(c - 3)));
  }
  const auto unit = [](const torch::Tensor& t) { return ((t + 1) / 2).clamp(0, 1); };
  for (int64_t r = 0; r < rows && r < images.size(0); ++r) {
    const int y = top + static_cast<int>(r) * (tile + gap);
    draw_tile(image, gap, y, unit(images[r]), zoom);
    draw_tile(image, gap + (tile + gap), y, unit(out.reconstruction[r]), zoom);
    draw_tile(image, gap + 2 * (tile + gap), y, combined_mask(out.masks[r]), zoom);
    for (int64_t j = 0; j < k; ++j) {
      const auto m = out.masks[r][j];
      draw_tile(image, gap + static_cast<int>(3 + j) * (tile + gap), y,
                unit(out.rgb[r][j]) * m + (1 - m), zoom);
    }
  }
  image.save_png(path);
}

/// The paper's Figure 3 (b): the attention of every slot at every iteration, on the feature map,
/// for one image.
void draw_attention(const std::string& path, const std::string& title, const torch::Tensor& image,
                    const models::Grouped& grouped) {
  const int64_t h = grouped.feature_height, w = grouped.feature_width,
                k = grouped.attention.front().size(2),
                iterations = static_cast<int64_t>(grouped.attention.size());
  const int zoom = std::max(1, static_cast<int>(96 / std::max(h, w)));
  const int tile = static_cast<int>(std::max(h, w)) * zoom, gap = 6, top = 34, left = 40;
  const int image_zoom = std::max(1, tile / static_cast<int>(image.size(2)));
  io::Image picture(left + static_cast<int>(k + 1) * (tile + gap) + gap,
                    top + static_cast<int>(iterations) * (tile + gap) + gap);
  picture.text(gap, 6, title, {0, 0, 0});
  for (int64_t j = 0; j < k; ++j) {
    picture.text(left + static_cast<int>(j + 1) * (tile + gap), 20, "slot " + std::to_string(j + 1),
                 io::palette(static_cast<size_t>(j)));
  }
  for (int64_t t = 0; t < iterations; ++t) {
    const int y = top + static_cast<int>(t) * (tile + gap);
    picture.text(gap, y + tile / 2, "t=" + std::to_string(t + 1), {0, 0, 0});
    draw_tile(picture, left, y, ((image + 1) / 2).clamp(0, 1), image_zoom);
    const auto attn = grouped.attention[static_cast<size_t>(t)][0];  // [N, K]
    for (int64_t j = 0; j < k; ++j) {
      auto map = attn.select(1, j).reshape({h, w});
      map = map / map.max().clamp_min(1e-12);
      draw_tile(picture, left + static_cast<int>(j + 1) * (tile + gap), y,
                map.unsqueeze(0).expand({3, h, w}), zoom);
    }
  }
  picture.save_png(path);
}

/// Test scenes with the predicted objects (confidence > 0.5) marked by crosses in their
/// predicted colour and the true centres, when `target` is defined, by white squares.
void draw_set_predictions(const std::string& path, const std::string& title,
                          const torch::Tensor& images, const torch::Tensor& predicted,
                          const torch::Tensor& target, int64_t count) {
  const int64_t s = images.size(2);
  const int zoom = 3, tile = static_cast<int>(s) * zoom, gap = 6, top = 22;
  io::Image image(static_cast<int>(count) * (tile + gap) + gap, top + tile + gap);
  image.text(gap, 6, title, {0, 0, 0});
  const int64_t colour_at = data::ClevrLayout::kCoordinates + data::ClevrLayout::kSizes +
                            data::ClevrLayout::kMaterials + data::ClevrLayout::kShapes;
  for (int64_t i = 0; i < count && i < images.size(0); ++i) {
    const int x0 = gap + static_cast<int>(i) * (tile + gap);
    draw_tile(image, x0, top, ((images[i] + 1) / 2).clamp(0, 1), zoom);
    for (int64_t j = 0; target.defined() && j < target.size(1); ++j) {
      if (target[i][j][-1].item<float>() < 0.5f) continue;
      const int cx = x0 + static_cast<int>(target[i][j][0].item<float>() * tile);
      const int cy = top + static_cast<int>(target[i][j][1].item<float>() * tile);
      image.fill_rect(cx - 2, cy - 2, cx + 3, cy + 3, {255, 255, 255});
    }
    for (int64_t j = 0; j < predicted.size(1); ++j) {
      const auto row = predicted[i][j];
      if (row[-1].item<float>() < 0.5f) continue;
      const int cx = x0 + static_cast<int>(row[0].item<float>() * tile);
      const int cy = top + static_cast<int>(row[1].item<float>() * tile);
      const int64_t colour =
          row.slice(0, colour_at, colour_at + data::ClevrLayout::kColours).argmax().item<int64_t>();
      const auto c = io::palette(static_cast<size_t>(colour));
      image.line(cx - 4, cy - 4, cx + 4, cy + 4, c, 2);
      image.line(cx - 4, cy + 4, cx + 4, cy - 4, c, 2);
    }
  }
  image.save_png(path);
}

SceneSampleLayout::SceneSampleLayout(int64_t image_size)
    : zoom(std::max(1, static_cast<int>(128 / image_size))),
      tile(static_cast<int>(image_size) * zoom) {}

io::Image draw_scene_samples(const data::SceneBatch& batch, const std::string& title) {
  check_shape(batch.images, "scene images", {-1, 3, -1, -1}, "[B, 3, S, S]");
  const int64_t n = batch.images.size(0), s = batch.images.size(2);
  check_shape(batch.instances, "scene instances", {n, s, s}, "[B, S, S]");
  const SceneSampleLayout at(s);
  io::Image image(at.left + static_cast<int>(n) * (at.tile + at.gap),
                  at.top + 2 * (at.tile + at.gap));
  image.text(at.gap, 6, title, {0, 0, 0});
  image.text(at.gap, at.top + at.tile / 2, "image", {0, 0, 0});
  image.text(at.gap, at.top + at.tile + at.gap + at.tile / 2, "objects", {0, 0, 0});
  // Row 0, the background, black; instance i in palette colour i − 1.
  const auto colours =
      torch::cat({torch::zeros({1, 3}), palette_colours(batch.instances.max().item<int64_t>())});
  for (int64_t i = 0; i < n; ++i) {
    const int x = at.left + static_cast<int>(i) * (at.tile + at.gap);
    draw_tile(image, x, at.top, ((batch.images[i] + 1) / 2).clamp(0, 1), at.zoom);
    draw_tile(image, x, at.top + at.tile + at.gap,
              colours.index({batch.instances[i]}).permute({2, 0, 1}), at.zoom);
  }
  return image;
}

std::vector<std::string> write_scene_samples(const SceneSampleOptions& o) {
  SETFORMER_CHECK(o.count >= 1 && o.count <= 64, "scenes: --count = {} must be 1..64", o.count);
  const auto scenes = data::SceneOptions(parse_enum<data::SceneKind>("--dataset", o.dataset))
                          .image_size(o.image_size)
                          .min_objects(o.min_objects)
                          .max_objects(o.max_objects);
  const auto batch = data::scene_batch(scenes, o.seed, o.first, o.count);
  draw_scene_samples(batch, fmt::format("{}, seed {}, scenes {}..{}", o.dataset, o.seed, o.first,
                                        o.first + o.count - 1))
      .save_png(o.out);
  if (!o.files.empty()) {
    std::filesystem::create_directories(o.files);
    const int s = static_cast<int>(batch.images.size(2));
    for (int64_t i = 0; i < o.count; ++i) {
      io::Image scene(s, s);
      draw_tile(scene, 0, 0, ((batch.images[i] + 1) / 2).clamp(0, 1), 1);
      scene.save_png(fmt::format("{}/scene_{}.png", o.files, o.first + i));
    }
  }
  std::vector<std::string> lines;
  for (int64_t i = 0; i < o.count; ++i) {
    auto line = fmt::format("scene {}: {} objects", o.first + i, batch.counts[i].item<int64_t>());
    if (batch.properties.defined()) {  // the scene's objects fill its first rows
      for (int64_t j = 0; j < batch.counts[i].item<int64_t>(); ++j) {
        line += (j == 0 ? ": " : "; ") + data::describe_clevr_object(batch.properties[i][j]);
      }
    }
    lines.push_back(line);
  }
  return lines;
}

}  // namespace setformer::tasks
