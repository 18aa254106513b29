// Progress lines, the JSONL log (including a crash mid-line) and the curves picture.
#include "setformer/train/progress.h"

#include "setformer/core/files.h"

#include "common/temp_dir.h"

#include <gtest/gtest.h>

namespace setformer::train {
namespace {

TEST(Progress, FormatsDurationsAndTheLine) {
  EXPECT_EQ(format_duration(44.6), "45s");
  EXPECT_EQ(format_duration(187), "3m07s");
  EXPECT_EQ(format_duration(7500), "2h05m");
  EXPECT_EQ(format_duration(-3), "0s");
  ProgressState p;
  p.step = 120, p.total_steps = 5000, p.epoch = 1, p.loss = 0.43214, p.accuracy = 0.88123;
  p.items_per_second = 850.24, p.seconds_left = 192;
  EXPECT_EQ(format_progress(p),
            "step  120/5000  epoch 1  loss 0.4321  acc 0.8812  850.2 img/s  3m12s left");
  p.accuracy = -1;
  EXPECT_EQ(format_progress(p).find("acc"), std::string::npos);
}

TEST(JsonlLog, AppendsReadsBackAndSurvivesACrashMidLine) {
  const testing::TempDir dir;
  const auto path = dir.path("logs/metrics.jsonl");
  {
    JsonlLog log(path, /*truncate=*/true);
    log.write({{"step", 1}, {"loss", 2.5}});
    log.write({{"step", 2}, {"loss", 1.5}, {"accuracy", 0.5}});
  }
  {
    JsonlLog log(path, /*truncate=*/false);  // a resumed run appends
    log.write({{"step", 3}, {"loss", 1.0}});
  }
  std::string text = read_file(path);
  write_file_atomic(path, text + R"({"step": 4, "lo)");  // cut off by a crash
  const auto records = read_jsonl(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2]["step"], 3);
  write_file_atomic(path, text + "garbage\n" + R"({"step": 5})" + "\n");
  try {
    read_jsonl(path);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":4: not a JSON object"), std::string::npos)
        << e.what();
  }
  plot_curves(records, "step", {"loss", "accuracy"}, "test", dir.path("curves.png"));
  EXPECT_GT(read_file(dir.path("curves.png")).size(), 1000u);
}

}  // namespace
}  // namespace setformer::train
