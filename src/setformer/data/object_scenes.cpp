#include "setformer/data/object_scenes.h"

#include "setformer/core/error.h"
#include "setformer/data/random.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <set>
#include <vector>

namespace setformer::data {

namespace {

using Rgb = std::array<float, 3>;

/// One image being drawn: colours in [0, 1] and the id of the object that owns each pixel.
struct Canvas {
  int64_t size;
  std::vector<Rgb> rgb;
  std::vector<int64_t> ids;

  Canvas(int64_t s, Rgb background)
      : size(s), rgb(static_cast<size_t>(s * s), background), ids(static_cast<size_t>(s * s), 0) {}

  /// Paints every pixel whose centre (x + ½, y + ½) the shape covers, on top of what is there:
  /// shade(x, y, colour) returns false outside, else sets the pixel's colour.
  void paint(int64_t id, const std::function<bool(double, double, Rgb&)>& shade) {
    for (int64_t y = 0; y < size; ++y) {
      for (int64_t x = 0; x < size; ++x) {
        Rgb colour{};
        if (!shade(static_cast<double>(x) + 0.5, static_cast<double>(y) + 0.5, colour)) continue;
        rgb[static_cast<size_t>(y * size + x)] = colour;
        ids[static_cast<size_t>(y * size + x)] = id;
      }
    }
  }
  int64_t visible(int64_t id) const { return std::count(ids.begin(), ids.end(), id); }
};

Rgb scaled(const Rgb& c, double f) {
  return {static_cast<float>(std::clamp(c[0] * f, 0.0, 1.0)),
          static_cast<float>(std::clamp(c[1] * f, 0.0, 1.0)),
          static_cast<float>(std::clamp(c[2] * f, 0.0, 1.0))};
}

Rgb mixed(const Rgb& c, const Rgb& with, double t) {
  return {static_cast<float>(c[0] + (with[0] - c[0]) * t),
          static_cast<float>(c[1] + (with[1] - c[1]) * t),
          static_cast<float>(c[2] + (with[2] - c[2]) * t)};
}

double distance(const Rgb& a, const Rgb& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                   (a[2] - b[2]) * (a[2] - b[2]));
}

// ---- tetrominoes ----------------------------------------------------------------------------

constexpr int64_t kTetrominoCell = 5;  // pixels per square: a 35×35 image is 7×7 squares
const std::array<Rgb, 6> kTetrominoColours{
    {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}}};

struct Placed {
  const std::array<std::array<int, 2>, 4>* cells;
  int64_t row, col;  // top-left pixel
  int colour;
};

bool covers(const Placed& p, int64_t x, int64_t y) {
  for (const auto& cell : *p.cells) {
    const int64_t r0 = p.row + cell[0] * kTetrominoCell, c0 = p.col + cell[1] * kTetrominoCell;
    if (y >= r0 && y < r0 + kTetrominoCell && x >= c0 && x < c0 + kTetrominoCell) return true;
  }
  return false;
}

/// Tries per object of sequential placement before the scene counts as jammed (draw_placed).
constexpr int kAttemptsPerObject = 10000;

/// False when the pieces placed first leave no room for the next one (draw_placed redraws).
bool draw_tetrominoes(Canvas& canvas, int64_t count, Random& rng) {
  static const auto orientations = tetromino_orientations();
  const int64_t s = canvas.size;
  for (int64_t id = 1; id <= count; ++id) {
    for (int attempt = 0;; ++attempt) {
      if (attempt == kAttemptsPerObject) return false;
      Placed p{&orientations[static_cast<size_t>(rng.integer(0, 18))], 0, 0,
               static_cast<int>(rng.integer(0, 5))};
      int rows = 0, cols = 0;
      for (const auto& cell : *p.cells) {
        rows = std::max(rows, cell[0] + 1);
        cols = std::max(cols, cell[1] + 1);
      }
      if (rows * kTetrominoCell > s || cols * kTetrominoCell > s) continue;
      p.row = rng.integer(0, s - rows * kTetrominoCell);
      p.col = rng.integer(0, s - cols * kTetrominoCell);
      bool free = true;
      for (int64_t y = p.row; free && y < p.row + rows * kTetrominoCell; ++y) {
        for (int64_t x = p.col; free && x < p.col + cols * kTetrominoCell; ++x) {
          if (covers(p, x, y) && canvas.ids[static_cast<size_t>(y * s + x)] != 0) free = false;
        }
      }
      if (!free) continue;
      const Rgb colour = kTetrominoColours[static_cast<size_t>(p.colour)];
      canvas.paint(id, [&](double x, double y, Rgb& out) {
        if (!covers(p, static_cast<int64_t>(x), static_cast<int64_t>(y))) return false;
        out = colour;
        return true;
      });
      break;
    }
  }
  return true;
}

