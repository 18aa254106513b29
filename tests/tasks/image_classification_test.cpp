// Image classification end to end on a synthetic Fashion-MNIST-format dataset written here (so
// the test needs no package and runs in seconds): training learns an easy task, the run folder
// holds what the pipeline promises, the checkpoint alone rebuilds the model with the same test
// accuracy, and configuration errors name the field.
#include "setformer/tasks/image_classification.h"

#include "setformer/core/files.h"
#include "setformer/core/runtime.h"
#include "setformer/core/shards.h"
#include "setformer/data/idx.h"

#include "common/errors.h"
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <map>

namespace setformer::tasks {
namespace {

/// Four classes of 10×10 textures (horizontal and vertical 3-pixel bands, checkerboard, solid)
/// at a random place on a dark, noisy background: learnable through convolutions and global
/// average pooling whatever the position, and not by brightness alone (LayerNorm removes it).
data::ImageDataset textures(int64_t n, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  auto images = torch::randint(0, 30, {n, 1, 28, 28}, gen).to(torch::kUInt8);
  const auto labels = torch::randint(0, 4, {n}, gen);
  const auto places = torch::randint(0, 18, {n, 2}, gen);
  const auto rows = torch::arange(10).view({10, 1}), cols = torch::arange(10).view({1, 10});
  const auto bands = [](const torch::Tensor& i) { return torch::div(i, 3, "floor") % 2; };
  const std::vector<torch::Tensor> patterns{
      bands(rows).expand({10, 10}), bands(cols).expand({10, 10}), (bands(rows) + bands(cols)) % 2,
      torch::ones({10, 10}, torch::kLong)};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = places[i][0].item<int64_t>(), c = places[i][1].item<int64_t>();
    const auto& pattern = patterns[static_cast<size_t>(labels[i].item<int64_t>())];
    images[i][0].slice(0, r, r + 10).slice(1, c, c + 10).copy_(40 + 200 * pattern);
  }
  return {images, labels, {}};
}

void write_dataset(const std::string& folder) {
  for (const auto& [prefix, n, seed] : {std::tuple{"train", int64_t{512}, uint64_t{1}},
                                        std::tuple{"t10k", int64_t{200}, uint64_t{2}}}) {
    const auto d = textures(n, seed);
    data::write_idx_gz(folder + "/" + prefix + "-images-idx3-ubyte.gz", d.images.squeeze(1));
    data::write_idx_gz(folder + "/" + prefix + "-labels-idx1-ubyte.gz", d.labels.to(torch::kUInt8));
  }
}

ImageClassifierConfig tiny(const testing::TempDir& dir) {
  ImageClassifierConfig c;
  c.data_dir = dir.path("data");
  c.out = dir.path("run");
  c.stem_strides = {2, 2};
  c.depths = {1, 1};
  c.dims = {16, 32};
  c.heads = {1, 2};
  c.m = {8, 4};

  c.batch_size = 32;
  c.epochs = 8;
  c.lr = 5e-3;
  c.warmup_epochs = 0.5;
  c.ema = 0.9;
  c.log_every = 8;
  c.eval_every = 0;
  c.init_refs_images = 64;
  return c;
}

TEST(ImageClassification, LearnsAnEasyTaskAndTheCheckpointRebuildsTheModel) {
  const testing::TempDir dir;
  std::filesystem::create_directories(dir.path("data"));
  write_dataset(dir.path("data"));
  // Softmax learns this task in 5-8 epochs; SeT needed about 15 when this test was written, which
  // would triple the test's time without testing more of the pipeline.
  auto config = tiny(dir);
  config.kernel = "softmax";
  std::vector<std::string> lines;
  const auto result =
      train_image_classifier(config, [&](const std::string& line) { lines.push_back(line); });
  EXPECT_GT(result.test.confusion.accuracy(), 0.9) << fmt::format("{}", fmt::join(lines, "\n"));
  EXPECT_EQ(result.test.confusion.total(), 200);
  EXPECT_EQ(result.summary.steps_done, 8 * 16);
  for (const auto* file : {"checkpoint.pt", "log.jsonl", "curves.png", "confusion.png",
                           "confusion.txt", "summary.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.path("run") + "/" + file)) << file;
  }
  const auto summary = nlohmann::json::parse(read_file(dir.path("run") + "/summary.json"));
  EXPECT_DOUBLE_EQ(summary["test_accuracy"].get<double>(), result.test.confusion.accuracy());
  EXPECT_EQ(summary["config"]["dims"], (std::vector<int64_t>{16, 32}));
  // The progress lines name step, loss, throughput and time left.
  EXPECT_NE(lines[2].find("img/s"), std::string::npos) << lines[2];

  // eval: the checkpoint alone rebuilds the model (EMA weights, as evaluated in training).
  auto loaded = load_image_classifier(dir.path("run") + "/checkpoint.pt", true, torch::kCPU);
  EXPECT_TRUE(loaded.ema);
  EXPECT_EQ(loaded.config.dims, config.dims);
  const auto test = open_evaluation_data(loaded.config, 0, [](const std::string&) {});
  const auto again =
      evaluate_classifier(loaded.model, evaluation_loader(test, loaded.config, 64), torch::kCPU);
  EXPECT_TRUE(again.confusion.counts().equal(result.test.confusion.counts()));
}

TEST(ImageClassification, AnExportedFolderReadsBackAsTheIdxImagesAndLabels) {
  // The folder path (scan, decode, resize, normalise) against the built-in one on the same
  // pictures: data export writes the IDX images as PNGs, the folder loader reads them back.
  const testing::TempDir dir;
  std::filesystem::create_directories(dir.path("data"));
  write_dataset(dir.path("data"));
  data::ExportOptions export_options;
  export_options.limit = 60;
  data::export_fashion_mnist(dir.path("folder"), dir.path("data"), export_options,
                             [](const std::string&) {});
  auto c = tiny(dir);
  c.root = dir.path("folder");
  c.crop = "resize";
  c.image_size = 28;
  c.mean = {kFashionMnistMean};
  c.std_dev = {kFashionMnistStd};
  const auto data = open_image_data(c, [](const std::string&) {});
  EXPECT_EQ(c.channels, 1);         // grey PNGs
  EXPECT_EQ(c.classes.size(), 4u);  // the textures use labels 0..3
  const auto loader = evaluation_loader(data, c, 60);
  const auto batch = loader.batch(0, 0);
  const auto idx = textures(200, 2);
  ASSERT_EQ(batch.images.size(0), 60);
  for (int64_t i = 0; i < 60; ++i) {
    // Files are <index>.png: the row of the test split they came from.
    const auto& path = data.test_files->paths[static_cast<size_t>(i)];
    const auto row = std::stoll(std::filesystem::path(path).stem().string());
    EXPECT_EQ(batch.labels[i].item<int64_t>(), idx.labels[row].item<int64_t>()) << path;
    EXPECT_TRUE(batch.images[i].equal(
        data::normalize(idx.images.slice(0, row, row + 1), kFashionMnistMean, kFashionMnistStd)[0]))
        << path;
  }
  EXPECT_EQ(read_file(dir.path("run") + "/classes.tsv").substr(0, 26),
            "label\tclass\ttrain\tval\n0\t0_");
}

TEST(ImageClassification, KernelsAreTwinsOfEqualDepthAndWidth) {
  const testing::TempDir dir;
  auto c = tiny(dir);
  std::map<std::string, int64_t> params;
  for (const auto* kernel : {"set", "softmax", "window"}) {
    c.kernel = kernel;
    models::SeTformer model(model_options(c, 1, 28, 10));
    const auto logits = model(torch::randn({2, 1, 28, 28}));
    EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 10})) << kernel;
    for (const auto& p : model->parameters()) params[kernel] += p.numel();
  }
  // The twins differ only in their attention's own parameters: SeT has references (m·d per
  // layer) where softmax has W_k (d² + d); the window kernel is softmax attention.
  EXPECT_EQ(params["window"], params["softmax"]);
  int64_t difference = 0;
  for (size_t i = 0; i < c.dims.size(); ++i) {
    const int64_t d = c.dims[i];
    difference += c.depths[i] * (c.m[i] * d - d * d - d);
  }
  EXPECT_EQ(params["set"] - params["softmax"], difference);
}

