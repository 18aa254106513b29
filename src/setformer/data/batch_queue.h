// Items made ahead of their consumer by a pool of threads, handed over in order: the loaders'
// prefetching (data/loader.h). Each item is a pure function of its index, so how many threads
// make them, and in which order they finish, cannot change what the consumer receives.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace setformer::data {

template <class T>
class BatchQueue {
 public:
  /// Makes items begin, ..., end − 1 with make(i) on `workers` threads, at most `capacity` (>= 1)
  /// ahead of the consumer (a bounded queue); with no workers, next() makes each on the calling
  /// thread. `thread_start` runs first on every worker thread.
  BatchQueue(std::function<T(int64_t)> make, int64_t begin, int64_t end, int64_t workers,
             int64_t capacity, std::function<void()> thread_start = {})
      : make_(std::move(make)),
        next_claim_(begin),
        next_out_(begin),
        end_(end),
        capacity_(std::max<int64_t>(1, capacity)) {
    for (int64_t w = 0; w < workers; ++w) {
      threads_.emplace_back([this, thread_start] {
        if (thread_start) thread_start();
        work();
      });
    }
  }

  ~BatchQueue() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_) t.join();
  }

  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  /// The next item in index order, or nullopt after the last. An exception a worker threw while
  /// making this item is rethrown here.
  std::optional<T> next() {
    if (threads_.empty()) {
      if (next_out_ >= end_) return std::nullopt;
      return make_(next_out_++);
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (next_out_ >= end_) return std::nullopt;
    const auto start = std::chrono::steady_clock::now();
    changed_.wait(lock,
                  [&] { return ready_.count(next_out_) > 0 || failed_.count(next_out_) > 0; });
    wait_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (const auto f = failed_.find(next_out_); f != failed_.end()) {
      const auto error = f->second;
      stop_ = true;
      lock.unlock();
      changed_.notify_all();
      std::rethrow_exception(error);
    }
    auto node = ready_.extract(next_out_);
    ++next_out_;
    lock.unlock();
    changed_.notify_all();
    return std::move(node.mapped());
  }

  /// Seconds next() has spent waiting for items not yet made: the consumer's data wait.
  double wait_seconds() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return wait_seconds_;
  }

 private:
  void work() {
    while (true) {
      int64_t i = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] {
          return stop_ || next_claim_ >= end_ || next_claim_ - next_out_ < capacity_;
        });
        if (stop_ || next_claim_ >= end_) return;
        i = next_claim_++;
      }
      try {
        T item = make_(i);
        std::lock_guard<std::mutex> lock(mutex_);
        ready_.emplace(i, std::move(item));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        failed_.emplace(i, std::current_exception());
      }
      changed_.notify_all();
    }
  }

  std::function<T(int64_t)> make_;
  int64_t next_claim_, next_out_, end_, capacity_;
  std::map<int64_t, T> ready_;
  std::map<int64_t, std::exception_ptr> failed_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
  double wait_seconds_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace setformer::data
