// The Slot Attention experiments: a short object-discovery run that learns to reconstruct better
// than a blank image and draws its pictures, exact resumption, a set-prediction run with its AP
// metrics, checkpoints run on image files, the results table beside the paper's figures, the
// picture of generated scenes, and configuration errors that name the field.
#include "setformer/tasks/slots.h"
#include "setformer/tasks/slot_pictures.h"

#include "setformer/core/files.h"
#include "setformer/data/object_scenes.h"
#include "setformer/io/image_file.h"
#include "setformer/train/checkpoint.h"

#include "common/errors.h"
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace setformer::tasks {

using train::load_checkpoint;
namespace {

SlotExperimentConfig tiny(const std::string& out) {
  SlotExperimentConfig c;
  c.row = "Slot Attention";
  c.channels = 8;
  c.slot_dim = 16;
  c.slot_mlp_hidden = 16;
  c.decoder_channels = 8;
  c.decoder_layers = 1;
  c.batch_size = 8;
  c.test_images = 16;
  c.eval_batch_size = 8;
  c.steps = 150;
  c.lr = 2e-3;
  c.warmup_steps = 10;
  c.threads = 1;
  c.eval_every = 0;
  c.checkpoint_every = 0;
  c.log_every = 1000;
  c.out = out;
  return c;
}

SlotExperimentConfig tiny_set_prediction(const std::string& out) {
  auto c = tiny(out);
  c.task = "set_prediction";
  c.dataset = "clevr";
  c.slots = 6;
  c.strides = {1, 2, 2, 1};
  return c;
}

TEST(SlotExperiment, ObjectDiscoveryLearnsToReconstructAndDrawsItsSlots) {
  testing::TempDir dir;
  const auto c = tiny((dir.root() / "sa").string());
  const auto r = train_slot_experiment(c, [](const std::string&) {});
  // A blank (black) picture: the error of the test images against −1 everywhere. An untrained
  // model does worse (about 0.59 against 0.50); 150 steps of this tiny model learn the colour
  // statistics (about 0.44); separating the pieces takes thousands of steps (results/slots/).
  const auto test = data::scene_batch(data::SceneKind::tetrominoes, c.test_seed, 0, c.test_images);
  const double blank = (test.images + 1).pow(2).mean().item<double>();
  EXPECT_LT(r.metrics["test_mse"].get<double>(), 0.92 * blank) << r.metrics.dump();
  const double ari = r.metrics["test_ari"].get<double>();
  EXPECT_GE(ari, -1.0);
  EXPECT_LE(ari, 1.0);
  for (const char* f :
       {"summary.json", "checkpoint.pt", "log.jsonl", "curves.png", "slots.png", "attention.png"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.root() / "sa" / f)) << f;
  }
  const auto md = write_slot_table({(dir.root() / "sa" / "summary.json").string()},
                                   (dir.root() / "table").string(), "cmd");
  EXPECT_NE(md.find("| Slot Attention"), std::string::npos) << md;
  EXPECT_NE(md.find("| 99.5 "), std::string::npos) << md;  // the paper's Tetrominoes ARI
  EXPECT_NE(md.find("| 4 / 3 "), std::string::npos) << md;
}

TEST(SlotExperiment, InterruptedRunResumesToTheSameResult) {
  testing::TempDir dir;
  auto c = tiny((dir.root() / "whole").string());
  c.steps = 6;
  c.warmup_steps = 2;
  c.checkpoint_every = 3;
  c.log_every = 1;
  const auto whole = train_slot_experiment(c, [](const std::string&) {});
  // The same run stopped at step 4 (its last checkpoint: step 3), then resumed: the training
  // images and the slots drawn must follow from the step and the checkpoint alone.
  auto halves = c;
  halves.out = (dir.root() / "halves").string();
  EXPECT_THROW(train_slot_experiment(halves,
                                     [](const std::string& line) {
                                       if (line.rfind("step 4/6", 0) == 0)
                                         throw std::runtime_error("stop");
                                     }),
               std::runtime_error);
  halves.resume = true;
  const auto resumed = train_slot_experiment(halves, [](const std::string&) {});
  EXPECT_EQ(resumed.summary.steps_done, 6);
  EXPECT_DOUBLE_EQ(resumed.metrics["test_mse"].get<double>(),
                   whole.metrics["test_mse"].get<double>());
}

TEST(SlotExperiment, SetPredictionReportsAveragePrecisionPerThreshold) {
  testing::TempDir dir;
  auto c = tiny_set_prediction((dir.root() / "clevr").string());
  c.mlp_hidden = {32};
  c.steps = 20;
  const auto r = train_slot_experiment(c, [](const std::string&) {});
  for (const char* key :
       {"test_ap_inf", "test_ap_1", "test_ap_0.5", "test_ap_0.25", "test_ap_0.125"}) {
    ASSERT_TRUE(r.metrics.contains(key)) << key;
    EXPECT_GE(r.metrics[key].get<double>(), 0.0);
    EXPECT_LE(r.metrics[key].get<double>(), 1.0);
  }
  // Every object has a prediction (K = 6 ≥ the objects); a distance in the 6-wide scene.
  const double mean = r.metrics["test_position_error"].get<double>(),
               median = r.metrics["test_position_error_median"].get<double>();
  EXPECT_GT(mean, 0.0);
  EXPECT_LE(mean, 6 * std::sqrt(2.0));
  EXPECT_GT(median, 0.0);
  EXPECT_LE(median, 6 * std::sqrt(2.0));
  // Background shares of the slots matched to objects, of the spare ones (images have fewer
  // objects than the 6 slots, so both occur) and of uniform weights.
  for (const char* key :
       {"test_object_slot_background", "test_spare_slot_background", "test_background_fraction"}) {
    ASSERT_TRUE(r.metrics[key].is_number()) << key;
    EXPECT_GE(r.metrics[key].get<double>(), 0.0) << key;
    EXPECT_LE(r.metrics[key].get<double>(), 1.0) << key;
  }
  for (const char* key :
       {"test_attention_mean_position_error", "test_attention_segment_position_error"}) {
    ASSERT_TRUE(r.metrics[key].is_number()) << key;
    EXPECT_GE(r.metrics[key].get<double>(), 0.0) << key;
    EXPECT_LE(r.metrics[key].get<double>(), 6 * std::sqrt(2.0)) << key;
  }
  // Per-property accuracies of the matched predictions; all four right is rarer than any one.
  const double all = r.metrics["test_property_accuracy"].get<double>();
  EXPECT_GE(all, 0.0);
  for (const char* key : {"test_size_accuracy", "test_material_accuracy", "test_shape_accuracy",
                          "test_colour_accuracy"}) {
    ASSERT_TRUE(r.metrics[key].is_number()) << key;
    EXPECT_LE(r.metrics[key].get<double>(), 1.0) << key;
    EXPECT_LE(all, r.metrics[key].get<double>()) << key;
  }
  ASSERT_TRUE(r.metrics["test_attention_ari"].is_number());
  EXPECT_GE(r.metrics["test_attention_ari"].get<double>(), -1.0);
  EXPECT_LE(r.metrics["test_attention_ari"].get<double>(), 1.0);
  EXPECT_TRUE(std::filesystem::exists(dir.root() / "clevr" / "predictions.png"));
  EXPECT_TRUE(std::filesystem::exists(dir.root() / "clevr" / "attention.png"));
  const auto md = write_slot_table({(dir.root() / "clevr" / "summary.json").string()},
                                   (dir.root() / "table").string(), "cmd");
  EXPECT_NE(md.find("| 94.3 "), std::string::npos) << md;  // Table 3, AP∞ of Slot Attention
  EXPECT_NE(md.find("attention ARI %"), std::string::npos) << md;
  EXPECT_NE(md.find("| 78.0 "), std::string::npos) << md;  // §4.2, its attention maps' ARI
}

TEST(SlotExperiment, SetPredictionLossVariantsFollowTheirDefinitions) {
  auto c = tiny_set_prediction("unused");
  torch::manual_seed(2);
  models::SetPrediction model(set_prediction_options(c));
  const auto images = torch::rand({2, 3, 64, 64}) * 2 - 1;
  const auto targets = torch::rand({2, 6, data::ClevrLayout::kFeatures});
  // Each loss from the same slot draws.
  const auto loss = [&](const SlotExperimentConfig& config) {
    torch::manual_seed(7);
    return set_prediction_loss(model, images, targets, config).item<double>();
  };
  const auto matched = [&](int64_t iterations, double scale) {
    torch::manual_seed(7);
    auto predicted = model->forward(images, 0, iterations).clone();
    auto target = targets.clone();
    predicted.narrow(2, 0, data::ClevrLayout::kCoordinates).mul_(scale);
    target.narrow(2, 0, data::ClevrLayout::kCoordinates).mul_(scale);
    return models::matched_huber_loss(predicted, target).item<double>();
  };
  // §2.3: the last iteration's matched loss.
  EXPECT_NEAR(loss(c), matched(3, 1.0), 1e-6);
  // Coordinates on [0, 3]: position weighs more, so the loss grows.
  auto scaled = c;
  scaled.coordinate_scale = 3;
  EXPECT_NEAR(loss(scaled), matched(3, 3.0), 1e-6);
  EXPECT_GT(loss(scaled), loss(c) + 1e-3);
  // The mean of the losses after one, two and three iterations, each matched on its own.
  auto every = c;
  every.loss_every_iteration = true;
  EXPECT_NEAR(loss(every), (matched(1, 1.0) + matched(2, 1.0) + matched(3, 1.0)) / 3, 1e-6);
  every.coordinate_scale = 3;
  EXPECT_NEAR(loss(every), (matched(1, 3.0) + matched(2, 3.0) + matched(3, 3.0)) / 3, 1e-6);
}

/// A scene [3, S, S] in [−1, 1] as 8-bit RGB, each pixel a zoom×zoom square; returns what the
/// file holds, back in [−1, 1].
torch::Tensor save_scene_png(const torch::Tensor& scene, const std::string& path, int zoom = 1) {
  const auto bytes = ((scene + 1) * 127.5).round().clamp(0, 255).to(torch::kUInt8);
  const auto a = bytes.accessor<uint8_t, 3>();
  const int s = static_cast<int>(scene.size(1));
  io::Image image(s * zoom, s * zoom);
  for (int y = 0; y < s; ++y) {
    for (int x = 0; x < s; ++x) {
      image.fill_rect(x * zoom, y * zoom, (x + 1) * zoom, (y + 1) * zoom,
                      {a[0][y][x], a[1][y][x], a[2][y][x]});
    }
  }
  image.save_png(path);
  return bytes.to(torch::kFloat) / 127.5 - 1;
}

TEST(SlotExperiment, SceneImagesReadFromFilesInTheTrainingRange) {
  const testing::TempDir dir;
  const auto scenes = data::scene_batch(data::SceneKind::multi_dsprites, 3, 0, 2).images;
  const auto first = save_scene_png(scenes[0], dir.path("a.png"));
  const auto second = save_scene_png(scenes[1], dir.path("b.png"), 2);  // 128×128
  const auto read = read_scene_images({dir.path("a.png"), dir.path("b.png")}, 64);
  ASSERT_EQ(read.sizes(), (std::vector<int64_t>{2, 3, 64, 64}));
  // 8 bits per channel: within half a step of the scene.
  EXPECT_LE((read[0] - scenes[0]).abs().max().item<double>(), 1 / 255.0 + 1e-6);
  EXPECT_TRUE(torch::allclose(read[0], first, 0, 1e-6));
  // Area averaging of 2×2 blocks of one colour gives back the colour exactly.
  EXPECT_TRUE(torch::allclose(read[1], second, 0, 1e-6));
  // Enlarging a 32×32 average of the scene back to 64×64 stays in range and near the scene.
  save_scene_png(torch::nn::functional::avg_pool2d(
                     scenes[0].unsqueeze(0), torch::nn::functional::AvgPool2dFuncOptions(2))[0],
                 dir.path("small.png"));
  const auto enlarged = read_scene_images({dir.path("small.png")}, 64);
  EXPECT_LE(enlarged.abs().max().item<double>(), 1.0);
  EXPECT_LT((enlarged[0] - scenes[0]).abs().mean().item<double>(), 0.1);
  testing::expect_runtime_error([&] { read_scene_images({dir.path("none.png")}, 64); },
                                "none.png: image not found");
}

TEST(SlotExperiment, PredictRunsACheckpointOnImageFiles) {
  testing::TempDir dir;
  auto c = tiny((dir.root() / "sa").string());
  c.steps = 3;
  train_slot_experiment(c, [](const std::string&) {});
  const std::string checkpoint = (dir.root() / "sa" / "checkpoint.pt").string();
  const auto scenes = data::scene_batch(data::SceneKind::tetrominoes, 9, 0, 2).images;
  const std::vector<std::string> paths{dir.path("a.png"), dir.path("b.png")};
  const auto files =
      torch::stack({save_scene_png(scenes[0], paths[0]), save_scene_png(scenes[1], paths[1])});
  SlotPredictOptions o;
  o.out = dir.path("predict");
  o.test_slots = 5;
  const auto lines = predict_slot_images(checkpoint, paths, o);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].rfind(paths[1] + ":  slot 1 ", 0), 0u) << lines[1];
  EXPECT_NE(lines[1].find("slot 5 "), std::string::npos) << lines[1];

  // The reference: the model rebuilt by hand, each image's slots drawn from the evaluation's
  // seed.
  models::ObjectDiscovery model(object_discovery_options(c));
  load_checkpoint(checkpoint, "slot-object-discovery", *model);
  model->eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> each;
  for (int64_t i = 0; i < 2; ++i) {
    torch::manual_seed(c.test_seed);
    each.push_back(model->forward(files.slice(0, i, i + 1), 5).masks.squeeze(2).argmax(1));
  }
  const auto segments = torch::cat(each);  // [2, S, S]
  const auto json = nlohmann::json::parse(read_file(o.out + "/predictions.json"));
  ASSERT_EQ(json["images"].size(), 2u);
  for (int64_t i = 0; i < 2; ++i) {
    const auto& entry = json["images"][static_cast<size_t>(i)];
    EXPECT_EQ(entry["file"], paths[static_cast<size_t>(i)]);
    const auto written = io::read_grey_image(o.out + "/" + entry["segments"].get<std::string>());
    EXPECT_TRUE(written[0].to(torch::kLong).equal(segments[i])) << i;
    double total = 0;
    for (int64_t j = 0; j < 5; ++j) {
      const double share = entry["pixels"][static_cast<size_t>(j)].get<double>();
      EXPECT_DOUBLE_EQ(share, segments[i].eq(j).to(torch::kDouble).mean().item<double>());
      total += share;
    }
    EXPECT_NEAR(total, 1.0, 1e-12);
  }
  EXPECT_TRUE(std::filesystem::exists(o.out + "/slots.png"));
  EXPECT_TRUE(std::filesystem::exists(o.out + "/attention.png"));
  // The same images give the same answer again, and an image alone the same as in company.
  EXPECT_EQ(predict_slot_images(checkpoint, paths, o), lines);
  EXPECT_EQ(predict_slot_images(checkpoint, {paths[1]}, o), std::vector<std::string>{lines[1]});
}