// ---- multi-dSprites -------------------------------------------------------------------------

enum SpriteShape { kSquare = 0, kEllipse = 1, kHeart = 2 };

/// Inside test in the sprite's frame, (u, v) scaled by its radius, v pointing down.
bool inside_sprite(int shape, double u, double v) {
  switch (shape) {
    case kSquare:
      return std::abs(u) <= 0.8 && std::abs(v) <= 0.8;
    case kEllipse:
      return u * u + (v / 0.5) * (v / 0.5) <= 1.0;
    default: {  // the heart curve (x² + y² − 1)³ ≤ x² y³, y up, shifted to centre it
      const double x = 1.2 * u, y = -1.2 * v + 0.15;
      const double a = x * x + y * y - 1;
      return a * a * a <= x * x * y * y * y;
    }
  }
}

void draw_sprites(Canvas& canvas, int64_t count, const Rgb& background, Random& rng) {
  const double s = static_cast<double>(canvas.size);
  for (int64_t id = 1; id <= count; ++id) {
    const int shape = static_cast<int>(rng.integer(0, 2));
    const double radius = rng.uniform(0.5, 1.0) * 0.16 * s;
    const double angle = rng.uniform(0, 2 * M_PI);
    const double cx = rng.uniform(radius, s - radius), cy = rng.uniform(radius, s - radius);
    Rgb colour;
    do {
      colour = {static_cast<float>(rng.uniform()), static_cast<float>(rng.uniform()),
                static_cast<float>(rng.uniform())};
    } while (distance(colour, background) < 0.5);
    const double c = std::cos(angle), si = std::sin(angle);
    canvas.paint(id, [&](double x, double y, Rgb& out) {
      const double dx = x - cx, dy = y - cy;
      if (!inside_sprite(shape, (c * dx + si * dy) / radius, (-si * dx + c * dy) / radius)) {
        return false;
      }
      out = colour;
      return true;
    });
  }
}

// ---- CLEVR-like -----------------------------------------------------------------------------

// CLEVR's colours, in the order of the targets' colour group and of kClevrColourNames.
const std::array<Rgb, 8> kClevrColours{{{87 / 255.f, 87 / 255.f, 87 / 255.f},
                                        {173 / 255.f, 35 / 255.f, 35 / 255.f},
                                        {42 / 255.f, 75 / 255.f, 215 / 255.f},
                                        {29 / 255.f, 105 / 255.f, 20 / 255.f},
                                        {129 / 255.f, 74 / 255.f, 25 / 255.f},
                                        {129 / 255.f, 38 / 255.f, 192 / 255.f},
                                        {41 / 255.f, 208 / 255.f, 208 / 255.f},
                                        {255 / 255.f, 238 / 255.f, 51 / 255.f}}};
enum ClevrShape { kCube = 0, kSphere = 1, kCylinder = 2 };

// Each property's values by index, as draw_clevr draws them and the targets one-hot them.
const std::array<const char*, ClevrLayout::kColours> kClevrColourNames{
    "gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"};
const std::array<const char*, ClevrLayout::kShapes> kClevrShapeNames{"cube", "sphere", "cylinder"};
const std::array<const char*, ClevrLayout::kSizes> kClevrSizeNames{"small", "large"};
const std::array<const char*, ClevrLayout::kMaterials> kClevrMaterialNames{"rubber", "metal"};

struct ClevrObject {
  int shape, size, material, colour;
  double cx, cy, radius, angle;
};

