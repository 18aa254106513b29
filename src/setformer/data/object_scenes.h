// Multi-object scenes generated here, in place of the datasets the Slot Attention paper used and
// that cannot be downloaded (DeepMind's Multi-Object Datasets and CLEVR; appendix E.8):
//   - tetrominoes: 35×35, three non-overlapping tetrominoes (the 19 fixed orientations, 6
//     colours) on black;
//   - multi_dsprites: 64×64, 2–5 sprites (square, ellipse, heart) with random colour, scale,
//     rotation and position on a coloured background; later sprites occlude earlier ones;
//   - clevr: 64×64 top-down scenes of 3–6 objects (up to 10) with shape (cube, sphere, cylinder),
//     colour (CLEVR's 8), size (small, large), material (rubber: matte; metal: specular highlight)
//     and position, and the property targets of appendix E.8.
// Every image is a pure function of (seed, index), so a training stream resumes exactly and a
// test set is the same for every model. Images are RGB in [−1, 1] (appendix E.8).
#pragma once

#include "setformer/attention/options.h"

#include <torch/arg.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace setformer::data {

enum class SceneKind { tetrominoes, multi_dsprites, clevr };

}  // namespace setformer::data

namespace setformer::attention {
template <>
struct EnumNames<data::SceneKind> {
  static constexpr std::array<std::pair<data::SceneKind, const char*>, 3> values{
      {{data::SceneKind::tetrominoes, "tetrominoes"},
       {data::SceneKind::multi_dsprites, "multi_dsprites"},
       {data::SceneKind::clevr, "clevr"}}};
};
}  // namespace setformer::attention

namespace setformer::data {

struct SceneOptions {
  /* implicit */ SceneOptions(SceneKind kind = SceneKind::tetrominoes) : kind_(kind) {}
  TORCH_ARG(SceneKind, kind);
  /// 0: the kind's (35, 64, 64).
  TORCH_ARG(int64_t, image_size) = 0;
  /// Objects per image, drawn uniformly; 0: the kind's (3..3, 2..5, 3..6).
  TORCH_ARG(int64_t, min_objects) = 0;
  TORCH_ARG(int64_t, max_objects) = 0;

 public:
  /// The options with every 0 replaced by the kind's default; throws naming a bad value.
  SceneOptions resolved() const;
};

/// CLEVR-like property targets, one row per object slot (appendix E.8, with 2-D positions):
/// [x, y] in [0, 1], one-hot size (2), material (2), shape (3), colour (8), then 1 for a real
/// object; padding rows are zero.
struct ClevrLayout {
  static constexpr int64_t kCoordinates = 2;
  static constexpr int64_t kSizes = 2, kMaterials = 2, kShapes = 3, kColours = 8;
  static constexpr int64_t kFeatures = kCoordinates + kSizes + kMaterials + kShapes + kColours + 1;
};

/// One CLEVR-like target row [ClevrLayout::kFeatures] in words: "large metal red cube at (0.41,
/// 0.63)"; empty for a padding row.
std::string describe_clevr_object(const torch::Tensor& row);

struct SceneBatch {
  torch::Tensor images;      // [B, 3, S, S] float in [−1, 1]
  torch::Tensor instances;   // [B, S, S] int64: 0 = background, i = the i-th object drawn
  torch::Tensor counts;      // [B] int64: objects in each image
  torch::Tensor properties;  // clevr: [B, max_objects, ClevrLayout::kFeatures]; else undefined
};

/// Images first_index .. first_index + batch − 1 of the stream `seed`.
SceneBatch scene_batch(const SceneOptions& options, uint64_t seed, int64_t first_index,
                       int64_t batch);

/// The 19 fixed tetromino orientations as 4 (row, column) cells each, for the tests.
std::vector<std::array<std::array<int, 2>, 4>> tetromino_orientations();

}  // namespace setformer::data