TEST(SlotExperiment, PredictListsTheObjectsASetPredictorFinds) {
  testing::TempDir dir;
  auto c = tiny_set_prediction((dir.root() / "clevr").string());
  c.steps = 3;
  train_slot_experiment(c, [](const std::string&) {});
  const std::string checkpoint = (dir.root() / "clevr" / "checkpoint.pt").string();
  const auto scene = data::scene_batch(data::SceneKind::clevr, 9, 0, 1).images[0];
  const auto file = save_scene_png(scene, dir.path("scene.png"));
  SlotPredictOptions o;
  o.out = dir.path("predict");
  const auto lines = predict_slot_images(checkpoint, {dir.path("scene.png")}, o);

  models::SetPrediction model(set_prediction_options(c));
  load_checkpoint(checkpoint, "slot-set-prediction", *model);
  model->eval();
  torch::NoGradGuard no_grad;
  torch::manual_seed(c.test_seed);
  const auto predicted = model->forward(file.unsqueeze(0))[0];  // [K, F]
  const auto confident = predicted.select(1, -1).gt(0.5);
  const int64_t found = confident.sum().item<int64_t>();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind(dir.path("scene.png") + ": " + std::to_string(found) + " objects", 0),
            0u)
      << lines[0];
  const auto json = nlohmann::json::parse(read_file(o.out + "/predictions.json"));
  const auto& objects = json["images"][0]["objects"];
  ASSERT_EQ(static_cast<int64_t>(objects.size()), found);
  double previous = 2;
  for (const auto& object : objects) {
    const double confidence = object["confidence"].get<double>();
    EXPECT_GT(confidence, 0.5);
    EXPECT_LE(confidence, previous);  // most confident first
    previous = confidence;
    // The row it describes is one of the model's confident rows.
    const auto match = (predicted.select(1, 0) - object["x"].get<double>()).abs().lt(1e-6) &
                       (predicted.select(1, -1) - confidence).abs().lt(1e-6) & confident;
    EXPECT_TRUE(match.any().item<bool>()) << object.dump();
  }
  EXPECT_TRUE(std::filesystem::exists(o.out + "/predictions.png"));
  EXPECT_TRUE(std::filesystem::exists(o.out + "/attention.png"));
}