/// The colour of a pixel at (u, v) in the object's frame (scaled by its radius), or false when
/// outside. Spheres shade radially, cubes are flat rotated squares, cylinders are upright with a
/// light elliptical top; metal adds a white specular highlight.
bool shade_clevr(const ClevrObject& o, double u, double v, Rgb& out) {
  const Rgb base = kClevrColours[static_cast<size_t>(o.colour)];
  double light = 1.0;
  switch (o.shape) {
    case kSphere: {
      const double r2 = u * u + v * v;
      if (r2 > 1.0) return false;
      const double nz = std::sqrt(1 - r2);
      light = 0.45 + 0.55 * std::max(0.0, (-0.5 * u - 0.5 * v + 0.7 * nz) / 1.0488);
      break;
    }
    case kCube: {
      const double c = std::cos(o.angle), s = std::sin(o.angle);
      const double a = c * u + s * v, b = -s * u + c * v;
      if (std::abs(a) > 0.8 || std::abs(b) > 0.8) return false;
      light = 0.85;
      break;
    }
    default: {
      const bool body = std::abs(u) <= 0.75 && std::abs(v) <= 0.6;
      const double top = (u / 0.75) * (u / 0.75) + ((v + 0.6) / 0.3) * ((v + 0.6) / 0.3);
      const double bottom = (u / 0.75) * (u / 0.75) + ((v - 0.6) / 0.3) * ((v - 0.6) / 0.3);
      if (!body && top > 1.0 && bottom > 1.0) return false;
      light = top <= 1.0 ? 1.05 : 0.55 + 0.35 * (1 - std::abs(u / 0.75 + 0.3) / 1.3);
      break;
    }
  }
  out = scaled(base, light);
  if (o.material == 1) {  // metal: a highlight up and to the left
    const double du = u + 0.3, dv = v + 0.3;
    out = mixed(out, {1, 1, 1}, 0.85 * std::exp(-(du * du + dv * dv) / 0.05));
  }
  return true;
}

/// False when the objects placed first leave no room for the next one (draw_placed redraws).
bool draw_clevr(Canvas& canvas, int64_t count, Random& rng, std::vector<ClevrObject>& objects) {
  const double s = static_cast<double>(canvas.size);
  for (int64_t id = 1; id <= count; ++id) {
    for (int attempt = 0;; ++attempt) {
      if (attempt == kAttemptsPerObject) return false;
      ClevrObject o{static_cast<int>(rng.integer(0, 2)),
                    static_cast<int>(rng.integer(0, 1)),
                    static_cast<int>(rng.integer(0, 1)),
                    static_cast<int>(rng.integer(0, 7)),
                    0,
                    0,
                    0,
                    rng.uniform(0, M_PI / 2)};
      o.radius = (o.size == 0 ? 0.07 : 0.12) * s;
      // 1.15 r bounds every shape (the cube's corners reach 0.8·√2 r); one pixel between objects.
      const double bound = 1.15 * o.radius;
      o.cx = rng.uniform(bound + 1, s - bound - 1);
      o.cy = rng.uniform(bound + 1, s - bound - 1);
      const bool free = std::all_of(objects.begin(), objects.end(), [&](const ClevrObject& other) {
        return std::hypot(o.cx - other.cx, o.cy - other.cy) >= bound + 1.15 * other.radius + 1;
      });
      if (!free) continue;
      objects.push_back(o);
      canvas.paint(id, [&](double x, double y, Rgb& out) {
        return shade_clevr(o, (x - o.cx) / o.radius, (y - o.cy) / o.radius, out);
      });
      break;
    }
  }
  return true;
}

/// Sequential random placement can jam: the objects placed first can leave no room for the last
/// (ten CLEVR objects, about half of them large, in 64×64). Then `draw` (which starts from a
/// fresh canvas) runs again on the same generator: rejection sampling of feasible scenes, and a
/// scene that placed at the first try is the one it always was.
template <typename Draw>
void draw_placed(const char* what, int64_t count, int64_t size, const Draw& draw) {
  constexpr int kScenes = 100;
  for (int scene = 0; scene < kScenes; ++scene) {
    if (draw()) return;
  }
  throw std::runtime_error(fmt::format("{}: cannot place {} objects in a {}×{} image in {} tries",
                                       what, count, size, size, kScenes));
}

