// Things costly to make afresh (a compression context and its tables, a large aligned buffer),
// kept after use for the next user of any thread. The threads that pack and write an envoi's
// blobs are made anew for each envoi (std::async), so a thread_local copy was made again every
// time; and on the virtual machines mutua is measured on, each page a process touches for the
// first time costs a fault of about 12 us (4 KiB) or a zeroing of 2 MiB: memory kept is memory
// not faulted in again (docs/performance.md, session 38).
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace mutua {

template <class T>
class ReusePool {
 public:
  // What was given back beyond `most` is freed.
  explicit ReusePool(size_t most) : most_(most) {}

  // A kept one, else null: the caller makes one.
  std::unique_ptr<T> take() {
    std::lock_guard lock(mutex_);
    if (kept_.empty()) return nullptr;
    auto t = std::move(kept_.back());
    kept_.pop_back();
    return t;
  }

  void give_back(std::unique_ptr<T> t) {
    if (!t) return;
    std::lock_guard lock(mutex_);
    if (kept_.size() < most_) kept_.push_back(std::move(t));
  }

  // Taken from `pool` (or made by `make`) for a scope, given back at its end.
  class Lease {
   public:
    template <class Make>
    Lease(ReusePool& pool, Make&& make) : pool_(pool), t_(pool.take()) {
      if (!t_) t_ = make();
    }
    ~Lease() { pool_.give_back(std::move(t_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    T* get() const { return t_.get(); }
    T* operator->() const { return t_.get(); }
    explicit operator bool() const { return t_ != nullptr; }

   private:
    ReusePool& pool_;
    std::unique_ptr<T> t_;
  };

 private:
  const size_t most_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> kept_;
};

// Makes room in `s` (a string or a vector) for `n` elements, with an eighth more when it must
// grow: the next envoi's buffer is a little larger or smaller than this one's, and a kept buffer
// a few bytes too small would be grown afresh (a std::string doubles: 157 MB of a 920900
// becoming 314 MB of fresh pages).
template <class Container>
void reserve_with_room(Container& s, size_t n) {
  if (s.capacity() < n) s.reserve(n + n / 8);
}

}  // namespace mutua
