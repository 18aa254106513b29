// The bounded, ordered work queue behind the loaders: order whatever the finishing order, the
// bound on work ahead, errors delivered at their item, and a clean stop mid-way.
#include "setformer/data/batch_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace setformer::data {
namespace {

TEST(BatchQueue, DeliversItemsInOrderWhateverTheWorkersTiming) {
  for (const int64_t workers : {0, 1, 4}) {
    BatchQueue<int64_t> queue(
        [](int64_t i) {
          // Later items finish first.
          std::this_thread::sleep_for(std::chrono::microseconds(200 * ((i * 7) % 5)));
          return i * i;
        },
        3, 40, workers, 6);
    for (int64_t i = 3; i < 40; ++i) {
      const auto v = queue.next();
      ASSERT_TRUE(v.has_value());
      EXPECT_EQ(*v, i * i) << workers << " workers";
    }
    EXPECT_FALSE(queue.next().has_value());
  }
}

TEST(BatchQueue, NeverWorksMoreThanItsCapacityAhead) {
  std::atomic<int64_t> consumed{0}, worst{0};
  BatchQueue<int64_t> queue(
      [&](int64_t i) {
        const int64_t ahead = i - consumed.load();
        int64_t w = worst.load();
        while (ahead > w && !worst.compare_exchange_weak(w, ahead)) {
        }
        return i;
      },
      0, 50, 3, 4);
  for (int64_t i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    ASSERT_EQ(*queue.next(), i);
    consumed = i + 1;
  }
  // Item i is claimed only while fewer than 4 are taken but not consumed.
  EXPECT_LE(worst.load(), 4);
  EXPECT_GE(queue.wait_seconds(), 0.0);
}

TEST(BatchQueue, RethrowsAWorkersErrorAtItsItem) {
  BatchQueue<int64_t> queue(
      [](int64_t i) -> int64_t {
        if (i == 2) throw std::runtime_error("file 2 is broken");
        return i;
      },
      0, 10, 2, 3);
  EXPECT_EQ(*queue.next(), 0);
  EXPECT_EQ(*queue.next(), 1);
  try {
    queue.next();
    FAIL() << "expected the worker's error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "file 2 is broken");
  }
}

TEST(BatchQueue, StopsCleanlyWithWorkOutstanding) {
  std::atomic<int64_t> made{0};
  {
    BatchQueue<int64_t> queue(
        [&](int64_t i) {
          ++made;
          return i;
        },
        0, 1000000, 3, 8);
    EXPECT_EQ(*queue.next(), 0);
  }  // the destructor joins the workers without making the million items
  EXPECT_LT(made.load(), 100);
}

}  // namespace
}  // namespace setformer::data