TEST(ImageClassification, ShardedBackwardGivesTheFullBatchGradient) {
  // The training step's batch parallelism (core/shards.h): shard losses weighted by their share
  // of the batch, backward in parallel threads into shared gradients. Reference: one backward
  // of the whole batch's mean loss. Without stochastic depth the two differ only by the order of
  // float sums.
  const testing::TempDir dir;
  auto c = tiny(dir);
  c.drop_path = 0;
  set_threads(1);
  for (const auto* kernel : {"set", "softmax"}) {
    c.kernel = kernel;
    torch::manual_seed(0);
    models::SeTformer model(model_options(c, 1, 28, 10));
    const auto x = torch::randn({10, 1, 28, 28});
    const auto y = torch::randint(0, 10, {10});
    const auto gradients = [&](int64_t shards) {
      model->zero_grad();
      run_shards(shards, 10, 1, [&](int64_t, int64_t begin, int64_t end) {
        const auto loss = torch::nn::functional::cross_entropy(model(x.slice(0, begin, end)),
                                                               y.slice(0, begin, end)) *
                          (static_cast<double>(end - begin) / 10.0);
        loss.backward();
      });
      std::vector<torch::Tensor> out;
      for (const auto& p : model->parameters()) out.push_back(p.grad().clone());
      return out;
    };
    const auto full = gradients(1), sharded = gradients(3);
    // More shards than images: one image per shard, and the step still reports every image.
    model->zero_grad();
    const auto tiny_batch =
        classifier_step(model, x.slice(0, 0, 2), y.slice(0, 0, 2), 0.0, 3, /*seed=*/1);
    EXPECT_EQ(tiny_batch.count, 2);
    const auto reference =
        torch::nn::functional::cross_entropy(model(x.slice(0, 0, 2)), y.slice(0, 0, 2));
    EXPECT_NEAR(tiny_batch.loss.item<double>(), reference.item<double>(), 1e-5) << kernel;
    ASSERT_EQ(full.size(), sharded.size());
    for (size_t i = 0; i < full.size(); ++i) {
      EXPECT_TRUE(torch::allclose(sharded[i], full[i], 1e-4, 1e-6))
          << kernel << " parameter " << i << ": max difference "
          << (sharded[i] - full[i]).abs().max().item<double>();
    }
  }
}