TEST(SlotExperiment, SceneSamplesShowEachImageAboveItsInstanceMap) {
  const auto byte = [](float v) {  // an image value in [−1, 1] as the picture's 0..255
    return static_cast<uint8_t>(std::lround(std::clamp((v + 1) / 2, 0.0f, 1.0f) * 255));
  };
  for (const auto kind :
       {data::SceneKind::tetrominoes, data::SceneKind::multi_dsprites, data::SceneKind::clevr}) {
    const auto batch = data::scene_batch(kind, 5, 10, 3);
    const auto picture = draw_scene_samples(batch, "scenes");
    const int64_t s = batch.images.size(2);
    const SceneSampleLayout at(s);
    ASSERT_EQ(picture.width(), at.left + 3 * (at.tile + at.gap));
    int64_t object_pixels = 0;
    for (int64_t i = 0; i < 3; ++i) {
      const auto image_i = batch.images[i], ids_i = batch.instances[i];
      const auto image = image_i.accessor<float, 3>();
      const auto ids = ids_i.accessor<int64_t, 2>();
      for (int y = 0; y < s; ++y) {
        for (int x = 0; x < s; ++x) {
          // The square's last pixel: a tile drawn one pixel off would fail at its edge.
          const int px =
              at.left + static_cast<int>(i) * (at.tile + at.gap) + x * at.zoom + at.zoom - 1;
          const int py = at.top + y * at.zoom + at.zoom - 1;
          const auto shown = picture.at(px, py);
          ASSERT_EQ(shown.r, byte(image[0][y][x])) << i << " " << x << " " << y;
          ASSERT_EQ(shown.g, byte(image[1][y][x]));
          ASSERT_EQ(shown.b, byte(image[2][y][x]));
          const auto object = picture.at(px, py + at.tile + at.gap);
          const int64_t id = ids[y][x];
          const io::Rgb expected = id == 0 ? io::Rgb{0, 0, 0} : io::palette(id - 1);
          ASSERT_EQ(object.r, expected.r) << i << " " << x << " " << y << " id " << id;
          ASSERT_EQ(object.g, expected.g);
          ASSERT_EQ(object.b, expected.b);
          object_pixels += id > 0;
        }
      }
    }
    EXPECT_GT(object_pixels, 0);
  }
}

