// Pictures of the Slot Attention tasks (tasks/slots.h): the paper's Figure 3 (each slot's
// reconstruction and mask, the attention per iteration), set predictions on their scenes, and the
// generated scenes with their instance maps (`setformer slots scenes`). Images are [3, S, S] with
// values in [0, 1] unless a function says otherwise.
#pragma once

#include "setformer/data/object_scenes.h"
#include "setformer/io/plot.h"
#include "setformer/models/slot_models.h"
#include "setformer/tasks/slots.h"

#include <torch/types.h>

#include <string>
#include <vector>

namespace setformer::tasks {

/// Draws an image [3, S, S] with values in [0, 1] at (x, y), each pixel a zoom×zoom square.
void draw_tile(io::Image& image, int x, int y, const torch::Tensor& rgb, int zoom);

/// The paper's Figure 3 (a): per test image ([B, 3, S, S] in [−1, 1]), the image, its
/// reconstruction, the combined mask and every slot's picture times its mask (on white), for the
/// first `rows` images; written to `path`.
void draw_slots(const std::string& path, const std::string& title, const torch::Tensor& images,
                const models::ObjectDiscoveryOutput& out, int64_t rows);

/// The paper's Figure 3 (b): the attention of every slot at every iteration, on the feature map,
/// for one image [3, S, S] in [−1, 1]; written to `path`.
void draw_attention(const std::string& path, const std::string& title, const torch::Tensor& image,
                    const models::Grouped& grouped);

/// Scenes [B, 3, S, S] in [−1, 1] with the predicted objects [B, K, F] (confidence > 0.5) marked
/// by crosses in their predicted colour and the true centres, when `target` [B, M, F] is defined,
/// by white squares; the first `count` scenes, written to `path`.
void draw_set_predictions(const std::string& path, const std::string& title,
                          const torch::Tensor& images, const torch::Tensor& predicted,
                          const torch::Tensor& target, int64_t count);

/// Where draw_scene_samples puts scene i: its image tile's top-left corner at
/// (left + i·(tile + gap), top), its instance map's at (left + i·(tile + gap), top + tile + gap);
/// each pixel of an S×S scene is a zoom×zoom square.
struct SceneSampleLayout {
  int zoom, tile, gap = 6, left = 64, top = 22;
  explicit SceneSampleLayout(int64_t image_size);
};

/// Generated scenes as one picture (`setformer slots scenes`), to see the data a row trains on:
/// a column per scene, the image above and its instance map below (instance i in palette colour
/// i − 1, the background black). batch: from data::scene_batch.
io::Image draw_scene_samples(const data::SceneBatch& batch, const std::string& title);

struct SceneSampleOptions {
  std::string dataset = "tetrominoes";                       // tetrominoes | multi_dsprites | clevr
  int64_t image_size = 0, min_objects = 0, max_objects = 0;  // 0: the dataset's
  uint64_t seed = kSlotTestSeed;                             // the test images
  int64_t first = 0, count = 8;
  std::string out = "scenes.png";
  /// Non-empty: a folder where each scene is also written as its own PNG, scene_INDEX.png, one
  /// pixel per pixel (8 bits per channel), for `setformer predict`.
  std::string files;
};

/// Draws scenes first .. first + count − 1 of the stream `seed` (draw_scene_samples) and writes
/// the picture to options.out atomically, and each scene to options.files when set; returns one
/// line per scene: its index and objects (CLEVR-like: each object's properties in words).
std::vector<std::string> write_scene_samples(const SceneSampleOptions& options);

}  // namespace setformer::tasks