TEST(ImageClassification, StopToleranceReachesEverySetLayerWithoutGradients) {
  // set.stop_tolerance stops Sinkhorn early where no gradient is needed (evaluation). A tolerance
  // no plan can miss stops every layer after its first iteration, which changes the logits; with
  // gradients (the unrolled backward keeps every iterate) the logits stay those of T iterations.
  const testing::TempDir dir;
  auto c = tiny(dir);
  c.drop_path = 0;
  const auto x = torch::randn({4, 1, 28, 28});
  const auto logits = [&](double tolerance, bool gradients) {
    c.stop_tolerance = tolerance;
    torch::manual_seed(0);
    models::SeTformer model(model_options(c, 1, 28, 10));
    model->eval();
    torch::AutoGradMode mode(gradients);
    return model(x).detach();
  };
  EXPECT_GT((logits(1e9, false) - logits(0.0, false)).abs().max().item<double>(), 1e-4);
  EXPECT_TRUE(torch::allclose(logits(1e9, true), logits(0.0, true), 1e-5, 1e-6));
}

TEST(ImageClassification, ConfigRoundTripsThroughJson) {
  const testing::TempDir dir;
  auto c = tiny(dir);
  c.kernel = "window";
  c.values = "nystrom";

  const auto back = nlohmann::json(c).get<ImageClassifierConfig>();
  EXPECT_EQ(nlohmann::json(back), nlohmann::json(c));
}

TEST(ImageClassification, ConfigErrorsNameTheField) {
  const testing::TempDir dir;
  auto c = tiny(dir);
  c.dims = {16, 32, 64};
  testing::expect_invalid_argument([&] { model_options(c, 1, 28, 10); },
                                   "model.dims has 3 entries but the model has 2 stages");
  c = tiny(dir);
  c.model = "setformer-huge";
  testing::expect_invalid_argument([&] { model_options(c, 1, 28, 10); },
                                   "model.preset = 'setformer-huge' is not a preset");
  c = tiny(dir);
  c.values = "cubic";
  testing::expect_invalid_argument([&] { model_options(c, 1, 28, 10); },
                                   "set.values = 'cubic' is not valid; expected linear | nystrom");
  c = tiny(dir);
  c.kernel = "sparse";
  testing::expect_invalid_argument([&] { models::SeTformer{model_options(c, 1, 28, 10)}; },
                                   "unknown attention kernel 'sparse'");
}

TEST(ImageClassification, ParallelismErrorsNameTheField) {
  const testing::TempDir dir;
  auto c = tiny(dir);
  c.parallel = "threads";
  testing::expect_invalid_argument([&] { train_image_classifier(c, [](const std::string&) {}); },
                                   "run.parallel = 'threads' is not valid; expected batch | ops");
  c = tiny(dir);
  c.threads = 2;
  c.dropout = 0.1;
  testing::expect_invalid_argument([&] { train_image_classifier(c, [](const std::string&) {}); },
                                   "model.dropout = 0.1 needs run.parallel = ops");
  set_threads(1);
}

TEST(ImageClassification, MissingDatasetNamesTheFileAndPackage) {
  const testing::TempDir dir;
  auto c = tiny(dir);
  c.data_dir = dir.path("nowhere");
  try {
    train_image_classifier(c, [](const std::string&) {});
    ADD_FAILURE() << "expected an error";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(dir.path("nowhere")), std::string::npos) << what;
    EXPECT_NE(what.find("dataset-fashion-mnist"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace setformer::tasks