struct KindDefaults {
  int64_t size, min_objects, max_objects;
};

KindDefaults defaults(SceneKind kind) {
  switch (kind) {
    case SceneKind::tetrominoes:
      return {35, 3, 3};
    case SceneKind::multi_dsprites:
      return {64, 2, 5};
    case SceneKind::clevr:
      return {64, 3, 6};
  }
  return {0, 0, 0};
}

}  // namespace

std::vector<std::array<std::array<int, 2>, 4>> tetromino_orientations() {
  using Cells = std::array<std::array<int, 2>, 4>;
  // The seven free tetrominoes (I, O, T, S, Z, J, L) as (row, column) cells; their rotations
  // give the fixed orientations (reflections are S/Z and J/L themselves).
  const std::array<Cells, 7> free{{{{{0, 0}, {0, 1}, {0, 2}, {0, 3}}},
                                   {{{0, 0}, {0, 1}, {1, 0}, {1, 1}}},
                                   {{{0, 0}, {0, 1}, {0, 2}, {1, 1}}},
                                   {{{0, 1}, {0, 2}, {1, 0}, {1, 1}}},
                                   {{{0, 0}, {0, 1}, {1, 1}, {1, 2}}},
                                   {{{0, 0}, {1, 0}, {1, 1}, {1, 2}}},
                                   {{{0, 2}, {1, 0}, {1, 1}, {1, 2}}}}};
  std::vector<Cells> out;
  std::set<Cells> seen;
  for (Cells cells : free) {
    for (int turn = 0; turn < 4; ++turn) {
      int min_r = 99, min_c = 99;
      for (const auto& c : cells) {
        min_r = std::min(min_r, c[0]);
        min_c = std::min(min_c, c[1]);
      }
      Cells normal = cells;
      for (auto& c : normal) c = {c[0] - min_r, c[1] - min_c};
      std::sort(normal.begin(), normal.end());
      if (seen.insert(normal).second) out.push_back(normal);
      for (auto& c : cells) c = {c[1], -c[0]};  // a quarter turn
    }
  }
  return out;
}

SceneOptions SceneOptions::resolved() const {
  const auto d = defaults(kind());
  SceneOptions o = *this;
  if (o.image_size() == 0) o.image_size(d.size);
  if (o.min_objects() == 0) o.min_objects(d.min_objects);
  if (o.max_objects() == 0) o.max_objects(std::max(d.max_objects, o.min_objects()));
  SETFORMER_CHECK(o.image_size() >= 16 && o.image_size() <= 512,
                  "scenes: data.image_size = {} is not valid; expected 16..512", o.image_size());
  SETFORMER_CHECK(
      o.min_objects() >= 1 && o.min_objects() <= o.max_objects() && o.max_objects() <= 10,
      "scenes: objects per image must satisfy 1 <= data.min_objects ({}) <= "
      "data.max_objects ({}) <= 10",
      o.min_objects(), o.max_objects());
  return o;
}

std::string describe_clevr_object(const torch::Tensor& row) {
  SETFORMER_CHECK(row.dim() == 1 && row.size(0) == ClevrLayout::kFeatures,
                  "clevr object: expected a row of {} features, got shape {}",
                  ClevrLayout::kFeatures, shape_string(row.sizes()));
  const auto r = row.to(torch::kCPU, torch::kFloat).contiguous();
  if (r[-1].item<float>() < 0.5f) return "";
  // The one-hot groups in ClevrLayout's order.
  int64_t at = ClevrLayout::kCoordinates;
  const auto pick = [&](int64_t width) {
    const auto index = r.slice(0, at, at + width).argmax().item<int64_t>();
    at += width;
    return static_cast<size_t>(index);
  };
  const size_t size = pick(ClevrLayout::kSizes), material = pick(ClevrLayout::kMaterials),
               shape = pick(ClevrLayout::kShapes), colour = pick(ClevrLayout::kColours);
  return fmt::format("{} {} {} {} at ({:.2f}, {:.2f})", kClevrSizeNames[size],
                     kClevrMaterialNames[material], kClevrColourNames[colour],
                     kClevrShapeNames[shape], r[0].item<float>(), r[1].item<float>());
}