TEST(SlotExperiment, SceneSamplesAreWrittenWithTheirObjectsInWords) {
  const testing::TempDir dir;
  SceneSampleOptions o;
  o.dataset = "clevr";
  o.count = 2;
  o.out = dir.path("scenes.png");
  const auto lines = write_scene_samples(o);
  ASSERT_EQ(lines.size(), 2u);
  const auto batch = data::scene_batch(data::SceneKind::clevr, o.seed, 0, 2);
  EXPECT_EQ(
      lines[0].rfind(fmt::format("scene 0: {} objects: ", batch.counts[0].item<int64_t>()), 0), 0u)
      << lines[0];
  EXPECT_NE(lines[0].find(data::describe_clevr_object(batch.properties[0][0])), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(o.out));
  // Each scene as its own file, which `setformer predict` reads back within half an 8-bit step.
  o.first = 3;
  o.files = dir.path("files");
  write_scene_samples(o);
  const auto again = data::scene_batch(data::SceneKind::clevr, o.seed, 3, 2).images;
  const auto read = read_scene_images(
      {dir.path("files/scene_3.png"), dir.path("files/scene_4.png")}, again.size(2));
  EXPECT_LE((read - again).abs().max().item<double>(), 1 / 255.0 + 1e-6);
  o.dataset = "clevr6";
  testing::expect_invalid_argument([&] { write_scene_samples(o); }, "--dataset = 'clevr6'");
  o.dataset = "clevr";
  o.count = 0;
  testing::expect_invalid_argument([&] { write_scene_samples(o); }, "--count = 0");
}