SceneBatch scene_batch(const SceneOptions& options, uint64_t seed, int64_t first_index,
                       int64_t batch) {
  const SceneOptions o = options.resolved();
  SETFORMER_CHECK(batch >= 1 && first_index >= 0,
                  "scenes: need batch >= 1 and first_index >= 0, got {} and {}", batch,
                  first_index);
  const int64_t s = o.image_size();
  SceneBatch out;
  out.images = torch::empty({batch, 3, s, s});
  out.instances = torch::empty({batch, s, s}, torch::kLong);
  out.counts = torch::empty({batch}, torch::kLong);
  if (o.kind() == SceneKind::clevr) {
    out.properties = torch::zeros({batch, o.max_objects(), ClevrLayout::kFeatures});
  }
  auto images = out.images.accessor<float, 4>();
  auto instances = out.instances.accessor<int64_t, 3>();
  for (int64_t b = 0; b < batch; ++b) {
    Random rng(mix(seed, static_cast<uint64_t>(first_index + b), 0x5CE7E5));
    const int64_t count = rng.integer(o.min_objects(), o.max_objects());
    Rgb background{0, 0, 0};
    std::vector<ClevrObject> objects;
    Canvas canvas(s, background);
    switch (o.kind()) {
      case SceneKind::tetrominoes:
        draw_placed("tetrominoes", count, s, [&] {
          canvas = Canvas(s, background);
          return draw_tetrominoes(canvas, count, rng);
        });
        break;
      case SceneKind::multi_dsprites:
        // Redrawn until every sprite keeps at least 8 visible pixels under the later ones.
        for (int attempt = 0;; ++attempt) {
          background = {static_cast<float>(rng.uniform()), static_cast<float>(rng.uniform()),
                        static_cast<float>(rng.uniform())};
          canvas = Canvas(s, background);
          draw_sprites(canvas, count, background, rng);
          bool all_visible = true;
          for (int64_t id = 1; id <= count; ++id) all_visible &= canvas.visible(id) >= 8;
          if (all_visible || attempt > 100) break;
        }
        break;
      case SceneKind::clevr: {
        draw_placed("clevr", count, s, [&] {
          canvas = Canvas(s, {0.6f, 0.6f, 0.58f});
          // A floor lit from the top: a gentle vertical gradient.
          for (int64_t y = 0; y < s; ++y) {
            for (int64_t x = 0; x < s; ++x) {
              canvas.rgb[static_cast<size_t>(y * s + x)] =
                  scaled({0.6f, 0.6f, 0.58f}, 1.1 - 0.25 * static_cast<double>(y) / s);
            }
          }
          objects.clear();
          return draw_clevr(canvas, count, rng, objects);
        });
        auto props = out.properties[b];
        for (size_t i = 0; i < objects.size(); ++i) {
          const auto& ob = objects[i];
          auto row = props[static_cast<int64_t>(i)];
          row[0] = ob.cx / static_cast<double>(s);
          row[1] = ob.cy / static_cast<double>(s);
          int64_t at = ClevrLayout::kCoordinates;
          row[at + ob.size] = 1;
          at += ClevrLayout::kSizes;
          row[at + ob.material] = 1;
          at += ClevrLayout::kMaterials;
          row[at + ob.shape] = 1;
          at += ClevrLayout::kShapes;
          row[at + ob.colour] = 1;
          row[ClevrLayout::kFeatures - 1] = 1;
        }
        break;
      }
    }
    for (int64_t y = 0; y < s; ++y) {
      for (int64_t x = 0; x < s; ++x) {
        const auto& c = canvas.rgb[static_cast<size_t>(y * s + x)];
        for (int ch = 0; ch < 3; ++ch) images[b][ch][y][x] = 2 * c[static_cast<size_t>(ch)] - 1;
        instances[b][y][x] = canvas.ids[static_cast<size_t>(y * s + x)];
      }
    }
    out.counts[b] = count;
  }
  return out;
}

}  // namespace setformer::data