TEST(SlotExperiment, TableGroupsEachRowWithItsEvaluationsByStepsSlotsAndIterations) {
  // Summaries as `slots table` gets them from a glob: evaluations (test_slots, test_iterations)
  // sorted by folder name, not beside the row they evaluate.
  testing::TempDir dir;
  const auto summary = [&](const std::string& name, const std::string& row, int64_t steps,
                           int64_t test_slots, int64_t test_iterations, double ari) {
    const nlohmann::json json{
        {"task", "object_discovery"},
        {"dataset", "tetrominoes"},
        {"row", row},
        {"steps", steps},
        {"train_seconds", 60.0},
        {"metrics", {{"test_ari", ari}, {"test_mse", 0.01}, {"images_per_second", 100.0}}},
        {"config",
         {{"slots", 4},
          {"iterations", 3},
          {"test_slots", test_slots},
          {"test_iterations", test_iterations}}}};
    const auto path = (dir.root() / (name + ".json")).string();
    write_file_atomic(path, json.dump());
    return path;
  };
  const auto md = write_slot_table({summary("a", "Slot Attention", 12000, 0, 0, 0.10),
                                    summary("b", "Slot Attention, 20k steps", 20000, 0, 0, 0.20),
                                    summary("c", "Slot Attention, 20k steps", 20000, 6, 0, 0.21),
                                    summary("d", "Slot Attention, 20k steps", 20000, 0, 5, 0.22),
                                    summary("e", "Slot Attention", 12000, 0, 7, 0.11),
                                    summary("f", "Slot Attention, 20k steps", 20000, 3, 0, 0.23),
                                    summary("g", "Slot MLP", 12000, 0, 0, 0.05),
                                    summary("h", "Slot Attention", 12000, 0, 5, 0.12)},
                                   (dir.root() / "table").string(), "cmd");
  // The ARI column (10.0 ... 23.0) identifies each row; expected: each model where it first
  // appears, under it K then T.
  std::vector<size_t> at;
  for (const char* ari :
       {"| 10.0 ", "| 12.0 ", "| 11.0 ", "| 23.0 ", "| 20.0 ", "| 22.0 ", "| 21.0 ", "| 5.0 "}) {
    at.push_back(md.find(ari));
    ASSERT_NE(at.back(), std::string::npos) << ari << "\n" << md;
  }
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << md;
}

TEST(SlotExperiment, ConfigErrorsNameTheField) {
  SlotExperimentConfig c;
  c.task = "segmentation";
  testing::expect_invalid_argument([&] { train_slot_experiment(c, [](const std::string&) {}); },
                                   "task.name = 'segmentation'");
  c.task = "set_prediction";
  testing::expect_invalid_argument([&] { train_slot_experiment(c, [](const std::string&) {}); },
                                   "data.dataset = 'tetrominoes'");
  c.dataset = "clevr";
  c.slots = 4;
  testing::expect_invalid_argument([&] { train_slot_experiment(c, [](const std::string&) {}); },
                                   "model.slots = 4");
  c.slots = 10;
  c.coordinate_scale = 0;
  testing::expect_invalid_argument([&] { describe_slot_experiment(c); },
                                   "loss.coordinate_scale must be > 0, got 0");
  c.coordinate_scale = 1;
  c.grouping = "slot_mlp";
  c.loss_every_iteration = true;
  testing::expect_invalid_argument([&] { describe_slot_experiment(c); },
                                   "loss.every_iteration needs");
  c.grouping = "slot_attention";
  c.task = "object_discovery";
  testing::expect_invalid_argument([&] { describe_slot_experiment(c); },
                                   "loss.every_iteration needs");
  c.loss_every_iteration = false;
  c.coordinate_scale = 2;
  testing::expect_invalid_argument([&] { describe_slot_experiment(c); },
                                   "loss.coordinate_scale applies to set_prediction only");
  c.coordinate_scale = 1;
  c.normalisation = "columns";
  testing::expect_invalid_argument([&] { object_discovery_options(c); },
                                   "model.normalisation = 'columns'");
}

TEST(SlotExperiment, PaperFiguresOnlyForTheModelsThePaperTrained) {
  SlotExperimentConfig c;  // Algorithm 1 on Tetrominoes: Table 1's 99.5
  EXPECT_EQ(slot_paper_figures(c)["ari"], 99.5);
  c.row = "Slot Attention, transport";
  for (const auto& ablate : std::vector<std::function<void(SlotExperimentConfig&)>>{
           [](SlotExperimentConfig& a) { a.normalisation = "transport"; },
           [](SlotExperimentConfig& a) { a.normalisation = "inputs"; },
           [](SlotExperimentConfig& a) { a.weighted_mean = false; },
           [](SlotExperimentConfig& a) { a.gru = false; },
           [](SlotExperimentConfig& a) { a.residual_mlp = false; },
           [](SlotExperimentConfig& a) { a.loss_every_iteration = true; },
           [](SlotExperimentConfig& a) { a.coordinate_scale = 3; }}) {
    SlotExperimentConfig a = c;
    ablate(a);
    EXPECT_TRUE(slot_paper_figures(a).empty()) << nlohmann::json(a).dump();
    a.task = "set_prediction";
    a.dataset = "clevr";
    EXPECT_TRUE(slot_paper_figures(a).empty()) << nlohmann::json(a).dump();
  }
  c.grouping = "slot_mlp";
  c.dataset = "multi_dsprites";
  EXPECT_EQ(slot_paper_figures(c)["ari"], 60.3);
  c.task = "set_prediction";
  c.dataset = "clevr";
  EXPECT_EQ(slot_paper_figures(c)["ap_inf"], 19.8);
  c.grouping = "slot_attention";
  EXPECT_EQ(slot_paper_figures(c)["ap_inf"], 94.3);
  c.grouping = "iodine";
  EXPECT_TRUE(slot_paper_figures(c).empty());
}

}  // namespace
}  // namespace setformer::tasks
